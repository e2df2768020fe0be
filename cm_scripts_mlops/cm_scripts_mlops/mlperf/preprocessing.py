"""Preprocessing parameters for get-preprocessed-dataset (``cm`` process side, no numpy).

Precedence: explicit variations and flags (``_NHWC``, ``_size.#``, ``--mean``) over the model's
metadata (``_for.<model>``) over ImageNet's usual defaults.
"""

from __future__ import annotations

from typing import Any

from cm_scripts_mlops.mlperf import models
from cmcore.errors import GENERIC, CMError

#: torchvision's ImageNet statistics on 0..255 pixels: the default without ``_for``
DEFAULT = {"size": 224, "resize": 256, "mean": [123.675, 116.28, 103.53], "std": [58.395, 57.12, 57.375],
           "layout": "NCHW"}
DTYPES = ("float32", "float16", "uint8")


def _int(env: dict, key: str, what: str, default: int, low: int = 1) -> int:
    v = str(env.get(key) or "").strip()
    if not v:
        return default
    try:
        n = int(v)
    except ValueError:
        raise CMError(f"{what} must be an integer, not {v!r}", GENERIC) from None
    if n < low:
        raise CMError(f"{what} must be at least {low}, not {n}", GENERIC)
    return n


def _triple(env: dict, key: str, what: str, default: list[float]) -> list[float]:
    v = str(env.get(key) or "").strip()
    if not v:
        return list(default)
    try:
        vals = [float(x) for x in v.split(",")]
    except ValueError:
        raise CMError(f"{what} must be 1 or 3 comma-separated numbers, not {v!r}", GENERIC) from None
    if len(vals) == 1:
        vals *= 3
    if len(vals) != 3:
        raise CMError(f"{what} must be 1 or 3 comma-separated numbers, not {v!r}", GENERIC)
    if what == "--std" and any(x == 0 for x in vals):
        raise CMError("--std must not be 0", GENERIC)
    return vals


def parameters(env: dict) -> dict[str, Any]:
    """The checked preprocessing parameters from the script env (one-line CMError on bad input)."""
    base: dict[str, Any] = dict(DEFAULT)
    model = str(env.get("CM_DATASET_PREPROCESS_FOR") or "").strip()
    if model:
        meta = models.METADATA.get(model)
        if meta is None or "image_size" not in meta:
            known = [n for n in models.names() if "image_size" in models.METADATA[n]]
            raise CMError(f"unknown image model {model!r} in _for.{model}: use one of {', '.join(known)}", GENERIC)
        base.update(size=meta["image_size"], resize=meta["resize"], mean=meta["mean"], std=meta["std"],
                    layout=meta["layout"])
    layout = str(env.get("CM_DATASET_PREPROCESS_LAYOUT") or base["layout"]).upper()
    if layout not in ("NCHW", "NHWC"):
        raise CMError(f"unknown layout {layout!r}: use _NCHW or _NHWC", GENERIC)
    dtype = str(env.get("CM_DATASET_PREPROCESS_DTYPE") or "float32")
    if dtype not in DTYPES:
        raise CMError(f"unknown data type {dtype!r}: use one of {', '.join(DTYPES)}", GENERIC)
    size = _int(env, "CM_DATASET_PREPROCESS_SIZE", "_size.#", base["size"], low=8)
    # a crop size other than the model's keeps its crop ratio (224 of 256: 0.875)
    auto = base["resize"] if size == base["size"] else round(size * base["resize"] / base["size"])
    resize = _int(env, "CM_DATASET_PREPROCESS_RESIZE", "_resize.#", auto, low=8)
    if resize < size:
        raise CMError(f"_resize.{resize} is smaller than the crop _size.{size}", GENERIC)
    return {"model": model, "size": size, "resize": resize, "layout": layout, "dtype": dtype,
            "mean": _triple(env, "CM_DATASET_PREPROCESS_MEAN", "--mean", base["mean"]),
            "std": _triple(env, "CM_DATASET_PREPROCESS_STD", "--std", base["std"]),
            "count": _int(env, "CM_DATASET_PREPROCESS_COUNT", "--count", 0, low=0)}
