"""Lockfiles: ``--lock`` records the resolved graph; ``cm replay script`` checks drift and re-runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cmcore.errors import CMError

SCRIPTS = {
    "lock-leaf": {
        "meta": {"tags": ["lock", "leaf"], "cache": True, "new_env_keys": ["LEAF_*"],
                 "variations": {"fast": {"group": "speed", "default": True, "env": {"LEAF_SPEED": "fast"}},
                                "slow": {"group": "speed", "env": {"LEAF_SPEED": "slow"}}}},
        "files": {"run.sh": 'echo "LEAF_OUT=leaf-$LEAF_SPEED" > tmp-run-env.out\n'},
    },
    "lock-top": {
        "meta": {"tags": ["lock", "top"], "cache": False, "new_env_keys": ["TOP_*"],
                 "input_mapping": {"greeting": "TOP_GREETING"},
                 "deps": [{"tags": "lock,leaf,_slow", "names": ["leaf"]}]},
        "files": {"run.sh": 'echo "TOP_OUT=$TOP_GREETING-$LEAF_OUT" > tmp-run-env.out\n'},
    },
}


@pytest.fixture
def repo(cm_repo, cm_session, tmp_path, monkeypatch):
    root = cm_repo("lock-repo", SCRIPTS)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"],
                   check=True)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return root


def _run(session, **kw):
    r = session.access({"action": "run", "automation": "script", "quiet": True, **kw})
    assert r["return"] == 0, r.get("error")
    return r


def test_lock_records_the_resolved_graph(repo, cm_session, tmp_path):
    lock_path = tmp_path / "cm-lock.json"
    r = _run(cm_session, tags="lock,top", greeting="hi", env={"MY_API_TOKEN": "s3cr3t-value", "PLAIN": "x"},
             lock=str(lock_path))
    assert r["new_env"]["TOP_OUT"] == "hi-leaf-slow"
    assert r["lock_path"] == str(lock_path)
    text = lock_path.read_text()
    assert "s3cr3t-value" not in text  # secrets never written
    lock = json.loads(text)
    assert lock["format"] == "cm-lock/1"
    leaf, top = lock["scripts"]
    assert (leaf["alias"], top["alias"]) == ("lock-leaf", "lock-top")
    assert leaf["variations"] == ["slow"] and leaf["cache"]["enabled"] and len(leaf["cache"]["key"]) == 64
    assert leaf["content_hash"].startswith("sha256:") and leaf["repo"] == "lock-repo"
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert leaf["git_commit"] == head and lock["repos"]["lock-repo"]["git"]["commit"] == head
    assert top["deps"] == ["lock,leaf,_slow"] and top["inputs"] == {"input.greeting": "hi"}
    assert top["depth"] == 0 and leaf["depth"] == 1
    req = lock["command"]["input"]
    assert req["tags"] == "lock,top" and req["greeting"] == "hi"
    assert req["env"] == {"MY_API_TOKEN": "***", "PLAIN": "x"}
    assert lock["platform"]["python"]["version"] and lock["platform"]["cpu"]["machine"]
    assert any(d["kind"] == "cpu" for d in lock["platform"]["devices"]) or lock["platform"]["devices"] == []
    assert lock["software"]["cmcore"] and "cmcore.repro.plugin" in lock["software"]["plugins"]


def test_replay_without_drift(repo, cm_session, tmp_path):
    lock_path = tmp_path / "cm-lock.json"
    _run(cm_session, tags="lock,top", greeting="hello", lock=str(lock_path))
    r = cm_session.access({"action": "replay", "automation": "script", "artifact": str(lock_path), "strict": True})
    assert r["return"] == 0, r.get("error")
    assert r["drift"] == [] and r["drift_after"] == [] and r["scripts"] == 2
    assert r["new_env"]["TOP_OUT"] == "hello-leaf-slow"
    c = cm_session.access({"action": "replay", "automation": "script", "artifact": str(lock_path), "check": True})
    assert c["return"] == 0 and c["drift"] == [] and "new_env" not in c


def test_changed_script_is_drift_and_strict_refuses(repo, cm_session, tmp_path):
    lock_path = tmp_path / "cm-lock.json"
    _run(cm_session, tags="lock,top", greeting="hi", lock=str(lock_path))
    run_sh = repo / "script" / "lock-leaf" / "run.sh"
    run_sh.write_text('echo "LEAF_OUT=changed" > tmp-run-env.out\n')
    r = cm_session.access({"action": "replay", "automation": "script", "artifact": str(lock_path), "strict": True})
    assert r["return"] == 1
    assert "drift" in r["error"] and "--strict" in r["error"]
    assert any(line.startswith("script lock-leaf changed") for line in r["drift"])
    # without --strict it reports and replays the (changed) graph
    r = cm_session.access({"action": "replay", "automation": "script", "artifact": str(lock_path)})
    assert r["return"] == 0 and len(r["drift"]) == 1
    assert r["new_env"]["TOP_OUT"] == "hi-changed"


def test_missing_repo_and_plugin_version_are_drift(repo, cm_session, tmp_path):
    lock_path = tmp_path / "cm-lock.json"
    _run(cm_session, tags="lock,top", greeting="hi", lock=str(lock_path))
    lock = json.loads(lock_path.read_text())
    lock["repos"]["gone-repo"] = {"uid": "0123456789abcdef"}
    lock["scripts"].insert(0, dict(lock["scripts"][0], alias="gone-script", uid="fedcba9876543210"))
    lock["software"]["cmcore"] = "0.0.1"
    lock["software"]["plugins"]["cm-hw-imaginary"] = {"distribution": "cm-hw-imaginary", "version": "1.0",
                                                      "builtin": False}
    lock_path.write_text(json.dumps(lock))
    r = cm_session.access({"action": "replay", "automation": "script", "artifact": str(lock_path), "check": True})
    assert r["return"] == 0
    text = "\n".join(r["drift"])
    assert "repo gone-repo (0123456789abcdef) is missing" in text
    assert "script gone-script (repo lock-repo) is missing" in text
    assert "cmcore version 0.0.1 -> " in text
    assert "plugin cm-hw-imaginary (cm-hw-imaginary) is not installed" in text


def test_replay_reports_version_drift_after_the_run(repo, cm_session, tmp_path):
    lock_path = tmp_path / "cm-lock.json"
    _run(cm_session, tags="lock,top", greeting="hi", lock=str(lock_path))
    lock = json.loads(lock_path.read_text())
    lock["scripts"][0]["version"] = "9.9"
    lock_path.write_text(json.dumps(lock))
    r = cm_session.access({"action": "replay", "automation": "script", "artifact": str(lock_path)})
    assert r["return"] == 0 and r["drift_after"] == ["script lock-leaf _slow: version 9.9 -> -"]


def test_masked_secret_must_be_given_again(repo, cm_session, tmp_path):
    lock_path = tmp_path / "cm-lock.json"
    _run(cm_session, tags="lock,top", greeting="hi", env={"HF_TOKEN": "abcd1234"}, lock=str(lock_path))
    r = cm_session.access({"action": "replay", "automation": "script", "artifact": str(lock_path)})
    assert r["return"] == 1 and "env.HF_TOKEN" in r["error"]
    r = cm_session.access({"action": "replay", "automation": "script", "artifact": str(lock_path),
                           "env": {"HF_TOKEN": "abcd1234"}})
    assert r["return"] == 0, r.get("error")


@pytest.mark.parametrize("content,msg", [(None, "not found"), ("{", "not valid JSON"),
                                         ('{"format": "other"}', "not a CM lockfile"),
                                         ('{"format": "cm-lock/1", "scripts": []}', "records no script runs")])
def test_bad_lockfiles_are_one_line_errors(cm_session, tmp_path, content, msg):
    p = tmp_path / "lock.json"
    if content is not None:
        p.write_text(content)
    r = cm_session.access({"action": "replay", "automation": "script", "artifact": str(p)})
    assert r["return"] in (4, 16) and msg in r["error"] and "\n" not in r["error"]


def test_replay_needs_a_file(cm_session):
    r = cm_session.access({"action": "replay", "automation": "script"})
    assert r["return"] == 1 and "cm replay script cm-lock.json" in r["error"]


def test_lock_on_a_folder_is_refused(repo, cm_session, tmp_path):
    with pytest.raises(CMError):
        from cmcore.repro.lockfile import write_lock

        write_lock(tmp_path, {})


def test_cli_lock_and_replay(repo, cm_cli, tmp_path):
    work = tmp_path / "work"
    r = cm_cli("run", "script", "lock top", "--greeting=cli", "--lock=cm-lock.json", "--quiet", cwd=work)
    assert r.exit_code == 0, r.stderr
    lock = json.loads((work / "cm-lock.json").read_text())
    assert lock["command"]["argv"][:3] == ["run", "script", "lock top"]
    r = cm_cli("replay", "script", "cm-lock.json", "--strict", cwd=work)
    assert r.exit_code == 0, r.stderr
    Path(repo / "script" / "lock-top" / "run.sh").write_text("echo changed\n")
    r = cm_cli("replay", "script", "cm-lock.json", "--strict", cwd=work)
    assert r.exit_code == 1
    assert "drift: script lock-top changed" in r.stderr
