"""Registers the ``mlflow`` result sink. mlflow itself is imported only when a result is sent."""

from __future__ import annotations

from cmcore import hookimpl
from cmcore.types import SinkSpec

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def _factory(session: Any) -> Any:
    from cm_sink_mlflow.sink import MlflowSink

    return MlflowSink(session)


@hookimpl
def cm_result_sinks() -> list[SinkSpec]:
    return [SinkSpec("mlflow", _factory, "every result becomes an MLflow run (params, metrics, logs)")]
