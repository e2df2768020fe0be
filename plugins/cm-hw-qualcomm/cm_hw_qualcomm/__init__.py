"""cm-hw-qualcomm: a CM hardware plugin for Qualcomm NPUs (see :mod:`cm_hw_qualcomm.plugin`)."""

__version__ = "0.1.0"
