"""cmcore.replay: a repeated find or cache hit is answered from its record, never a stale one.

Every test runs the real ``cm`` process (``python -m cmcore.cli``) with ``CM_TRACE_REPLAY=1``,
which makes it say on stderr whether it replayed, recorded, or why it did neither.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from cmcore import replay
from cmcore.testing import CLIResult, CLIRunner

SETTLE = 0.25  # past the racy window of a file system with sub-second timestamps


def settle(*paths: Path) -> None:
    """Wait until files just written are old enough to be trusted in a record."""
    coarse = any(p.exists() and os.stat(p).st_mtime_ns % 1_000_000_000 == 0 for p in paths)
    time.sleep(2.1 if coarse else SETTLE)


@pytest.fixture
def cli(cm_home: Path) -> CLIRunner:
    return CLIRunner(cm_home, env={"CM_TRACE_REPLAY": "1"})


def said(r: CLIResult) -> list[str]:
    return [line[len("cm replay: "):] for line in r.stderr.splitlines() if line.startswith("cm replay: ")]


def replayed(r: CLIResult) -> bool:
    return any(s.startswith("replayed") for s in said(r))


def recorded(r: CLIResult) -> bool:
    return any(s.startswith("recorded") for s in said(r))


def record_of(r: CLIResult) -> Path:
    """The record this run wrote for itself (a find may also write its find template after it)."""
    return Path(next(s for s in said(r) if s.startswith("recorded "))[len("recorded "):])


def without_trace(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("cm replay: "))


@pytest.fixture
def repo(cm_repo, cm_home: Path, tmp_path: Path) -> Path:
    counter = tmp_path / "runs.txt"
    root = cm_repo("replay-repo", {
        "tool-a": {"meta": {"tags": ["get", "rtool", "a"], "cache": True, "new_env_keys": ["RT_*"]},
                   "files": {"run.sh": f'echo run >> "{counter}"\necho "RT_DIR=$PWD" > tmp-run-env.out\n'}},
        "tool-b": {"meta": {"tags": ["get", "rtool", "b"]}},
        "with-dep": {"meta": {"tags": ["get", "withdep"], "cache": True,
                              "deps": [{"tags": "get,rtool,b", "dynamic": True}]}},
    })
    CLIRunner(cm_home)("find", "script", "--tags=nothing")  # makes the home's local repo
    settle(root / "script" / "tool-a" / "_cm.yaml")
    return root


def runs(repo: Path) -> int:
    f = repo.parent.parent / "runs.txt"
    return len(f.read_text().split()) if f.exists() else 0


def test_find_is_replayed_with_the_same_output(cli: CLIRunner, repo: Path) -> None:
    first = cli.subprocess("find", "script", "--tags=get,rtool")
    assert first.exit_code == 0, first.stderr
    assert recorded(first), said(first)
    again = cli.subprocess("find", "script", "--tags=get,rtool")
    assert replayed(again), said(again)
    assert again.exit_code == 0
    assert again.stdout == first.stdout
    assert sorted(again.stdout.split()) == sorted(str(repo / "script" / n) for n in ("tool-a", "tool-b"))
    # another command line is another record
    other = cli.subprocess("find", "script", "--tags=get,rtool,a")
    assert not replayed(other) and other.stdout.split() == [str(repo / "script" / "tool-a")]


def test_find_sees_a_new_artifact_and_an_edited_meta(cli: CLIRunner, repo: Path) -> None:
    cli.subprocess("find", "script", "--tags=rtool")
    assert replayed(cli.subprocess("find", "script", "--tags=rtool"))
    new = repo / "script" / "tool-c"
    new.mkdir()
    (new / "_cm.yaml").write_text("alias: tool-c\nuid: 0123456789abcdef\nautomation_alias: script\n"
                                  "automation_uid: 5b4e0237da074764\ntags: [get, rtool, c]\n")
    r = cli.subprocess("find", "script", "--tags=rtool")
    assert not replayed(r), said(r)
    assert str(new) in r.stdout.split()
    # an edit in place (same folder listing) is seen too
    settle(new / "_cm.yaml")
    assert recorded(cli.subprocess("find", "script", "--tags=rtool"))
    assert replayed(cli.subprocess("find", "script", "--tags=rtool"))
    meta = repo / "script" / "tool-b" / "_cm.yaml"
    meta.write_text(meta.read_text().replace("- rtool", "- other"))
    r = cli.subprocess("find", "script", "--tags=rtool")
    assert not replayed(r), said(r)
    assert str(repo / "script" / "tool-b") not in r.stdout.split()


def test_cached_run_is_replayed_until_the_entry_goes(cli: CLIRunner, repo: Path) -> None:
    r = cli.subprocess("run", "script", "get rtool a", "-j")
    assert r.exit_code == 0, r.stderr
    assert runs(repo) == 1 and json.loads(r.stdout)["cached"] is False
    assert not recorded(r)  # a miss that ran the script is not replayable
    time.sleep(SETTLE)
    hit = cli.subprocess("run", "script", "get rtool a", "-j")
    assert json.loads(hit.stdout)["cached"] is True and recorded(hit), said(hit)
    again = cli.subprocess("run", "script", "get rtool a", "-j")
    assert replayed(again), said(again)
    assert again.stdout == hit.stdout and without_trace(again.stderr) == without_trace(hit.stderr)
    assert runs(repo) == 1
    # the user removes the entry: the next run must really run
    rm = CLIRunner(cli.home).subprocess("rm", "cache", "--tags=rtool", "-f")
    assert rm.exit_code == 0, rm.stderr
    r = cli.subprocess("run", "script", "get rtool a", "-j")
    assert not replayed(r), said(r)
    assert json.loads(r.stdout)["cached"] is False and runs(repo) == 2


def test_cached_run_sees_a_changed_script_and_environment(cli: CLIRunner, repo: Path) -> None:
    cli.subprocess("run", "script", "get rtool a")
    time.sleep(SETTLE)
    assert recorded(cli.subprocess("run", "script", "get rtool a"))
    assert replayed(cli.subprocess("run", "script", "get rtool a"))
    # the environment is part of what identifies a command
    env_cli = CLIRunner(cli.home, env={"CM_TRACE_REPLAY": "1", "RT_SOMETHING": "x"})
    assert not replayed(env_cli.subprocess("run", "script", "get rtool a"))
    # an edited run.sh changes the script's content hash: a new entry, a real run
    run_sh = repo / "script" / "tool-a" / "run.sh"
    run_sh.write_text(run_sh.read_text() + "# changed\n")
    r = cli.subprocess("run", "script", "get rtool a")
    assert not replayed(r), said(r)
    assert runs(repo) == 2


def test_what_is_never_recorded(cli: CLIRunner, repo: Path, cm_home: Path) -> None:
    cli.subprocess("run", "script", "get withdep")
    time.sleep(SETTLE)
    r = cli.subprocess("run", "script", "get withdep")
    assert r.exit_code == 0, r.stderr
    assert "not recorded: dependencies ran" in said(r)  # a dynamic dep runs even on a hit
    assert not replayed(cli.subprocess("run", "script", "get withdep"))
    # a failing command, and CM_REPLAY=no
    bad = cli.subprocess("run", "script", "get no-such-tool")
    assert bad.exit_code != 0 and not recorded(bad)
    off = CLIRunner(cm_home, env={"CM_TRACE_REPLAY": "1", "CM_REPLAY": "no"})
    off.subprocess("find", "script", "--tags=rtool")
    assert not recorded(off.subprocess("find", "script", "--tags=rtool"))
    assert not (cm_home / "index" / "replay").exists() or not any(
        (cm_home / "index" / "replay").iterdir())


def test_a_damaged_record_is_ignored_and_removed(cli: CLIRunner, repo: Path, cm_home: Path) -> None:
    first = cli.subprocess("find", "script", "--tags=rtool")
    assert recorded(first)
    rec = record_of(first)
    data = rec.read_bytes()
    rec.write_bytes(data[:20] + b"\xff" * 8 + data[28:])
    r = cli.subprocess("find", "script", "--tags=rtool")
    assert r.exit_code == 0 and not replayed(r)
    assert len(r.stdout.split()) == 2
    rec.write_bytes(b"garbage")
    r = cli.subprocess("find", "script", "--tags=rtool")
    assert r.exit_code == 0 and len(r.stdout.split()) == 2


def test_racy_files_are_not_trusted(cm_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "meta.yaml"
    f.write_text("tags: [x]\n")  # just now: it may change again within the same clock tick

    def commit() -> bool:
        rec = replay.Recorder(["find", "script", "--tags=x"], "find")
        rec.kind = "find"
        rec.file(f)
        return rec.commit(0)

    assert not commit()
    assert not (cm_home / "index" / "replay").exists()
    settle(f)
    assert commit()
    assert len(list((cm_home / "index" / "replay").glob("*.rec"))) == 1


def test_only_replayable_commands_are_candidates() -> None:
    assert replay.candidate(["find", "script", "--tags=x"]) == "find"
    assert replay.candidate(["run", "script", "x"]) == "run"
    assert replay.candidate(["run", "script", "@in.json"]) == ""
    assert replay.candidate(["run", "script", "x", "--", "ls"]) == ""
    assert replay.candidate(["find", "cache"]) == ""
    assert replay.candidate(["rm", "script", "x"]) == ""
    assert replay.candidate(["--version"]) == replay.candidate(["--help"]) == "about"
    assert replay.candidate(["--version", "-v"]) == ""


def test_version_is_replayed(cli: CLIRunner, cm_home: Path) -> None:
    CLIRunner(cm_home)("--version")  # makes the home
    time.sleep(SETTLE)
    first = cli.subprocess("--version")
    assert first.exit_code == 0 and first.stdout.startswith("cmcore "), first.stderr
    assert recorded(first), said(first)
    again = cli.subprocess("--version")
    assert replayed(again) and again.stdout == first.stdout
    helped = cli.subprocess("--help")
    assert "automations:" in helped.stdout and recorded(helped)
    assert replay.racy_window(1_500_000_123, 1_500_000_123) < replay.racy_window(2_000_000_000, 2_000_000_000)


def test_in_process_calls_never_replay(cm_cli, repo: Path, cm_home: Path) -> None:
    for _ in range(2):
        r = cm_cli("find", "script", "--tags=rtool")
        assert r.exit_code == 0 and len(r.stdout.split()) == 2
    assert not (cm_home / "index" / "replay").exists()


def test_a_record_does_not_grow_with_the_repo(cli: CLIRunner, repo: Path, cm_home: Path) -> None:
    """A record names each searched folder's index shard (by a token); it does not copy the
    signature of every meta file, which made one record per query ~60 bytes per artifact."""
    records = cm_home / "index" / "replay"

    def runner(tags: str) -> CLIRunner:  # an environment of its own: no earlier find template answers
        return CLIRunner(cm_home, env={"CM_TRACE_REPLAY": "1", "BENCH_QUERY": tags})

    def record_size(tags: str) -> int:
        r = runner(tags).subprocess("find", "script", f"--tags={tags}")
        assert r.exit_code in (0, 16) and recorded(r), said(r)
        assert record_of(r).parent == records
        return record_of(r).stat().st_size

    small = record_size("get,rtool")
    for k in range(600):
        d = repo / "script" / f"extra-{k:03d}"
        d.mkdir()
        (d / "_cm.yaml").write_text(f"alias: extra-{k:03d}\nuid: '{k:016x}'\ntags: [extra, n{k}]\n")
    settle(repo / "script" / "extra-000" / "_cm.yaml", repo / "script")
    cli.subprocess("find", "script", "--tags=extra,n1")  # indexes the new artifacts
    settle(*(cm_home / "index" / "shards").glob("*.shard"))
    big = record_size("get,rtool,a")
    assert big < small + 2000, (small, big)
    again = runner("get,rtool,a").subprocess("find", "script", "--tags=get,rtool,a")
    assert replayed(again), said(again)
    (repo / "script" / "extra-599" / "_cm.yaml").write_text("alias: extra-599\ntags: [get, rtool, a]\n")
    changed = runner("get,rtool,a").subprocess("find", "script", "--tags=get,rtool,a")
    assert not replayed(changed) and "extra-599" in changed.stdout


def template_used(r: CLIResult) -> bool:
    return any(s.startswith("answered from the find template") for s in said(r))


def test_find_template_answers_new_tag_queries_exactly_like_the_search(cm_repo, cm_home: Path) -> None:
    root = cm_repo("tpl-repo", {
        "tool-a": {"meta": {"tags": ["get", "rtool", "a"], "sort": 5}},
        "tool-b": {"meta": {"tags": ["get", "rtool", "b"]}},
        "tool-c": {"meta": {"tags": ["get", "other"], "sort": -1}},
        "zeta": {"meta": {"tags": ["get", "rtool", "z"], "variations": {"v": {}}}},
    })
    (root / "script" / "no-meta-yet").mkdir()
    CLIRunner(cm_home)("find", "script", "--tags=nothing")  # makes the home's local repo
    settle(root / "script" / "zeta" / "_cm.yaml", root / "script")
    cli = CLIRunner(cm_home, env={"CM_TRACE_REPLAY": "1"})
    real = CLIRunner(cm_home, env={"CM_REPLAY": "no"})
    first = cli.subprocess("find", "script", "--tags=get")
    assert recorded(first) and not template_used(first), said(first)
    settle(*(cm_home / "index" / "shards").glob("*.shard"))
    queries = [["--tags=get,rtool"], ["--tags=get,-a"], ["--tags=rtool,b"], ["--tags=nosuch"],
               ["--tags=get,rtool,_v"], ["get rtool"], ["get,rtool,-z"], ["--tags=-get"], [],
               ["--tags=get", "rtool b"]]
    for q in queries:
        mine = cli.subprocess("find", "script", *q)
        ref = real.subprocess("find", "script", *q)
        assert template_used(mine), (q, said(mine))
        assert (mine.exit_code, mine.stdout) == (ref.exit_code, ref.stdout), q
    assert "tool-a" in cli.subprocess("find", "script", "--tags=get,rtool").stdout.splitlines()[-1]  # sort 5 last
    # what the template does not cover runs for real: a name, another flag
    for q in (["tool-a"], ["get", "rtool"], ["--tags=get", "-j"], ["--tags=get", "--repo=tpl-repo"]):
        r = cli.subprocess("find", "script", *q)
        assert not template_used(r), (q, said(r))
    # an edit is seen: the template stands down until a real run has indexed it
    (root / "script" / "tool-c" / "_cm.yaml").write_text("alias: tool-c\ntags: [get, rtool, late]\n")
    r = cli.subprocess("find", "script", "--tags=rtool,late")
    assert not template_used(r) and r.stdout.strip().endswith("tool-c"), said(r)
    settle(root / "script" / "tool-c" / "_cm.yaml", *(cm_home / "index" / "shards").glob("*.shard"))
    cli.subprocess("find", "script", "--tags=get")  # a real run writes the template again
    r = cli.subprocess("find", "script", "--tags=late")
    assert template_used(r) and r.stdout.strip().endswith("tool-c"), said(r)
    # a broken meta means a warning to print: the real search prints it
    (root / "script" / "broken").mkdir()
    (root / "script" / "broken" / "_cm.yaml").write_text("tags: [unclosed\n")
    r = cli.subprocess("find", "script", "--tags=late")
    assert not template_used(r) and "broken" in r.stderr, said(r)


def test_ctrl_c_while_checking_a_record_is_one_line(monkeypatch, capsys, cm_home: Path) -> None:
    from cmcore import cli as cli_mod

    def interrupted(_argv):
        raise KeyboardInterrupt

    monkeypatch.setenv("CM_HOME", str(cm_home))
    monkeypatch.setattr(replay, "try_find_template", interrupted)
    assert cli_mod._main(["find", "script", "--tags=x"], process=True) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["cm error: interrupted (Ctrl-C); nothing was left half-written"]
