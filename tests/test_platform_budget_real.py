"""The budgeted search on real LoadGen runs of digits: within 5% of the exhaustive optimum with at
most half of the grid. The exhaustive run fills the results store; the budgeted run reads the same
measurements from it, so both see identical numbers and the 5% claim is exact, not noise."""

from __future__ import annotations

import pytest

from cmcore.platform.explore import explore


@pytest.mark.slow
def test_budget_of_half_the_grid_is_within_5_percent_of_exhaustive(tmp_path) -> None:
    from cmcore.session import Session

    session = Session(tmp_path / "home")
    flags = {"model": "digits", "precision": "fp32", "threads": "1,2", "batch": "1,4,16,64",
             "test_query_count": "300", "min_duration_ms": "100", "constraints": "accuracy>=0.97"}
    full = explore(session, {**flags, "report_dir": str(tmp_path / "full")})
    assert full["method"] == "exhaustive" and full["evaluations"] == full["grid_size"] == 8
    assert all(r["status"] == "ok" for r in full["rows"]), full["rows"]
    optimum = full["best"]["samples_per_second"]
    runs = len(session.db.search("result", None, ["mlperf"]))

    budget = explore(session, {**flags, "budget_runs": "4", "report_dir": str(tmp_path / "budget")})
    assert budget["method"] == "neighbourhood" and budget["evaluations"] <= 4 == full["grid_size"] // 2
    assert len(session.db.search("result", None, ["mlperf"])) == runs  # every number read back, none re-measured
    assert {r["cached"] for r in budget["rows"]} == {"performance,accuracy"}
    by_point = {(r["threads"], r["batch"]): r["samples_per_second"] for r in full["rows"]}
    for r in budget["rows"]:  # identical measurements on both sides
        assert r["samples_per_second"] == by_point[(r["threads"], r["batch"])]
    got = budget["best"]["samples_per_second"]
    assert got >= 0.95 * optimum, (budget["trace"], budget["best"], full["best"], by_point)
    assert budget["reproduce"].startswith('cmr "app mlperf inference _onnxruntime _cpu" --model=digits')
