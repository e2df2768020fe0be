"""CM-FORMAT §7 T7: the get → install → (skipped) get fallback, without a loop; and the
cycle guard of §3.14 (flaw 9 fixed): a true cycle is an error naming the cycle."""

from __future__ import annotations

import pytest


def test_clean_machine_installs_once_with_the_default_version(corpus):
    r = corpus.ok(artifact="get t7")  # `cmr "get t7"`
    assert r["new_env"]["T7_BIN"].endswith("t7-3.0")
    # get's preprocess ran once, install ran once with CM_VERSION=3.0, and the install's
    # post-dep `get,t7` was skipped (it would have logged a second `get`)
    assert corpus.log_lines("t7.log") == ["get", "install 3.0"]


def test_install_result_is_exported_to_the_caller(corpus):
    r = corpus.ok("get,t7")
    assert r["new_env"]["T7_REQUIRE_INSTALL"] == "yes"
    assert r["env"]["T7_BIN"] == r["new_env"]["T7_BIN"]


def test_both_scripts_leave_one_cache_entry_each(corpus):
    corpus.ok("get,t7")
    (get_entry,) = corpus.cache_entries("script-artifact-1000000000000007")
    (install_entry,) = corpus.cache_entries("script-artifact-1000000000000017")
    assert "version-3.0" in install_entry.tags
    assert install_entry.meta["version"] == "3.0"
    assert get_entry.path != install_entry.path
    # T7_BIN points into the install's own cache entry (run.sh used $PWD)
    assert get_entry.state["new_env"]["T7_BIN"] == str(install_entry.path / "t7-3.0")


def test_requested_version_reaches_the_install_through_reuse_version(corpus):
    r = corpus.ok(artifact="get t7", version="2.5")
    assert r["new_env"]["T7_BIN"].endswith("t7-2.5")
    assert corpus.log_lines("t7.log") == ["get", "install 2.5"]


def test_second_run_is_served_from_the_cache(corpus):
    first = corpus.ok("get,t7")
    second = corpus.ok("get,t7")
    assert second["new_env"] == first["new_env"]
    assert corpus.log_lines("t7.log") == ["get", "install 3.0"]


def test_tool_already_present_skips_the_install(corpus):
    (corpus.state / "t7-system").write_text("#!/bin/sh\n")
    r = corpus.ok("get,t7")
    assert r["new_env"]["T7_BIN"] == str(corpus.state / "t7-system")
    assert "T7_REQUIRE_INSTALL" not in r["new_env"]
    assert corpus.log_lines("t7.log") == ["get"]
    assert corpus.cache_entries("script-artifact-1000000000000017") == []


def test_true_cycle_is_an_error_naming_the_cycle(corpus):
    r = corpus.run("cyc-a")
    assert r["return"] in (1, 2), r
    err = r["error"]
    assert "cyc-a" in err and "cyc-b" in err, err


@pytest.mark.parametrize("tags", ["cyc-c", "cyc-d"])
def test_cycle_of_cached_scripts_is_an_error_not_a_deadlock(corpus, tags):
    # In a child process with a timeout: a per-key cache lock taken twice would hang.
    res = corpus.cli.subprocess("run", "script", f"--tags={tags}", "--quiet", timeout=120)
    assert res.exit_code in (1, 2), res.stderr
    assert "cyc-c" in res.stderr and "cyc-d" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    # a failed run publishes nothing
    assert corpus.cache_entries("cyc-c") == [] and corpus.cache_entries("cyc-d") == []
