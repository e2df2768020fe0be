"""INT8 quantisation with ``onnxruntime.quantization``, cached by content.

The quantised file is keyed by a hash of the model bytes, the mode, the onnxruntime version
and (static mode) the calibration data, and written atomically, so concurrent runs share it
and a killed run never leaves half a model behind.
"""

from __future__ import annotations

import hashlib
import os
import platform
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cmcore.errors import CMError


def cache_folder(cache_dir: str | None) -> Path:
    path = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "cm-onnx-int8"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key(model: Path, mode: str, ort_version: str, calibration: list[Mapping[str, Any]] | None) -> str:
    import numpy as np

    h = hashlib.sha256(model.read_bytes())
    h.update(f"|{mode}|{ort_version}|".encode())
    for batch in calibration or []:
        for name in sorted(batch):
            arr = np.ascontiguousarray(batch[name])
            h.update(name.encode() + str(arr.dtype).encode() + str(arr.shape).encode() + arr.tobytes())
    return h.hexdigest()[:24]


class _Reader:
    """The CalibrationDataReader interface onnxruntime expects: ``get_next()`` until None."""

    def __init__(self, batches: list[Mapping[str, Any]]) -> None:
        self._it: Iterator[Mapping[str, Any]] = iter(batches)

    def get_next(self) -> dict[str, Any] | None:
        batch = next(self._it, None)
        return dict(batch) if batch is not None else None


def dynamic_weight_type(setting: str, device_isa: list[str] | None, machine: str | None = None) -> str:
    """``s8`` or ``u8`` weights for dynamic quantisation.

    x86 CPUs without VNNI multiply u8 x s8 pairs with an instruction that saturates at 16 bits
    (onnxruntime documents this), which spoils results by whole units; u8 x u8 does not, so
    ``auto`` picks u8 weights there and s8 where VNNI (or Arm) makes s8 both safe and faster.
    """
    if setting in ("s8", "u8"):
        return setting
    arch = (machine or platform.machine()).lower()
    if arch not in ("x86_64", "amd64", "i686", "x86"):
        return "s8"
    return "s8" if set(device_isa or []) & {"avx512_vnni", "avx_vnni", "amx_int8"} else "u8"


def quantize(model: Path, mode: str, ort_version: str, cache_dir: str | None,
             calibration: list[Mapping[str, Any]] | None = None, weights: str = "s8") -> Path:
    """Path of the INT8 model for ``model`` (made on first use); raises CMError on failure."""
    from onnxruntime import quantization as q

    tag = f"{mode}-{weights}" if mode == "dynamic" else mode
    out = cache_folder(cache_dir) / f"{model.stem}.{tag}-int8.{_key(model, tag, ort_version, calibration)}.onnx"
    if out.is_file():
        return out
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=out.parent)
    os.close(fd)
    try:
        if mode == "dynamic":
            wtype = q.QuantType.QUInt8 if weights == "u8" else q.QuantType.QInt8
            q.quantize_dynamic(str(model), tmp, weight_type=wtype)
        else:
            q.quantize_static(str(model), tmp, _Reader(list(calibration or [])),
                              quant_format=q.QuantFormat.QDQ, weight_type=q.QuantType.QInt8,
                              activation_type=q.QuantType.QInt8)
        os.replace(tmp, out)
    except Exception as exc:
        raise CMError(f"onnxruntime backend: {mode} int8 quantisation of {model.name} failed: "
                      f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", 1) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out
