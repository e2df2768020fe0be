"""Place a local run beside the official MLPerf results of similar systems.

"Similar" means the same model and scenario. Throughput is compared per accelerator (a
local run drives one device); latency scenarios (SingleStream, MultiStream) compare the
scenario's latency metric as is, since one query's latency does not scale with more chips.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cmcore.ecosystem.official import OFFICIAL_TAG
from cmcore.errors import GENERIC, NOT_FOUND, CMError

if TYPE_CHECKING:  # pragma: no cover
    from cmcore.session import Session

LATENCY_METRIC = {"SingleStream": "latency_p90_ms", "MultiStream": "latency_p99_ms"}
COLUMNS = ("source", "submitter", "system", "accelerator", "accelerators", "backend", "division", "validity",
           "metric", "value", "per_accelerator", "vs_local", "uid")


def metric_for(scenario: str) -> str:
    """The scenario's figure of merit: samples/s for Offline and Server, a latency percentile otherwise."""
    return LATENCY_METRIC.get(scenario, "samples_per_second")


def _rows(session: Session, tags: list[str]) -> list[dict[str, Any]]:
    from cmcore.results.store import load_result

    return [{"uid": art.uid or art.path.name, **load_result(art), "tags": ",".join(art.tags)}
            for art in session.db.search("result", tags=tags)]


def _same(a: Any, b: Any) -> bool:
    return str(a or "").strip().lower() == str(b or "").strip().lower()


def official_results(session: Session, model: str, scenario: str, *, division: str = "") -> list[dict[str, Any]]:
    """Official results for ``model`` and ``scenario`` (best per accelerator first)."""
    rows = [r for r in _rows(session, [OFFICIAL_TAG]) if _same(r.get("model"), model)
            and _same(r.get("scenario"), scenario) and (not division or _same(r.get("division"), division))]
    metric = metric_for(scenario)
    for r in rows:
        _place(r, metric, official=True)
    lower_better = metric != "samples_per_second"
    rows.sort(key=lambda r: (r.get("per_accelerator") is None,
                             (r.get("per_accelerator") or 0) * (1 if lower_better else -1)))
    return rows


def _place(row: dict[str, Any], metric: str, *, official: bool) -> None:
    value = row.get(metric)
    n = int(row.get("accelerators") or 0) if official else 1
    row["source"] = f"official {row.get('mlperf_version', '')}".strip() if official else "local"
    row["metric"] = metric
    row["value"] = value
    row["accelerators"] = n if official else 1
    if not isinstance(value, (int, float)):
        row["per_accelerator"] = None
    elif metric == "samples_per_second":
        row["per_accelerator"] = value / max(1, n)
    else:
        row["per_accelerator"] = value
    if not official:
        row.setdefault("accelerator", row.get("device_model") or row.get("device") or "")
        row.setdefault("submitter", "(this machine)")
        row.setdefault("system", row.get("device", ""))


def beside(session: Session, local: dict[str, Any], *, limit: int = 10, division: str = "") -> dict[str, Any]:
    """A table with the local result first, then the ``limit`` best official results like it.

    ``vs_local`` is how the official figure compares with the local one per accelerator
    (> 1: the official system is that many times better).
    """
    model, scenario = local.get("model"), local.get("scenario")
    if not model or not scenario:
        raise CMError("the local result has no model or scenario to compare on", GENERIC)
    metric = metric_for(str(scenario))
    row = dict(local)
    _place(row, metric, official=False)
    officials = official_results(session, str(model), str(scenario), division=division)[:max(0, limit)]
    mine = row.get("per_accelerator")
    for r in officials:
        theirs = r.get("per_accelerator")
        if isinstance(mine, (int, float)) and isinstance(theirs, (int, float)) and mine and theirs:
            r["vs_local"] = theirs / mine if metric == "samples_per_second" else mine / theirs
    return {"model": model, "scenario": scenario, "metric": metric, "rows": [row, *officials],
            "columns": list(COLUMNS), "normalised": "per accelerator" if metric == "samples_per_second"
            else "not normalised (latency)"}


def load_local(session: Session, ref: str) -> dict[str, Any]:
    """A recorded result by uid or alias, as a row."""
    from cmcore.results.store import load_result

    found = session.db.search("result", ref)
    if not found:
        raise CMError(f'result "{ref}" not found (cm show results lists them)', NOT_FOUND)
    if len(found) > 1:
        raise CMError(f'"{ref}" matches {len(found)} results; give a uid', GENERIC)
    art = found[0]
    return {"uid": art.uid or art.path.name, **load_result(art)}
