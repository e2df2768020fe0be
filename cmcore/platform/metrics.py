"""Metrics of one point: what the harness measured plus what we derive from it.

* ``cost_per_million_usd`` = price per hour / (inferences per hour) x 1e6, from
  ``--price_per_hour`` (unknown without a price);
* ``energy_per_inference_j`` = average package power during the run / throughput, where the
  average power comes from RAPL counters in ``/sys/class/powercap`` read before and after the
  run; ``None`` ("unknown") where the counters are missing or not readable (VMs, non-root,
  non-Intel/AMD), never a made-up number.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POWERCAP = Path("/sys/class/powercap")

#: metric -> (direction, unit, label); direction "max" = more is better
METRICS: dict[str, tuple[str, str, str]] = {
    "samples_per_second": ("max", "samples/s", "throughput"),
    "latency_p50_ms": ("min", "ms", "latency p50"),
    "latency_p90_ms": ("min", "ms", "latency p90"),
    "latency_p99_ms": ("min", "ms", "latency p99"),
    "latency_mean_ms": ("min", "ms", "mean latency"),
    "accuracy": ("max", "", "accuracy"),
    "cost_per_million_usd": ("min", "USD", "cost per 1M inferences"),
    "energy_per_inference_j": ("min", "J", "energy per inference"),
    "avg_power_w": ("min", "W", "average power"),
}

#: ``--objective`` -> the metric it optimises
OBJECTIVES = {"throughput": "samples_per_second", "latency": "latency_p90_ms",
              "cost": "cost_per_million_usd", "energy": "energy_per_inference_j"}


def better(metric: str, a: float, b: float) -> bool:
    """Whether value ``a`` of ``metric`` is strictly better than ``b``."""
    return a > b if METRICS.get(metric, ("max",))[0] == "max" else a < b


def score(metric: str, value: Any) -> float:
    """A number where higher is better (``-inf`` for unknown), for search algorithms."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return float("-inf")
    return float(value) if METRICS.get(metric, ("max",))[0] == "max" else -float(value)


def _rapl_files(root: Path = POWERCAP) -> list[Path]:
    """Package-level energy counters (``intel-rapl:N/energy_uj``), not their sub-zones."""
    if not root.is_dir():
        return []
    return sorted(p / "energy_uj" for p in root.glob("intel-rapl:*") if p.name.count(":") == 1
                  and (p / "energy_uj").is_file())


@dataclass
class EnergyMeter:
    """Reads RAPL package counters around a run; ``joules`` is None when they are unreadable."""

    root: Path = POWERCAP

    def __post_init__(self) -> None:
        self._files = _rapl_files(self.root)
        self._start: list[int] | None = None
        self._t0 = 0.0
        self.joules: float | None = None
        self.seconds = 0.0

    def _read(self) -> list[int] | None:
        try:
            return [int(f.read_text().strip()) for f in self._files] if self._files else None
        except (OSError, ValueError):
            return None  # permission denied (non-root since 2020 kernels) or a vanished zone

    def __enter__(self) -> EnergyMeter:
        self._start = self._read()
        self._t0 = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._read()
        self.seconds = time.monotonic() - self._t0
        if self._start is None or end is None:
            return
        total = 0
        for f, a, b in zip(self._files, self._start, end, strict=True):
            if b < a:  # the counter wrapped: add its range
                try:
                    b += int((f.parent / "max_energy_range_uj").read_text().strip())
                except (OSError, ValueError):
                    return
            total += b - a
        self.joules = total / 1e6


def energy_readable(root: Path = POWERCAP) -> bool:
    """Whether RAPL package counters exist here and can be read by this user."""
    return EnergyMeter(root)._read() is not None


def derive(result: dict[str, Any], *, price_per_hour: float | None = None,
           energy_j: float | None = None, energy_seconds: float = 0.0) -> dict[str, Any]:
    """Add cost, power and energy per inference to a point's metrics (in place, and returned)."""
    tput = result.get("samples_per_second")
    rate = float(tput) if isinstance(tput, (int, float)) and not isinstance(tput, bool) and tput > 0 else None
    result["cost_per_million_usd"] = (round(price_per_hour / (rate * 3600.0) * 1e6, 6)
                                      if rate is not None and price_per_hour is not None else None)
    if energy_j is not None and energy_seconds > 0:
        power = energy_j / energy_seconds
        result["avg_power_w"] = round(power, 3)
        result["energy_per_inference_j"] = round(power / rate, 9) if rate is not None else None
    else:
        result["avg_power_w"] = None
        result["energy_per_inference_j"] = None
    return result
