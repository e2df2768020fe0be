"""cm-hw-cuda: a CM hardware plugin for NVIDIA GPUs (see :mod:`cm_hw_cuda.plugin`)."""

__version__ = "0.1.0"
