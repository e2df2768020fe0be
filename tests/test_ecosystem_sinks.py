"""Result sinks: the ``cm_result_sinks`` hook, selection by env / run inputs, failures are one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cmcore import hookimpl
from cmcore.ecosystem.sinks import notify_sinks, split_names, wanted_sinks
from cmcore.results import load_result, record_result
from cmcore.types import SinkSpec


class FileSink:
    """A real sink: appends each result as one JSON line to a file (like a tracker would store it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, art: Any, result: dict) -> str:
        with self.path.open("a") as fh:
            fh.write(json.dumps({"uid": art.uid, **result}) + "\n")
        return f"{self.path}:{art.uid}"


class BrokenSink:
    def record(self, art: Any, result: dict) -> str:
        raise RuntimeError("tracking server said no\nsecond line must not show")


class SinkPlugin:
    def __init__(self, path: Path) -> None:
        self.path = path

    @hookimpl
    def cm_result_sinks(self) -> list[SinkSpec]:
        return [SinkSpec("JsonLines", lambda session: FileSink(self.path), "one JSON line per result"),
                SinkSpec("broken", lambda session: BrokenSink(), "always fails")]


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _record(session: Any, **extra: Any) -> Any:
    return record_result(session, {"model": "digits", "scenario": "Offline", "samples_per_second": 100.0},
                         tags=["mlperf"], **extra)


def test_split_names() -> None:
    assert split_names(" MLflow, x,,mlflow ") == ["mlflow", "x"]
    assert split_names(["a", " B "]) == ["a", "b"]
    assert split_names(None) == []


def test_no_sink_configured_records_only(cm_session: Any, cm_register: Any, tmp_path: Path) -> None:
    out = tmp_path / "sink.jsonl"
    cm_register(SinkPlugin(out))
    cm_session.env.pop("CM_RESULT_SINKS", None)
    art = _record(cm_session)
    assert load_result(art)["samples_per_second"] == 100.0
    assert not out.exists()


def test_env_selects_the_sink_and_every_result_reaches_it(cm_session: Any, cm_register: Any,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "sink.jsonl"
    cm_register(SinkPlugin(out))
    cm_session.env["CM_RESULT_SINKS"] = "jsonlines"
    a = _record(cm_session)
    b = _record(cm_session)
    got = _lines(out)
    assert [g["uid"] for g in got] == [a.uid, b.uid]
    assert got[0]["model"] == "digits" and got[0]["samples_per_second"] == 100.0


def test_run_inputs_select_the_sink(cm_session: Any, cm_register: Any, tmp_path: Path) -> None:
    """``--sink=mlflow`` on the harness lands in inputs as CM_MLPERF_RESULT_SINKS."""
    out = tmp_path / "sink.jsonl"
    cm_register(SinkPlugin(out))
    cm_session.env.pop("CM_RESULT_SINKS", None)
    art = _record(cm_session, inputs={"CM_MLPERF_RESULT_SINKS": "JsonLines", "CM_MLPERF_MODEL": "digits"})
    assert wanted_sinks(cm_session, art) == ["jsonlines"]
    assert [g["uid"] for g in _lines(out)] == [art.uid]


def test_failing_and_unknown_sinks_are_one_line_each_and_the_result_stays(
        cm_session: Any, cm_register: Any, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "sink.jsonl"
    cm_register(SinkPlugin(out))
    cm_session.env["CM_RESULT_SINKS"] = "broken,jsonlnes,jsonlines"
    art = _record(cm_session)
    err = capsys.readouterr().err
    warnings = [ln for ln in err.splitlines() if ln.startswith("cm warning:")]
    assert len(warnings) == 2, err
    assert "result sink 'broken' failed (RuntimeError: tracking server said no)" in err
    assert "second line" not in err and str(art.path) in err
    assert "unknown result sink 'jsonlnes'" in err and 'did you mean "jsonlines"' in err
    assert (art.path / "result.json").is_file()
    assert [g["uid"] for g in _lines(out)] == [art.uid]  # the good sink still got it
    outcomes = notify_sinks(cm_session, art, sinks=["jsonlines"])
    assert [(o.sink, o.ok) for o in outcomes] == [("broken", False), ("jsonlnes", False), ("jsonlines", True)]


def test_no_sink_plugin_installed_says_how_to_get_one(cm_session: Any, capsys: pytest.CaptureFixture) -> None:
    cm_session.env["CM_RESULT_SINKS"] = "nosuchsink"
    art = _record(cm_session)
    err = capsys.readouterr().err
    assert "unknown result sink 'nosuchsink'" in err and art.path.is_dir()


def test_duplicate_sink_names_are_reported_not_fatal(cm_session: Any, cm_register: Any, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    cm_register(SinkPlugin(tmp_path / "a.jsonl"), name="first")
    cm_register(SinkPlugin(tmp_path / "b.jsonl"), name="second")
    cm_session.env["CM_RESULT_SINKS"] = "jsonlines"
    art = _record(cm_session)
    err = capsys.readouterr().err
    assert "registered by both" in err and art.path.is_dir()
