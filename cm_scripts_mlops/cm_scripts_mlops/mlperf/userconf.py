"""``user.conf``: the LoadGen settings of one test, written so that a test run is short.

LoadGen reads ``<model>.<Scenario>.<key> = value`` lines (``*`` for any model). Times in
user.conf are milliseconds; targets are queries per second or ms.
"""

from __future__ import annotations

from dataclasses import dataclass

from cm_scripts_mlops.mlperf import SCENARIOS


@dataclass
class RunSettings:
    """What the user asked for; ``None`` means LoadGen's default (or a short-test default)."""

    scenario: str
    model: str = "*"
    target_qps: float | None = None
    target_latency_ms: float | None = None
    test_query_count: int | None = None
    min_duration_ms: int | None = None
    max_query_count: int | None = None
    max_duration_ms: int | None = None
    samples_per_query: int | None = None   # MultiStream
    performance_sample_count: int | None = None

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}: use one of {', '.join(SCENARIOS)}")


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def lines(s: RunSettings) -> list[str]:
    """The user.conf lines for ``s``. A test query count makes the run short: it sets the
    minimum query count and, unless given, no minimum duration (LoadGen's default is 10
    minutes), so about N queries run and the run is valid for LoadGen at any speed; the
    submission checker still flags such durations as too short for a submission."""
    p = f"{s.model}.{s.scenario}."
    out: list[str] = []
    if s.target_qps is not None and s.scenario in ("Offline", "Server"):
        out.append(f"{p}target_qps = {_num(s.target_qps)}")
    if s.target_latency_ms is not None and s.scenario in ("SingleStream", "MultiStream", "Server"):
        out.append(f"{p}target_latency = {_num(s.target_latency_ms)}")
    min_ms = s.min_duration_ms
    if s.test_query_count:
        n = int(s.test_query_count)
        out.append(f"{p}min_query_count = {n}")
        if min_ms is None:
            min_ms = 0
        if s.target_qps is None and s.scenario == "Offline":
            # Offline issues target_qps * min_duration samples: ask for about n of them.
            out.append(f"{p}target_qps = {_num(max(1.0, n * 1000.0 / max(min_ms, 1000) / 1.1))}")
    if min_ms is not None:
        out.append(f"{p}min_duration = {int(min_ms)}")
    if s.max_query_count:
        out.append(f"{p}max_query_count = {int(s.max_query_count)}")
    if s.max_duration_ms is not None:
        out.append(f"{p}max_duration = {int(s.max_duration_ms)}")
    if s.samples_per_query and s.scenario == "MultiStream":
        out.append(f"{p}samples_per_query = {int(s.samples_per_query)}")
    if s.performance_sample_count:
        out.append(f"{p}performance_sample_count_override = {int(s.performance_sample_count)}")
    return out


def text(s: RunSettings) -> str:
    return "# written by cm (app-mlperf-inference)\n" + "\n".join(lines(s)) + "\n"
