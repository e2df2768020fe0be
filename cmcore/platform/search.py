"""Exhaustive and budgeted search over a grid of stack choices.

The budgeted search is **coordinate descent with line searches**, seeded by a cheap prior:

1. Start from the seed point (the harness's usual best guess: the most capable device, fp32,
   all cores, a middle batch), or the best point already measured (cached results are free).
2. For each dimension in turn, measure every value along the line through the current best
   point (others fixed); on an *ordered* dimension (threads, batch) the values nearest the
   current one go first, so a short budget still explores the neighbourhood. Move to the
   best point seen.
3. Repeat the sweep until a full sweep brings no improvement or the budget is spent.

Each line is one batch for the executor (its points run in parallel on Ray). A grid of
D dimensions of sizes n1..nD costs about ``k * sum(ni)`` runs for k sweeps (usually 2), not
``prod(ni)``. On the objective surfaces stack tuning produces (each dimension's effect
mostly monotone or single-peaked, with moderate interactions) it ends at, or within a few
percent of, the exhaustive optimum: ``tests/test_platform_search.py`` checks "within 5%"
against exhaustive search on synthetic grids, and on a real run.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cmcore.errors import MALFORMED, CMError

Point = dict[str, Any]


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


def _line(dim: Dimension, current: Any) -> list[Any]:
    """The values of ``dim`` to try from ``current``: nearest first for ordered dimensions."""
    vals = list(dim.values)
    if not dim.ordered or current not in vals:
        return vals
    c = vals.index(current)
    return sorted(vals, key=lambda v: (abs(vals.index(v) - c), vals.index(v)))


def coordinate_descent(dims: Sequence[Dimension], evaluate_many: Callable[[list[Point]], list[dict[str, Any]]],
                       score: Callable[[dict[str, Any]], float], budget: int,
                       seed: Point | None = None, max_sweeps: int = 4) -> SearchResult:
    """Budgeted search (see the module docstring); ``budget`` is the most points to measure."""
    if budget < 1:
        raise CMError(f"--budget_runs must be at least 1, not {budget}", MALFORMED)
    ev = _Evaluator(evaluate_many, score, budget)
    names = [d.name for d in dims]
    start = dict(seed or {})
    for d in dims:
        if start.get(d.name) not in d.values:
            start[d.name] = d.values[len(d.values) // 2] if d.ordered else d.values[0]
    current = {n: start[n] for n in names}
    ev.run([current])
    trace = [f"seed {current}"]
    for sweep in range(max_sweeps):
        before = ev.value(current)
        for d in dims:
            if ev.left is not None and ev.left <= 0:
                break
            line = [{**current, d.name: v} for v in _line(d, current[d.name])]
            ev.run(line)
            best_on_line = max(line, key=ev.value)
            if ev.value(best_on_line) > ev.value(current):
                current = best_on_line
                trace.append(f"sweep {sweep + 1}: {d.name} -> {current[d.name]}")
        if ev.value(current) <= before or (ev.left is not None and ev.left <= 0):
            break
    best = ev.seen.get(point_key(current))
    scored = best if best is not None and score(best) > float("-inf") else None
    return SearchResult(ev.rows, scored, len(ev.rows), len(grid_points(dims)), "coordinate-descent", trace)
