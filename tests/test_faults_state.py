"""Damaged state: a registered repo deleted under its path, a corrupt index, and two
``cm pull repo`` of the same local git URL at once. Each ends in a clear message (or none
needed) and a state from which the next command succeeds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cmcore.testing import write_repo


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CM_")}
    env["CM_HOME"] = str(home)
    return env


def _cm(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cmcore.cli", *args], env=_env(home), cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _two_repos(tmp_path: Path) -> tuple[Path, Path, Path]:
    home = tmp_path / "home"
    home.mkdir()
    keep = write_repo(tmp_path / "keep", "keep-repo", {"kept": {"meta": {"tags": ["kept"]},
                                                                "files": {"run.sh": "echo kept\n"}}})
    gone = write_repo(tmp_path / "gone", "gone-repo", {"lost": {"meta": {"tags": ["lost"]}}})
    (home / "repos.json").write_text(json.dumps([str(keep), str(gone)]))
    return home, keep, gone


def test_repo_deleted_under_a_registered_path(tmp_path: Path) -> None:
    home, _keep, gone = _two_repos(tmp_path)
    assert _cm(home, "find", "script", "--tags=lost").returncode == 0  # indexed while it existed
    shutil.rmtree(gone)
    r = _cm(home, "find", "script", "--tags=kept")
    assert r.returncode == 0, r.stderr
    assert "kept" in r.stdout and "Traceback" not in r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) <= 1, r.stderr  # at most one warning line
    r = _cm(home, "find", "script", "--tags=lost")
    assert "Traceback" not in r.stderr and "lost" not in r.stdout
    r = _cm(home, "run", "script", "--tags=kept", "--quiet")
    assert r.returncode == 0, r.stderr
    r = _cm(home, "list", "repo")
    assert r.returncode == 0 and "Traceback" not in r.stderr


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated-json", "wrong-type", "binary"])
def test_corrupt_index_is_rebuilt(tmp_path: Path, damage: str) -> None:
    home, _keep, _gone = _two_repos(tmp_path)
    first = _cm(home, "find", "script", "--tags=kept")
    assert first.returncode == 0 and "kept" in first.stdout
    files = [p for p in (home / "index").rglob("*") if p.is_file()]
    assert files, "the first lookup should have written an index"
    for p in files:
        text = p.read_bytes()
        p.write_bytes({"garbage": b"not json at all {", "empty": b"", "truncated-json": text[: len(text) // 2],
                       "wrong-type": b"[1, 2, 3]", "binary": os.urandom(64)}[damage])
    r = _cm(home, "find", "script", "--tags=kept")
    assert r.returncode == 0, r.stderr
    assert r.stdout == first.stdout
    assert "Traceback" not in r.stderr
    assert _cm(home, "find", "script", "--tags=kept").stderr.strip() == "", "healed after one command"


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_two_pulls_of_the_same_local_git_url_at_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    src = write_repo(tmp_path / "src" / "owner" / "pullme", "owner@pullme",
                     {"pulled": {"meta": {"tags": ["pulled"]}, "files": {"run.sh": "echo pulled\n"}}})
    for i in range(30):  # enough content that the two clones overlap
        (src / "script" / "pulled" / f"data-{i}.txt").write_text("x" * 10000)
    _git("init", "-q", "-b", "main", cwd=src)
    _git("add", "-A", cwd=src)
    _git("commit", "-q", "-m", "init", cwd=src)
    url = f"file://{src}"
    procs = [subprocess.Popen([sys.executable, "-m", "cmcore.cli", "pull", "repo", url], env=_env(home),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    for rc, err in results:
        assert "Traceback" not in err, err
        if rc:
            assert len([ln for ln in err.splitlines() if ln.startswith("cm error")]) == 1, err
    assert any(rc == 0 for rc, _ in results), results
    clones = [p for p in (home / "repos").iterdir() if p.is_dir() and "pullme" in p.name]
    assert len(clones) == 1, clones
    assert (clones[0] / "script" / "pulled" / "data-29.txt").is_file(), "the clone is complete"
    r = _cm(home, "find", "script", "--tags=pulled")
    assert r.returncode == 0 and r.stdout.count("pulled") >= 1, r.stderr
    assert len(r.stdout.split()) == 1, f"registered once: {r.stdout}"
    again = _cm(home, "pull", "repo", url)
    assert again.returncode == 0, again.stderr
