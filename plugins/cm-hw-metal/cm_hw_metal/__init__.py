"""cm-hw-metal: a CM hardware plugin for Apple-silicon GPUs (see :mod:`cm_hw_metal.plugin`)."""

__version__ = "0.1.0"
