"""The MLflow sink with the real ``mlflow`` package and real local stores (file and sqlite)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mlflow")

from cm_sink_mlflow.sink import split_result  # noqa: E402

from cmcore.results import record_result  # noqa: E402

SUMMARY = """================================================
MLPerf Results Summary
================================================
SUT name : PySUT
Scenario : Offline
Mode     : PerformanceOnly
Samples per second: 1843.27
Result is : VALID
"""


def _harness_like_result(session: Any, tmp_path: Path, **inputs: str) -> Any:
    """A result recorded the way the MLPerf harness records one (stack, metrics, LoadGen logs)."""
    logs = tmp_path / "out"
    logs.mkdir(exist_ok=True)
    (logs / "mlperf_log_summary.txt").write_text(SUMMARY)
    (logs / "mlperf_log_detail.txt").write_text(':::MLLOG {"key": "result_samples_per_second", "value": 1843.27}\n')
    res = {"model": "digits", "scenario": "Offline", "mode": "performance", "backend": "onnxruntime",
           "device": "cpu:0", "device_kind": "cpu", "precision": "fp32", "threads": 2, "batch": 8,
           "samples_per_second": 1843.27, "latency_p50_ms": 0.41, "latency_p90_ms": 0.52,
           "latency_p99_ms": 0.9, "validity": "VALID", "engine_version": "1.20.0", "dataset_size": 540}
    return record_result(session, res, tags=["mlperf", "digits"], inputs={"CM_MLPERF_MODEL": "digits", **inputs},
                         versions={"engine": "1.20.0"},
                         files={"logs/mlperf_log_summary.txt": logs / "mlperf_log_summary.txt",
                                "logs/mlperf_log_detail.txt": logs / "mlperf_log_detail.txt"})


def _only_run(uri: str, experiment: str = "cm-results") -> Any:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 1
    return client, runs[0]


def test_split_result_puts_the_stack_in_params_and_outcomes_in_metrics() -> None:
    params, metrics, tags = split_result({"model": "m", "threads": 4, "batch": 1, "samples_per_second": 10,
                                          "accuracy": 0.97, "validity": "VALID", "dataset_size": 5,
                                          "weird key!": 1.5, "ok": True})
    assert params == {"model": "m", "threads": "4", "batch": "1", "dataset_size": "5"}
    assert metrics == {"samples_per_second": 10.0, "accuracy": 0.97, "weird key_": 1.5}
    assert tags == {"cm.validity": "VALID", "cm.ok": "True"}


def test_every_recorded_result_becomes_an_mlflow_run(cm_session: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    cm_session.env.update({"CM_RESULT_SINKS": "mlflow", "CM_MLFLOW_TRACKING_URI": uri})
    art = _harness_like_result(cm_session, tmp_path)
    client, run = _only_run(uri)
    assert run.info.status == "FINISHED"
    p = run.data.params
    assert (p["model"], p["backend"], p["device"], p["precision"], p["threads"], p["batch"], p["scenario"],
            p["mode"]) == ("digits", "onnxruntime", "cpu:0", "fp32", "2", "8", "Offline", "performance")
    m = run.data.metrics
    assert m["samples_per_second"] == pytest.approx(1843.27) and m["latency_p90_ms"] == pytest.approx(0.52)
    assert "threads" not in m
    assert run.data.tags["cm.result_uid"] == art.uid and run.data.tags["cm.validity"] == "VALID"
    top = {f.path for f in client.list_artifacts(run.info.run_id)}
    assert {"result.json", "inputs.json", "versions.json", "logs"} <= top
    logs = {f.path for f in client.list_artifacts(run.info.run_id, "logs")}
    assert logs == {"logs/mlperf_log_summary.txt", "logs/mlperf_log_detail.txt"}
    local = Path(client.download_artifacts(run.info.run_id, "logs/mlperf_log_summary.txt", str(tmp_path)))
    assert local.read_text() == SUMMARY
    got = json.loads(Path(client.download_artifacts(run.info.run_id, "result.json", str(tmp_path))).read_text())
    assert got["samples_per_second"] == 1843.27


def test_sink_flag_in_the_run_inputs(cm_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness's ``--sink=mlflow`` reaches record_result as the CM_MLPERF_RESULT_SINKS input."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "store").as_uri()
    cm_session.env.pop("CM_RESULT_SINKS", None)
    cm_session.env.update({"CM_MLFLOW_TRACKING_URI": uri, "CM_MLFLOW_EXPERIMENT": "digits-runs"})
    _harness_like_result(cm_session, tmp_path, CM_MLPERF_RESULT_SINKS="mlflow")
    _client, run = _only_run(uri, "digits-runs")
    assert run.data.params["model"] == "digits"


def test_a_broken_store_is_one_warning_and_the_result_is_kept(cm_session: Any, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store folder should be")
    cm_session.env.update({"CM_RESULT_SINKS": "mlflow", "CM_MLFLOW_TRACKING_URI": (blocker / "mlruns").as_uri(),
                           "MLFLOW_ALLOW_FILE_STORE": "true"})
    art = _harness_like_result(cm_session, tmp_path)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "result sink 'mlflow' failed" in ln]
    assert len(lines) == 1 and str(art.path) in lines[0], err
    assert (art.path / "result.json").is_file() and (art.path / "logs" / "mlperf_log_summary.txt").is_file()


@pytest.mark.slow
def test_sqlite_store(cm_session: Any, tmp_path: Path) -> None:
    """MLflow's recommended local backend (creating its tables takes ~15 s)."""
    pytest.importorskip("sqlalchemy")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cm_session.env.update({"CM_RESULT_SINKS": "mlflow", "CM_MLFLOW_TRACKING_URI": uri})
    _harness_like_result(cm_session, tmp_path)
    client, run = _only_run(uri)
    assert run.data.metrics["samples_per_second"] == pytest.approx(1843.27)
    assert (cm_session.home / "mlflow" / "artifacts").is_dir()  # not ./mlruns of the working folder
    assert {f.path for f in client.list_artifacts(run.info.run_id, "logs")} >= {"logs/mlperf_log_summary.txt"}
