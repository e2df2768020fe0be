"""Accuracy from LoadGen's ``mlperf_log_accuracy.json`` (one int32 class per response)."""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def predictions(path: str | Path) -> dict[int, int]:
    """``{qsl_idx: predicted class}`` from the accuracy log (the last response per sample)."""
    try:
        entries = json.loads(Path(path).read_text() or "[]")
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    out: dict[int, int] = {}
    for e in entries:
        data = bytes.fromhex(e.get("data", ""))
        if len(data) < 4:
            continue
        out[int(e["qsl_idx"])] = struct.unpack("<i", data[:4])[0]
    return out


def top1(path: str | Path, labels: Sequence[int]) -> dict[str, Any]:
    """Top-1 accuracy of the logged predictions against ``labels`` (indexed by qsl_idx).

    A label below 0 marks a sample with no known class (our sanity photos): it was run, but it
    is left out of the accuracy and counted as ``unlabelled``.
    """
    pred = predictions(path)
    scored = {i: p for i, p in pred.items() if 0 <= i < len(labels) and int(labels[i]) >= 0}
    good = sum(1 for i, p in scored.items() if int(labels[i]) == p)
    n = len(scored)
    return {"accuracy": (good / n) if n else 0.0, "good": good, "total": n,
            "unlabelled": len(pred) - n, "missing": max(0, len(labels) - len(pred))}
