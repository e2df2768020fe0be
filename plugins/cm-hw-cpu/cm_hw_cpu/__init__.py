"""cm-hw-cpu: a CM hardware plugin that describes the host CPU (see :mod:`cm_hw_cpu.plugin`)."""

__version__ = "0.1.0"
