"""The Pareto front of evaluated points and the recommendation under constraints."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cmcore.errors import GENERIC, CMError
from cmcore.platform.constraints import Constraint, feasibility
from cmcore.platform.metrics import METRICS, score


def _known(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def dominates(a: dict[str, Any], b: dict[str, Any], objectives: Sequence[str]) -> bool:
    """``a`` is at least as good as ``b`` in every objective and strictly better in one."""
    sa = [score(m, a.get(m)) for m in objectives]
    sb = [score(m, b.get(m)) for m in objectives]
    return all(x >= y for x, y in zip(sa, sb, strict=True)) and any(x > y for x, y in zip(sa, sb, strict=True))


def pareto_front(rows: Iterable[dict[str, Any]], objectives: Sequence[str]) -> list[dict[str, Any]]:
    """The rows no other row dominates (rows missing an objective are left out)."""
    cands = [r for r in rows if all(_known(r.get(m)) for m in objectives)]
    return [r for r in cands if not any(dominates(o, r, objectives) for o in cands if o is not r)]


@dataclass
class Recommendation:
    """The best feasible row, or why there is none."""

    best: dict[str, Any] | None
    objective: str
    feasible: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)

    def why_none(self) -> str:
        """One line: the constraint that ruled out most points, and the closest point."""
        if self.best is not None:
            return ""
        if not self.rejected:
            return "no point was measured"
        counts: dict[str, int] = {}
        for _, reasons in self.rejected:
            for r in reasons:
                key = r.split(" violates ")[-1] if " violates " in r else r
                counts[key] = counts.get(key, 0) + 1
        worst = max(counts, key=lambda k: counts[k])
        return (f"no point meets the constraints ({len(self.rejected)} measured; "
                f"'{worst}' ruled out {counts[worst]})")


def recommend(rows: Sequence[dict[str, Any]], objective: str, constraints: Sequence[Constraint]) -> Recommendation:
    """The feasible row with the best ``objective`` metric; ties go to fewer threads, then smaller batch."""
    if objective not in METRICS:
        raise CMError(f"unknown objective metric {objective!r}", GENERIC)
    feasible, rejected = [], []
    for r in rows:
        if r.get("status", "ok") != "ok":
            rejected.append((r, [str(r.get("error") or r.get("status"))]))
            continue
        ok, reasons = feasibility(r, constraints)
        if ok and not _known(r.get(objective)):
            ok, reasons = False, [f"{objective} unknown"]
        (feasible.append(r) if ok else rejected.append((r, reasons)))
    best = None
    if feasible:
        best = max(feasible, key=lambda r: (score(objective, r.get(objective)),
                                            -float(r.get("threads") or 0), -float(r.get("batch") or 0)))
    return Recommendation(best, objective, feasible, rejected)
