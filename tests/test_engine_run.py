"""Engine behaviour through ``session.access`` with scripts in temporary repos (mechanisms, not T1-T10)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from cmcore import hookimpl


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for k in list(os.environ):
        if k.startswith(("CM_", "MLC_")) and k != "CM_HOME":
            monkeypatch.delenv(k, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def script(meta: dict, **files: str) -> dict:
    return {"meta": meta, "files": {k.replace("_sh", ".sh").replace("_py", ".py"): v for k, v in files.items()}}


def run(session: Any, tags: str, **kw: Any) -> dict:
    return session.access({"action": "run", "automation": "script", "tags": tags, **kw})


def ok(session: Any, tags: str, **kw: Any) -> dict:
    r = run(session, tags, **kw)
    assert r["return"] == 0, r.get("error")
    return r


MARK = 'echo "$0" >> "{mark}"\n'


def test_local_keys_withheld_from_deps_unless_forced(cm_session, cm_repo, clean_env):
    cm_repo("r", {
        "child": script({"tags": ["child"], "new_env_keys": ["SEEN_*"]},
                        run_sh='echo "SEEN_INPUT=${CM_INPUT:-none}" > tmp-run-env.out\n'
                               'echo "SEEN_OUTDIR=${CM_OUTDIRNAME:-none}" >> tmp-run-env.out\n'),
        "parent": script({"tags": ["parent"], "new_env_keys": ["SEEN_*"],
                          "deps": [{"tags": "child"}]}),
        "parent2": script({"tags": ["parent2"], "new_env_keys": ["SEEN_*"],
                           "deps": [{"tags": "child", "force_env_keys": ["CM_INPUT"]}]}),
    })
    r = ok(cm_session, "parent", input="/x/in")
    assert r["new_env"]["SEEN_INPUT"] == "none"
    r = ok(cm_session, "parent2", input="/x/in")
    assert r["new_env"]["SEEN_INPUT"] == "/x/in"


def test_adr_from_input_and_meta_never_leaks(cm_session, cm_repo, clean_env):
    cm_repo("r", {
        "leaf": script({"tags": ["leaf"], "variations": {"v": {"env": {"LEAF_V": "yes"}}},
                        "new_env_keys": ["LEAF_*"]}),
        "mid": script({"tags": ["mid"], "adr": {"sib": {"tags": "_v"}}, "deps": [{"tags": "leaf", "names": ["sib"]}]}),
        "top": script({"tags": ["top"], "deps": [{"tags": "mid"}, {"tags": "leaf", "names": ["sib"]}]}),
    })
    adr = {"other": {"tags": "x"}}
    before = copy.deepcopy(adr)
    r = ok(cm_session, "top", adr=adr)
    assert r["deps"] == ["mid", "leaf"]  # mid's adr reached its own dep only, not the sibling
    assert adr == before


def test_cli_adr_patches_a_named_dep(cm_session, cm_repo, clean_env):
    cm_repo("r", {
        "leaf": script({"tags": ["leaf"], "variations": {"v": {"env": {"LEAF_V": "yes"}}},
                        "new_env_keys": ["LEAF_*"]}),
        "top": script({"tags": ["top"], "new_env_keys": ["LEAF_*"], "deps": [{"tags": "leaf", "names": ["lf"]}]}),
    })
    r = cm_session.access('run script "top" --adr.lf.tags=_v')
    assert r["return"] == 0 and r["deps"] == ["leaf,_v"] and r["new_env"]["LEAF_V"] == "yes"


def test_true_cycle_names_the_chain(cm_session, cm_repo, clean_env):
    cm_repo("r", {
        "ca": script({"tags": ["ca"], "deps": [{"tags": "cb"}]}),
        "cb": script({"tags": ["cb"], "deps": [{"tags": "ca"}]}),
    })
    r = run(cm_session, "ca")
    assert r["return"] == 1 and "ca -> cb -> ca" in r["error"]


def test_fake_deps_records_without_running(cm_session, cm_repo, clean_env, tmp_path):
    mark = tmp_path / "mark"
    cm_repo("r", {
        "dep": script({"tags": ["dep"]}, run_sh=MARK.format(mark=mark)),
        "top": script({"tags": ["top"], "deps": [{"tags": "dep"}]}),
    })
    r = ok(cm_session, "top", fake_deps=True)
    assert r["deps"] == ["dep"] and not mark.exists()
    ok(cm_session, "top")
    assert mark.exists()


def test_dry_run_prints_tree_and_runs_nothing(cm_session, cm_repo, clean_env, tmp_path, capsys):
    mark = tmp_path / "mark"
    cm_repo("r", {
        "dep": script({"tags": ["dep"], "cache": True, "variations": {"x": {}}}, run_sh=MARK.format(mark=mark)),
        "off": script({"tags": ["off"]}),
        "top": script({"tags": ["top"], "deps": [{"tags": "dep,_x"}, {"tags": "off", "enable_if_env": {"GO": ["yes"]}}],
                       "post_deps": [{"tags": "dep"}]}, run_sh=MARK.format(mark=mark)),
        "top2": script({"tags": ["top2"], "deps": [{"tags": "dep,_y"}]}),
    })
    r = ok(cm_session, "top", dry_run=True, out="con")
    out = capsys.readouterr().out
    assert not mark.exists() and not list(clean_env.iterdir())
    assert out.splitlines() == ["top", "  - [deps] dep _x [cached]", "  - [deps] off (skipped: conditions)",
                                "  - [post_deps] dep [cached]"]
    assert [d.get("script") for d in r["tree"]["deps"]] == ["dep", None, "dep"]
    r = run(cm_session, "top2", dry_run=True)
    assert r["return"] == 16 and "_y" in r["error"]  # the whole tree is resolved


def test_help_lists_variations_and_mapped_flags(cm_session, cm_repo, clean_env, capsys):
    cm_repo("r", {"h": script({"tags": ["h"], "input_mapping": {"url": "H_URL"},
                               "input_description": {"url": {"desc": "where from"}},
                               "variations": {"a": {"group": "g", "default": True}, "b": {"group": "g"},
                                              "u.#": {}}})})
    r = ok(cm_session, "h", help=True, out="con")
    text = capsys.readouterr().out
    assert "group g: _a (default), _b" in text and "--url -> --env.H_URL  where from" in text
    assert "_u.<value>" in text and r["help"] == text.strip()
    assert "usage: cm run script" in ok(cm_session, "", help=True)["help"]


def test_search_accepts_spaces_and_commas_and_ignores_variations(cm_session, cm_repo, clean_env):
    cm_repo("r", {"gp": script({"tags": ["gett", "pyth3"], "sort": 5}),
                  "gp2": script({"tags": ["gett", "pyth3", "other"], "sort": 1})})
    for form in ({"artifact": "gett,pyth3"}, {"artifact": "gett pyth3 _shared"}, {"tags": "gett,pyth3"}):
        r = cm_session.access({"action": "find", "automation": "script", **form})
        assert r["return"] == 0
        assert [a.alias for a in r["list"]] == ["gp2", "gp"]  # meta sort first


def test_ambiguous_choice_is_deterministic_with_one_notice(cm_session, cm_repo, clean_env, capsys):
    cm_repo("r", {
        "zz": script({"tags": ["amb"], "new_env_keys": ["WHO"], "env": {"WHO": "zz"}}),
        "aa": script({"tags": ["amb"], "new_env_keys": ["WHO"], "env": {"WHO": "aa"}}),
    })
    r = ok(cm_session, "amb")
    err = capsys.readouterr().err
    assert r["new_env"]["WHO"] == "aa"
    assert err.count("several scripts match") == 1


def test_no_script_and_no_variation_errors(cm_session, cm_repo, clean_env):
    cm_repo("r", {"dos": script({"tags": ["zdetect", "zos"], "variations": {"fast": {}}})})
    r = run(cm_session, "zdetect,zoss")
    assert r["return"] == 1 and 'did you mean "zos"' in r["error"]
    r = run(cm_session, "zdetect,zos,_fats")
    assert r["return"] == 16 and '"_fast"' in r["error"]


def test_quiet_no_is_not_quiet(cm_session, cm_repo, clean_env):
    cm_repo("r", {"q": script({"tags": ["q"], "new_env_keys": ["Q"]},
                              run_sh='echo "Q=${CM_QUIET:-unset}" > tmp-run-env.out\n')})
    assert ok(cm_session, "q", quiet="no")["new_env"]["Q"] == "unset"
    assert ok(cm_session, "q", quiet=True)["new_env"]["Q"] == "yes"


def test_failure_restores_cwd_and_env_and_names_code_and_log(cm_session, cm_repo, clean_env):
    cm_repo("r", {"bad": script({"tags": ["bad"], "cache": True, "env": {"BAD": "1"}},
                                run_sh="echo oops\nexit 3\n")})
    env = {"MINE": "1"}
    r = run(cm_session, "bad", env=env)
    assert r["return"] == 2
    assert "exit code 3" in r["error"] and "run.sh" in r["error"] and "log:" in r["error"]
    assert "\n" not in r["error"] and Path(r["log_path"]).read_text().strip() == "oops"
    assert Path.cwd() == clean_env and env == {"MINE": "1"}
    assert not list(clean_env.iterdir())
    cm_repo("r2", {"bad2": script({"tags": ["bad2"]}, run_sh="echo x > tmp-run.out\nexit 3\n")})
    r = run(cm_session, "bad2")
    assert r["return"] == 2 and Path(r["log_path"]).is_file()
    assert not list(clean_env.iterdir())  # not cached: the tmp files left the user's folder too


def test_tmp_files_cleaned_unless_dirty(cm_session, cm_repo, clean_env):
    cm_repo("r", {"w": script({"tags": ["w"]}, run_sh="echo 1 > tmp-ver.out\necho 1 > tmp-run.out\n"
                                                     "echo kept > out.txt\n")})
    (clean_env / "tmp-mine.txt").write_text("the user's own file")
    ok(cm_session, "w")
    assert sorted(p.name for p in clean_env.iterdir()) == ["out.txt", "tmp-mine.txt"]
    ok(cm_session, "w", dirty=True)
    assert "tmp-run.sh" in {p.name for p in clean_env.iterdir()}


def test_ctrl_c_propagates_and_releases_the_reservation(cm_session, cm_repo, cm_register, clean_env):
    cm_repo("r", {"c": script({"tags": ["c"], "cache": True, "new_env_keys": ["C"]},
                              run_sh='echo "C=done" > tmp-run-env.out\n')})

    class Interrupt:
        @hookimpl(tryfirst=True)
        def cm_run(self, component, session):
            raise KeyboardInterrupt

    name = cm_register(Interrupt())
    env: dict = {"K": "v"}
    with pytest.raises(KeyboardInterrupt):
        run(cm_session, "c", env=env)
    assert Path.cwd() == clean_env and env == {"K": "v"}
    cache_root = Path(cm_session.home) / "repos" / "local" / "cache"
    assert not list(cache_root.glob("*/_cm.json"))  # nothing half-published
    cm_session.pm.unregister(name=name)
    r = ok(cm_session, "c")
    assert r["new_env"] == {"C": "done"}
    assert ok(cm_session, "c")["cached"] is True


def test_plugin_takes_over_run_and_postprocess_sees_result(cm_session, cm_repo, cm_register, clean_env, tmp_path):
    mark = tmp_path / "mark"
    cm_repo("r", {"p": script({"tags": ["p"], "new_env_keys": ["P_*"]}, run_sh=MARK.format(mark=mark))})
    seen: list = []

    class Takeover:
        @hookimpl(tryfirst=True)
        def cm_run(self, component, session):
            return {"P_OUT": component.name}

        @hookimpl
        def cm_postprocess(self, component, session, result):
            seen.append((component.kind, result["new_env"]))

    cm_register(Takeover())
    assert ok(cm_session, "p")["new_env"] == {"P_OUT": "p"}
    assert not mark.exists() and seen == [("script", {"P_OUT": "p"})]


def test_dynamic_deps_run_on_a_cache_hit(cm_session, cm_repo, clean_env, tmp_path):
    dyn, stat = tmp_path / "dyn", tmp_path / "stat"
    cm_repo("r", {
        "d": script({"tags": ["d"]}, run_sh=MARK.format(mark=dyn)),
        "s": script({"tags": ["s"]}, run_sh=MARK.format(mark=stat)),
        "top": script({"tags": ["top"], "cache": True, "deps": [{"tags": "d", "dynamic": True}, {"tags": "s"}]}),
    })
    ok(cm_session, "top")
    assert ok(cm_session, "top")["cached"] is True
    assert len(dyn.read_text().splitlines()) == 2 and len(stat.read_text().splitlines()) == 1


def test_mixed_dialects_each_script_gets_its_own_keys(cm_session, cm_repo, clean_env):
    cm_repo("mlcrepo", {"m": script({"tags": ["mdep"], "cache": True, "new_env_keys": ["M_*"]},
                                    run_sh='echo "M_P=${MLC_TMP_CURRENT_SCRIPT_PATH:-x}|${CM_TMP_CURRENT_SCRIPT_PATH:-x}"'
                                           ' > tmp-run-env.out\necho "M_V=$MLC_VERSION" >> tmp-run-env.out\n')},
            dialect="mlc")
    cm_repo("cmrepo", {"c": script({"tags": ["cdep"], "new_env_keys": ["M_*", "C_*"],
                                    "deps": [{"tags": "mdep", "version": "1.2"}]},
                                   run_sh='echo "C_P=${CM_TMP_CURRENT_SCRIPT_PATH:-x}" > tmp-run-env.out\n')})
    r = ok(cm_session, "cdep")
    mpath, cpath = r["new_env"]["M_P"].split("|")
    assert mpath.endswith("/script/m") and cpath == "x"
    assert r["new_env"]["M_V"] == "1.2" and r["new_env"]["C_P"].endswith("/script/c")
    cache_root = Path(cm_session.home) / "repos" / "local" / "cache"
    assert list(cache_root.glob("*/mlc-cached-state.json")) and not list(cache_root.glob("*/cm-cached-state.json"))


def test_preprocess_skip_with_script_runs_the_other(cm_session, cm_repo, clean_env):
    cm_repo("r", {
        "other": script({"tags": ["other"], "new_env_keys": ["O"], "env": {"O": "ran"}}),
        "sk": script({"tags": ["sk"]}, customize_py=(
            "def preprocess(i):\n"
            "    return {'return': 0, 'skip': True, 'script': {'tags': 'other'}}\n")),
    })
    r = ok(cm_session, "sk")
    assert r["new_env"] == {"O": "ran"}


def test_update_meta_if_env_mappings_outdir_and_save_env(cm_session, cm_repo, clean_env):
    cm_repo("r", {"u": script({
        "tags": ["u"], "new_env_keys": ["U_*", "NEW_*"],
        "update_meta_if_env": [{"enable_if_env": {"U_ON": ["yes"]}, "env": {"U_APPLIED": "1"}}],
        "env_key_mappings": {"OLD_": "NEW_"},
        "input_mapping": {"on": "U_ON"},
        "env": {"OLD_A": "a"},
    }, run_sh='pwd > where.txt\necho "U_RAN=1" > tmp-run-env.out\n')})
    r = ok(cm_session, "u", on="yes", outdirname="outd", save_env=True)
    assert r["new_env"]["U_APPLIED"] == "1" and r["new_env"]["NEW_A"] == "a"
    assert (clean_env / "outd" / "where.txt").read_text().strip() == str(clean_env / "outd")
    assert "export U_RAN='1'" in (clean_env / "tmp-env.sh").read_text()
    r = ok(cm_session, "u")
    assert "U_APPLIED" not in r["new_env"]


def test_mlc_predeps_hook_can_change_deps(cm_session, cm_repo, clean_env):
    cm_repo("m", {
        "dep1": script({"tags": ["dep1"], "new_env_keys": ["D1"], "env": {"D1": "x"}}),
        "pre": script({"tags": ["pre"], "new_env_keys": ["D1"]}, customize_py=(
            "def predeps(i):\n"
            "    i['meta']['deps'].append({'tags': 'dep1'})\n"
            "    return {'return': 0}\n")),
    }, dialect="mlc")
    r = ok(cm_session, "pre")
    assert r["deps"] == ["dep1"] and r["new_env"] == {"D1": "x"}


def test_print_deps_and_versions_written_back(cm_session, cm_repo, clean_env):
    cm_repo("r", {
        "leaf": script({"tags": ["leaf"]}),
        "v": script({"tags": ["v"], "new_env_keys": ["CM_VERSION*"], "version_min": "1.0",
                     "deps": [{"tags": "leaf"}]}),
    })
    r = ok(cm_session, "v", print_deps=True, version_max="2.0")
    assert r["new_state"]["print_deps"] == ["cm run script --tags=leaf"]
    assert r["new_env"] == {"CM_VERSION_MIN": "1.0", "CM_VERSION_MAX": "2.0"}


def test_cli_json_prints_result_on_stdout(cm_cli, cm_repo, clean_env):
    cm_repo("r", {"dos": script({"tags": ["zdetect", "zos"], "new_env_keys": ["OS_*"], "env": {"OS_X": "linux"}})})
    res = cm_cli("run", "script", "zdetect zos", "-j", cwd=clean_env)
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["new_env"] == {"OS_X": "linux"}


def test_native_run_returns_code_without_failing(cm_session, clean_env):
    r = cm_session.access({"action": "native-run", "automation": "script", "command": 'test "$K" = "a b"; exit 3',
                           "env": {"K": "a b"}})
    assert r == {"return": 0, "return_code": 3}
    assert not list(clean_env.iterdir())
    r = cm_session.access({"action": "native-run", "automation": "script", "command": 'test "$K" = "a b"',
                           "env": {"K": "a b"}})
    assert r["return_code"] == 0
    assert cm_session.access({"action": "native_run", "automation": "script"})["return"] == 1


def test_bad_input_types_are_one_line_errors(cm_session, cm_repo, clean_env):
    cm_repo("r", {"x": script({"tags": ["x"]})})
    r = run(cm_session, "x", env="A=1")
    assert r["return"] == 1 and "mapping" in r["error"]
    assert run(cm_session, "")["return"] == 1


def test_customize_gets_the_automation_object_itself(cm_session, cm_repo, clean_env):
    cm_repo("r", {"same": script({"tags": ["same"], "new_env_keys": ["SAME", "HAS_HELPER"]}, customize_py=(
        "import cmcore.session\n"
        "def preprocess(i):\n"
        "    auto = cmcore.session.current().automation('script')\n"
        "    i['env']['SAME'] = str(i['automation'] is auto)\n"
        "    i['env']['HAS_HELPER'] = str(callable(i['automation'].find_artifact))\n"
        "    return {'return': 0}\n"))})
    assert ok(cm_session, "same")["new_env"] == {"SAME": "True", "HAS_HELPER": "True"}


def test_mlc_user_run_dir_is_const_for_the_tree(cm_session, cm_repo, clean_env):
    cm_repo("m", {
        "leaf": script({"tags": ["mleaf"], "new_env_keys": ["LEAF_DIR"]},
                       run_sh='echo "LEAF_DIR=$MLC_USER_RUN_DIR" > tmp-run-env.out\n'),
        "top": script({"tags": ["mtop"], "new_env_keys": ["LEAF_DIR"], "deps": [{"tags": "mleaf"}]}),
    }, dialect="mlc")
    sub = clean_env / "sub"
    sub.mkdir()
    os.chdir(sub)
    assert ok(cm_session, "mtop")["new_env"]["LEAF_DIR"] == str(sub)


def test_docker_guards_and_clean_output_files(cm_session, cm_repo, clean_env, tmp_path):
    mark = tmp_path / "mark"
    cm_repo("r", {
        "nod": script({"tags": ["nod"], "docker": {"run": False}, "env": {"X": "1"}, "new_env_keys": ["X"]},
                      run_sh=MARK.format(mark=mark)),
        "co": script({"tags": ["co"], "clean_output_files": ["old.txt"]}),
    })
    r = ok(cm_session, "nod", env={"CM_RUN_STATE_DOCKER": "yes"})
    assert r["new_env"] == {} and not mark.exists()
    (clean_env / "old.txt").write_text("stale")
    ok(cm_session, "co")
    assert not (clean_env / "old.txt").exists()


def test_ignore_script_error_force_new_env_keys_skip_cache_and_extra_cmd(cm_session, cm_repo, clean_env,
                                                                         monkeypatch):
    cm_repo("r", {
        "f": script({"tags": ["f"], "new_env_keys": ["F_A"], "env": {"F_A": "a", "F_B": "b"}},
                    run_sh="exit 4\n"),
        "c": script({"tags": ["cc"], "cache": True, "new_env_keys": ["C_*"]},
                    run_sh='echo "C_PWD=$PWD" > tmp-run-env.out\n'),
    })
    assert run(cm_session, "f")["return"] == 2
    r = ok(cm_session, "f", ignore_script_error=True, force_new_env_keys=["F_B"])
    assert r["new_env"] == {"F_B": "b"}
    r = ok(cm_session, "cc", skip_cache=True)
    assert r["new_env"]["C_PWD"] == str(clean_env) and "cache_path" not in r
    assert not (Path(cm_session.home) / "repos" / "local" / "cache").exists()
    monkeypatch.setenv("CM_SCRIPT_EXTRA_CMD", "--skip_cache --env.C_X=1")
    r = ok(cm_session, "cc")
    assert r["new_env"]["C_X"] == "1" and "cache_path" not in r


def test_posthook_dep_keeps_the_parents_tmp_ver_out(cm_session, cm_repo, clean_env):
    cm_repo("r", {
        "hook": script({"tags": ["hook"]}, run_sh="echo hook > tmp-hook.out\n"),
        "par": script({"tags": ["par"], "new_env_keys": ["PAR_VER"], "posthook_deps": [{"tags": "hook"}]},
                      run_sh="echo 'tool 1.2.3' > tmp-ver.out\n",
                      customize_py=("def postprocess(i):\n"
                                    "    i['env']['PAR_VER'] = open('tmp-ver.out').read().split()[1]\n"
                                    "    return {'return': 0}\n")),
    })
    assert ok(cm_session, "par")["new_env"] == {"PAR_VER": "1.2.3"}
    assert not list(clean_env.iterdir())


def test_reporting_flags_versions_space_pause(cm_session, cm_repo, clean_env, caplog, capsys, monkeypatch):
    cm_repo("r", {
        "leaf": script({"tags": ["rep-leaf"], "default_version": "1.2.3"}),
        "top": script({"tags": ["rep-top"], "deps": [{"tags": "rep-leaf"}]}, run_sh="echo ok\n"),
    })
    capsys.readouterr()
    ok(cm_session, "rep-top", print_versions=True, dump_version_info=True, space=True, pause=True)
    err = capsys.readouterr().err
    assert "leaf: 1.2.3" in err and "disk space used by this run:" in err
    for name in ("cm-run-script-versions.json", "version_info.json"):
        entries = json.loads((clean_env / name).read_text())
        assert [next(iter(e)) for e in entries] == ["rep-leaf", "rep-top"]  # CM's {tags: {...}} shape
        leaf = entries[0]["rep-leaf"]
        assert leaf["script_alias"] == "leaf" and leaf["version"] == "1.2.3" and leaf["parent"] == "top"
        assert entries[1]["rep-top"]["parent"] is None
    # --pause waits for Enter only where one can be typed (stdin here is not a terminal)
    asked: list[str] = []
    monkeypatch.setattr("sys.stdin.readline", lambda: asked.append("read") or "\n", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    capsys.readouterr()
    ok(cm_session, "rep-top", pause=True)
    assert asked == ["read"]
    out, err = capsys.readouterr()
    assert err.endswith("Press Enter to continue...") and "Press Enter" not in out


def test_min_cm_version_is_checked_against_the_cm_api_cmcore_provides(cm_session, cm_repo, clean_env):
    from cmcore.compat.shims import CMIND_API_VERSION

    cm_repo("r", {
        "old-enough": script({"tags": ["mcv-ok"], "min_cm_version": "2.0.0"}),
        "too-new": script({"tags": ["mcv-new"], "min_cm_version": "99.0"}),
    })
    ok(cm_session, "mcv-ok")
    r = run(cm_session, "mcv-new")
    assert r["return"] == 1 and "needs CM >= 99.0" in r["error"] and CMIND_API_VERSION in r["error"]


def test_print_readme_says_how_to_reproduce_and_what_ran(cm_session, cm_repo, clean_env, cm_cli):
    cm_repo("r", {
        "leaf": script({"tags": ["rd-leaf"], "default_version": "2.0"}),
        "top": script({"tags": ["rd-top"], "deps": [{"tags": "rd-leaf"}], "variations": {"fast": {}}}),
    })
    ok(cm_session, "rd-top,_fast", print_readme=True, env={"MY_TOKEN": "s3cr3t-value"})
    text = (clean_env / "README-cm.md").read_text()
    assert text.startswith("# cm run script top\n")
    assert "cm run script --tags=rd-top,_fast" in text
    assert "| leaf |  | 2.0 | top |" in text and "| top | _fast |" in text
    r = cm_cli("run", "script", "--tags=rd-top", "--print_readme", "--env.MY_TOKEN=s3cr3t-value", "--quiet")
    assert r.exit_code == 0, r.stderr
    text = (clean_env / "README-cm.md").read_text()
    assert "cm run script --tags=rd-top --print_readme" in text and "s3cr3t-value" not in text


def test_shell_opens_bash_with_the_new_env_or_says_why_not(cm_session, cm_repo, clean_env, capsys, monkeypatch):
    cm_repo("r", {"s": script({"tags": ["sh-me"], "new_env_keys": ["SH_*"]},
                              run_sh='echo "SH_OUT=made it" > tmp-run-env.out\n')})
    capsys.readouterr()
    ok(cm_session, "sh-me", shell=True)
    err = capsys.readouterr().err
    assert "--shell: no terminal" in err  # stdin is not a terminal here: nothing waits
    assert "export SH_OUT='made it'" in (clean_env / "tmp-env.sh").read_text()
    seen: list = []

    def fake_call(cmd, cwd=None):
        rc = cmd[cmd.index("--rcfile") + 1]
        seen.append((cmd, cwd, Path(rc).read_text(), oct(os.stat(rc).st_mode & 0o777)))
        return 0

    import subprocess

    monkeypatch.setattr(subprocess, "call", fake_call)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    ok(cm_session, "sh-me", shell=True)
    ((cmd, cwd, text, mode),) = seen
    assert cmd[0] == "bash" and cmd[-1] == "-i" and cwd == str(clean_env)
    assert "export SH_OUT='made it'" in text and mode == "0o600"
    assert not Path(cmd[cmd.index("--rcfile") + 1]).exists()  # removed once the shell is left


def test_repro_dumps_input_output_state_readme_and_a_dockerfile(cm_session, cm_repo, clean_env):
    cm_repo("r", {
        "leaf": script({"tags": ["rp-leaf"], "default_version": "3.1"}),
        "top": script({"tags": ["rp-top"], "deps": [{"tags": "rp-leaf"}], "new_env_keys": ["RP_*"]},
                      run_sh='echo "RP_OK=yes" > tmp-run-env.out\n'),
    })
    ok(cm_session, "rp-top", repro=True, env={"API_TOKEN": "t0ps3cret-xyz"})
    d = clean_env / "cm-repro"
    names = sorted(p.name for p in d.iterdir())
    assert names == ["Dockerfile", "README.md", "cm-run-script-info.json", "cm-run-script-input.json",
                     "cm-run-script-output.json", "cm-run-script-run-state.json"]
    assert json.loads((d / "cm-run-script-input.json").read_text())["tags"] == "rp-top"
    assert json.loads((d / "cm-run-script-output.json").read_text())["new_env"]["RP_OK"] == "yes"
    state = json.loads((d / "cm-run-script-run-state.json").read_text())
    assert [v["script_alias"] for v in state["version_info"]] == ["leaf", "top"] and state["deps"] == ["rp-leaf"]
    assert "FROM " in (d / "Dockerfile").read_text() and "--repro" not in (d / "Dockerfile").read_text()
    assert not any("t0ps3cret-xyz" in p.read_text() for p in d.iterdir())
    ok(cm_session, "rp-top", repro=True, repro_dir="elsewhere", repro_prefix="mine")
    assert (clean_env / "elsewhere" / "mine-output.json").is_file()


def test_default_cfg_gives_defaults_to_every_top_level_run(cm_session, cm_repo, clean_env, cm_cli):
    cm_repo("r", {"s": script({"tags": ["cfg-me"], "new_env_keys": ["CFG_*"]},
                              run_sh='echo "CFG_SEEN=${CM_FROM_CFG:-none}-${CM_GIVEN:-none}" > tmp-run-env.out\n')})
    assert ok(cm_session, "cfg-me", env={"CM_GIVEN": "cli"})["new_env"]["CFG_SEEN"] == "none-cli"
    r = cm_cli("add", "cfg", "default", "--meta.config.script.env.CM_FROM_CFG=cfg",
               "--meta.config.script.env.CM_GIVEN=cfg")
    assert r.exit_code == 0, r.stderr
    found = cm_cli("find", "cfg")
    assert found.exit_code == 0 and "default" in found.stdout
    # the cfg fills in what the command did not give; what it gave wins
    assert ok(cm_session, "cfg-me", env={"CM_GIVEN": "cli"})["new_env"]["CFG_SEEN"] == "cfg-cli"
    assert ok(cm_session, "cfg-me")["new_env"]["CFG_SEEN"] == "cfg-cfg"
