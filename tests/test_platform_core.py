"""Constraints, derived metrics, energy counters, Pareto front, recommendation, progress."""

from __future__ import annotations

import io

import pytest

from cmcore.errors import CMError
from cmcore.platform.constraints import Constraint, feasibility, parse_constraints
from cmcore.platform.metrics import METRICS, EnergyMeter, derive
from cmcore.platform.pareto import dominates, pareto_front, recommend
from cmcore.platform.progress import Progress


def test_parse_constraints() -> None:
    cons = parse_constraints("accuracy>=0.97, latency_p90_ms <= 5,samples_per_second>1e3", METRICS)
    assert cons == [Constraint("accuracy", ">=", 0.97), Constraint("latency_p90_ms", "<=", 5.0),
                    Constraint("samples_per_second", ">", 1000.0)]
    assert parse_constraints("accuracy>=97%") == [Constraint("accuracy", ">=", 0.97)]
    assert parse_constraints("") == [] and parse_constraints(None) == []
    assert str(cons[0]) == "accuracy>=0.97"


@pytest.mark.parametrize(("text", "fragment"), [
    ("accuracy=>0.97", "cannot parse"),
    ("accuracy>=abc", "cannot parse"),
    ("__import__('os').system('id')>=1", "cannot parse"),
    ("accuracy>=0.97,", "empty clause"),
    ("acuracy>=0.97", 'did you mean "accuracy"'),
    ("latency_p90>=1", "unknown metric"),
])
def test_bad_constraints_are_one_clear_error(text: str, fragment: str) -> None:
    with pytest.raises(CMError) as exc:
        parse_constraints(text, METRICS)
    assert exc.value.code == 4 and fragment in exc.value.message and "\n" not in exc.value.message


def test_feasibility_unknown_metric_is_not_satisfied() -> None:
    cons = parse_constraints("accuracy>=0.97,latency_p90_ms<=5")
    assert feasibility({"accuracy": 0.98, "latency_p90_ms": 1.0}, cons) == (True, [])
    ok, reasons = feasibility({"accuracy": 0.9, "latency_p90_ms": None}, cons)
    assert not ok and reasons == ["accuracy=0.9 violates accuracy>=0.97", "latency_p90_ms unknown"]


def test_derive_cost_and_unknown_energy() -> None:
    r = derive({"samples_per_second": 1000.0}, price_per_hour=3.6)
    assert r["cost_per_million_usd"] == pytest.approx(1.0)  # 3.6 USD/h over 3.6M inferences/h
    assert r["energy_per_inference_j"] is None and r["avg_power_w"] is None
    assert derive({"samples_per_second": 1000.0})["cost_per_million_usd"] is None
    assert derive({"samples_per_second": None}, price_per_hour=1.0)["cost_per_million_usd"] is None
    e = derive({"samples_per_second": 500.0}, energy_j=100.0, energy_seconds=10.0)
    assert e["avg_power_w"] == 10.0 and e["energy_per_inference_j"] == pytest.approx(0.02)


def _zone(root, name: str, uj: int, max_uj: int = 10**12) -> None:
    z = root / name
    z.mkdir(parents=True)
    (z / "energy_uj").write_text(f"{uj}\n")
    (z / "max_energy_range_uj").write_text(f"{max_uj}\n")


def test_energy_meter_reads_package_counters_and_handles_wrap(tmp_path) -> None:
    _zone(tmp_path, "intel-rapl:0", 1_000_000)
    _zone(tmp_path, "intel-rapl:0:0", 5)           # a sub-zone (core): not added on top of the package
    _zone(tmp_path, "intel-rapl:1", 999_000_000, max_uj=1_000_000_000)
    with EnergyMeter(tmp_path) as m:
        (tmp_path / "intel-rapl:0" / "energy_uj").write_text("3000000\n")
        (tmp_path / "intel-rapl:1" / "energy_uj").write_text("1000000\n")   # wrapped around
    assert m.joules == pytest.approx(2.0 + 2.0)
    assert m.seconds >= 0


def test_energy_meter_is_unknown_without_counters(tmp_path) -> None:
    with EnergyMeter(tmp_path / "absent") as m:
        pass
    assert m.joules is None
    _zone(tmp_path, "intel-rapl:0", 1)
    (tmp_path / "intel-rapl:0" / "energy_uj").chmod(0o000)
    with EnergyMeter(tmp_path) as m2:
        pass
    import os
    if os.geteuid() != 0:  # root reads anything; the unreadable case needs a normal user
        assert m2.joules is None


ROWS = [
    {"name": "a", "samples_per_second": 100.0, "accuracy": 0.99, "threads": 1, "batch": 1},
    {"name": "b", "samples_per_second": 300.0, "accuracy": 0.96, "threads": 2, "batch": 8},
    {"name": "c", "samples_per_second": 200.0, "accuracy": 0.98, "threads": 2, "batch": 8},
    {"name": "d", "samples_per_second": 150.0, "accuracy": 0.97, "threads": 2, "batch": 4},  # dominated by c
    {"name": "e", "samples_per_second": None, "accuracy": 0.99, "threads": 1, "batch": 1},
    {"name": "f", "samples_per_second": 900.0, "accuracy": 0.99, "status": "failed", "error": "boom"},
]


def test_pareto_front_and_dominance() -> None:
    front = pareto_front(ROWS[:5], ["samples_per_second", "accuracy"])
    assert sorted(r["name"] for r in front) == ["a", "b", "c"]
    assert dominates(ROWS[2], ROWS[3], ["samples_per_second", "accuracy"])
    assert not dominates(ROWS[0], ROWS[1], ["samples_per_second", "accuracy"])
    lat = [{"latency_p90_ms": 2.0, "accuracy": 0.9}, {"latency_p90_ms": 1.0, "accuracy": 0.9}]
    assert pareto_front(lat, ["latency_p90_ms", "accuracy"]) == [lat[1]]  # lower latency is better


def test_recommend_under_constraints() -> None:
    rec = recommend(ROWS, "samples_per_second", parse_constraints("accuracy>=0.97"))
    assert rec.best is not None and rec.best["name"] == "c"
    assert {r["name"] for r, _ in rec.rejected} == {"b", "e", "f"}
    assert dict((r["name"], why) for r, why in rec.rejected)["f"] == ["boom"]
    unconstrained = recommend(ROWS, "samples_per_second", [])
    assert unconstrained.best["name"] == "b"   # the failed row f never wins
    none = recommend(ROWS, "samples_per_second", parse_constraints("accuracy>=0.999"))
    assert none.best is None and "accuracy>=0.999" in none.why_none()


def test_progress_plain_lines_and_tty_bar() -> None:
    out = io.StringIO()
    with Progress(2, "explore", stream=out) as p:
        p.done("threads=1", "ok")
        p.done("threads=2", "cached")
    assert out.getvalue().splitlines() == ["explore 1/2 threads=1: ok", "explore 2/2 threads=2: cached"]
    tty = io.StringIO()
    with Progress(2, "explore", stream=tty, tty=True) as p:
        p.done("x", "ok")
    assert "\r" in tty.getvalue() and "[" in tty.getvalue() and tty.getvalue().endswith("\n")
