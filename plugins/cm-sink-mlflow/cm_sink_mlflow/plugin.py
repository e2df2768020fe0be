"""Registers the ``mlflow`` result sink. mlflow itself is imported only when a result is sent."""

from __future__ import annotations

from typing import Any

from cmcore import hookimpl
from cmcore.types import SinkSpec


def _factory(session: Any) -> Any:
    from cm_sink_mlflow.sink import MlflowSink

    return MlflowSink(session)


@hookimpl
def cm_result_sinks() -> list[SinkSpec]:
    return [SinkSpec("mlflow", _factory, "every result becomes an MLflow run (params, metrics, logs)")]
