"""cm-backend-tensorrt: NVIDIA TensorRT as a CM inference backend (see :mod:`cm_backend_tensorrt.backend`)."""

__version__ = "0.1.0"
