"""GPU memory and streams for running TensorRT engines, through cuda-python or, failing that, torch.

TensorRT's Python API takes raw device pointers; something else must allocate them. Both
libraries install from PyPI next to ``tensorrt``: cuda-python is small, torch is often
already there. Imports happen inside :func:`open_memory` only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cmcore.errors import CMError


class CudaPythonMemory:
    """Allocations and copies through the CUDA runtime bindings of cuda-python."""

    library = "cuda-python"

    def __init__(self, device_index: int) -> None:
        try:
            from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
        except ImportError:
            from cuda import cudart  # older cuda-python
        self.rt = cudart
        self._check(cudart.cudaSetDevice(device_index), "cudaSetDevice")
        self._stream = self._check(cudart.cudaStreamCreate(), "cudaStreamCreate")

    def _check(self, result: Any, what: str) -> Any:
        err = result[0]
        if err != self.rt.cudaError_t.cudaSuccess:
            raise CMError(f"TensorRT backend: {what} failed: {err}", 1)
        return result[1] if len(result) == 2 else None

    @property
    def stream_handle(self) -> int:
        return int(self._stream)

    def alloc(self, nbytes: int) -> int:
        return int(self._check(self.rt.cudaMalloc(max(1, nbytes)), "cudaMalloc"))

    def free(self, ptr: int) -> None:
        self.rt.cudaFree(ptr)

    def to_device(self, ptr: int, arr: np.ndarray) -> None:
        arr = np.ascontiguousarray(arr)
        kind = self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._check(self.rt.cudaMemcpy(ptr, arr.ctypes.data, arr.nbytes, kind), "cudaMemcpy to device")

    def to_host(self, arr: np.ndarray, ptr: int) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._check(self.rt.cudaMemcpy(arr.ctypes.data, ptr, arr.nbytes, kind), "cudaMemcpy to host")

    def synchronize(self) -> None:
        self._check(self.rt.cudaStreamSynchronize(self._stream), "cudaStreamSynchronize")

    def close(self) -> None:
        self.rt.cudaStreamDestroy(self._stream)


class TorchMemory:
    """The same through torch's CUDA allocator (kept alive by holding the tensors)."""

    library = "torch"

    def __init__(self, device_index: int) -> None:
        import torch

        self.torch = torch
        self.device = torch.device("cuda", device_index)
        self._stream = torch.cuda.Stream(device=self.device)
        self._buffers: dict[int, Any] = {}

    @property
    def stream_handle(self) -> int:
        return int(self._stream.cuda_stream)

    def alloc(self, nbytes: int) -> int:
        t = self.torch.empty(max(1, nbytes), dtype=self.torch.uint8, device=self.device)
        self._buffers[t.data_ptr()] = t
        return int(t.data_ptr())

    def free(self, ptr: int) -> None:
        self._buffers.pop(ptr, None)

    def to_device(self, ptr: int, arr: np.ndarray) -> None:
        src = self.torch.from_numpy(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))
        self._buffers[ptr][: src.numel()].copy_(src)
        self.torch.cuda.synchronize(self.device)  # the engine runs on our own stream

    def to_host(self, arr: np.ndarray, ptr: int) -> None:
        arr.reshape(-1).view(np.uint8)[:] = self._buffers[ptr][: arr.nbytes].cpu().numpy()

    def synchronize(self) -> None:
        self._stream.synchronize()

    def close(self) -> None:
        self._buffers.clear()


def open_memory(device_index: int, prefer: str | None = None) -> CudaPythonMemory | TorchMemory:
    """cuda-python if importable (or ``prefer``red), else torch; CMError when neither works."""
    order: list[type[CudaPythonMemory] | type[TorchMemory]] = [CudaPythonMemory, TorchMemory]
    if prefer == "torch":
        order.reverse()
    errors = []
    for impl in order:
        try:
            return impl(device_index)
        except CMError:
            raise
        except Exception as exc:  # ImportError, or a library that cannot see the GPU
            errors.append(f"{impl.library}: {type(exc).__name__}: {exc}")
    raise CMError("TensorRT backend not available: no CUDA memory library works (" + "; ".join(errors)
                  + "); pip install cuda-python", 1)
