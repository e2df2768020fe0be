"""The best-stack search: what ``cmr "explore mlperf inference"`` and ``make demo`` run.

``explore(session, i)`` takes the script's input (``model``, ``constraints``, ``objective``,
``price_per_hour``, ``budget_runs``, ``executor``, ``address``, ``worker_home`` (Ray workers
with a CM home of their own), ``scenario``, ``threads``, ``batch``, ``precision``, ``backends``, ``devices``, ``test_query_count``,
``min_duration_ms``, ``target_qps``) and returns the outcome: every measured row, the Pareto
front, the recommendation with its reproduce command, and the report paths. Bad input fails
before anything runs.
"""

from __future__ import annotations

import datetime as _dt
import platform as _platform
import socket
import sys
from pathlib import Path
from typing import Any

from cmcore.errors import MALFORMED, CMError
from cmcore.experiment.record import find_results, record_result
from cmcore.platform import points as pts
from cmcore.platform import report
from cmcore.platform.constraints import parse_constraints
from cmcore.platform.executors import get_executor
from cmcore.platform.metrics import METRICS, OBJECTIVES, derive, energy_readable, score
from cmcore.platform.pareto import pareto_front, recommend
from cmcore.platform.plot import png
from cmcore.platform.progress import Progress
from cmcore.platform.search import budgeted_search, exhaustive
from cmcore.platform.space import build_space
from cmcore.refs import gen_uid

SCENARIOS = ("Offline", "SingleStream")
#: short LoadGen runs: enough queries for stable numbers on a small model, seconds per point
DEFAULT_SETTINGS = {"test_query_count": 500, "min_duration_ms": 200}


def _float(i: dict, key: str) -> float | None:
    v = i.get(key)
    if v in (None, ""):
        return None
    try:
        return float(v)
    except (TypeError, ValueError) as exc:
        raise CMError(f"--{key} must be a number, not {v!r}", MALFORMED) from exc


def _options(i: dict) -> dict[str, Any]:
    """Check every flag before anything runs; return the normalised options."""
    objective = str(i.get("objective") or "throughput").lower()
    if objective not in OBJECTIVES:
        from cmcore.suggest import did_you_mean

        raise CMError(f"unknown objective {objective!r}{did_you_mean(objective, OBJECTIVES)} "
                      f"(use {', '.join(OBJECTIVES)})", MALFORMED)
    metric = OBJECTIVES[objective]
    constraints = parse_constraints(i.get("constraints"), METRICS)
    price = _float(i, "price_per_hour")
    if price is not None and price < 0:
        raise CMError("--price_per_hour cannot be negative", MALFORMED)
    if "cost_per_million_usd" in [metric, *[c.metric for c in constraints]] and price is None:
        raise CMError("cost needs a price: add --price_per_hour=<USD per hour of this machine>", MALFORMED)
    if "energy_per_inference_j" in [metric, *[c.metric for c in constraints]] and not energy_readable():
        raise CMError("energy per inference is unknown on this machine: no readable RAPL counters in "
                      "/sys/class/powercap (VM, non-root or unsupported CPU); pick another objective", MALFORMED)
    budget = i.get("budget_runs")
    budget_n = None
    if budget not in (None, ""):
        try:
            budget_n = int(str(budget))
        except ValueError as exc:
            raise CMError(f"--budget_runs must be a whole number, not {budget!r}", MALFORMED) from exc
        if budget_n < 1:
            raise CMError(f"--budget_runs must be at least 1, not {budget_n}", MALFORMED)
    scenario = i.get("scenario")
    if not scenario:
        latency = metric.startswith("latency") or any(c.metric.startswith("latency") for c in constraints)
        scenario = "SingleStream" if latency else "Offline"
    if scenario not in SCENARIOS:
        raise CMError(f"--scenario must be Offline or SingleStream for a search, not {scenario!r}", MALFORMED)
    settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
    for k in ("test_query_count", "min_duration_ms", "target_qps"):
        if i.get(k) not in (None, ""):
            settings[k] = int(float(i[k])) if k != "target_qps" else float(i[k])
    return {"objective": objective, "metric": metric, "constraints": constraints, "price": price,
            "budget": budget_n, "scenario": str(scenario), "settings": settings,
            "model": str(i.get("model") or "digits")}


def _environment(session: Any, space: Any) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        core = version("cmcore")
    except PackageNotFoundError:  # pragma: no cover - source checkout without install
        core = "unknown"
    return {"host": socket.gethostname(), "os": _platform.platform(), "python": sys.version.split()[0],
            "cmcore": core, "devices": space.devices, "engines": space.engines,
            "energy_counters": "RAPL" if energy_readable() else "unknown (no readable RAPL counters)"}


class _Runner:
    """Measures points (cache first), derives metrics, records each point, shows progress."""

    def __init__(self, session: Any, opts: dict[str, Any], executor: Any, search_id: str, total: int) -> None:
        self.session, self.opts, self.executor, self.search_id = session, opts, executor, search_id
        self.bar = Progress(total, "explore")
        self.local = not getattr(self.executor, "parallel", False)
        # the home workers use, made explicit: ours (same machine, same cache), unless the
        # executor gives its workers their own (then their results are copied back: _adopt)
        self.worker_home = None if getattr(self.executor, "worker_home", None) else str(session.home)

    def task(self, point: dict[str, Any]) -> dict[str, Any]:
        return {"point": point, "model": self.opts["model"], "scenario": self.opts["scenario"],
                "settings": self.opts["settings"], "accuracy": True, "home": self.worker_home}

    def __call__(self, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
        tasks = [self.task(p) for p in points]
        if self.local:
            rows = []
            for t in tasks:  # in this process, so the bar moves point by point
                rows.append(self._finish(pts.measure(self.session, t)))
            return rows
        # points this store already holds are read here; with a worker home of its own, a worker
        # would not find them
        got: dict[int, dict[str, Any]] = {n: pts.measure(self.session, t) for n, t in enumerate(tasks)
                                          if self.worker_home is None and pts.is_cached(self.session, t)}
        ship = [n for n in range(len(tasks)) if n not in got]
        for n, r in zip(ship, self.executor.map(pts.measure_task, [tasks[n] for n in ship]), strict=True):
            got[n] = self._adopt(r)
        return [self._finish(got[n]) for n in range(len(tasks))]

    def _adopt(self, row: dict[str, Any]) -> dict[str, Any]:
        """A worker with another CM home (or host): copy its harness results into this store, tagged
        with the same run keys, so this store's cache rules find them; already copied: reused."""
        if row.get("worker_home") in (None, str(self.session.home)) and row.get("worker_host") in (
                None, socket.gethostname()):
            return row
        for kind, key in (("perf_result", "perf_run"), ("accuracy_result", "accuracy_run")):
            data = row.pop(kind + "_data", None)
            if data is None or not row.get(kind) or not row.get(key):
                continue
            tag = f"explore-run-{row[key]}"
            hits = find_results(self.session, [tag])
            if hits:
                row[kind] = str(hits[0][0])
                continue
            data = {**data, "copied_from": f"{row.get('worker_host')}:{row[kind]}"}
            row[kind] = str(record_result(self.session, data, ["explore", "mlperf", "explore-copied", tag]))
        return row

    def _finish(self, row: dict[str, Any]) -> dict[str, Any]:
        row = {k: v for k, v in row.items() if not k.endswith("_data")}
        derive(row, price_per_hour=self.opts["price"], energy_j=row.pop("energy_j", None),
               energy_seconds=float(row.pop("energy_seconds", 0.0) or 0.0))
        row["model"], row["scenario"] = self.opts["model"], self.opts["scenario"]
        row["reproduce"] = pts.reproduce_command(self.opts["model"], row, self.opts["scenario"],
                                                 self.opts["settings"])
        flat = {k: v for k, v in row.items() if k != "reproduce"} | {"kind": "explore-point",
                                                                     "search": self.search_id}
        row["result_path"] = str(record_result(self.session, flat, ["explore", "explore-point", self.opts["model"],
                                                                    f"explore-{self.search_id}"]))
        status = row["status"] if row["status"] != "ok" else (
            f"{self.opts['metric']}={report._fmt(row.get(self.opts['metric']))}"
            + (f" (cached: {row['cached']})" if row.get("cached") else ""))
        self.bar.done(f"{row['target']} {row['precision']} t={row['threads']} b={row['batch']}", status)
        return row


def explore(session: Any, i: dict[str, Any]) -> dict[str, Any]:
    """Run the search; see the module docstring. Returns the outcome dict."""
    opts = _options(i)
    space = build_space(session, scenario=opts["scenario"], threads=i.get("threads"), batch=i.get("batch"),
                        precision=i.get("precision"), backends=i.get("backends"), devices=i.get("devices"))
    executor = get_executor(session, i.get("executor"), address=i.get("address"), worker_home=i.get("worker_home"))
    search_id = gen_uid()[:8]
    total = min(space.size, opts["budget"] or space.size)
    runner = _Runner(session, opts, executor, search_id, total)
    constraints, metric = opts["constraints"], opts["metric"]

    def objective_score(row: dict[str, Any]) -> float:
        return score(metric, row.get(metric)) if recommend([row], metric, constraints).best else float("-inf")

    with runner.bar:
        if opts["budget"] and opts["budget"] < space.size:
            found = budgeted_search(space.dims, runner, objective_score, opts["budget"], seed=space.seed)
        else:
            found = exhaustive(space.dims, runner, objective_score)
    rows = found.rows
    rec = recommend(rows, metric, constraints)
    for r, reasons in rec.rejected:
        r["infeasible"] = reasons
    front = pareto_front([r for r in rows if r.get("status") == "ok"], [metric, "accuracy"])
    outcome: dict[str, Any] = {
        "model": opts["model"], "scenario": opts["scenario"], "objective": opts["objective"],
        "objective_metric": metric, "constraints": [str(c) for c in constraints], "rows": rows, "front": front,
        "best": rec.best, "why_none": rec.why_none(), "method": found.method, "evaluations": found.evaluations,
        "grid_size": found.grid_size, "trace": found.trace, "skipped": space.skipped, "search_id": search_id,
        "reproduce": rec.best["reproduce"] if rec.best else "", "executor": i.get("executor") or "local",
        "environment": _environment(session, space), "settings": opts["settings"],
        "created_at": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    _write_report(session, outcome, i.get("report_dir"))
    return outcome


def _write_report(session: Any, o: dict[str, Any], report_dir: Any) -> None:
    best = o["best"] or {}
    flat = {"kind": "explore-search", "search": o["search_id"], "model": o["model"], "objective": o["objective"],
            "constraints": ",".join(o["constraints"]), "points": o["evaluations"], "grid_size": o["grid_size"],
            "method": o["method"], "recommended": report._name(best) if best else "",
            o["objective_metric"]: best.get(o["objective_metric"]), "accuracy": best.get("accuracy"),
            "reproduce": o["reproduce"]}
    art = record_result(session, flat, ["explore", "explore-search", o["model"], f"explore-{o['search_id']}"])
    out = Path(report_dir).resolve() if report_dir else art
    out.mkdir(parents=True, exist_ok=True)
    picture = png(o["rows"], o["objective_metric"], "accuracy", o["front"], o["best"], out / "pareto.png")
    o["plot_png"] = str(picture) if picture else ""
    html_path = out / "report.html"
    html_path.write_text(report.html(o))
    o["report"] = str(html_path)
    o["result_path"] = str(art)


def cached_searches(session: Any, model: str) -> list[tuple[Path, dict[str, Any]]]:
    """Earlier searches for ``model`` in the results store, newest first."""
    return find_results(session, ["explore-search", model])
