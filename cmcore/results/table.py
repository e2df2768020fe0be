"""Plain-text and CSV tables of flat results, and what differs between two of them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

#: shown first when present; other keys appear only with --columns (or when none of these exist)
PREFERRED = ("uid", "model", "scenario", "mode", "backend", "device", "precision", "threads", "batch",
             "samples_per_second", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "accuracy",
             "validity", "recorded_at")
STACK = ("model", "scenario", "mode", "backend", "device", "device_kind", "precision", "threads", "batch",
         "providers", "engine")
IGNORED_IN_DIFF = ("uid", "recorded_at", "path")


def columns(rows: Sequence[dict[str, Any]], wanted: Sequence[str] | None = None) -> list[str]:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    if wanted:
        return list(wanted)
    pref = [k for k in PREFERRED if k in keys]
    return pref if len(pref) > 1 else keys[:10]


def cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.0f}"
    return str(v)


def text_table(rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> str:
    body = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(b[i]) for b in body]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(b, widths, strict=True)).rstrip() for b in body]
    return "\n".join(lines)


def csv_table(rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([cell(r.get(c)) if not isinstance(r.get(c), (int, float)) else r.get(c) for c in cols])
    return buf.getvalue()


def _group(key: str, a: Any, b: Any) -> str:
    if "version" in key:
        return "versions"
    if key in STACK or key.startswith(("options.", "stack.")):
        return "stack"
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return "metrics"
    return "other"


def diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What differs between two flat results, grouped: stack, versions, metrics, other.

    Metrics carry ``ratio`` = b / a when both are non-zero numbers.
    """
    out: dict[str, list[dict[str, Any]]] = {"stack": [], "versions": [], "metrics": [], "other": []}
    for k in sorted(set(a) | set(b)):
        if k in IGNORED_IN_DIFF:
            continue
        va, vb = a.get(k), b.get(k)
        if va == vb:
            continue
        item: dict[str, Any] = {"key": k, "a": va, "b": vb}
        g = _group(k, va, vb)
        if g == "metrics" and va:
            item["ratio"] = vb / va
        out[g].append(item)
    return out


def diff_text(d: dict[str, list[dict[str, Any]]], name_a: str, name_b: str) -> str:
    lines: list[str] = []
    for group in ("stack", "versions", "metrics", "other"):
        items = d.get(group) or []
        if not items:
            continue
        lines.append(f"{group}:")
        for it in items:
            extra = f"  (x{it['ratio']:.3g})" if "ratio" in it else ""
            lines.append(f"  {it['key']}: {cell(it['a']) or '-'} -> {cell(it['b']) or '-'}{extra}")
    if not lines:
        return f"{name_a} and {name_b} have the same recorded values"
    return f"A = {name_a}\nB = {name_b}\n" + "\n".join(lines)
