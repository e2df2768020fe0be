"""kill -9 at every phase of a cached run, and a disk-full error while publishing.

The CLI runs in a child process through a small runner that can pause at a phase (writing a
marker file first) or fail a write with ENOSPC. The test waits for the marker, kills the
whole process group with SIGKILL, and then checks that the next command succeeds, really
runs the script once, that the run after it is a cache hit, and that no half-written cache
entry is visible at any point.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cmcore.testing import write_repo

PAUSE = """
import errno, os, sys, time
from pathlib import Path

phase = os.environ.get("FAULT_PHASE", "")
mark = Path(os.environ.get("FAULT_MARK", "/nonexistent"))

def pause():
    mark.write_text(str(os.getpid()))
    time.sleep(600)

import cmcore.cache.store as store
import cmcore.script.engine as engine

if phase == "before-deps":
    _run_deps = engine.run_deps
    def run_deps(run, list_name, **kw):
        if list_name == "deps" and getattr(run.artifact, "alias", "") == "ftop":
            pause()
        return _run_deps(run, list_name, **kw)
    engine.run_deps = run_deps

if phase in ("publish", "enospc"):
    _write_json = store.write_json
    def write_json(path, data, *a, **kw):
        if Path(path).name == store.META_FILE:  # the state file is already written: the worst moment
            if phase == "publish":
                pause()
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return _write_json(path, data, *a, **kw)
    store.write_json = write_json

from cmcore.cli import main
sys.exit(main(sys.argv[1:]))
"""

HOLD = '[ "$FAULT_PHASE" = "{phase}" ] && {{ echo $$ > "$FAULT_MARK"; sleep 600; }}\n'

TOP_RUN = "#!/bin/bash\n" + HOLD.format(phase="during-run") + 'echo run >> "$FAULT_COUNTER"\n' \
          'echo "FTOP_OK=yes" > tmp-run-env.out\n'
DEP_RUN = "#!/bin/bash\n" + HOLD.format(phase="during-deps") + 'echo "FDEP_OK=yes" > tmp-run-env.out\n'
CUSTOMIZE = """import os, time
from pathlib import Path

def postprocess(i):
    if os.environ.get("FAULT_PHASE") == "during-postprocess":
        Path(os.environ["FAULT_MARK"]).write_text(str(os.getpid()))
        time.sleep(600)
    return {"return": 0}
"""

PHASES = ["before-deps", "during-deps", "during-run", "during-postprocess", "publish"]


@pytest.fixture
def fault_env(tmp_path: Path) -> dict:
    home = tmp_path / "home"
    home.mkdir()
    repo = write_repo(tmp_path / "repo", "fault-repo", {
        "ftop": {"meta": {"tags": ["fault-top"], "cache": True, "new_env_keys": ["FTOP_*"],
                          "deps": [{"tags": "fault-dep"}]},
                 "files": {"run.sh": TOP_RUN, "customize.py": CUSTOMIZE}},
        "fdep": {"meta": {"tags": ["fault-dep"], "cache": False, "new_env_keys": ["FDEP_*"]},
                 "files": {"run.sh": DEP_RUN}},
    })
    (home / "repos.json").write_text(json.dumps([str(repo)]))
    (tmp_path / "runner.py").write_text(PAUSE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CM_", "FAULT_"))}
    env.update(CM_HOME=str(home), FAULT_MARK=str(tmp_path / "mark"), FAULT_COUNTER=str(tmp_path / "counter"))
    return {"env": env, "home": home, "tmp": tmp_path, "runner": tmp_path / "runner.py"}


def _cm(f: dict, *args: str, phase: str = "", timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(f["env"], FAULT_PHASE=phase)
    return subprocess.run([sys.executable, str(f["runner"]), *args], env=env, cwd=f["tmp"],
                          capture_output=True, text=True, timeout=timeout)


def _kill_at(f: dict, phase: str) -> None:
    mark = Path(f["env"]["FAULT_MARK"])
    mark.unlink(missing_ok=True)
    env = dict(f["env"], FAULT_PHASE=phase)
    p = subprocess.Popen([sys.executable, str(f["runner"]), "run", "script", "--tags=fault-top", "--quiet"],
                         env=env, cwd=f["tmp"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        for _ in range(1200):  # wait for the phase, not for a time: the marker says we are there
            if mark.exists() or p.poll() is not None:
                break
            time.sleep(0.1)
        assert mark.exists(), f"never reached {phase}: {p.communicate()[1]!r}"
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def _visible_entries_complete(f: dict) -> list[Path]:
    r = _cm(f, "find", "cache", "--tags=fault-top")
    paths = [Path(x) for x in r.stdout.split()]
    for p in paths:
        assert (p / "cm-cached-state.json").is_file() and (p / "_cm.json").is_file(), f"half entry visible: {p}"
        json.loads((p / "cm-cached-state.json").read_text())
    return paths


def _counter(f: dict) -> int:
    c = f["tmp"] / "counter"
    return len(c.read_text().split()) if c.exists() else 0


@pytest.mark.parametrize("phase", PHASES)
def test_kill_9_at_each_phase_then_next_run_succeeds(fault_env: dict, phase: str) -> None:
    _kill_at(fault_env, phase)
    assert _visible_entries_complete(fault_env) == [], f"killed at {phase}: an entry is visible"
    before = _counter(fault_env)
    r = _cm(fault_env, "run", "script", "--tags=fault-top", "--quiet", "-j")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["new_env"].get("FTOP_OK") == "yes"
    assert _counter(fault_env) == before + 1, "the script must really run after the kill"
    assert len(_visible_entries_complete(fault_env)) == 1
    r2 = _cm(fault_env, "run", "script", "--tags=fault-top", "--quiet", "-j")
    assert r2.returncode == 0, r2.stderr
    assert _counter(fault_env) == before + 1, "the run after that is a cache hit"
    assert len(_visible_entries_complete(fault_env)) == 1


def test_disk_full_while_publishing(fault_env: dict) -> None:
    r = _cm(fault_env, "run", "script", "--tags=fault-top", "--quiet", phase="enospc")
    assert r.returncode != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("cm error")]
    assert len(lines) == 1 and "No space left" in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert _visible_entries_complete(fault_env) == []
    ok = _cm(fault_env, "run", "script", "--tags=fault-top", "--quiet")
    assert ok.returncode == 0, ok.stderr
    assert len(_visible_entries_complete(fault_env)) == 1
