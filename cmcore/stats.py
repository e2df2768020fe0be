"""Latency statistics for a list of per-batch timings (shared by the inference backends)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def percentile(sorted_values: list[float], pct: float) -> float:
    """Linear-interpolated percentile of an ascending list (``pct`` in 0..100)."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * pct / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def latency_stats(seconds: list[float], samples: int) -> dict[str, float | int]:
    """Mean, min, max, p50/p90/p99 in milliseconds and samples/s over the timed batches."""
    s = sorted(seconds)
    total = sum(s)
    ms = 1000.0
    return {
        "batches": len(s), "samples": samples, "total_s": total,
        "mean_ms": (total / len(s)) * ms if s else 0.0,
        "min_ms": s[0] * ms if s else 0.0, "max_ms": s[-1] * ms if s else 0.0,
        "p50_ms": percentile(s, 50) * ms, "p90_ms": percentile(s, 90) * ms, "p99_ms": percentile(s, 99) * ms,
        "samples_per_s": samples / total if total > 0 else 0.0,
    }


def timed_batches(handle: Any, batches: Sequence[Any], warmup: int, who: str) -> dict[str, Any]:
    """A backend's ``run``: warm up on the first batch, then time ``handle.predict`` on each.

    ``handle`` has ``warmup(batch, n)``, ``feed(batch) -> {input name: array}`` and
    ``predict(feed)``; only ``predict`` is timed. The stats (:func:`latency_stats` plus
    ``warmup_batches``) are also kept as ``handle.last_stats`` for the backend's postprocess.
    """
    import time

    from cmcore.errors import CMError

    if not batches:
        raise CMError(f"{who}: run needs at least one batch", 1)
    handle.warmup(batches[0], warmup)
    timings, samples = [], 0
    for batch in batches:
        feed = handle.feed(batch)
        start = time.perf_counter()
        handle.predict(feed)
        timings.append(time.perf_counter() - start)
        samples += int(next(iter(feed.values())).shape[0]) if feed else 0
    handle.last_stats = {**latency_stats(timings, samples), "warmup_batches": warmup}
    return handle.last_stats
