"""The submission checker: one clear line per problem.

* :func:`preflight` runs **before** long runs, on the plan: required system fields,
  scenario/mode coverage for the system type, and durations/query counts that would make a
  result INVALID (or too short for a submission).
* :func:`check_tree` runs **after**, on a generated tree: structure, log validity, errors in the
  detail log, durations, and accuracy against each model's target.

``short_runs_ok`` (test submissions) turns the duration and query-count rules into warnings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cm_scripts_mlops.mlperf import SCENARIOS, models
from cm_scripts_mlops.mlperf.logparse import parse_detail, parse_summary

REQUIRED_SYSTEM_FIELDS = ("division", "submitter", "status", "system_name", "system_type", "number_of_nodes",
                          "host_processor_model_name", "host_processors_per_node", "framework",
                          "operating_system")
#: the scenarios a system type must cover
REQUIRED_SCENARIOS = {"edge": ("Offline", "SingleStream"), "datacenter": ("Offline", "Server")}
MIN_DURATION_MS = 600_000
#: the least queries (samples for Offline) a performance run must issue
MIN_QUERIES = {"Offline": 24_576, "SingleStream": 1_024, "MultiStream": 270_336, "Server": 270_336}


def _duration_problems(where: str, scenario: str, min_duration_ms: float | None, queries: float | None,
                       short_ok: bool) -> tuple[list[str], list[str]]:
    bad: list[str] = []
    if min_duration_ms is not None and min_duration_ms < MIN_DURATION_MS:
        bad.append(f"{where}: min_duration {int(min_duration_ms)} ms is below the {MIN_DURATION_MS} ms a "
                   "submission needs (drop --min_duration_ms/--test_query_count for the real run)")
    need = MIN_QUERIES.get(scenario)
    if queries is not None and need and queries < need:
        unit = "samples" if scenario == "Offline" else "queries"
        bad.append(f"{where}: {int(queries)} {unit} is below the {need} a {scenario} submission needs")
    return ([], bad) if short_ok else (bad, [])


def preflight(plan: dict[str, Any], short_runs_ok: bool = False) -> dict[str, list[str]]:
    """Check a plan before running: ``{'problems': [...], 'warnings': [...]}``.

    ``plan``: ``system`` (the system description dict), ``models`` (names), ``scenarios``,
    ``modes``, and optional ``min_duration_ms``/``test_query_count``/``target_qps``.
    """
    problems: list[str] = []
    warnings: list[str] = []
    system = plan.get("system") or {}
    for f in REQUIRED_SYSTEM_FIELDS:
        if system.get(f) in (None, "", []):
            problems.append(f"system description: required field {f!r} is empty")
    stype = system.get("system_type", "edge")
    if stype not in REQUIRED_SCENARIOS:
        problems.append(f"system description: system_type {stype!r} must be edge or datacenter")
    scenarios = list(plan.get("scenarios") or [])
    for s in scenarios:
        if s not in SCENARIOS:
            problems.append(f"plan: unknown scenario {s!r} (use {', '.join(SCENARIOS)})")
    for s in REQUIRED_SCENARIOS.get(stype, ()):
        if s not in scenarios:
            problems.append(f"plan: an {stype} submission needs the {s} scenario")
    modes = set(plan.get("modes") or [])
    for m in ("performance", "accuracy"):
        if m not in modes:
            problems.append(f"plan: every scenario needs a {m} run")
    for m in plan.get("models") or []:
        if m not in models.METADATA:
            problems.append(f"plan: unknown model {m!r} (use {', '.join(models.names())})")
    if not plan.get("models"):
        problems.append("plan: no model given")
    mins = plan.get("min_duration_ms")
    if plan.get("test_query_count") and mins is None:
        mins = 0  # what the harness writes for a test run
    for s in scenarios:
        p, w = _duration_problems(f"plan {s}", s, mins, plan.get("test_query_count"), short_runs_ok)
        problems += p
        warnings += w
    return {"problems": problems, "warnings": warnings}


def _check_perf(run_dir: Path, where: str, scenario: str, short_ok: bool) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    warnings: list[str] = []
    summ, det = run_dir / "mlperf_log_summary.txt", run_dir / "mlperf_log_detail.txt"
    for f in (summ, det):
        if not f.is_file():
            problems.append(f"{where}: missing {f.name}")
    if problems:
        return problems, warnings
    s = parse_summary(summ)
    d = parse_detail(det)
    if str(s.get("Scenario", "")) != scenario:
        problems.append(f"{where}: the log is for scenario {s.get('Scenario')!r}, the folder says {scenario}")
    if str(s.get("Mode", "")) != "PerformanceOnly":
        problems.append(f"{where}: the log's mode is {s.get('Mode')!r}, not PerformanceOnly")
    if str(s.get("Result is", "")).upper() != "VALID":
        why = "; ".join(s.get("unsatisfied") or []) or d["values"].get("result_invalid_reason", "")
        problems.append(f"{where}: LoadGen result is INVALID ({why})")
    if d["errors"]:
        problems.append(f"{where}: {len(d['errors'])} error(s) in mlperf_log_detail.txt: {d['errors'][0]}")
    v = d["values"]
    q = v.get("result_query_count")
    if scenario == "Offline":
        q = v.get("effective_samples_per_query", q)
    p, w = _duration_problems(where, scenario, v.get("effective_min_duration_ms"), q, short_ok)
    return problems + p, warnings + w


def _check_acc(acc_dir: Path, where: str, model: str) -> list[str]:
    problems = []
    for name in ("mlperf_log_accuracy.json", "mlperf_log_summary.txt", "accuracy.txt"):
        if not (acc_dir / name).is_file():
            problems.append(f"{where}: missing {name}")
    txt = acc_dir / "accuracy.txt"
    if txt.is_file():
        fields = dict(kv.split("=", 1) for kv in txt.read_text().split() if "=" in kv)
        try:
            acc = float(fields.get("accuracy", "").rstrip("%")) / 100.0
        except ValueError:
            return problems + [f"{where}: accuracy.txt has no accuracy=... value"]
        target = models.METADATA.get(model, {}).get("accuracy_target")
        if target is not None and acc < target:
            problems.append(f"{where}: accuracy {acc * 100:.3f}% is below the target {target * 100:.3f}%")
    return problems


def check_tree(root: str | Path, short_runs_ok: bool = False) -> dict[str, Any]:
    """Check ``<out>/<division>/<submitter>``: ``{'problems', 'warnings', 'checked'}``."""
    root = Path(root)
    problems: list[str] = []
    warnings: list[str] = []
    checked = 0
    if not root.is_dir():
        return {"problems": [f"{root}: no such submission folder"], "warnings": [], "checked": 0}
    systems = sorted((root / "systems").glob("*.json")) if (root / "systems").is_dir() else []
    if not systems:
        problems.append(f"{root}: no systems/<system>.json")
    for sys_file in systems:
        name = sys_file.stem
        try:
            desc = json.loads(sys_file.read_text())
        except json.JSONDecodeError as exc:
            problems.append(f"systems/{sys_file.name}: not valid JSON ({exc.msg}, line {exc.lineno})")
            continue
        for f in REQUIRED_SYSTEM_FIELDS:
            if desc.get(f) in (None, "", []):
                problems.append(f"systems/{sys_file.name}: required field {f!r} is empty")
        if desc.get("division") != root.parent.name:
            problems.append(f"systems/{sys_file.name}: division {desc.get('division')!r} but the tree is "
                            f"under {root.parent.name!r}")
        res_root = root / "results" / name
        if not res_root.is_dir():
            problems.append(f"results/{name}: missing")
            continue
        stype = desc.get("system_type", "edge")
        for model_dir in sorted(p for p in res_root.iterdir() if p.is_dir()):
            scen = sorted(p.name for p in model_dir.iterdir() if p.is_dir())
            for s in REQUIRED_SCENARIOS.get(stype, ()):
                if s not in scen:
                    problems.append(f"results/{name}/{model_dir.name}: the {s} scenario is missing "
                                    f"({stype} systems need it)")
            for s in scen:
                where = f"results/{name}/{model_dir.name}/{s}"
                if s not in SCENARIOS:
                    problems.append(f"{where}: unknown scenario folder")
                    continue
                if not (root / "measurements" / name / model_dir.name / s).is_dir():
                    problems.append(f"measurements/{name}/{model_dir.name}/{s}: missing")
                perf = model_dir / s / "performance" / "run_1"
                if not perf.is_dir():
                    problems.append(f"{where}/performance/run_1: missing")
                else:
                    p, w = _check_perf(perf, f"{where}/performance", s, short_runs_ok)
                    problems += p
                    warnings += w
                acc = model_dir / s / "accuracy"
                if not acc.is_dir():
                    problems.append(f"{where}/accuracy: missing")
                else:
                    problems += _check_acc(acc, f"{where}/accuracy", model_dir.name)
                checked += 1
    return {"problems": problems, "warnings": warnings, "checked": checked}
