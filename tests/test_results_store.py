"""The results store: record, show (table/json/csv), compare, find, rm; bad input loses nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cmcore.errors import CMError
from cmcore.results import load_result, record_result


def _rec(s: Any, sps: float, backend: str, **kw: Any) -> Any:
    return record_result(s, {"model": "m", "scenario": "Offline", "mode": "performance", "backend": backend,
                             "samples_per_second": sps, "engine_version": kw.pop("v", "1.0"),
                             "options": {"threads": 2}}, tags=["bench", backend], **kw)


def test_record_writes_a_flat_result_and_files(cm_session: Any, tmp_path: Path) -> None:
    log = tmp_path / "summary.txt"
    log.write_text("Result is : VALID\n")
    art = _rec(cm_session, 100.0, "onnxruntime", inputs={"x": 1}, devices=[{"kind": "cpu"}],
               files={"logs/summary.txt": log})
    flat = json.loads((art.path / "result.json").read_text())
    assert flat["options.threads"] == 2 and flat["samples_per_second"] == 100.0 and flat["recorded_at"]
    assert (art.path / "logs" / "summary.txt").read_text() == "Result is : VALID\n"
    assert json.loads((art.path / "inputs.json").read_text()) == {"x": 1}
    assert load_result(art) == flat and "result" in art.tags


def test_bad_file_name_is_refused_and_nothing_is_kept(cm_session: Any, tmp_path: Path) -> None:
    with pytest.raises(CMError) as e:
        record_result(cm_session, {"a": 1}, files={"../escape.txt": tmp_path / "x"})
    assert "relative" in e.value.message
    assert cm_session.access({"action": "show", "automation": "results"})["results"] == []


def test_show_table_csv_json_and_compare(cm_session: Any, capsys: Any) -> None:
    a = _rec(cm_session, 100.0, "onnxruntime")
    b = _rec(cm_session, 150.0, "tensorrt", v="10.0")
    r = cm_session.access({"action": "show", "automation": "results", "tags": "bench", "out": "con"})
    out = capsys.readouterr().out
    assert r["return"] == 0 and len(r["results"]) == 2
    assert out.splitlines()[0].split()[:2] == ["uid", "model"] and "tensorrt" in out
    cm_session.access({"action": "show", "automation": "results", "tags": "bench", "csv": True, "out": "con"})
    csv_lines = capsys.readouterr().out.splitlines()
    assert csv_lines[0].startswith("uid,model") and len(csv_lines) == 3
    c = cm_session.access({"action": "compare", "automation": "results", "artifact": a.uid, "artifacts": [b.uid],
                           "out": "con"})
    text = capsys.readouterr().out
    assert c["diff"]["stack"] == [{"key": "backend", "a": "onnxruntime", "b": "tensorrt"}]
    assert c["diff"]["versions"][0]["key"] == "engine_version"
    assert c["diff"]["metrics"][0]["ratio"] == pytest.approx(1.5)
    assert "samples_per_second: 100 -> 150  (x1.5)" in text


def test_compare_and_show_errors_are_one_line(cm_session: Any) -> None:
    _rec(cm_session, 1.0, "onnxruntime")
    r = cm_session.access({"action": "compare", "automation": "results", "artifact": "nope", "artifacts": ["x"]})
    assert r["return"] == 16 and "\n" not in r["error"]
    r = cm_session.access({"action": "compare", "automation": "results", "artifact": "a"})
    assert r["return"] == 1 and "exactly two" in r["error"]
    r = cm_session.access({"action": "show", "automation": "results", "tags": "no-such-tag"})
    assert r["return"] == 16


def test_rm_results_by_tags(cm_session: Any) -> None:
    _rec(cm_session, 1.0, "onnxruntime")
    _rec(cm_session, 2.0, "tensorrt")
    r = cm_session.access({"action": "rm", "automation": "results", "tags": "tensorrt", "force": True})
    assert r["return"] == 0 and len(r["deleted_list"]) == 1
    left = cm_session.access({"action": "show", "automation": "results"})["results"]
    assert [x["backend"] for x in left] == ["onnxruntime"]


def test_recorded_inputs_and_results_carry_no_secret(cm_session):
    from cmcore.results import record_result

    art = record_result(cm_session, {"samples_per_second": 10.0, "note": "url https://u:hunter2-pass@x/y"},
                        tags=["sec"], inputs={"model": "digits", "hf_token": "hf_SECRETvalue123",
                                              "env": {"MY_API_TOKEN": "tok-98765"}})
    text = (art.path / "inputs.json").read_text() + (art.path / "result.json").read_text()
    for secret in ("hf_SECRETvalue123", "tok-98765", "hunter2-pass"):
        assert secret not in text
    assert "digits" in text
