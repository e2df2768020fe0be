"""Exhaustive and budgeted search over a grid of stack choices.

The budgeted search (``--budget_runs=N``) is a **best-first neighbourhood search with joint
moves, a noise band and an additive effect model**:

1. Measure the seed (the harness's best guess; see ``space.build_space``).
2. Find the *elites*: the best measured point and every point within the noise band of it
   (``NOISE_BAND``, 3%: closer than that, two measurements on a shared machine do not tell
   which is better, so neither is dropped).
3. Expand the best elite that still has unmeasured neighbours, axis moves first: every point
   one move away in one dimension (the adjacent value of an ordered dimension such as threads
   or batch, any other value of an unordered one such as the target). They are one batch for
   the executor (parallel on Ray).
4. When every elite's axis neighbours are measured (a local optimum along the axes), try the
   *joint* moves: points one move away in two dimensions at once. They catch what coordinate
   descent cannot: threads and batch interacting, so that neither move alone improves but
   both together do. They are ranked by an additive model: each dimension's effect ``a -> b``
   is the mean log-score change over measured pairs that differ in that dimension only, a
   candidate's prediction is the elite's log-score plus its moves' effects (unknown effects
   count as neutral), and the best-predicted ones (as many as there are dimensions) go first.
5. Repeat from 2 until the budget is spent or every elite's neighbourhood is measured.

The result is the best measured point; no point is measured twice. Measurements come from the
results store when cached, so a budgeted run after an exhaustive one sees the same numbers.
``tests/test_platform_budget_search.py`` shows it within 5% of the exhaustive optimum on 100
seeded noisy grids with interactions using at most half of each grid, and on real digits runs.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cmcore.errors import MALFORMED, CMError

Point = dict[str, Any]
#: relative difference below which two measurements count as tied
NOISE_BAND = 0.03
METHOD = "neighbourhood"


@dataclass(frozen=True)
class Dimension:
    """One choice: its values (in order, for ordered dimensions) and whether order means something."""

    name: str
    values: tuple[Any, ...]
    ordered: bool = False


def point_key(point: Point) -> str:
    return json.dumps(point, sort_keys=True, default=str)


def grid_points(dims: Sequence[Dimension]) -> list[Point]:
    """Every point of the grid (first dimension varies slowest)."""
    return [dict(zip([d.name for d in dims], combo, strict=True))
            for combo in itertools.product(*[d.values for d in dims])]


@dataclass
class SearchResult:
    rows: list[dict[str, Any]]              # every evaluated row, in evaluation order
    best: dict[str, Any] | None              # the best row by ``score`` (None if nothing scored)
    evaluations: int                         # rows actually measured (cache hits included)
    grid_size: int
    method: str
    trace: list[str] = field(default_factory=list)


class _Evaluator:
    """Evaluates points through ``evaluate_many`` once each, counting against a budget."""

    def __init__(self, evaluate_many: Callable[[list[Point]], list[dict[str, Any]]],
                 score: Callable[[dict[str, Any]], float], budget: int | None) -> None:
        self.evaluate_many = evaluate_many
        self.score = score
        self.budget = budget
        self.seen: dict[str, dict[str, Any]] = {}
        self.points: dict[str, Point] = {}
        self.rows: list[dict[str, Any]] = []

    @property
    def left(self) -> int | None:
        return None if self.budget is None else self.budget - len(self.seen)

    def run(self, points: list[Point]) -> None:
        todo, keys = [], set()
        for p in points:
            k = point_key(p)
            if k not in self.seen and k not in keys:
                keys.add(k)
                todo.append(p)
        if self.left is not None:
            todo = todo[: max(0, self.left)]
        if not todo:
            return
        for p, row in zip(todo, self.evaluate_many(todo), strict=True):
            self.seen[point_key(p)] = row
            self.points[point_key(p)] = p
            self.rows.append(row)

    def value(self, p: Point) -> float:
        row = self.seen.get(point_key(p))
        return self.score(row) if row is not None else float("-inf")


def exhaustive(dims: Sequence[Dimension], evaluate_many: Callable[[list[Point]], list[dict[str, Any]]],
               score: Callable[[dict[str, Any]], float]) -> SearchResult:
    """Measure every point of the grid."""
    ev = _Evaluator(evaluate_many, score, None)
    pts = grid_points(dims)
    ev.run(pts)
    best = max(ev.rows, key=score, default=None)
    return SearchResult(ev.rows, best if best is not None and score(best) > float("-inf") else None,
                        len(ev.rows), len(pts), "exhaustive")


def _utility(s: float) -> float:
    """The score on a log scale (stack effects multiply): ``log s`` for s > 0, ``-log(-s)`` for a
    negated "lower is better" metric, ``-inf`` for infeasible or failed points."""
    if s != s or s == float("-inf"):
        return float("-inf")
    if s < 0:
        return -math.log(-s)
    return math.log(max(s, 1e-300))


def _moves(dim: Dimension, value: Any) -> list[Any]:
    """Values one move away: the adjacent values of an ordered dimension, any other value otherwise."""
    vals = list(dim.values)
    if value not in vals:
        return vals
    if not dim.ordered:
        return [v for v in vals if v != value]
    i = vals.index(value)
    return [vals[j] for j in (i - 1, i + 1) if 0 <= j < len(vals)]


class _Model:
    """Per-dimension effects estimated from measured pairs that differ in that dimension only
    (the mean utility change ``a -> b``); a candidate's prediction adds the effects of its moves."""

    def __init__(self, dims: Sequence[Dimension], util: dict[str, tuple[Point, float]]) -> None:
        self.effects: dict[tuple[str, str, str], list[float]] = {}
        for d in dims:
            groups: dict[str, list[tuple[Any, float]]] = {}
            for p, u in util.values():
                rest = point_key({k: v for k, v in p.items() if k != d.name})
                groups.setdefault(rest, []).append((p[d.name], u))
            for members in groups.values():
                for a, ua in members:
                    for b, ub in members:
                        if a != b and ua > float("-inf"):
                            self.effects.setdefault((d.name, repr(a), repr(b)), []).append(ub - ua)

    def predict(self, base: Point, base_u: float, cand: Point) -> float:
        total = base_u
        for k, v in cand.items():
            if base.get(k) != v:
                diffs = self.effects.get((k, repr(base.get(k)), repr(v)))
                total += sum(diffs) / len(diffs) if diffs else 0.0  # unknown: neutral
        return total


def _pick(todo: list[Point], base: Point, base_u: float, model: _Model, kind: str,
          dims: Sequence[Dimension]) -> list[Point]:
    """The next batch among ``base``'s unmeasured neighbours ``todo``. Axis moves go one dimension
    at a time (the most promising by the model, then the widest: batch as a rule, a cheap screening
    of the most influential choice); joint moves go best-predicted first, ``len(dims)`` at a time."""
    def pred(c: Point) -> float:
        return model.predict(base, base_u, c)

    ranked = sorted(todo, key=lambda c: -pred(c))  # stable: dimension order on ties
    if kind != "axis":
        return ranked[: max(1, len(dims))]
    names = [d.name for d in dims]
    size = {d.name: len(d.values) for d in dims}

    def moved(c: Point) -> str:
        return next(n for n in names if c[n] != base[n])

    rank: dict[str, tuple[float, int, int]] = {}
    for c in ranked:
        n = moved(c)
        rank.setdefault(n, (pred(c), size[n], names.index(n)))  # ranked: the first is the dimension's best
    pick = max(rank, key=lambda n: rank[n])
    return [c for c in ranked if moved(c) == pick]


def budgeted_search(dims: Sequence[Dimension], evaluate_many: Callable[[list[Point]], list[dict[str, Any]]],
                    score: Callable[[dict[str, Any]], float], budget: int, seed: Point | None = None,
                    band: float = NOISE_BAND) -> SearchResult:
    """Budgeted search (see the module docstring); ``budget`` is the most points to measure and
    ``band`` the relative noise band within which points count as tied with the best."""
    if budget < 1:
        raise CMError(f"--budget_runs must be at least 1, not {budget}", MALFORMED)
    ev = _Evaluator(evaluate_many, score, budget)
    names = [d.name for d in dims]
    by_name = {d.name: d for d in dims}
    start = dict(seed or {})
    for d in dims:
        if start.get(d.name) not in d.values:
            start[d.name] = d.values[len(d.values) // 2] if d.ordered else d.values[0]
    start = {n: start[n] for n in names}
    trace = [f"seed {start}"]
    ev.run([start])
    width = -math.log(1.0 - band) if 0 < band < 1 else 0.0

    def axis(p: Point) -> list[Point]:
        return [{**p, n: v} for n in names for v in _moves(by_name[n], p[n])]

    def joint(p: Point) -> list[Point]:
        return [{**p, a: va, b: vb} for a, b in itertools.combinations(names, 2)
                for va in _moves(by_name[a], p[a]) for vb in _moves(by_name[b], p[b])]

    while ev.left is None or ev.left > 0:
        util = {k: (p, _utility(ev.value(p))) for k, p in ev.points.items()}
        best_u = max(u for _, u in util.values())
        elites = sorted((pu for pu in util.values() if pu[1] >= best_u - width or best_u == float("-inf")),
                        key=lambda pu: -pu[1])
        model = _Model(dims, util)
        batch: list[Point] = []
        for kind, moves in (("axis", axis), ("joint", joint)):
            for p, u in elites:
                todo = [c for c in moves(p) if point_key(c) not in ev.seen]
                if todo:
                    batch = _pick(todo, p, u, model, kind, dims)
                    trace.append(f"{kind} moves from {p}: {len(batch)} point(s)")
                    break
            if batch:
                break
        if not batch:
            trace.append("converged: every point within the noise band of the best has its neighbourhood measured")
            break
        ev.run(batch)
    best = max(ev.rows, key=score, default=None)
    scored = best if best is not None and score(best) > float("-inf") else None
    return SearchResult(ev.rows, scored, len(ev.rows), len(grid_points(dims)), METHOD, trace)
