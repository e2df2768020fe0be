"""The cache through real `cm run script` processes (the engine, cmcore/script, on top of it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cmcore.cache.entry import META_FILE
from cmcore.cache.store import CacheStore
from cmcore.session import Session

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX shell scripts and signals")


@pytest.fixture
def tool(cm_repo, tmp_path: Path) -> dict:
    runs = tmp_path / "runs.txt"
    started = tmp_path / "started"
    run_sh = (
        f'echo $$ > "{started}"\n'
        'sleep "${CT_SLEEP:-1}"\n'
        f'echo $$ >> "{runs}"\n'
        'echo "CT_BIN=$PWD/bin" > tmp-run-env.out\n'
    )
    root = cm_repo("cache-e2e", scripts={"cached-tool": {
        "meta": {"tags": ["get", "cached-tool"], "cache": True, "new_env_keys": ["CT_*"]},
        "files": {"run.sh": run_sh},
    }})
    return {"runs": runs, "started": started, "script": root / "script" / "cached-tool"}


def cm(home: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    e = dict(os.environ, CM_HOME=str(home), **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "cmcore.cli", *args], env=e, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_ok(home: Path, *args: str) -> dict:
    p = cm(home, "run", "script", "get cached-tool", "-j", *args, env={"CT_SLEEP": "0"})
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    return json.loads(out)


def n_runs(tool: dict) -> int:
    return len(tool["runs"].read_text().split()) if tool["runs"].exists() else 0


def test_four_simultaneous_cm_runs_execute_once(cm_home: Path, tool: dict) -> None:
    procs = [cm(cm_home, "run", "script", "get cached-tool", "-j") for _ in range(4)]
    done = [p.communicate(timeout=120) for p in procs]
    errs = "\n---\n".join(err for _, err in done)
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errs
    results = [json.loads(out) for out, _ in done]
    assert n_runs(tool) == 1, errs
    assert sorted(r["cached"] for r in results) == [False, True, True, True]
    paths = {r["cache_path"] for r in results}
    assert len(paths) == 1
    assert {r["new_env"]["CT_BIN"] for r in results} == {f"{paths.pop()}/bin"}
    assert len(CacheStore(Session(home=cm_home)).entries()) == 1


def test_content_change_and_new_make_new_entries(cm_home: Path, tool: dict) -> None:
    first = run_ok(cm_home)
    assert run_ok(cm_home)["cache_path"] == first["cache_path"] and n_runs(tool) == 1
    # --new runs again into another entry; later lookups return the newest
    newer = run_ok(cm_home, "--new")
    assert newer["cached"] is False and newer["cache_path"] != first["cache_path"] and n_runs(tool) == 2
    assert run_ok(cm_home)["cache_path"] == newer["cache_path"]
    # editing the script's run.sh changes the key: the old entries are not reused
    with open(tool["script"] / "run.sh", "a") as f:
        f.write("# changed\n")
    changed = run_ok(cm_home)
    assert changed["cached"] is False and n_runs(tool) == 3
    assert changed["cache_path"] not in (first["cache_path"], newer["cache_path"])


def test_kill_9_mid_run_then_rerun(cm_home: Path, tool: dict) -> None:
    p = cm(cm_home, "run", "script", "get cached-tool", env={"CT_SLEEP": "60"})
    deadline = time.monotonic() + 60
    # run.sh writes its pid first; the file may exist a moment before the pid is in it
    while not (tool["started"].exists() and tool["started"].read_text().strip().isdigit()):
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()[1]
        time.sleep(0.02)
    shell_pid = int(tool["started"].read_text())
    p.send_signal(signal.SIGKILL)
    p.wait()
    try:
        os.kill(shell_pid, signal.SIGKILL)  # the orphaned run.sh would otherwise sleep on
    except ProcessLookupError:
        pass
    store = CacheStore(Session(home=cm_home))
    assert store.entries() == [] and len(store.unfinished()) == 1
    r = run_ok(cm_home)
    assert r["cached"] is False and n_runs(tool) == 1
    assert Path(r["cache_path"]) == store.entries()[0].path
    assert run_ok(cm_home)["cached"] is True


def test_truncated_meta_reruns_with_one_warning_and_rm_removes_it(cm_home: Path, tool: dict) -> None:
    first = run_ok(cm_home)
    meta = Path(first["cache_path"]) / META_FILE
    meta.write_text(meta.read_text()[:30])
    p = cm(cm_home, "run", "script", "get cached-tool", "-j", env={"CT_SLEEP": "0"})
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert err.count("corrupt cache entry") == 1 and first["cache_path"] in err
    assert json.loads(out)["cached"] is False and n_runs(tool) == 2
    assert run_ok(cm_home)["cached"] is True
    # corrupt it again: rm by tags still removes it (tags recorded at reservation)
    meta.write_text(meta.read_text()[:30])
    p = cm(cm_home, "rm", "cache", "--tags=cached-tool", "-f")
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert CacheStore(Session(home=cm_home)).entries() == []


def test_renew_reruns_in_the_same_entry(cm_home: Path, tool: dict) -> None:
    first = run_ok(cm_home)
    again = run_ok(cm_home, "--renew")
    assert again["cached"] is False and again["cache_path"] == first["cache_path"] and n_runs(tool) == 2
    assert run_ok(cm_home)["cached"] is True and len(CacheStore(Session(home=cm_home)).entries()) == 1
