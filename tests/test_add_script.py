"""cm add script NAME --tags=... [--template=python|shell] makes a script that cmr runs."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("template", ["python", "shell", None])
def test_new_script_runs(cm_session, tmp_path, monkeypatch, template):
    monkeypatch.chdir(tmp_path)
    inp = {"action": "add", "automation": "script", "artifact": "my-new-tool", "tags": "my,new,tool"}
    if template:
        inp["template"] = template
    r = cm_session.access(inp)
    assert r["return"] == 0, r.get("error")
    files = set(r["files"])
    assert {"_cm.yaml", "run.sh", "run.bat"} <= files
    assert ("customize.py" in files) == (template != "shell")
    run = cm_session.access({"action": "run", "automation": "script", "tags": "my,new,tool", "quiet": True,
                             **({"message": "hi there"} if template != "shell" else {})})
    assert run["return"] == 0, run.get("error")
    want = "hi there" if template != "shell" else "hello from my-new-tool"
    assert run["new_env"]["CM_MY_NEW_TOOL_OUTPUT"] == want
    if template != "shell":
        assert run["new_env"]["CM_MY_NEW_TOOL_CWD"] == str(tmp_path)
    lint = cm_session.access({"action": "lint", "automation": "script", "artifact": "my-new-tool"})
    assert lint["return"] == 0 and lint["findings"] == []


def test_cli_add_then_cmr(cm_cli, tmp_path):
    r = cm_cli("add", "script", "cli-tool", "--tags=cli,tool", "--template=python")
    assert r.exit_code == 0, r.stderr
    r = cm_cli("run", "script", "cli tool", "--message=from-cli", "-j", "--quiet", cwd=tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "from-cli" in r.stdout + r.stderr


def test_add_errors(cm_session):
    r = cm_session.access({"action": "add", "automation": "script", "artifact": "x", "template": "pyhton"})
    assert r["return"] == 1 and 'did you mean' in r["error"] and "python" in r["error"]
    r = cm_session.access({"action": "add", "automation": "script", "template": "shell"})
    assert r["return"] == 1 and "add needs a name" in r["error"]
    assert cm_session.access({"action": "add", "automation": "script", "artifact": "dup"})["return"] == 0
    r = cm_session.access({"action": "add", "automation": "script", "artifact": "dup"})
    assert r["return"] == 8
