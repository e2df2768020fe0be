"""CM-FORMAT §7 "extra black-box checks": the CLI grammar table, artifact globs, `repo:*`,
NOT-tags, return codes; plus the §8 fixes that are visible from outside (quiet truthiness,
cwd restored on errors, cache keyed by resolved variations and by script content)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conformance_kit import parse_json_stdout, write_script

from cmcore.grammar import parse_cli
from cmcore.script.dialect import CM

# -- the CLI grammar (§2.1) ----------------------------------------------------------------


def test_parse_table_of_section_7(tmp_path, monkeypatch):
    (tmp_path / "in.json").write_text(json.dumps({"from_file": "yes", "nested": {"k": 1}}))
    monkeypatch.chdir(tmp_path)
    i = parse_cli(["run", "script", "--a", "--b-", "--c,=x,y", "--d.e-f.g=1", "@in.json", "--", "x", "y"])
    assert i["action"] == "run" and i["automation"] == "script"
    assert i["a"] is True
    assert i["b"] is False
    assert i["c"] == ["x", "y"]
    # only the first dotted segment has `-` converted
    assert i["d"] == {"e-f": {"g": "1"}}
    assert i["from_file"] == "yes" and i["nested"] == {"k": 1}
    assert i["unparsed_cmd"] == ["x", "y"]


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["-v"], {"v": True}),
        (["--skip-cache"], {"skip_cache": True}),
        (["--skip_cache-"], {"skip_cache": False}),
        (["--tags,="], {"tags": []}),
        (["--k=a=b"], {"k": "a=b"}),  # split at the first `=`
        (["--k=  padded  "], {"k": "padded"}),  # value stripped
        (["--k="], {"k": ""}),
        (["--env.CM_X=1"], {"env": {"CM_X": "1"}}),
        (["--adr.python.version_min=3.8"], {"adr": {"python": {"version_min": "3.8"}}}),
        (["--adr.python-pip.tags=x"], {"adr": {"python-pip": {"tags": "x"}}}),
        (["--a-b.c-d=1"], {"a_b": {"c-d": "1"}}),
        (["--quiet=no"], {"quiet": "no"}),  # values stay strings
        (["--n=3"], {"n": "3"}),
    ],
)
def test_parse_flags(argv, expected):
    i = parse_cli(["run", "script", *argv])
    for k, v in expected.items():
        assert i[k] == v, (argv, i)


def test_parse_positionals():
    i = parse_cli(["run", "script", "get python", "_x _y", "third"])
    assert i["artifact"] == "get python"
    assert i["artifacts"] == ["_x _y", "third"]
    assert "artifacts" not in parse_cli(["run", "script", "only"])


def test_parse_action_and_automation_need_plain_words():
    i = parse_cli(["--tags=x"])
    assert "action" not in i and i["tags"] == "x"
    i = parse_cli(["run", "--tags=x"])
    assert i["action"] == "run" and "automation" not in i


def test_parse_string_uses_shell_quoting():
    i = parse_cli('run script "detect os" --env.K="a b" -j')
    assert i["artifact"] == "detect os" and i["env"] == {"K": "a b"} and i["j"] is True


def test_input_file_is_shallow_merged_where_it_appears(tmp_path, monkeypatch):
    (tmp_path / "in.yaml").write_text("env: {FROM_FILE: '1'}\nb: file\n")
    monkeypatch.chdir(tmp_path)
    i = parse_cli(["run", "script", "--env.BEFORE=1", "--b=flag", "@in.yaml", "--env.AFTER=2"])
    # the file's `env` replaced the whole dict set before it; a later flag nests into it
    assert i["env"] == {"FROM_FILE": "1", "AFTER": "2"}
    assert i["b"] == "file"
    i = parse_cli(["run", "script", "@in.yaml", "--b=flag"])
    assert i["b"] == "flag"


def test_parse_after_double_dash_is_verbatim():
    i = parse_cli(["run", "script", "--", "--not-a-flag", "@nofile.json", "-x"])
    assert i["unparsed_cmd"] == ["--not-a-flag", "@nofile.json", "-x"]
    assert "not_a_flag" not in i


# -- finding scripts ------------------------------------------------------------------------


def names(r: dict) -> set[str]:
    assert r["return"] == 0, r.get("error")
    out = set()
    for a in r["list"]:
        p = a["path"] if isinstance(a, dict) else a.path
        out.add(Path(p).name)
    return out


def meta_text(alias: str, uid: str, tags: list[str]) -> str:
    return (
        f"alias: {alias}\nuid: '{uid}'\nautomation_alias: script\n"
        f"automation_uid: 5b4e0237da074764\ntags: [{', '.join(tags)}]\n"
    )


@pytest.fixture
def finder(corpus):
    # `cfpy` rather than `python` in the tags: installed script packages have python scripts too
    write_script(
        corpus.repo,
        corpus.dialect,
        "get-python3",
        meta_text("get-python3", "4000000000000001", ["get", "cfpy", "cfpy3"]),
    )
    write_script(
        corpus.repo,
        corpus.dialect,
        "get-python-venv",
        meta_text("get-python-venv", "4000000000000002", ["get", "cfpy", "virtual"]),
    )
    write_script(
        corpus.repo, corpus.dialect, "detect-os", meta_text("detect-os", "4000000000000003", ["detect", "os"])
    )
    return corpus


def find(**i):
    import cmcore

    return cmcore.access({"action": "find", "automation": "script", **i})


def check_glob_result(found: set[str]) -> None:
    # installed script packages may add their own *python* scripts: every hit must match
    assert {"get-python3", "get-python-venv"} <= found
    assert all(fnmatch.fnmatch(n.lower(), "*python*") for n in found), found
    assert "detect-os" not in found


def test_find_glob(finder):
    check_glob_result(names(find(artifact="*python*")))
    assert names(find(artifact="conformance-corpus:*python*")) == {"get-python3", "get-python-venv"}
    assert names(find(artifact="get-py?hon3")) == {"get-python3"}


def test_find_glob_from_the_cli(finder):
    res = finder.cli("find", "script", "*python*")
    assert res.exit_code == 0, res.stderr
    check_glob_result({Path(line.strip()).name for line in res.stdout.splitlines() if line.strip()})


def test_find_by_exact_alias(finder):
    assert names(find(artifact="detect-os")) == {"detect-os"}


def test_find_not_tags(finder):
    assert names(find(tags="get,cfpy,-virtual")) == {"get-python3"}
    assert names(find(tags="get,cfpy")) == {"get-python3", "get-python-venv"}


def test_find_repo_wildcard(finder):
    local = finder.home / "repos" / "local"
    if not (local / "cmr.yaml").exists():
        local.mkdir(parents=True, exist_ok=True)
        (local / "cmr.yaml").write_text("alias: local\nuid: 9a3280b14a4285c9\n")
    write_script(local, CM, "loc-one", meta_text("loc-one", "4000000000000004", ["loc"]))
    assert names(find(artifact="local:*")) == {"loc-one"}
    assert names(find(artifact="conformance-corpus:*python*")) == {"get-python3", "get-python-venv"}


# -- return codes (§2.2) -------------------------------------------------------------------


def test_unknown_automation_is_4(corpus):
    import cmcore

    assert cmcore.access({"action": "run", "automation": "nosuchautomation"})["return"] == 4
    res = corpus.cli.subprocess("run", "nosuchautomation")
    assert res.exit_code == 4


def test_no_script_for_tags_is_1(corpus):
    r = corpus.run("no-such-tag-anywhere")
    assert r["return"] == 1
    res = corpus.cli.subprocess("run", "script", "--tags=no-such-tag-anywhere", "--quiet")
    assert res.exit_code == 1


def test_variation_mismatch_is_16(corpus):
    assert corpus.run("t1,_nosuch")["return"] == 16


_EXIT_CODE_3 = re.compile(r"(exit|return)[ _-]?(code|status)\D{0,5}3\b", re.I)


def _without_paths(message: str) -> str:
    """The message minus file paths: a log name may contain any digits (e.g. a pid)."""
    return re.sub(r"\S*/\S+", "", message)


def test_native_exit_3_is_error_2_with_the_real_code(corpus):
    r = corpus.run("exit3")
    assert r["return"] == 2
    assert _EXIT_CODE_3.search(r["error"]), r["error"]
    assert "768" not in _without_paths(r["error"])  # CM printed the wait status (3 << 8)


def test_native_failure_from_the_cli(corpus):
    res = corpus.cli.subprocess("run", "script", "--tags=exit3", "--quiet")
    assert res.exit_code == 2
    errors = [ln for ln in res.stderr.splitlines() if "error" in ln.lower() and "exit3" in ln]
    assert len(errors) == 1, res.stderr
    assert _EXIT_CODE_3.search(errors[0]) and "768" not in _without_paths(errors[0])
    assert "Traceback" not in res.stderr


def test_cli_json_stdout_is_only_json(corpus):
    res = corpus.cli.subprocess("run", "script", "--tags=t1", "-j", "--quiet")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["new_env"]["T1_A"] == "from-default"


def test_cwd_is_restored_after_errors(corpus):
    before = os.getcwd()
    assert corpus.run("exit3")["return"] == 2
    assert os.getcwd() == before
    assert corpus.run("t2,_cpu,_cuda")["return"] != 0
    assert os.getcwd() == before
    assert corpus.run("cyc-a")["return"] != 0
    assert os.getcwd() == before


def test_failed_native_run_publishes_no_cache_entry(corpus):
    d = corpus.script_dir("ck-vars")
    (d / "run.sh").write_text("#!/bin/bash\nexit 5\n")
    r = corpus.run("ck-vars")
    assert r["return"] == 2
    assert corpus.cache_entries("ck-vars") == []


# -- §8 fixes visible from outside -----------------------------------------------------------


def test_quiet_flag_sets_the_quiet_key(corpus):
    r = corpus.ok("q-probe", quiet=True)
    assert r["new_env"]["QP_QUIET"] == "yes"


@pytest.mark.parametrize("value", ["no", "false", "off", "0"])
def test_quiet_no_is_not_quiet(corpus, value):
    # flaw 4 fixed: `--quiet=no` is NOT quiet
    r = corpus.ok("q-probe", quiet=value)
    assert r["new_env"]["QP_QUIET"] != "yes"


def test_quiet_no_from_the_cli(corpus):
    res = corpus.cli("run", "script", "--tags=q-probe", "--quiet=no", "-j")
    assert res.exit_code == 0, res.stderr
    assert parse_json_stdout(res.stdout)["new_env"]["QP_QUIET"] != "yes"


def test_cache_entry_with_a_variation_is_not_reused_by_a_plain_request(corpus):
    a = corpus.ok("ck-vars,_shared")
    b = corpus.ok("ck-vars")
    # flaw 8 fixed: the key holds the full resolved variations
    assert corpus.log_lines("ck-vars.log") == ["run shared", "run plain"]
    assert a["new_env"]["CK_DIR"] != b["new_env"]["CK_DIR"]
    assert len(corpus.cache_entries("ck-vars")) == 2
    # and each request finds its own entry again
    assert corpus.ok("ck-vars")["new_env"] == b["new_env"]
    assert corpus.ok("ck-vars,_shared")["new_env"] == a["new_env"]
    assert len(corpus.log_lines("ck-vars.log")) == 2


def test_editing_run_sh_invalidates_the_cache_entry(corpus):
    corpus.ok("ck-vars")
    corpus.ok("ck-vars")
    assert corpus.log_lines("ck-vars.log") == ["run plain"]
    run_sh = corpus.script_dir("ck-vars") / "run.sh"
    run_sh.write_text(run_sh.read_text() + "# edited\n")
    corpus.ok("ck-vars")
    assert corpus.log_lines("ck-vars.log") == ["run plain", "run plain"]


def test_dependency_spec_is_part_of_the_cache_key(corpus):
    # DESIGN "cache": the key holds what deps will be asked for; a dep patched by adr
    # gives a different result, so the entry made without the patch is not reused.
    assert corpus.ok("t9")["new_env"]["T3_VER"] == "four"
    r = corpus.ok("t9", adr={"src": {"tags": "_ver.7"}})
    assert r["new_env"]["T3_VER"] == "7"
    assert len(corpus.cache_entries("t9")) == 2


def test_cached_dep_runs_in_its_entry_and_the_user_dir_is_kept(corpus):
    r = corpus.ok("cwd-parent")
    (entry,) = corpus.cache_entries("cwd-probe")
    assert r["new_env"]["CWDP_PWD"] == str(entry.path)
    if corpus.dialect.name == "mlc":
        # MLC_USER_RUN_DIR: the user's cwd, const for the whole tree (§5.4)
        assert r["new_env"]["CWDP_USER"] == str(corpus.work)


def test_non_cached_runs_leave_no_tmp_files_in_the_users_dir(corpus):
    # §3.8 step 13 (and the project goes further: nothing is written to the cwd at all)
    corpus.ok("t1")
    corpus.ok("t10-parent")
    corpus.ok("t8", url="http://x/y")
    assert sorted(os.listdir(corpus.work)) == []


def test_failed_run_leaves_no_tmp_files_in_the_users_dir(corpus):
    # CM leaves tmp-run.sh & co. in the cwd after a failure. The project's engine keeps the
    # user's cwd clean and reports the log under the CM home instead (the error names it),
    # so copies in the cwd are clutter; `--dirty` is there to keep them on purpose.
    r = corpus.run("exit3")
    assert r["return"] == 2
    assert sorted(os.listdir(corpus.work)) == []


def test_native_failure_error_is_one_line_with_the_script_path(corpus):
    err = corpus.run("exit3")["error"]
    assert "\n" not in err.strip()
    assert str(corpus.script_dir("exit3")) in err


def test_api_accepts_a_cli_string(corpus):
    import cmcore

    r = cmcore.access('run script "t1 env-test" --a=z --quiet')
    assert r["return"] == 0, r.get("error")
    assert r["new_env"]["T1_A"] == "z"


def test_comma_tags_as_the_artifact(corpus):
    # §5.2: `mlcr detect,os` works; the project accepts it in both dialects
    res = corpus.cli("run", "script", "t1,env-test", "-j", "--quiet")
    assert res.exit_code == 0, res.stderr
    assert parse_json_stdout(res.stdout)["new_env"]["T1_A"] == "from-default"


def test_rm_cache_without_a_selection_wipes_nothing(corpus):
    # flaw 13 fixed: `cm rm cache -f` with no tags refuses instead of deleting everything
    corpus.ok("ck-vars")
    res = corpus.cli("rm", "cache", "-f")
    assert res.exit_code != 0
    assert len(corpus.cache_entries("ck-vars")) == 1


def test_rm_cache_from_python_without_force_is_an_error(corpus):
    import cmcore

    corpus.ok("ck-vars")
    r = cmcore.access({"action": "rm", "automation": "cache", "tags": "ck-vars"})
    assert r["return"] != 0, "deleting nothing must not report success"
    assert len(corpus.cache_entries("ck-vars")) == 1
    r = cmcore.access({"action": "rm", "automation": "cache", "tags": "ck-vars", "force": True})
    assert r["return"] == 0, r.get("error")
    assert corpus.cache_entries("ck-vars") == []


def test_cmr_entry_point(corpus):
    cmr = Path(sys.executable).parent / "cmr"
    if not cmr.exists():
        pytest.skip("the cmr console script is not installed next to this python")
    p = subprocess.run(
        [str(cmr), "t1 env-test", "--a=z", "-j", "--quiet"],
        cwd=corpus.work,
        env=corpus.child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["new_env"]["T1_A"] == "z"


def test_silent_run_prints_no_progress_lines(corpus):
    res = corpus.cli.subprocess("run", "script", "--tags=t10-parent", "-s", "-j", "--quiet")
    assert res.exit_code == 0, res.stderr
    assert "cm run script" not in res.stderr
    assert json.loads(res.stdout)["new_env"]["T10B_SEEN"] == "1"


def test_out_json_prints_the_result_dict(corpus):
    res = corpus.cli.subprocess("run", "script", "--tags=t1", "--out=json", "--quiet")
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["new_env"]["T1_OUT"] == "from-default|from-meta-env|"


def test_run_from_an_input_file(corpus):
    (corpus.work / "in.json").write_text(json.dumps({"tags": "t1", "a": "z", "env": {"T1_B": "ignored"}}))
    res = corpus.cli("run", "script", "@in.json", "--c=w", "-j", "--quiet", cwd=corpus.work)
    assert res.exit_code == 0, res.stderr
    new_env = parse_json_stdout(res.stdout)["new_env"]
    assert new_env == {"T1_A": "z", "T1_B": "from-meta-env", "T1_C": "w", "T1_OUT": "z|from-meta-env|w"}
