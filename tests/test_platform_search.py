"""Budgeted search finds a point within 5% of the exhaustive optimum without running the grid."""

from __future__ import annotations

import math
import random

import pytest

from cmcore.errors import CMError
from cmcore.platform.constraints import parse_constraints
from cmcore.platform.pareto import recommend
from cmcore.platform.search import Dimension, budgeted_search, exhaustive, grid_points

DIMS = [
    # device and backend form one choice: only pairs where the backend drives the device exist
    Dimension("target", ("onnxruntime@cpu:0", "onnxruntime@cuda:0", "tensorrt@cuda:0", "onnxruntime@qualcomm:0",
                         "tensorrt@qualcomm:0", "onnxruntime@metal:0")),
    Dimension("precision", ("fp32", "int8")),
    Dimension("threads", (1, 2, 4, 8, 16), ordered=True),
    Dimension("batch", (1, 2, 4, 8, 16, 32, 64), ordered=True),
]


def synthetic(seed: int):
    """A stack-tuning-like surface: per-choice speed factors, a thread optimum that depends on
    the batch (interaction), saturating batch gains, int8 faster but less accurate."""
    rng = random.Random(seed)
    dev = {v.split("@")[1]: rng.uniform(0.5, 4.0) for v in DIMS[0].values}
    eng = {v: rng.uniform(0.6, 1.6) for v in DIMS[0].values}
    cores = rng.choice([2, 4, 8])
    int8_gain = rng.uniform(1.1, 2.0)
    int8_acc = rng.uniform(0.955, 0.99)
    calls: list[dict] = []

    def evaluate_many(points):
        rows = []
        for p in points:
            calls.append(p)
            t, b = p["threads"], p["batch"]
            eff_threads = min(t, cores) - 0.15 * max(0, t - cores) - (0.3 if b < 4 and t > 4 else 0)
            tput = (100 * dev[p["target"].split("@")[1]] * eng[p["target"]]
                    * max(0.2, eff_threads) ** 0.8 * (b / (b + 6)) ** 0.7
                    * (int8_gain if p["precision"] == "int8" else 1.0))
            acc = int8_acc if p["precision"] == "int8" else 0.985
            rows.append({**p, "samples_per_second": tput, "accuracy": acc, "status": "ok"})
        return rows

    return evaluate_many, calls


def _score(constraints):
    def score(row):
        rec = recommend([row], "samples_per_second", constraints)
        return row["samples_per_second"] if rec.best is not None else -math.inf
    return score


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("constraint", ["", "accuracy>=0.97"])
def test_budgeted_search_is_within_5_percent_of_the_exhaustive_optimum(seed: int, constraint: str) -> None:
    cons = parse_constraints(constraint)
    evaluate_many, _ = synthetic(seed)
    full = exhaustive(DIMS, evaluate_many, _score(cons))
    assert full.evaluations == len(grid_points(DIMS)) == 420
    optimum = full.best["samples_per_second"]
    evaluate_many, calls = synthetic(seed)
    budget = 60
    found = budgeted_search(DIMS, evaluate_many, _score(cons), budget=budget,
                               seed={"target": "onnxruntime@cuda:0", "threads": 4, "batch": 8})
    assert found.best is not None
    assert found.best["samples_per_second"] >= 0.95 * optimum, (found.trace, full.best, found.best)
    assert len(calls) == found.evaluations <= budget < full.evaluations / 5
    assert len({tuple(sorted(p.items())) for p in calls}) == len(calls)  # no point measured twice
    if constraint:
        assert found.best["accuracy"] >= 0.97


def test_budget_is_a_hard_limit_and_nearest_values_go_first() -> None:
    evaluate_many, calls = synthetic(1)
    found = budgeted_search(DIMS, evaluate_many, _score([]), budget=5, seed={"threads": 4, "batch": 8})
    assert found.evaluations == len(calls) == 5
    with pytest.raises(CMError, match="at least 1"):
        budgeted_search(DIMS, evaluate_many, _score([]), budget=0)


def test_exhaustive_with_nothing_feasible_has_no_best() -> None:
    evaluate_many, _ = synthetic(2)
    full = exhaustive([*DIMS[:2], Dimension("threads", (1,)), Dimension("batch", (1,))], evaluate_many, lambda row: -math.inf)
    assert full.best is None and full.evaluations == 12
