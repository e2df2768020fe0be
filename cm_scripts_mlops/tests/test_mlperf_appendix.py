"""An Artifact Appendix generated from a real recorded digits run carries that run's figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmcore.session import Session


@pytest.mark.slow
def test_appendix_from_a_real_digits_run(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("CM_HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    s = Session(home=home)
    r = s.access({"action": "run", "automation": "script", "tags": "app,mlperf,inference,_onnxruntime,_cpu",
                  "model": "digits", "scenario": "Offline", "mode": "performance", "test_query_count": "300",
                  "quiet": True})
    assert r["return"] == 0, r.get("error")
    env = r["new_env"]
    result = json.loads(Path(env["CM_MLPERF_RESULT_JSON"]).read_text())
    uid = env["CM_MLPERF_RESULT_UID"]
    doc = s.access({"action": "doc", "automation": "result", "artifact": uid})
    assert doc["return"] == 0, doc.get("error")
    text = Path(doc["path"]).read_text()
    for part in ("## Abstract", "## Artifact check-list", "## Experiment workflow",
                 "## Evaluation and expected results", "**Model:** digits"):
        assert part in text, part
    # the measured throughput of this run, not a made-up figure
    sps = result["samples_per_second"]
    assert any(line.startswith("| samples_per_second |") and str(round(sps, 1))[:4] in line.replace(",", "")
               for line in text.splitlines()), (sps, text)
    cmd = next(line for line in text.splitlines() if line.startswith("cmr "))
    assert "--model=digits" in cmd and "--scenario=Offline" in cmd
