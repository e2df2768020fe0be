"""The search space this machine offers: targets (backend@device) x precision x threads x batch.

Devices come from the hardware plugins (``cm_detect_devices``), backends from the backend
registry (``cm_backends``) and their own ``detect`` (which devices each one can drive). A
``target`` couples a backend with a device it drives, because only those pairs exist; the
reasons for every pair left out are kept for the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from cmcore.errors import MALFORMED, CMError
from cmcore.platform.search import Dimension

#: device kinds the MLPerf harness has a variation for
HARNESS_DEVICES = ("cpu", "cuda")
#: precisions each backend supports per device kind (int8 = ONNX Runtime dynamic quantisation on CPU)
PRECISIONS = {("onnxruntime", "cpu"): ("fp32", "int8"), ("onnxruntime", "cuda"): ("fp32",),
              ("tensorrt", "cuda"): ("fp32",)}


@dataclass
class Space:
    dims: list[Dimension]
    seed: dict[str, Any]
    targets: dict[str, dict[str, Any]]                # "onnxruntime@cpu:0" -> {backend, device, kind}
    skipped: list[str] = field(default_factory=list)   # why a backend/device pair is not searched
    devices: list[dict[str, Any]] = field(default_factory=list)
    engines: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        n = 1
        for d in self.dims:
            n *= len(d.values)
        return n


def _ints(value: Any, what: str) -> list[int] | None:
    if value in (None, "", []):
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    try:
        out = [int(str(v).strip()) for v in items if str(v).strip()]
    except ValueError as exc:
        raise CMError(f"--{what} must be whole numbers separated by commas, not {value!r}", MALFORMED) from exc
    if not out or any(v < 0 for v in out):
        raise CMError(f"--{what} must be whole numbers >= 0, not {value!r}", MALFORMED)
    return sorted(set(out))


def _words(value: Any) -> list[str] | None:
    if value in (None, "", []):
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(v).strip().lower() for v in items if str(v).strip()]


def default_threads(cpus: int) -> list[int]:
    """1, 2, 4, ... up to the core count, and the core count itself."""
    out, t = [], 1
    while t < cpus:
        out.append(t)
        t *= 2
    return sorted(set([*out, max(1, cpus)]))


def detect_devices(session: Any) -> list[Any]:
    """Every device the hardware plugins report (a failing plugin is skipped by the manager)."""
    from cmcore.types import Device

    found: list[Any] = []
    for _plugin, devs in session.pm.call_each("cm_detect_devices", session=session):
        found.extend(d for d in devs or [] if isinstance(d, Device))
    if not any(d.kind == "cpu" for d in found):  # no cpu plugin installed: the host CPU still exists
        found.insert(0, Device(kind="cpu", name="cpu:0", model="host CPU", source="fallback"))
    return found


def build_space(session: Any, *, scenario: str, threads: Any = None, batch: Any = None,
                precision: Any = None, backends: Any = None, devices: Any = None) -> Space:
    """Enumerate the grid; user flags narrow each dimension (``--threads=1,2 --batch=1,8``)."""
    devs = detect_devices(session)
    want_devices, want_backends = _words(devices), _words(backends)
    want_prec = _words(precision)
    targets: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    engines: dict[str, Any] = {}
    specs = session.pm.registered_records("cm_backends")
    for name, spec in sorted(specs.items()):
        if want_backends and name not in want_backends:
            continue
        try:
            info = dict(spec.factory().detect(session))
        except Exception as exc:  # a broken backend plugin must not stop the search
            skipped.append(f"{name}: detect failed: {exc}")
            continue
        engines[name] = {"available": info.get("available"), "version": info.get("version"),
                         "reason": info.get("reason", "")}
        if not info.get("available"):
            skipped.append(f"{name}: {info.get('reason') or 'not available'}")
            continue
        drivable = set(info.get("devices") or [])
        for d in devs:
            if want_devices and d.name not in want_devices and d.kind not in want_devices:
                continue
            if d.name not in drivable and not (d.kind == "cpu" and d.source == "fallback" and name == "onnxruntime"):
                continue
            if d.kind not in HARNESS_DEVICES:
                skipped.append(f"{name}@{d.name}: the MLPerf harness has no {d.kind} variation yet")
                continue
            targets[f"{name}@{d.name}"] = {"backend": name, "device": d.name, "kind": d.kind}
    if not targets:
        raise CMError("nothing to search: no installed backend drives a device here ("
                      + ("; ".join(skipped) or "no backend plugin installed; pip install cm-backend-onnx") + ")",
                      16)
    precs = sorted({p for t in targets.values() for p in PRECISIONS.get((t["backend"], t["kind"]), ("fp32",))},
                   key=("fp32", "fp16", "int8").index)
    if want_prec:
        bad = [p for p in want_prec if p not in ("fp32", "fp16", "int8")]
        if bad:
            raise CMError(f"unknown precision {bad[0]!r}: use fp32 or int8", MALFORMED)
        precs = [p for p in precs if p in want_prec]
        if not precs:
            raise CMError(f"no target here supports precision {','.join(want_prec)}", MALFORMED)
    cpus = os.cpu_count() or 1
    thr = _ints(threads, "threads") or default_threads(cpus)
    bat = _ints(batch, "batch") or ([1] if scenario != "Offline" else [1, 8, 32])
    if scenario != "Offline" and bat != [1]:
        raise CMError(f"--batch applies to the Offline scenario only (this search runs {scenario})", MALFORMED)
    if any(b < 1 for b in bat):
        raise CMError("--batch values must be at least 1", MALFORMED)
    dims = [Dimension("target", tuple(targets)), Dimension("precision", tuple(precs)),
            Dimension("threads", tuple(thr), ordered=True), Dimension("batch", tuple(bat), ordered=True)]
    preferred = next((t for t in targets if targets[t]["kind"] != "cpu"), next(iter(targets)))
    seed = {"target": preferred, "precision": precs[0], "threads": thr[-1], "batch": bat[len(bat) // 2]}
    return Space(dims, seed, targets, skipped, [d.to_dict() for d in devs], engines)
