"""NVIDIA TensorRT as a CM :class:`~cmcore.types.Backend`.

Same shape as the ONNX Runtime backend (``detect``, ``install``, ``load`` -> handle with
``predict``, ``run``, ``postprocess``). ``load`` builds an engine from an ONNX file, or takes
it from the engine cache (:mod:`cm_backend_tensorrt.engine`). Options:

============  =======================================================  ==================
option        meaning                                                  default
============  =======================================================  ==================
precision     ``fp32``, ``fp16`` or ``int8`` (int8: calibration_data    fp32
              or a QDQ-quantised model)
max_batch     largest batch the engine accepts (dynamic batch models)   64
opt_batch     the batch size TensorRT tunes for                         max_batch
workspace_gb  builder workspace limit                                    2
cache_dir     engine cache folder                                        <tmp>/cm-tensorrt-engines
calibration_data  list of input batches (dict name -> array) for int8   none
memory        ``cuda-python`` or ``torch`` for GPU buffers               cuda-python, then torch
============  =======================================================  ==================

Where TensorRT, a GPU or a buffer library is missing every method says
``TensorRT backend not available: <reason>`` (a :class:`CMError`), never a traceback.
``tensorrt`` is imported inside ``load`` only.
"""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cm_backend_tensorrt import engine as engines
from cm_backend_tensorrt import probe as probing
from cmcore.errors import NOT_FOUND, CMError
from cmcore.stats import timed_batches
from cmcore.suggest import did_you_mean
from cmcore.types import Device, InstallPlan

NAME = "tensorrt"
DEFAULTS: dict[str, Any] = {"precision": "fp32", "max_batch": 64, "opt_batch": None, "workspace_gb": 2.0,
                            "cache_dir": None, "calibration_data": None, "memory": None}


def all_devices(session: Any) -> list[Device]:
    out: list[Device] = []
    for _plugin, found in session.pm.call_each("cm_detect_devices", session=session):
        out.extend(d for d in found or [] if isinstance(d, Device))
    return out


def normalise(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Options with defaults, checked; CMError (code 1) on a bad name or value."""
    opts = dict(DEFAULTS)
    for key, value in (options or {}).items():
        if key not in DEFAULTS:
            raise CMError(f"TensorRT backend: unknown option {key!r}{did_you_mean(key, DEFAULTS)}", 1)
        opts[key] = value
    if opts["precision"] not in ("fp32", "fp16", "int8"):
        raise CMError(f"TensorRT backend: precision {opts['precision']!r} is not one of fp32, fp16, int8", 1)
    for key in ("max_batch", "opt_batch"):
        v = opts[key]
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise CMError(f"TensorRT backend: option {key} must be a whole number >= 1, not {v!r}", 1)
    opts["opt_batch"] = min(opts["opt_batch"] or opts["max_batch"], opts["max_batch"])
    if not isinstance(opts["workspace_gb"], (int, float)) or opts["workspace_gb"] <= 0:
        raise CMError(f"TensorRT backend: workspace_gb must be > 0, not {opts['workspace_gb']!r}", 1)
    if opts["memory"] not in (None, "cuda-python", "torch"):
        raise CMError(f"TensorRT backend: memory {opts['memory']!r} is not one of cuda-python, torch", 1)
    return opts


def tensorrt_wheel(device: Device) -> str:
    """The PyPI TensorRT package built for the CUDA major version the driver supports."""
    major = (device.runtime_version or "").split(".")[0]
    if major.isdigit() and int(major) <= 11:
        return "tensorrt-cu11"
    if major.isdigit() and int(major) >= 13:
        return "tensorrt-cu13"
    return "tensorrt-cu12"


class TrtHandle:
    """A deserialized engine, its execution context and the GPU buffers it runs on."""

    def __init__(self, trt: Any, engine: Any, memory: Any, device: Device, model_path: Path,
                 opts: dict[str, Any], cache_path: Path, cache_hit: bool, build_s: float) -> None:
        self.trt, self.engine, self.memory, self.device = trt, engine, memory, device
        self.context = engine.create_execution_context()
        self.model_path, self.options = model_path, opts
        self.cache_path, self.cache_hit, self.build_s = cache_path, cache_hit, build_s
        self.engine_version = trt.__version__
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        mode_in = trt.TensorIOMode.INPUT
        self.inputs = [n for n in names if engine.get_tensor_mode(n) == mode_in]
        self.outputs = [n for n in names if engine.get_tensor_mode(n) != mode_in]
        self.dtypes = {n: np.dtype(trt.nptype(engine.get_tensor_dtype(n))) for n in names}
        self._buffers: dict[str, tuple[int, int]] = {}  # name -> (pointer, capacity in bytes)
        self.last_stats: dict[str, Any] | None = None

    def _buffer(self, name: str, nbytes: int) -> int:
        ptr, cap = self._buffers.get(name, (0, 0))
        if cap < nbytes:
            if ptr:
                self.memory.free(ptr)
            ptr, cap = self.memory.alloc(nbytes), nbytes
            self._buffers[name] = (ptr, cap)
        return ptr

    def feed(self, batch: Any) -> dict[str, np.ndarray]:
        if isinstance(batch, Mapping):
            if sorted(batch) != sorted(self.inputs):
                raise CMError(f"TensorRT backend: batch inputs {sorted(batch)} do not match the engine's "
                              f"{self.inputs}", 1)
            items = {n: batch[n] for n in self.inputs}
        elif isinstance(batch, (list, tuple)) and len(batch) == len(self.inputs):
            items = dict(zip(self.inputs, batch, strict=True))
        elif len(self.inputs) == 1 and not isinstance(batch, (list, tuple)):
            items = {self.inputs[0]: batch}
        else:
            raise CMError(f"TensorRT backend: the engine has inputs {self.inputs}; pass a dict", 1)
        return {n: np.ascontiguousarray(v, dtype=self.dtypes[n]) for n, v in items.items()}

    def predict(self, batch: Any) -> list[np.ndarray]:
        """Run one batch; return the outputs in engine order."""
        feed = self.feed(batch)
        for name, arr in feed.items():
            if not self.context.set_input_shape(name, arr.shape):
                raise CMError(f"TensorRT backend: input {name} shape {arr.shape} is outside the engine's "
                              f"profile (max_batch {self.options['max_batch']})", 1)
            ptr = self._buffer(name, arr.nbytes)
            self.memory.to_device(ptr, arr)
            self.context.set_tensor_address(name, ptr)
        outs = []
        for name in self.outputs:
            shape = tuple(self.context.get_tensor_shape(name))
            out = np.empty(shape, dtype=self.dtypes[name])
            self.context.set_tensor_address(name, self._buffer(name, out.nbytes))
            outs.append((name, out))
        if not self.context.execute_async_v3(self.memory.stream_handle):
            raise CMError("TensorRT backend: engine execution failed", 1)
        self.memory.synchronize()
        for name, out in outs:
            self.memory.to_host(out, self._buffers[name][0])
        return [o for _, o in outs]

    def warmup(self, batch: Any, n: int = 1) -> None:
        for _ in range(max(0, n)):
            self.predict(batch)

    def close(self) -> None:
        for ptr, _ in self._buffers.values():
            self.memory.free(ptr)
        self._buffers.clear()


class TensorRTBackend:
    """The ``tensorrt`` backend (``BackendSpec("tensorrt", TensorRTBackend)``)."""

    name = NAME

    def detect(self, session: Any, python: str | None = None) -> dict[str, Any]:
        """``{'available', 'version', 'devices', 'reason', ...}``; probes in a child interpreter."""
        exe = python or sys.executable
        found = probing.probe(exe)
        gpus = [d for d in all_devices(session) if d.kind == "cuda"]
        ok, reason = probing.availability(found, gpus, exe)
        return {"available": ok, "version": found.get("tensorrt") or probing.lib_version(found.get("libnvinfer")),
                "devices": [d.name for d in gpus] if ok else [], "reason": f"not available: {reason}" if reason else "",
                "cuda_python": bool(found.get("cuda_python")), "torch": bool(found.get("torch")), "python": exe}

    def install(self, session: Any, device: Device, python: str | None = None) -> InstallPlan:
        """pip commands for TensorRT and cuda-python matching the driver's CUDA major version."""
        if device.kind != "cuda":
            return InstallPlan(NAME, (), automatic=False,
                               note=f"not available: TensorRT runs only on NVIDIA CUDA GPUs, not {device.name}")
        wheel = tensorrt_wheel(device)
        major = wheel.rsplit("cu", 1)[1]
        py = shlex.quote(python or sys.executable)
        cmd = f"{py} -m pip install --upgrade {wheel} 'cuda-python>={major},<{int(major) + 1}' onnx numpy"
        return InstallPlan(NAME, (cmd,), automatic=True,
                           note=f"{wheel}: TensorRT for CUDA {major}.x (the driver supports CUDA "
                                f"{device.runtime_version or '?'})")

    def load(self, model_path: str, device: Device, options: Mapping[str, Any] | None = None) -> TrtHandle:
        """Build (or take from the cache) an engine for ``model_path`` on ``device``."""
        opts = normalise(options)
        path = Path(model_path)
        if not path.is_file():
            raise CMError(f"TensorRT backend: model file {model_path} not found", NOT_FOUND)
        if device.kind != "cuda":
            raise CMError(f"TensorRT backend not available: TensorRT runs only on NVIDIA CUDA GPUs, "
                          f"not {device.name}", 1)
        try:
            import tensorrt as trt
        except Exception as exc:
            raise CMError(f"TensorRT backend not available: the tensorrt Python module is not importable "
                          f"({type(exc).__name__}: {exc}); pip install {tensorrt_wheel(device)}", 1) from exc
        memory = engines_memory(device, opts["memory"])
        model_bytes = path.read_bytes()
        settings = {k: opts[k] for k in ("precision", "max_batch", "opt_batch", "workspace_gb", "calibration_data")}
        key = engines.cache_key(model_bytes, trt.__version__, device, settings)
        folder = engines.cache_folder(opts["cache_dir"])
        data = engines.load_cached(folder, key)
        cache_hit, build_s = data is not None, 0.0
        if data is None:
            start = time.perf_counter()
            data = engines.build(trt, model_bytes, settings, memory)
            build_s = time.perf_counter() - start
            engines.store(folder, key, data, {
                "model": str(path), "tensorrt": trt.__version__, "gpu": device.model,
                "compute_capability": device.capabilities.get("compute_capability"),
                "settings": {k: v for k, v in settings.items() if k != "calibration_data"}, "build_s": build_s})
        runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        engine = runtime.deserialize_cuda_engine(data)
        if engine is None:
            raise CMError(f"TensorRT backend: cannot deserialize the cached engine {folder / key}.engine "
                          "(delete it to rebuild)", 1)
        return TrtHandle(trt, engine, memory, device, path, opts, folder / f"{key}.engine", cache_hit, build_s)

    def run(self, handle: TrtHandle, batches: Sequence[Any], warmup: int = 1) -> dict[str, Any]:
        """Warm up on the first batch, then time each batch (host-to-host, copies included)."""
        return timed_batches(handle, batches, warmup, "TensorRT backend")

    def postprocess(self, handle: TrtHandle) -> dict[str, Any]:
        return {"backend": NAME, "engine_version": handle.engine_version, "device": handle.device.name,
                "gpu": handle.device.model, "model": str(handle.model_path), "engine": str(handle.cache_path),
                "engine_cache_hit": handle.cache_hit, "build_s": handle.build_s,
                "memory_library": handle.memory.library,
                "options": {k: v for k, v in handle.options.items() if k != "calibration_data"},
                "latency": handle.last_stats}


def engines_memory(device: Device, prefer: str | None) -> Any:
    from cm_backend_tensorrt.cudamem import open_memory

    return open_memory(device.index, prefer)
