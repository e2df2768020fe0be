"""cm-backend-onnx: ONNX Runtime as a CM inference backend (see :mod:`cm_backend_onnx.backend`)."""

__version__ = "0.1.0"
