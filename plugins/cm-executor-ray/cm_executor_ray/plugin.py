"""Registers the ``ray`` sweep executor. Ray itself is imported only when a sweep uses it."""

from __future__ import annotations

from typing import Any

from cmcore import hookimpl
from cmcore.types import ExecutorSpec


def _factory(**options: Any) -> Any:
    from cm_executor_ray.executor import RayExecutor

    return RayExecutor(**options)


@hookimpl
def cm_executors() -> list[ExecutorSpec]:
    return [ExecutorSpec("ray", _factory, "run sweep points as tasks on a Ray cluster (--address=HOST:PORT)")]
