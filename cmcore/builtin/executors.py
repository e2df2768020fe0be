"""The ``local`` sweep executor: runs independent items one after another in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cmcore import hookimpl
from cmcore.types import ExecutorSpec

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


class LocalExecutor:
    """Runs each item in order; results come back in the order of the items."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        return [fn(item) for item in items]


@hookimpl
def cm_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec("local", LocalExecutor, "run sweep points one by one on this machine")]
