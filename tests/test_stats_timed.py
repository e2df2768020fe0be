"""``cmcore.stats.timed_batches``: the run loop both inference backends share."""

from __future__ import annotations

import pytest

from cmcore.errors import CMError
from cmcore.stats import timed_batches


class Arr:
    def __init__(self, n: int) -> None:
        self.shape = (n, 3)


class Handle:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.last_stats: dict = {}

    def warmup(self, batch: int, n: int) -> None:
        self.calls.append(f"warmup {batch}x{n}")

    def feed(self, batch: int) -> dict:
        return {"x": Arr(batch)}

    def predict(self, feed: dict) -> None:
        self.calls.append(f"predict {feed['x'].shape[0]}")


def test_warms_up_once_then_times_every_batch() -> None:
    h = Handle()
    stats = timed_batches(h, [4, 4, 3], 2, "test backend")
    assert h.calls == ["warmup 4x2", "predict 4", "predict 4", "predict 3"]
    assert stats["batches"] == 3 and stats["samples"] == 11 and stats["warmup_batches"] == 2
    assert h.last_stats == stats and stats["samples_per_s"] > 0


def test_no_batches_is_an_error_naming_the_backend() -> None:
    with pytest.raises(CMError, match="test backend: run needs at least one batch"):
        timed_batches(Handle(), [], 1, "test backend")
