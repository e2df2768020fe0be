"""Reliability of cached runs under concurrency, kill -9, corruption and Ctrl-C, and of a
repository with one malformed script (USERS-AND-PEERS §4: where the peers break).

Every run here is a real ``python -m cmcore.cli`` child process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conformance_kit import Corpus, parse_json_stdout, write_script

RUN_TIMEOUT = 120


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Poll until ``path`` exists (the script announced itself); fail if the run ended."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended ({proc.returncode}) before {path.name} appeared:\n{err}")
        if time.monotonic() > deadline:
            pytest.fail(f"{path} did not appear")
        time.sleep(0.05)


def kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def warning_lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if "warning" in ln.lower()]


def run_cli(corpus: Corpus, *args: str):
    return corpus.cli.subprocess(
        "run", "script", *args, "--quiet", "-j", cwd=corpus.work, timeout=RUN_TIMEOUT
    )


def test_four_simultaneous_cold_runs_execute_once(corpus):
    procs = [corpus.popen("run", "script", "--tags=rel-cached", "--quiet", "-j") for _ in range(4)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=RUN_TIMEOUT)
        assert p.returncode == 0, err
        results.append(parse_json_stdout(out))
    assert corpus.log_lines("rel-cached.log") == ["run"], "run.sh must execute exactly once"
    assert len(corpus.cache_entries("rel-cached")) == 1
    new_envs = [r["new_env"] for r in results]
    assert all(e == new_envs[0] for e in new_envs)
    assert new_envs[0]["REL_VALUE"] == "computed"
    assert Path(new_envs[0]["REL_DIR"]) == corpus.cache_entries("rel-cached")[0].path


def test_kill_9_during_run_sh_leaves_no_visible_half_entry(corpus):
    (corpus.state / "block").write_text("")
    started = corpus.state / "rel-slow.started"
    p = corpus.popen("run", "script", "--tags=rel-slow", "--quiet")
    try:
        wait_for_file(started, p)
        os.kill(p.pid, signal.SIGKILL)  # the cm process itself, with no chance to clean up
        p.wait(timeout=RUN_TIMEOUT)
    finally:
        kill_group(p, signal.SIGKILL)  # the orphaned `sleep 30` of run.sh
        p.communicate()
    half = Path(started.read_text().strip())
    assert corpus.cache_entries("rel-slow") == []

    show = corpus.cli.subprocess("show", "cache", "--tags=rel-slow", timeout=RUN_TIMEOUT)
    assert show.exit_code == 0, show.stderr
    assert half.name not in show.stdout, "an unfinished entry must not be listed"

    (corpus.state / "block").unlink()
    res = run_cli(corpus, "--tags=rel-slow")
    assert res.exit_code == 0, res.stderr
    assert corpus.log_lines("rel-slow.log") == ["run"]
    (entry,) = corpus.cache_entries("rel-slow")
    assert parse_json_stdout(res.stdout)["new_env"]["REL_DIR"] == str(entry.path)
    assert (entry.path / corpus.cached_state_name).is_file()


def test_truncated_entry_meta_warns_once_and_can_be_removed(corpus):
    res = run_cli(corpus, "--tags=rel-slow")
    assert res.exit_code == 0, res.stderr
    (entry,) = corpus.cache_entries("rel-slow")
    meta_file = next(f for f in (entry.path / "_cm.json", entry.path / "meta.json") if f.exists())
    text = meta_file.read_text()
    meta_file.write_text(text[: len(text) // 2])  # a crash in the middle of a write

    res = run_cli(corpus, "--tags=rel-slow")
    assert res.exit_code == 0, res.stderr
    about_it = [ln for ln in warning_lines(res.stderr) if entry.path.name in ln]
    assert len(about_it) == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert parse_json_stdout(res.stdout)["new_env"]["REL_DIR"]
    assert len(corpus.log_lines("rel-slow.log")) == 2, "the corrupt entry must not be used"

    rm = corpus.cli.subprocess("rm", "cache", "--tags=rel-slow", "-f", timeout=RUN_TIMEOUT)
    assert rm.exit_code == 0, rm.stderr
    # Reading of the contract: `rm --tags` also removes the corrupt folder of that search
    # (CM-FORMAT §4 + the cache brief: "cm rm cache still deletes them").
    assert not entry.path.exists() or not any(entry.path.iterdir())
    assert corpus.cache_entries("rel-slow") == []
    show = corpus.cli.subprocess("show", "cache", timeout=RUN_TIMEOUT)
    assert show.exit_code == 0, show.stderr
    assert warning_lines(show.stderr) == [], show.stderr


def test_ctrl_c_during_run_sh_exits_130_and_keeps_the_cache_sound(corpus):
    (corpus.state / "block").write_text("")
    started = corpus.state / "rel-slow.started"
    p = corpus.popen("run", "script", "--tags=rel-slow", "--quiet")
    try:
        wait_for_file(started, p)
        kill_group(p, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, err = p.communicate(timeout=RUN_TIMEOUT)
    finally:
        kill_group(p, signal.SIGKILL)
    assert p.returncode == 130, err
    assert "Traceback" not in err
    mentions = [ln for ln in err.splitlines() if "interrupt" in ln.lower() or "ctrl-c" in ln.lower()]
    assert len(mentions) == 1, err
    assert corpus.cache_entries("rel-slow") == []

    show = corpus.cli.subprocess("show", "cache", timeout=RUN_TIMEOUT)
    assert show.exit_code == 0, show.stderr
    assert warning_lines(show.stderr) == [], show.stderr

    (corpus.state / "block").unlink()
    res = run_cli(corpus, "--tags=rel-slow")
    assert res.exit_code == 0, res.stderr
    assert corpus.log_lines("rel-slow.log") == ["run"]
    assert len(corpus.cache_entries("rel-slow")) == 1


def test_malformed_meta_hides_only_that_script(corpus):
    broken = write_script(
        corpus.repo, corpus.dialect, "broken-script", "alias: broken-script\ntags: [a, b\n  uid: : :\n"
    )
    res = run_cli(corpus, "--tags=t1")
    assert res.exit_code == 0, res.stderr
    assert parse_json_stdout(res.stdout)["new_env"]["T1_A"] == "from-default"
    about_it = [ln for ln in res.stderr.splitlines() if "broken-script" in ln]
    assert len(about_it) == 1, res.stderr
    assert corpus.meta_name in about_it[0], "the warning should name the file"
    assert "Traceback" not in res.stderr
    assert broken.is_dir()


def test_malformed_meta_does_not_break_find(corpus):
    write_script(corpus.repo, corpus.dialect, "broken-script", "alias: [unclosed\n")
    res = corpus.cli.subprocess("find", "script", "--tags=t4", timeout=RUN_TIMEOUT)
    assert res.exit_code == 0, res.stderr
    assert [Path(ln).name for ln in res.stdout.split()] == ["t4-comb"]
    assert len([ln for ln in res.stderr.splitlines() if "broken-script" in ln]) == 1, res.stderr


def test_simultaneous_cold_runs_with_a_cached_install_dep(corpus):
    # t7-get (cached) runs t7-install (cached) as a prehook dep: nested reservations in
    # three processes at once still run each script exactly once.
    procs = [corpus.popen("run", "script", "get t7", "--quiet", "-j") for _ in range(3)]
    envs = []
    for p in procs:
        out, err = p.communicate(timeout=RUN_TIMEOUT)
        assert p.returncode == 0, err
        envs.append(parse_json_stdout(out)["new_env"])
    assert corpus.log_lines("t7.log") == ["get", "install 3.0"]
    assert all(e == envs[0] for e in envs)
    assert len(corpus.cache_entries("t7")) == 2  # one get entry, one install entry


def test_simultaneous_runs_of_different_keys_do_not_block_each_other(corpus):
    procs = [
        corpus.popen("run", "script", "--tags=ck-vars", "--quiet", "-j"),
        corpus.popen("run", "script", "--tags=ck-vars,_shared", "--quiet", "-j"),
    ]
    for p in procs:
        out, err = p.communicate(timeout=RUN_TIMEOUT)
        assert p.returncode == 0, err
    assert sorted(corpus.log_lines("ck-vars.log")) == ["run plain", "run shared"]
    assert len(corpus.cache_entries("ck-vars")) == 2
