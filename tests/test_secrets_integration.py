"""A planted secret must not appear in anything a run writes or prints.

One cached run gets ``--env.MY_TOKEN=<secret>`` and ``--gh_token=<secret>``; its script
echoes the token and exports it. Then every place is checked separately: ``--json`` stdout,
the console (stderr), the cache entry's state file and meta, the native tmp files in the
entry folder, and every other file under the CM home.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cmcore.testing import write_repo

ENV_SECRET = "s3cr3t-VALUE-4f9a"
FLAG_SECRET = "ghp_FLAGs3cr3t7c1d"
SECRETS = (ENV_SECRET, FLAG_SECRET)

RUN_SH = """#!/bin/bash
echo "script sees $MY_TOKEN and $CM_GH_TOKEN"
echo "SEC_SEEN=$MY_TOKEN" > tmp-run-env.out
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("secrets")
    home, cwd = root / "home", root / "cwd"
    home.mkdir()
    cwd.mkdir()
    repo = write_repo(root / "repo", "sec-repo", {"sec": {
        "meta": {"tags": ["sec-script"], "cache": True, "new_env_keys": ["SEC_*", "MY_TOKEN"]},
        "files": {"run.sh": RUN_SH}}})
    (home / "repos.json").write_text(json.dumps([str(repo)]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CM_")}
    env["CM_HOME"] = str(home)
    p = subprocess.run([sys.executable, "-m", "cmcore.cli", "run", "script", "--tags=sec-script", "-j",
                        f"--env.MY_TOKEN={ENV_SECRET}", f"--gh_token={FLAG_SECRET}"],
                       cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "***" in json.dumps(json.loads(p.stdout)) or ENV_SECRET in p.stdout  # the run really produced output
    entries = [d for d in (home / "repos" / "local" / "cache").iterdir() if d.is_dir() and not d.name.startswith(".")]
    assert len(entries) == 1, entries
    return {"home": home, "cwd": cwd, "stdout": p.stdout, "stderr": p.stderr, "entry": entries[0]}


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _files_leaking(paths) -> list[str]:
    return [f"{p}: {_leaks(p.read_text(errors='replace'))}" for p in paths
            if p.is_file() and _leaks(p.read_text(errors="replace"))]


def test_json_output_has_no_secret(planted) -> None:
    assert _leaks(planted["stdout"]) == []


def test_console_output_has_no_secret(planted) -> None:
    assert _leaks(planted["stderr"]) == []


def test_cache_state_file_has_no_secret(planted) -> None:
    entry = planted["entry"]
    assert _files_leaking([entry / "cm-cached-state.json"]) == []


def test_cache_meta_has_no_secret(planted) -> None:
    entry = planted["entry"]
    assert _files_leaking([entry / "_cm.json", entry / "_cm.yaml"]) == []


def test_native_tmp_files_have_no_secret(planted) -> None:
    assert _files_leaking(sorted(planted["entry"].glob("tmp-*"))) == []


def test_nothing_else_under_home_or_cwd_has_the_secret(planted) -> None:
    """The index, repos.json, locks and everything outside the cache entry folder."""
    entry = planted["entry"]
    others = [p for p in [*planted["home"].rglob("*"), *planted["cwd"].rglob("*")]
              if p.is_file() and entry not in p.parents]
    assert others, "expected the index and registry files at least"
    assert _files_leaking(others) == []


def test_a_cache_hit_keeps_the_callers_real_secret(tmp_path) -> None:
    """Secret keys are left out of the cached state, so a hit never replaces the caller's value."""
    home = tmp_path / "home"
    home.mkdir()
    repo = write_repo(tmp_path / "repo", "sec2", {"sec2": {
        "meta": {"tags": ["sec2"], "cache": True, "new_env_keys": ["SEC_*", "MY_TOKEN"]},
        "files": {"run.sh": RUN_SH}}})
    (home / "repos.json").write_text(json.dumps([str(repo)]))
    from cmcore.session import Session

    s = Session(home=home, load_entry_points=False)
    for _ in range(2):
        r = s.access({"action": "run", "automation": "script", "tags": "sec2", "quiet": True, "silent": True,
                      "env": {"MY_TOKEN": ENV_SECRET}})
        assert r["return"] == 0, r.get("error")
        assert r["env"]["MY_TOKEN"] == ENV_SECRET  # the real value, not a mask
