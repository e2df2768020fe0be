"""CM-FORMAT §7 T6: detection with version constraints, and caching (modelled on get-cmake).

Two fake ``t6tool`` executables (1.2.0 in d1, 2.0.1 in d2) log every call, so a test can
tell whether the native script (or the detection probe) ran.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SCRIPT_UID = "1000000000000006"


@pytest.fixture
def tools(corpus) -> tuple[Path, Path]:
    dirs = []
    for name, version in (("d1", "1.2.0"), ("d2", "2.0.1")):
        d = corpus.state / "tools" / name
        d.mkdir(parents=True)
        exe = d / "t6tool"
        exe.write_text(
            f'#!/bin/sh\necho "{name}" >> "{corpus.state}/t6-calls.log"\necho "t6tool {version}"\n'
        )
        exe.chmod(0o755)
        dirs.append(d)
    return dirs[0], dirs[1]


def path_flag(tools) -> str:
    return os.pathsep.join(str(d) for d in tools)


def test_version_min_selects_the_newer_tool(corpus, tools):
    d1, d2 = tools
    r = corpus.ok("get,t6tool", path=path_flag(tools), version_min="2.0")
    env = r["new_env"]
    assert env["T6_VERSION"] == "2.0.1"
    assert env["T6_BIN_WITH_PATH"] == str(d2 / "t6tool")
    assert str(d2) in env["+PATH"]
    assert str(d1) not in env["+PATH"]


def test_first_run_creates_one_finished_entry_with_cm_tags(corpus, tools):
    corpus.ok("get,t6tool", path=path_flag(tools), version_min="2.0")
    entries = corpus.cache_entries("t6tool")
    assert len(entries) == 1
    e = entries[0]
    for t in ("get", "t6tool", f"script-artifact-{SCRIPT_UID}", "version-2.0.1"):
        assert t in e.tags, (t, e.tags)
    assert "tmp" not in e.tags
    assert e.meta["version"] == "2.0.1"
    assert (e.path / corpus.cached_state_name).is_file()
    assert e.state is not None and e.state["new_env"]["T6_VERSION"] == "2.0.1"


def test_the_script_runs_inside_its_cache_entry(corpus, tools):
    corpus.ok("get,t6tool", path=path_flag(tools), version_min="2.0")
    (e,) = corpus.cache_entries("t6tool")
    # written by postprocess with `utils.save_json` (cmind / mlc compat module) into the cwd
    assert json.loads((e.path / "t6-info.json").read_text()) == {"version": "2.0.1"}


def test_rerun_without_flags_is_a_cache_hit(corpus, tools):
    first = corpus.ok("get,t6tool", path=path_flag(tools), version_min="2.0")
    calls = corpus.log_lines("t6-calls.log")
    assert calls, "the tool was never called on the first run"
    second = corpus.ok("get,t6tool")
    assert corpus.log_lines("t6-calls.log") == calls, "a cache hit must not run the native script"
    assert second["new_env"] == first["new_env"]
    assert len(corpus.cache_entries("t6tool")) == 1


def test_exact_version_request_misses_and_makes_a_new_entry(corpus, tools):
    d1, _ = tools
    corpus.ok("get,t6tool", path=path_flag(tools), version_min="2.0")
    r = corpus.ok("get,t6tool", path=path_flag(tools), version="1.2.0")
    assert r["new_env"]["T6_VERSION"] == "1.2.0"
    assert r["new_env"]["T6_BIN_WITH_PATH"] == str(d1 / "t6tool")
    entries = corpus.cache_entries("t6tool")
    assert len(entries) == 2
    (new,) = [e for e in entries if "version-1.2.0" in e.tags]
    assert new.meta["version"] == "1.2.0"


def test_new_flag_adds_a_third_entry_and_rm_removes_all(corpus, tools):
    corpus.ok("get,t6tool", path=path_flag(tools), version_min="2.0")
    corpus.ok("get,t6tool", path=path_flag(tools), version="1.2.0")
    corpus.ok("get,t6tool", path=path_flag(tools), new=True)
    assert len(corpus.cache_entries("t6tool")) == 3
    res = corpus.cli("rm", "cache", "--tags=t6tool", "-f")
    assert res.exit_code == 0, res.stderr
    assert corpus.cache_entries("t6tool") == []
    assert [f for f in corpus.cache_folders() if "t6tool" in f.tags] == []


def test_version_not_available_is_an_error_and_caches_nothing(corpus, tools):
    r = corpus.run("get,t6tool", path=path_flag(tools), version_min="3.0")
    assert r["return"] == 16
    assert corpus.cache_entries("t6tool") == []


def test_cached_hit_honours_version_min_of_a_later_request(corpus, tools):
    corpus.ok("get,t6tool", path=path_flag(tools), version="1.2.0")
    calls = corpus.log_lines("t6-calls.log")
    # the only entry (1.2.0) is below version_min: not a hit, detection runs again
    r = corpus.ok("get,t6tool", path=path_flag(tools), version_min="2.0")
    assert r["new_env"]["T6_VERSION"] == "2.0.1"
    assert len(corpus.log_lines("t6-calls.log")) > len(calls)
    assert len(corpus.cache_entries("t6tool")) == 2


def test_show_cache_lists_the_entries(corpus, tools):
    corpus.ok("get,t6tool", path=path_flag(tools), version_min="2.0")
    (e,) = corpus.cache_entries("t6tool")
    res = corpus.cli("show", "cache", "--tags=t6tool")
    assert res.exit_code == 0, res.stderr
    assert e.path.name in res.stdout
    assert "2.0.1" in res.stdout
