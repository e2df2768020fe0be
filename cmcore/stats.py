"""Latency statistics for a list of per-batch timings (shared by the inference backends)."""

from __future__ import annotations


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
