"""Parse LoadGen's ``mlperf_log_summary.txt`` and ``mlperf_log_detail.txt``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_KV = re.compile(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$")


def _value(text: str) -> Any:
    t = text.strip()
    for conv in (int, float):
        try:
            return conv(t)
        except ValueError:
            pass
    return t


def parse_summary(path: str | Path) -> dict[str, Any]:
    """Key/value pairs of the summary, plus ``recommendations`` (the lines after that header)
    and ``unsatisfied`` (the ``... satisfied : NO`` checks)."""
    out: dict[str, Any] = {"recommendations": [], "unsatisfied": []}
    in_rec = False
    for raw in Path(path).read_text(errors="replace").splitlines():
        line = raw.rstrip()
        if not line or set(line) <= {"="}:
            in_rec = False if not line else in_rec
            continue
        if line.startswith("Recommendations"):
            in_rec = True
            continue
        if in_rec and line.lstrip().startswith("*"):
            out["recommendations"].append(line.lstrip()[1:].strip())
            continue
        m = _KV.match(line)
        if not m:
            continue
        key, val = m.group(1).strip(), m.group(2)
        out[key] = _value(val)
        if key.endswith("satisfied") and str(val).strip().lower() == "no":
            out["unsatisfied"].append(key)
    return out


def parse_detail(path: str | Path) -> dict[str, Any]:
    """``:::MLLOG {json}`` lines as ``{key: value}`` (the last one wins), and the errors/warnings."""
    values: dict[str, Any] = {}
    errors: list[str] = []
    warnings: list[str] = []
    for line in Path(path).read_text(errors="replace").splitlines():
        if not line.startswith(":::MLLOG"):
            continue
        try:
            rec = json.loads(line[len(":::MLLOG"):].strip())
        except json.JSONDecodeError:
            continue
        key = rec.get("key")
        if key is None:
            continue
        values[key] = rec.get("value")
        meta = rec.get("metadata") or {}
        if key == "error" or meta.get("is_error"):
            errors.append(str(rec.get("value")))
        elif key == "warning" or meta.get("is_warning"):
            warnings.append(str(rec.get("value")))
    return {"values": values, "errors": errors, "warnings": warnings}
