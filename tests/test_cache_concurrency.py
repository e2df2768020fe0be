"""The cache under real processes: simultaneous cold runs execute once; a kill -9 at any
phase leaves no visible half entry; prune leaves live runs alone."""

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
from cmcore.cache.keys import CacheKey
from cmcore.cache.store import CacheStore
from cmcore.session import Session

pytestmark = pytest.mark.skipif(os.name == "nt", reason="uses POSIX signals")

# One "cm run" of a cached script, reduced to the cache protocol: reserve, run the native
# script in the entry folder, publish. MODE picks where the test will kill it.
CHILD = r'''
import json, os, subprocess, sys, time
from pathlib import Path
from cmcore.session import Session
from cmcore.cache.store import CacheStore
from cmcore.cache.keys import CacheKey
import cmcore.cache.store as store_mod

home, work, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
store = CacheStore(Session(home=home))
key = CacheKey(script_uid="0123456789abcdef", script_content_hash="h", variations=["v"])

def park(path):
    tmp = work / f".ready-{os.getpid()}"
    tmp.write_text(str(path))
    os.replace(tmp, work / f"ready-{os.getpid()}")  # the test never sees it half-written
    time.sleep(600)

while not (work / "go").exists():  # start all children together
    time.sleep(0.01)
with store.reserve(key, ["conc", "test"], "conc,0123456789abcdef") as slot:
    if slot.hit is not None:
        print(json.dumps({"hit": True, "uid": slot.hit.uid}))
        sys.exit(0)
    if mode == "kill-during-run":
        park(slot.path)
    subprocess.run(["sh", "-c", f"sleep 1; echo $$ >> '{work}/runs.txt'; echo done > produced.txt"],
                   cwd=slot.path, check=True)
    if mode == "kill-before-meta":
        real = store_mod.write_json
        def write_json(path, data, sort_keys=True):
            if Path(path).name == "_cm.json":
                park(slot.path)
            real(path, data, sort_keys)
        store_mod.write_json = write_json
    e = slot.publish(["conc", "test"], "1.0", {"OUT": str(slot.path / "produced.txt")}, {}, [])
    if mode == "truncate-meta":  # what a kill in the middle of a non-atomic meta write leaves
        p = e.path / "_cm.json"
        p.write_text(p.read_text()[:50])
        park(slot.path)
    print(json.dumps({"hit": False, "uid": e.uid}))
'''

KEY = CacheKey(script_uid="0123456789abcdef", script_content_hash="h", variations=["v"])


def spawn(home: Path, work: Path, mode: str = "normal") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(home), str(work), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(pred, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    w = tmp_path / "work"
    w.mkdir()
    return w


def test_four_simultaneous_cold_runs_execute_once(cm_home: Path, work: Path) -> None:
    procs = [spawn(cm_home, work) for _ in range(4)]
    (work / "go").write_text("")
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    assert len((work / "runs.txt").read_text().split()) == 1, "run.sh must execute exactly once"
    assert sorted(o["hit"] for o in outs) == [False, True, True, True]
    assert len({o["uid"] for o in outs}) == 1
    store = CacheStore(Session(home=cm_home))
    (entry,) = store.entries()
    assert entry.uid == outs[0]["uid"] and (entry.path / "produced.txt").read_text() == "done\n"
    assert store.unfinished() == []


def _kill_at(mode: str, home: Path, work: Path) -> Path:
    p = spawn(home, work, mode)
    (work / "go").write_text("")
    ready = work / f"ready-{p.pid}"
    wait_for(lambda: ready.exists() or p.poll() is not None, f"child to reach {mode}")
    assert p.poll() is None, p.communicate()[1]
    p.send_signal(signal.SIGKILL)
    p.wait()
    return Path(ready.read_text())


@pytest.mark.parametrize("mode", ["kill-during-run", "kill-before-meta"])
def test_kill_leaves_no_visible_entry_and_next_run_succeeds(mode: str, cm_home: Path, work: Path) -> None:
    folder = _kill_at(mode, cm_home, work)
    store = CacheStore(Session(home=cm_home))
    assert folder.is_dir() and not (folder / META_FILE).exists()
    if mode == "kill-before-meta":
        assert (folder / "cm-cached-state.json").exists()  # state written, meta not yet
    assert store.lookup(KEY) is None and store.entries() == []
    assert store.unfinished() == [folder]
    # the OS freed the dead run's locks: the next run reserves at once and reuses the folder
    (work / "runs.txt").unlink(missing_ok=True)
    p = spawn(cm_home, work)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert json.loads(out)["hit"] is False
    hit = store.lookup(KEY)
    assert hit is not None and hit.path == folder and hit.new_env["OUT"] == str(folder / "produced.txt")


def test_truncated_meta_after_kill(cm_home: Path, work: Path, capsys: pytest.CaptureFixture) -> None:
    folder = _kill_at("truncate-meta", cm_home, work)
    session = Session(home=cm_home)
    store = CacheStore(session)
    other = CacheKey(script_uid="fedcba9876543210", script_content_hash="x")
    with store.reserve(other, ["other"], "other,fedcba9876543210") as slot:
        slot.publish(["other"], "", {}, {}, [])
    capsys.readouterr()
    assert store.lookup(KEY) is None
    assert store.lookup(other) is not None
    assert store.lookup(KEY) is None
    err = capsys.readouterr().err
    assert err.count("corrupt cache entry") == 1 and str(folder) in err
    (bad,) = [e for e in store.entries() if e.corrupt]
    assert bad.path == folder and bad.tags == ["conc", "test"]
    # the next run of that script succeeds (in the same folder) ...
    p = spawn(cm_home, work)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert store.lookup(KEY) is not None
    # ... and a corrupt entry can always be removed
    text = (folder / META_FILE).read_text()
    (folder / META_FILE).write_text(text[:10])
    r = session.access({"action": "rm", "automation": "cache", "tags": "conc", "f": True})
    assert r["return"] == 0 and [d["path"] for d in r["deleted_list"]] == [str(folder)]
    assert not folder.exists() and store.lookup(other) is not None


def test_prune_and_rm_leave_a_live_run_alone(cm_home: Path, work: Path) -> None:
    p = spawn(cm_home, work, "kill-during-run")
    (work / "go").write_text("")
    ready = work / f"ready-{p.pid}"
    try:
        wait_for(lambda: ready.exists() or p.poll() is not None, "child to start its run")
        folder = Path(ready.read_text())
        session = Session(home=cm_home)
        r = session.access({"action": "prune", "automation": "cache"})
        assert r["return"] == 0 and r["removed"] == []
        assert r["kept"] == [{"path": str(folder), "reason": "in use by a running script"}]
        r = session.access({"action": "rm", "automation": "cache", "all": True, "f": True})
        assert r["return"] == 1 and "in use" in r["error"] and f"pid {p.pid}" in r["error"]
        assert folder.is_dir()
    finally:
        p.kill()
        p.wait()
    r = session.access({"action": "prune", "automation": "cache"})
    assert r["removed"] == [{"path": str(folder), "reason": "unfinished"}]
    assert not folder.exists()
