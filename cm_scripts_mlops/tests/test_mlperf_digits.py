"""The MLPerf workflow on the built-in digits model, end to end: real LoadGen (mlcommons-loadgen
from PyPI) and real onnxruntime, installed into the tool-owned venv of one CM home shared by
these tests (the first test pays for the installs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cm_scripts_mlops.mlperf import accuracy
from homes import isolated_home_session


@pytest.fixture(scope="session")
def mlperf_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One CM home (and tool-owned venv) for all MLPerf tests of the session."""
    yield from isolated_home_session(tmp_path_factory, "mlperf-home")


def app(session: Any, tags: str = "app,mlperf,inference,_onnxruntime,_cpu", **kw: Any) -> dict:
    return session.access({"action": "run", "automation": "script", "tags": tags, "quiet": True, **kw})


def ok_app(session: Any, **kw: Any) -> tuple[dict, dict]:
    r = app(session, **kw)
    assert r["return"] == 0, r.get("error")
    env = r["new_env"]
    result = json.loads(Path(env["CM_MLPERF_RESULT_JSON"]).read_text())
    return env, result


@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
def test_digits_accuracy_from_the_loadgen_log(mlperf_session: Any, scenario: str) -> None:
    env, res = ok_app(mlperf_session, model="digits", scenario=scenario, mode="accuracy", batch_size=16)
    assert res["mode"] == "accuracy" and res["scenario"] == scenario and res["model"] == "digits"
    # recompute from the recorded LoadGen accuracy log and the dataset labels
    rpath = Path(env["CM_MLPERF_RESULT_PATH"])
    labels = [int(x) for x in Path(json.loads((rpath / "inputs.json").read_text())["dataset_file"])
              .with_name("labels.txt").read_text().split()]
    acc = accuracy.top1(rpath / "logs" / "mlperf_log_accuracy.json", labels)
    assert acc["total"] == len(labels) == 540 and acc["missing"] == 0
    assert acc["accuracy"] >= 0.97
    assert res["accuracy"] == pytest.approx(acc["accuracy"])
    assert float(env["CM_MLPERF_ACCURACY"]) == pytest.approx(acc["accuracy"])
    assert (rpath / "logs" / "mlperf_log_summary.txt").is_file() and (rpath / "user.conf").is_file()


def test_digits_singlestream_performance(mlperf_session: Any) -> None:
    env, res = ok_app(mlperf_session, model="digits", scenario="SingleStream", mode="performance",
                      test_query_count=300, threads=1)
    assert res["validity"] == "VALID", res
    assert res["query_count"] >= 300
    assert 0 < res["latency_p50_ms"] <= res["latency_p90_ms"] <= res["latency_p99_ms"]
    assert res["samples_per_second"] > 0 and res["threads"] == 1 and res["batch"] == 1
    assert res["backend"] == "onnxruntime" and res["device_kind"] == "cpu"
    assert res["engine_version"] and res["loadgen_version"] and res["cmcore_version"]
    assert env["CM_MLPERF_VALIDITY"] == "VALID" and float(env["CM_MLPERF_LATENCY_P90_MS"]) > 0
    conf = Path(env["CM_MLPERF_RESULT_PATH"], "user.conf").read_text()
    assert "digits.SingleStream.min_query_count = 300" in conf


def test_digits_offline_performance_batched(mlperf_session: Any) -> None:
    _, res = ok_app(mlperf_session, model="digits", scenario="Offline", mode="performance",
                    test_query_count=500, batch_size=32)
    assert res["validity"] == "VALID", res
    assert res["samples_per_second"] > 0 and res["batch"] == 32
    # batching is real: far fewer backend calls than samples
    assert res["inference_calls"] < res["query_count"] or res["inference_calls"] <= 1000 // 32 + 2
    # the time inside backend.predict is measured and is part of the LoadGen test's time
    assert 0 < res["predict_seconds"] <= res["test_seconds"]


def test_too_short_run_says_how_to_fix_it(mlperf_session: Any) -> None:
    _, res = ok_app(mlperf_session, model="digits", scenario="SingleStream", mode="performance",
                    min_duration_ms=60000, max_query_count=50)
    assert res["validity"] == "INVALID"
    assert "Min duration satisfied: NO" in res["invalid_reason"]
    assert "--max_query_count" in res["fix"] and "\n" not in res["fix"]


def _ensure_result(session: Any, tags: str, **kw: Any) -> None:
    """Make the result a test below reads unless an earlier test of this worker already did
    (under ``-n 2`` the tests that make them may run on the other worker, or later)."""
    if not session.access({"action": "show", "automation": "results", "tags": tags}).get("results"):
        ok_app(session, model="digits", **kw)


def test_results_are_found_by_tags_and_compared(mlperf_session: Any) -> None:
    _ensure_result(mlperf_session, "mlperf,digits,accuracy,offline", scenario="Offline", mode="accuracy")
    _ensure_result(mlperf_session, "mlperf,digits,accuracy,singlestream", scenario="SingleStream", mode="accuracy")
    _ensure_result(mlperf_session, "mlperf,digits,performance,offline", scenario="Offline", mode="performance",
                   test_query_count=200, batch_size=8)
    _ensure_result(mlperf_session, "mlperf,digits,performance,singlestream", scenario="SingleStream",
                   mode="performance", test_query_count=200)
    r = mlperf_session.access({"action": "show", "automation": "results", "tags": "mlperf,digits,accuracy"})
    assert r["return"] == 0 and len(r["results"]) >= 2
    assert all(row["mode"] == "accuracy" for row in r["results"])
    def one(tags: str) -> str:
        rows = mlperf_session.access({"action": "show", "automation": "results", "tags": tags})["results"]
        return rows[0]["uid"]

    a, b = one("mlperf,digits,performance,offline"), one("mlperf,digits,performance,singlestream")
    c = mlperf_session.access({"action": "compare", "automation": "results", "artifact": a, "artifacts": [b]})
    assert c["return"] == 0
    stack = {d["key"] for d in c["diff"]["stack"]}
    assert {"scenario", "batch"} <= stack
    metrics = {d["key"]: d for d in c["diff"]["metrics"]}
    assert metrics["samples_per_second"]["ratio"] > 0


@pytest.mark.parametrize("kw,needle", [
    ({"scenario": "Batch"}, "unknown scenario 'Batch'"),
    ({"mode": "fast"}, "unknown mode 'fast'"),
    ({"model": "gpt"}, "unknown model 'gpt'"),
    ({"batch_size": "many"}, "--batch_size must be a number"),
    ({"test_query_count": "-3"}, "non-negative integer"),
])
def test_bad_inputs_are_one_clear_line(mlperf_session: Any, kw: dict, needle: str) -> None:
    before = mlperf_session.access({"action": "show", "automation": "results"})["results"]
    r = app(mlperf_session, **kw)
    assert r["return"] != 0 and needle in r["error"] and "\n" not in r["error"]
    after = mlperf_session.access({"action": "show", "automation": "results"})["results"]
    assert len(after) == len(before)  # nothing recorded for a refused run


def _script(session: Any, tags: str, **kw: Any) -> dict:
    return session.access({"action": "run", "automation": "script", "tags": tags, "quiet": True, **kw})


def test_submission_generate_and_check(mlperf_session: Any, tmp_path: Path, capsys: Any) -> None:
    # pre-flight before the runs: a test plan is refused for a submission, one line per problem
    pre = _script(mlperf_session, "run,mlperf,inference,submission,checker", preflight=True, model="digits",
                  scenarios="Offline", test_query_count=200)
    assert pre["return"] == 1 and "\n" not in pre["error"]
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("problem:")]
    assert any("needs the SingleStream scenario" in ln for ln in lines)
    assert any("min_duration 0 ms is below the 600000 ms" in ln for ln in lines)
    assert any("200 samples is below the 24576" in ln for ln in lines)
    good = _script(mlperf_session, "run,mlperf,inference,submission,checker", preflight=True, model="digits",
                   scenarios="Offline,SingleStream", test_query_count=200, short_runs_ok=True)
    assert good["return"] == 0, good.get("error")
    assert int(good["new_env"]["CM_MLPERF_CHECKER_WARNINGS"]) >= 2

    for scenario in ("Offline", "SingleStream"):
        for mode in ("performance", "accuracy"):
            ok_app(mlperf_session, model="digits", scenario=scenario, mode=mode, test_query_count=300,
                   result_tags="subm-test")
    gen = _script(mlperf_session, "generate,mlperf,inference,submission", submission_dir=str(tmp_path / "sub"),
                  submitter="cm-tests", system_name="testbox", result_tags="subm-test")
    assert gen["return"] == 0, gen.get("error")
    root = Path(gen["new_env"]["CM_MLPERF_SUBMISSION_ROOT"])
    assert root == tmp_path / "sub" / "closed" / "cm-tests"
    system = json.loads((root / "systems" / "testbox.json").read_text())
    assert system["system_name"] == "testbox" and system["division"] == "closed"
    assert system["host_processor_model_name"] and system["framework"] == "onnxruntime"
    for scenario in ("Offline", "SingleStream"):
        base = root / "results" / "testbox" / "digits" / scenario
        assert (base / "performance" / "run_1" / "mlperf_log_summary.txt").is_file()
        assert (base / "accuracy" / "mlperf_log_accuracy.json").is_file()
        assert (root / "measurements" / "testbox" / "digits" / scenario / "user.conf").is_file()

    # post mode: valid logs and accuracy; short durations are problems unless test runs are allowed
    strict = _script(mlperf_session, "run,mlperf,inference,submission,checker", submission_dir=str(root))
    assert strict["return"] == 1 and "min_duration 0 ms is below" in strict["error"]
    relaxed = _script(mlperf_session, "run,mlperf,inference,submission,checker", submission_dir=str(root),
                      short_runs_ok="yes")
    assert relaxed["return"] == 0, relaxed.get("error")

    # a broken tree: every problem is one line naming the file
    (root / "results" / "testbox" / "digits" / "SingleStream" / "accuracy" / "accuracy.txt").write_text(
        "accuracy=50.000% good=270 total=540\n")
    (root / "results" / "testbox" / "digits" / "Offline" / "performance" / "run_1" / "mlperf_log_detail.txt").unlink()
    capsys.readouterr()
    bad = _script(mlperf_session, "run,mlperf,inference,submission,checker", submission_dir=str(root),
                  short_runs_ok="yes")
    out = capsys.readouterr().out
    assert bad["return"] == 1
    assert "SingleStream/accuracy: accuracy 50.000% is below the target 97.000%" in out
    assert "Offline/performance: missing mlperf_log_detail.txt" in out


def test_submission_without_results_or_with_bad_names(mlperf_session: Any, tmp_path: Path) -> None:
    r = _script(mlperf_session, "generate,mlperf,inference,submission", submission_dir=str(tmp_path),
                result_tags="no-such-tag-xyz")
    assert r["return"] != 0 and "\n" not in r["error"]
    r = _script(mlperf_session, "generate,mlperf,inference,submission", submission_dir=str(tmp_path),
                submitter="../evil")
    assert r["return"] == 1 and "bad submitter" in r["error"]
    assert not any(tmp_path.iterdir())
