"""Docs from metas (cm doc script NAME, cm doc script --repo=) and the Artifact Appendix of a result."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmcore.docgen.script import render

LEAF = {"tags": ["doc", "leaf"], "cache": True, "new_env_keys": ["LEAF_PATH"],
        "variations": {"x": {"group": "g", "default": True}}}
TOP = {
    "tags": ["doc", "top"], "name": "A documented script", "category": "Demo",
    "input_mapping": {"size": "DOC_SIZE"}, "input_description": {"size": {"desc": "how big"}},
    "default_env": {"DOC_SIZE": "3"}, "new_env_keys": ["DOC_*"],
    "variations": {"small": {"group": "size", "default": True, "env": {"DOC_SIZE": "1"}},
                   "large": {"group": "size", "env": {"DOC_SIZE": "9"}}},
    "deps": [{"tags": "doc,leaf,_x", "names": ["leaf"]}, {"tags": "no,such"}],
}


@pytest.fixture
def doc_repo(cm_repo, cm_session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return cm_repo("doc-repo", {"doc-leaf": {"meta": LEAF}, "doc-top": {"meta": TOP}})


def test_script_readme_has_every_section(doc_repo, cm_session, tmp_path):
    out = tmp_path / "README-top.md"
    r = cm_session.access({"action": "doc", "automation": "script", "artifact": "doc-top", "output": str(out)})
    assert r["return"] == 0, r.get("error")
    text = out.read_text()
    for part in ("# doc-top", "A documented script", "- tags: `doc,top`", "**group `size`**", "`_small` (default",
                 "`--size` → `env.DOC_SIZE`: how big", "`DOC_SIZE=3`", "- deps: `doc,leaf,_x` (names `leaf`)",
                 "## Dependency tree", "- `doc,leaf,_x` → doc-leaf", "- `no,such`", "- env `DOC_*`",
                 "## Example commands", 'cmr "doc top" --size=VALUE', "cm replay script cm-lock.json --strict",
                 'cm docker script "doc top" --dockerfile_only'):
        assert part in text, part


def test_default_output_is_the_script_folder(doc_repo, cm_session):
    r = cm_session.access({"action": "doc", "automation": "script", "tags": "doc,leaf"})
    assert r["return"] == 0
    assert r["paths"] == [str(doc_repo / "script" / "doc-leaf" / "README.md")]


def test_repo_catalogue(doc_repo, cm_session, tmp_path):
    r = cm_session.access({"action": "doc", "automation": "script", "repo": "doc-repo"})
    assert r["return"] == 0
    text = (tmp_path / "doc-repo-scripts.md").read_text()
    assert "# Scripts of doc-repo" in text and "## Demo" in text and "## Uncategorised" in text
    assert "| doc-top | `doc,top` | 2 | no | A documented script |" in text


@pytest.mark.parametrize("inp,code,msg", [
    ({}, 1, "doc needs a script"),
    ({"artifact": "nope"}, 16, "no script matches"),
    ({"repo": "doc-rep"}, 16, "did you mean"),
    ({"tags": "doc", "output": "x.md"}, 1, "--output takes one"),
])
def test_doc_errors(doc_repo, cm_session, inp, code, msg):
    r = cm_session.access({"action": "doc", "automation": "script", **inp})
    assert r["return"] == code and msg in r["error"]


def test_render_is_pure_and_shared_with_the_collection():
    from cm_scripts_mlops import docgen

    meta = dict(TOP, alias="x", uid="0123456789abcdef")
    assert docgen.render(meta) == render(meta, header=docgen.HEADER)
    assert "## Dependency tree" not in render(meta)


def _record_digits(session) -> object:
    """A result with the shape the digits harness records (cmcore.results.record_result)."""
    from cmcore.results import record_result

    res = {"model": "digits", "scenario": "Offline", "mode": "performance", "backend": "onnxruntime",
           "device": "cpu:0", "device_kind": "cpu", "precision": "fp32", "threads": 2, "batch": 8,
           "samples_per_second": 1234.5, "latency_p50_ms": 0.81, "latency_p90_ms": 1.02, "latency_p99_ms": 1.7,
           "validity": "VALID", "dataset": "sklearn digits (test split)", "dataset_size": 360,
           "engine_version": "1.20.1", "loadgen_version": "5.0.0", "test_seconds": 2.4}
    inputs = {"CM_MLPERF_MODEL": "digits", "CM_MLPERF_SCENARIO": "Offline", "CM_MLPERF_MODE": "performance",
              "CM_MLPERF_TEST_QUERY_COUNT": "300", "CM_MLPERF_BACKEND": "onnxruntime", "CM_MLPERF_DEVICE": "cpu",
              "CM_MLPERF_THREADS": "2", "CM_MLPERF_BATCH_SIZE": "8", "model_file": "/abs/path/model.onnx"}
    return record_result(session, res, tags=["mlperf", "mlperf-inference", "digits", "offline", "performance"],
                         inputs=inputs, devices=[{"kind": "cpu", "name": "cpu:0", "model": "Test CPU 9000"}],
                         versions={"cmcore": "0.1.0", "loadgen": "5.0.0", "engine": "1.20.1"})


def test_artifact_appendix_from_a_recorded_digits_result(cm_session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    art = _record_digits(cm_session)
    r = cm_session.access({"action": "doc", "automation": "result", "artifact": art.uid})
    assert r["return"] == 0, r.get("error")
    text = Path(r["path"]).read_text()
    assert Path(r["path"]).name == f"artifact-appendix-{art.uid}.md"
    for part in ("## Abstract", "## Artifact check-list", "**Program:** app-mlperf-inference", "**Model:** digits (fp32)",
                 "**Data set:** sklearn digits (test split), 360 samples", "**Run-time environment:** onnxruntime 1.20.1",
                 "**Hardware:** cpu:0 (Test CPU 9000)", "**Metrics:**", "**Output:**", "about 2 s",
                 "### How to obtain", "### Installation", "## Experiment workflow",
                 "## Evaluation and expected results", "## Notes",
                 "| samples_per_second | 1234.5 |", "| latency_p99_ms | 1.7 |", "| validity | VALID |"):
        assert part in text, part
    cmd = next(line for line in text.splitlines() if line.startswith("cmr "))
    assert cmd.startswith('cmr "app mlperf inference _onnxruntime _cpu"')
    for flag in ("--model=digits", "--scenario=Offline", "--mode=performance", "--test_query_count=300",
                 "--threads=2", "--batch_size=8"):
        assert flag in cmd
    assert "/abs/path" not in cmd


def test_appendix_errors(cm_session):
    r = cm_session.access({"action": "doc", "automation": "result"})
    assert r["return"] == 1 and "cm doc result UID" in r["error"]
    r = cm_session.access({"action": "doc", "automation": "result", "artifact": "0123456789abcdef"})
    assert r["return"] == 16


def test_doc_never_writes_into_an_installed_collection(cm_session, tmp_path, monkeypatch):
    import hashlib

    monkeypatch.chdir(tmp_path)
    [art] = cm_session.db.search("script", "get-python3")
    assert str(art.repo.origin).startswith("package:")
    before = hashlib.sha256((Path(art.path) / "README.md").read_bytes()).hexdigest()
    r = cm_session.access({"action": "doc", "automation": "script", "artifact": "get-python3"})
    assert r["return"] == 0, r.get("error")
    assert r["paths"] == [str(tmp_path / "README-get-python3.md")]
    assert hashlib.sha256((Path(art.path) / "README.md").read_bytes()).hexdigest() == before
