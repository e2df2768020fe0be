"""The MLflow sink: one MLflow run per recorded CM result.

Where runs go (first that is set):

* ``CM_MLFLOW_TRACKING_URI``, then ``MLFLOW_TRACKING_URI`` (a server ``http://...``, a
  ``sqlite:///path.db``, or a ``file:///dir`` store);
* else ``sqlite:///<CM home>/mlflow/mlflow.db`` when SQLAlchemy is installed (``pip install
  cm-sink-mlflow[sqlite]``), else the ``file://<CM home>/mlflow/mlruns`` store.

The experiment is ``CM_MLFLOW_EXPERIMENT`` (default ``cm-results``); artifacts of a local
store go under ``<CM home>/mlflow/artifacts`` unless ``CM_MLFLOW_ARTIFACT_ROOT`` says otherwise.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

#: the stack of a result: what was run, logged as MLflow params
STACK_PARAMS = ("model", "backend", "device", "device_kind", "device_model", "precision", "threads", "batch",
                "scenario", "mode", "dataset", "division", "submitter", "system", "accelerator", "framework")
#: numbers that describe the setup, not the outcome (params, not metrics)
NOT_METRICS = {"threads", "batch", "dataset_size", "accelerators_per_node", "accuracy_total"}
SKIP_FILES = {"_cm.json", "_cm.yaml", "meta.yaml"}
_BAD_KEY = re.compile(r"[^A-Za-z0-9_\-. /]")


def _key(name: str) -> str:
    """MLflow accepts letters, digits, ``_-. /`` in names."""
    return _BAD_KEY.sub("_", name)[:250]


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def split_result(result: dict[str, Any]) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    """``(params, metrics, tags)`` of one flat CM result."""
    params = {k: str(result[k]) for k in STACK_PARAMS if result.get(k) not in (None, "")}
    metrics = {_key(k): float(v) for k, v in result.items()
               if _is_number(v) and k not in NOT_METRICS and k not in params}
    tags: dict[str, str] = {}
    for k, v in result.items():
        if k in params or _key(k) in metrics or v in (None, ""):
            continue
        if k in NOT_METRICS:
            params[_key(k)] = str(v)
        else:
            tags[_key(f"cm.{k}")] = str(v)[:5000]
    return params, metrics, tags


class MlflowSink:
    """``record(artifact, result)`` logs one run and returns ``"<tracking uri>#<run id>"``."""

    def __init__(self, session: Any) -> None:
        self.session = session
        env = session.env
        self.local_dir = Path(session.home) / "mlflow"
        self.tracking_uri = env.get("CM_MLFLOW_TRACKING_URI") or env.get("MLFLOW_TRACKING_URI") \
            or self._default_uri()
        self.experiment = env.get("CM_MLFLOW_EXPERIMENT") or "cm-results"
        self.artifact_root = env.get("CM_MLFLOW_ARTIFACT_ROOT") or ""

    def _default_uri(self) -> str:
        try:
            import sqlalchemy  # noqa: F401
        except ImportError:
            return (self.local_dir / "mlruns").as_uri()
        return f"sqlite:///{self.local_dir / 'mlflow.db'}"

    def _client(self) -> Any:
        uri = self.tracking_uri
        if uri.startswith("file:") or "://" not in uri:
            # MLflow 3 keeps the file store but refuses it unless asked; the user asked by naming it.
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        if uri.startswith("sqlite:///"):
            Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=uri)

    def _experiment_id(self, client: Any) -> str:
        exp = client.get_experiment_by_name(self.experiment)
        if exp is not None:
            return str(exp.experiment_id)
        location = self.artifact_root or None
        if location is None and self.tracking_uri.startswith("sqlite:"):
            # otherwise MLflow puts artifacts in ./mlruns of whatever folder the run happened in
            location = (self.local_dir / "artifacts").as_uri()
        try:
            return str(client.create_experiment(self.experiment, artifact_location=location))
        except Exception:
            exp = client.get_experiment_by_name(self.experiment)  # created by a concurrent run
            if exp is None:
                raise
            return str(exp.experiment_id)

    def record(self, art: Any, result: dict[str, Any]) -> str:
        """Log ``result`` (params, metrics, tags) and the artifact's files as one finished run."""
        client = self._client()
        exp_id = self._experiment_id(client)
        params, metrics, tags = split_result(result)
        tags.update({"cm.result_uid": str(art.uid or ""), "cm.result_path": str(art.path),
                     "cm.tags": ",".join(art.tags)})
        name = "-".join(str(result[k]) for k in ("model", "scenario", "mode", "backend", "device")
                        if result.get(k)) or "cm-result"
        run = client.create_run(exp_id, run_name=f"{name}-{str(art.uid or '')[:8]}".strip("-"), tags=tags)
        run_id = run.info.run_id
        try:
            from mlflow.entities import Metric, Param

            stamp = int(time.time() * 1000)
            client.log_batch(run_id, metrics=[Metric(k, v, stamp, 0) for k, v in sorted(metrics.items())],
                             params=[Param(_key(k), v[:6000]) for k, v in sorted(params.items())])
            for f in sorted(Path(art.path).rglob("*")):
                if f.is_file() and f.name not in SKIP_FILES:
                    rel = f.parent.relative_to(art.path)
                    client.log_artifact(run_id, str(f), None if str(rel) == "." else rel.as_posix())
        except Exception:
            client.set_terminated(run_id, "FAILED")
            raise
        client.set_terminated(run_id, "FINISHED")
        return f"{self.tracking_uri}#{run_id}"
