"""Building TensorRT engines from ONNX, and the engine cache.

An engine only runs on the TensorRT version and GPU model it was built for, and depends on
every build setting, so the cache key is a hash of: the model bytes, the TensorRT version,
the GPU name and compute capability, and the settings (precision, workspace, batch profile,
calibration data). Entries are written atomically (temp file + rename) next to a small JSON
record of what went into the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cmcore.errors import CMError
from cmcore.types import Device


def cache_key(model_bytes: bytes, trt_version: str, device: Device, settings: Mapping[str, Any]) -> str:
    """The engine cache key (hex) for a model, TensorRT version, GPU and build settings."""
    h = hashlib.sha256(model_bytes)
    ident = {"trt": trt_version, "gpu": device.model, "cc": device.capabilities.get("compute_capability"),
             "settings": {k: v for k, v in settings.items() if k != "calibration_data"}}
    h.update(json.dumps(ident, sort_keys=True, default=str).encode())
    for batch in settings.get("calibration_data") or []:
        for name in sorted(batch):
            arr = np.ascontiguousarray(batch[name])
            h.update(name.encode() + str(arr.dtype).encode() + str(arr.shape).encode() + arr.tobytes())
    return h.hexdigest()[:32]


def cache_folder(cache_dir: str | None) -> Path:
    path = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "cm-tensorrt-engines"
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_cached(folder: Path, key: str) -> bytes | None:
    f = folder / f"{key}.engine"
    return f.read_bytes() if f.is_file() else None


def store(folder: Path, key: str, engine: bytes, record: Mapping[str, Any]) -> Path:
    """Write the engine and its record atomically; return the engine path."""
    target = folder / f"{key}.engine"
    for path, data in ((folder / f"{key}.json", json.dumps(record, indent=2, default=str).encode()),
                       (target, engine)):
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return target


def _make_calibrator(trt: Any, memory: Any, batches: list[Mapping[str, Any]]) -> Any:
    """An entropy calibrator that feeds ``batches`` (dicts of input arrays) to the builder."""
    base = getattr(trt, "IInt8EntropyCalibrator2", None)
    if base is None:
        raise CMError(f"TensorRT backend: TensorRT {trt.__version__} has no INT8 calibrator; give a "
                      "QDQ-quantised ONNX model instead (e.g. cm-backend-onnx static int8)", 1)

    class Calibrator(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            base.__init__(self)  # type: ignore[misc]
            self.batches = list(batches)
            self.pos = 0
            self.ptrs: dict[str, int] = {}

        def get_batch_size(self) -> int:
            first = next(iter(self.batches[0].values()))
            return int(np.asarray(first).shape[0])

        def get_batch(self, names: list[str]) -> list[int] | None:
            if self.pos >= len(self.batches):
                return None
            batch = self.batches[self.pos]
            self.pos += 1
            out = []
            for name in names:
                arr = np.ascontiguousarray(batch[name], dtype=np.float32)
                if name not in self.ptrs:
                    self.ptrs[name] = memory.alloc(arr.nbytes)
                memory.to_device(self.ptrs[name], arr)
                out.append(self.ptrs[name])
            return out

        def read_calibration_cache(self) -> None:
            return None

        def write_calibration_cache(self, cache: Any) -> None:
            return None

    return Calibrator()


def build(trt: Any, model_bytes: bytes, settings: Mapping[str, Any], memory: Any) -> bytes:
    """Parse the ONNX model and build a serialized engine; every failure is a one-line CMError."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    flags = 0
    if int(trt.__version__.split(".")[0]) < 10:  # explicit batch is the only mode from TensorRT 10 on
        flags = 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(model_bytes):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise CMError(f"TensorRT backend: the ONNX parser rejected the model: {errors.splitlines()[0] if errors else '?'}", 1)
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(settings["workspace_gb"] * 2**30))
    precision = settings["precision"]
    if precision in ("fp16", "int8"):
        flag = getattr(trt.BuilderFlag, precision.upper(), None)
        if flag is None:
            raise CMError(f"TensorRT backend: TensorRT {trt.__version__} has no {precision} builder flag", 1)
        if precision == "fp16" and not builder.platform_has_fast_fp16:
            raise CMError("TensorRT backend: this GPU has no fast fp16; use precision fp32", 1)
        config.set_flag(flag)
        if precision == "int8" and settings.get("calibration_data"):
            config.int8_calibrator = _make_calibrator(trt, memory, settings["calibration_data"])
    profile = builder.create_optimization_profile()
    for i in range(network.num_inputs):
        inp = network.get_input(i)
        dims = list(inp.shape)
        if any(d < 0 for d in dims[1:]):
            raise CMError(f"TensorRT backend: input {inp.name} has dynamic dimensions {dims} beyond the "
                          "batch; only the first dimension may be dynamic", 1)
        rest = dims[1:]
        if dims and dims[0] < 0:
            profile.set_shape(inp.name, [1, *rest], [settings["opt_batch"], *rest], [settings["max_batch"], *rest])
        else:
            profile.set_shape(inp.name, dims, dims, dims)
    config.add_optimization_profile(profile)
    if precision == "int8" and settings.get("calibration_data"):
        config.set_calibration_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise CMError("TensorRT backend: the engine build failed (see the TensorRT warnings above)", 1)
    return bytes(serialized)
