"""Measuring one point of the search through the MLPerf harness, with the results store as cache.

A point is ``{target, precision, threads, batch}``. Measuring it runs
``cmr "app mlperf inference _<backend> _<device kind>"`` in performance mode (energy counters
read around it), and in accuracy mode once per ``(target, precision)`` (threads and batch do
not change the outputs). Each harness run is recorded by the harness as a result artifact; we
tag it ``explore-run-<key>``, where the key hashes everything that determines the
measurement, so the same run asked twice is read back instead of run again — by the driver
or by any worker sharing the CM home.

:func:`measure_task` is what an executor ships: a plain dict in, a plain dict out, so a Ray
worker on another machine runs it with its own CM home and the driver records what comes back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shlex
import sys
from typing import Any

from cmcore.errors import CMError
from cmcore.experiment.record import find_results
from cmcore.platform.metrics import EnergyMeter

HARNESS_TAGS = "app,mlperf,inference"
#: flat-result keys copied into a point's row
PERF_KEYS = ("samples_per_second", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_mean_ms",
             "validity", "invalid_reason", "engine_version", "providers", "fallback_reason", "query_count")


def run_key(model: str, point: dict[str, Any], scenario: str, mode: str, settings: dict[str, Any]) -> str:
    """A short hash of everything that determines one harness run's result."""
    ident = {"model": model, "scenario": scenario, "mode": mode, "settings": settings,
             "target": point["target"], "precision": point["precision"]}
    if mode == "performance":  # accuracy does not depend on threads or batch
        ident.update(threads=point["threads"], batch=point["batch"])
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]


def harness_flags(model: str, point: dict[str, Any], scenario: str, mode: str,
                  settings: dict[str, Any]) -> dict[str, Any]:
    """The harness input for one run (also what the reproduce command shows)."""
    flags: dict[str, Any] = {"model": model, "scenario": scenario, "mode": mode,
                             "precision": point["precision"]}
    if mode == "performance":
        flags.update(threads=point["threads"], batch_size=point["batch"])
        flags.update({k: v for k, v in settings.items() if v not in (None, "")})
    return flags


def variation_tags(point: dict[str, Any]) -> str:
    backend, device = point["target"].split("@", 1)
    return f"_{backend} _{device.split(':')[0]}"


def reproduce_command(model: str, point: dict[str, Any], scenario: str, settings: dict[str, Any]) -> str:
    """The exact ``cmr`` command that measures this point again."""
    flags = harness_flags(model, point, scenario, "performance", settings)
    words = [f"--{k}={v}" for k, v in flags.items()]
    return f'cmr "app mlperf inference {variation_tags(point)}" ' + " ".join(shlex.quote(w) for w in words)


def _one_run(session: Any, model: str, point: dict[str, Any], scenario: str, mode: str,
             settings: dict[str, Any]) -> dict[str, Any]:
    """One harness run, or its cached result: ``{result, path, cached, energy_j, seconds}``."""
    key = run_key(model, point, scenario, mode, settings)
    tag = f"explore-run-{key}"
    hits = find_results(session, [tag])
    if hits:
        hit_path, result = hits[0]
        return {"result": result, "path": str(hit_path), "cached": True, "key": key, "energy_j": None, "seconds": 0.0}
    inp = {"action": "run", "automation": "script",
           "tags": HARNESS_TAGS + "," + ",".join(variation_tags(point).split()),
           **harness_flags(model, point, scenario, mode, settings), "result_tags": f"explore,{tag}",
           "quiet": True, "silent": True}
    # the harness prints its own summary line; keep stdout for the search's summary
    with EnergyMeter() as meter, contextlib.redirect_stdout(sys.stderr):
        r = session.access(inp)
    if r.get("return", 0):
        raise CMError(f"{mode} run failed: {r.get('error')}", int(r["return"]))
    env = r.get("new_env") or {}
    path = env.get("CM_MLPERF_RESULT_PATH")
    if not path:
        raise CMError(f"the MLPerf harness returned no CM_MLPERF_RESULT_PATH for the {mode} run", 1)
    with open(f"{path}/result.json") as f:
        result = json.load(f)
    return {"result": result, "path": path, "cached": False, "key": key,
            "energy_j": meter.joules, "seconds": meter.seconds}


def measure(session: Any, task: dict[str, Any]) -> dict[str, Any]:
    """Measure one point (performance, and accuracy unless ``task['accuracy']`` is False).

    Returns the point's row: the point, metrics, ``status`` (``ok``/``failed``), the error,
    the harness result paths, which runs were cached, and the energy reading.
    """
    point, model, scenario = task["point"], task["model"], task["scenario"]
    settings = dict(task.get("settings") or {})
    row: dict[str, Any] = {**point, "status": "ok", "error": "", "cached": ""}
    try:
        perf = _one_run(session, model, point, scenario, "performance", settings)
        res = perf["result"]
        row.update({k: res.get(k) for k in PERF_KEYS})
        # run ids are stored as *_run: the secret redactor masks the values of fields named *_key
        row.update(perf_result=perf["path"], perf_run=perf["key"], energy_j=perf["energy_j"],
                   energy_seconds=perf["seconds"])
        cached = ["performance"] if perf["cached"] else []
        if task.get("accuracy", True):
            acc = _one_run(session, model, point, scenario, "accuracy", {})
            row.update(accuracy=acc["result"].get("accuracy"), accuracy_result=acc["path"], accuracy_run=acc["key"])
            cached += ["accuracy"] if acc["cached"] else []
        row["cached"] = ",".join(cached)
    except CMError as exc:
        row.update(status="failed", error=exc.message.splitlines()[0] if exc.message else "failed")
    return row


def is_cached(session: Any, task: dict[str, Any]) -> bool:
    """Whether every harness run of this point is already in ``session``'s results store."""
    modes = [("performance", dict(task.get("settings") or {}))] + ([("accuracy", {})] if task.get("accuracy", True)
                                                                    else [])
    return all(find_results(session, [f"explore-run-{run_key(task['model'], task['point'], task['scenario'], m, s)}"])
               for m, s in modes)


def measure_task(task: dict[str, Any]) -> dict[str, Any]:
    """Executor entry point: measure in a session on ``task['home']`` (or the worker's default home).

    The row says where it ran (``worker_home``, ``worker_host``) and carries the harness
    results' data, so that a driver with another home can record them in its own store.
    """
    import socket

    from cmcore.session import Session

    session = Session(task.get("home") or None)  # None: the worker's own CM_HOME
    row = measure(session, task)
    row["worker_home"], row["worker_host"] = str(session.home), socket.gethostname()
    for key in ("perf_result", "accuracy_result"):
        if row.get(key):
            try:
                with open(f"{row[key]}/result.json") as f:
                    row[key + "_data"] = json.load(f)  # so the driver can record it if homes differ
            except (OSError, ValueError):
                pass
    return row
