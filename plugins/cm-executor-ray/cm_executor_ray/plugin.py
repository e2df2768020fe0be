"""Registers the ``ray`` sweep executor. Ray itself is imported only when a sweep uses it."""

from __future__ import annotations

from cmcore import hookimpl
from cmcore.types import ExecutorSpec

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def _factory(**options: Any) -> Any:
    from cm_executor_ray.executor import RayExecutor

    return RayExecutor(**options)


@hookimpl
def cm_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec("ray", _factory, "run sweep points as tasks on a Ray cluster (--address=HOST:PORT)")]
