"""The helpers customize.py files call on i['automation'] (CM-FORMAT §3.10), with real
fake executables printing versions in tmp dirs and real run.sh probes (corpus T6)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from cmcore.script.customize_api import build_run_script_input, call_hook, load_customize
from cmcore.script.dialect import CM, MLC
from cmcore.script.helpers import ScriptHelpers

DETECT_CUSTOMIZE = """\
def detect_version(i):
    r = i['automation'].parse_version({'match_text': r't6tool ([\\d.]+)', 'group_number': 1,
                                       'env_key': '{P}T6_VERSION', 'which_env': i['env']})
    if r['return'] > 0:
        return r
    return {'return': 0, 'version': r['version']}

def preprocess(i):
    r = i['automation'].find_artifact({'file_name': 't6tool', 'env': i['env'], 'os_info': i['os_info'],
                                       'default_path_env_key': 'PATH', 'detect_version': True,
                                       'env_path_key': '{P}T6_BIN_WITH_PATH',
                                       'run_script_input': i['run_script_input']})
    return r
"""


class Helpers(ScriptHelpers):
    def __init__(self, session) -> None:
        self.session = session


@pytest.fixture
def helpers(cm_session) -> Helpers:
    return Helpers(cm_session)


def fake_tool(d: Path, name: str, version: str, fail: bool = False) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / name
    p.write_text(f"#!/bin/sh\n{'exit 2' if fail else ''}\necho '{name} {version}'\n")
    p.chmod(0o755)
    return p


def t6_script(tmp_path: Path, dialect=CM) -> Path:
    d = tmp_path / "script" / "t6-get-tool"
    d.mkdir(parents=True)
    p = dialect.prefix
    (d / "run.sh").write_text(f'"${p}T6_BIN_WITH_PATH" --version > tmp-ver.out\n')
    (d / "customize.py").write_text(DETECT_CUSTOMIZE.replace("{P}", p))
    return d


@pytest.fixture
def t6(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    fake_tool(d1, "t6tool", "1.2.0")
    fake_tool(d2, "t6tool", "2.0.1")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return t6_script(tmp_path), d1, d2


def preprocess(helpers: Helpers, script_dir: Path, env: dict, dialect=CM) -> dict:
    mod = load_customize(script_dir, dialect)
    state: dict = {}
    rsi = build_run_script_input(script_path=script_dir, env=env, state=state, meta={}, dialect=dialect)
    i = {"env": env, "state": state, "automation": helpers, "run_script_input": rsi, "os_info": rsi["os_info"]}
    r = call_hook(mod, "preprocess", i, dialect)
    assert r is not None
    return r


# -- find_artifact ------------------------------------------------------------------------


def test_version_min_selects_the_newer_tool_and_exports_path(helpers, t6) -> None:
    script, d1, d2 = t6
    env = {"CM_TMP_PATH": f"{d1}:{d2}", "CM_VERSION_MIN": "2.0", "CM_QUIET": "yes"}
    r = preprocess(helpers, script, env)
    assert r["return"] == 0, r
    assert r["found_file_path"] == str(d2 / "t6tool") and r["version"] == "2.0.1"
    assert env["CM_T6_BIN_WITH_PATH"] == str(d2 / "t6tool")
    assert env["+PATH"] == [str(d2)]
    assert "CM_T6_VERSION" not in env  # probes work on a copy of env


def test_two_candidates_take_the_first_with_one_notice_and_no_prompt(helpers, t6, capsys) -> None:
    script, d1, d2 = t6
    env = {"CM_TMP_PATH": f"{d1}:{d2}"}  # no CM_QUIET: still no prompt
    r = preprocess(helpers, script, env)
    assert r["return"] == 0 and r["found_file_path"] == str(d1 / "t6tool") and r["version"] == "1.2.0"
    err = capsys.readouterr().err
    assert err.count("the first of 2 candidates") == 1 and f"also found: {d2 / 't6tool'}" in err


def test_exact_version_and_max(helpers, t6) -> None:
    script, d1, d2 = t6
    env = {"CM_TMP_PATH": f"{d1}:{d2}", "CM_VERSION": "2.0.1"}
    assert preprocess(helpers, script, env)["found_path"] == str(d2)
    env = {"CM_TMP_PATH": f"{d2}:{d1}", "CM_VERSION_MAX": "1.9"}
    assert preprocess(helpers, script, env)["found_path"] == str(d1)


def test_nothing_satisfies_gives_16(helpers, t6) -> None:
    script, d1, d2 = t6
    env = {"CM_TMP_PATH": f"{d1}:{d2}", "CM_VERSION_MIN": "3.0"}
    r = preprocess(helpers, script, env)
    assert r["return"] == 16 and "t6tool" in r["error"] and "version 2.0.1 < min 3.0" in r["error"]
    assert "CM_T6_BIN_WITH_PATH" not in env and "+PATH" not in env


def test_failed_probe_drops_the_candidate(helpers, t6, tmp_path) -> None:
    script, d1, d2 = t6
    bad = tmp_path / "bad"
    fake_tool(bad, "t6tool", "9.9", fail=True)
    env = {"CM_TMP_PATH": f"{bad}:{d2}"}
    r = preprocess(helpers, script, env)
    assert r["return"] == 0 and r["found_path"] == str(d2)


def test_default_path_search_without_tmp_path(helpers, t6, monkeypatch) -> None:
    script, d1, d2 = t6
    monkeypatch.setenv("PATH", f"{d2}:{os.environ['PATH']}")
    env: dict = {}
    r = preprocess(helpers, script, env)
    assert r["return"] == 0 and r["found_path"] == str(d2)
    assert "+PATH" not in env  # already on the default path
    assert str(d2) in r["default_path_list"]


def test_missing_tmp_path_dir_is_an_error_unless_ignored(helpers, t6, tmp_path) -> None:
    script, d1, d2 = t6
    env = {"CM_TMP_PATH": f"{tmp_path / 'nope'}:{d2}"}
    r = preprocess(helpers, script, env)
    assert r["return"] == 1 and "nope" in r["error"]
    env = {"CM_TMP_PATH": f"{tmp_path / 'nope'}:{d2}", "CM_TMP_PATH_IGNORE_NON_EXISTANT": "yes"}
    assert preprocess(helpers, script, env)["found_path"] == str(d2)


def test_input_forces_one_exact_file(helpers, t6, tmp_path) -> None:
    script, d1, d2 = t6
    env = {"CM_TMP_PATH": f"{d1}", "CM_INPUT": str(d2 / "t6tool")}
    assert preprocess(helpers, script, env)["found_file_path"] == str(d2 / "t6tool")
    env = {"CM_INPUT": str(tmp_path / "missing")}
    assert preprocess(helpers, script, env)["return"] == 16


def test_mlc_dialect_keys(helpers, tmp_path, monkeypatch) -> None:
    d1 = tmp_path / "d1"
    fake_tool(d1, "t6tool", "1.5")
    monkeypatch.chdir(tmp_path)
    script = t6_script(tmp_path, MLC)
    env = {"MLC_TMP_PATH": str(d1), "MLC_VERSION_MIN": "1.4", "CM_VERSION_MIN": "9"}
    r = preprocess(helpers, script, env, MLC)
    assert r["return"] == 0 and env["MLC_T6_BIN_WITH_PATH"] == str(d1 / "t6tool")


def test_version_suffix_globs_and_extra_paths(helpers, tmp_path) -> None:
    root = tmp_path / "tool"
    b = root / "bin"
    for n in ("pyx", "pyx3", "pyx3.11", "pyx-12", "pyxfoo", "pyx3.11-config"):
        fake_tool(b, n, "1")
    (root / "include").mkdir()
    env = {"CM_TMP_PATH": str(b)}
    r = helpers.find_file_in_paths({"paths": [str(b)], "file_name": "pyx", "env": env})
    names = [os.path.basename(f) for f in r["found_files"]]
    assert names == ["pyx", "pyx-12", "pyx3"]  # "3.11" is not one of the suffix shapes after "pyx"
    r = helpers.find_file_in_paths({"paths": [str(b)], "file_name": "pyx3", "env": env})
    assert [os.path.basename(f) for f in r["found_files"]] == ["pyx3", "pyx3.11"]
    r = helpers.find_artifact({"file_name": "pyx3", "env": env, "env_path_key": "CM_PYX",
                               "extra_paths": {"include": "+C_INCLUDE_PATH", "lib": "+LD_LIBRARY_PATH"}})
    assert r["return"] == 0 and env["CM_PYX"] == str(b / "pyx3")
    assert env["+C_INCLUDE_PATH"] == [str(root / "include")] and "+LD_LIBRARY_PATH" not in env


def test_a_folder_listed_twice_or_via_a_symlink_is_searched_once(helpers, tmp_path) -> None:
    real = tmp_path / "usr" / "bin"
    fake_tool(real, "tl", "1")
    (tmp_path / "bin").symlink_to(real)
    r = helpers.find_file_in_paths({"paths": [str(real), str(tmp_path / "bin"), str(real)], "file_name": "tl", "env": {}})
    assert r["found_files"] == [str(real / "tl")]


def test_hook_can_skip_candidates(helpers, tmp_path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    fake_tool(a, "tl", "1")
    fake_tool(b, "tl", "1")
    env = {"CM_TMP_PATH": f"{a}:{b}"}
    r = helpers.find_artifact({"file_name": "tl", "env": env,
                               "hook": lambda x: {"return": 0, "skip": x["file"].startswith(str(a))}})
    assert r["found_path"] == str(b)
    r = helpers.find_artifact({"file_name": "tl", "env": env, "hook": lambda x: {"return": 1, "error": "bad hook"}})
    assert r == {"return": 1, "error": "bad hook"}


def test_detect_version_without_run_script_input_is_an_error_dict(helpers, tmp_path) -> None:
    fake_tool(tmp_path / "a", "tl", "1")
    r = helpers.find_artifact({"file_name": "tl", "env": {"CM_TMP_PATH": str(tmp_path / "a")}, "detect_version": True})
    assert r["return"] == 1 and "run_script_input" in r["error"]


# -- parse_version, detect_version_using_script --------------------------------------------


def test_parse_version(helpers, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tmp-ver.out").write_text("Python 3.11.4\n")
    env: dict = {}
    r = helpers.parse_version({"match_text": r"Python\s*([\d.]+)", "group_number": 1,
                               "env_key": "CM_PYTHON_VERSION", "which_env": env})
    assert r == {"return": 0, "version": "3.11.4", "string": "Python 3.11.4\n"}
    assert env == {"CM_PYTHON_VERSION": "3.11.4", "CM_DETECTED_VERSION": "3.11.4"}
    env2: dict = {}
    helpers.parse_version({"match_text": r"Python\s*([\d.]+)", "env_key": "MLC_PYTHON_VERSION", "which_env": env2})
    assert env2["MLC_DETECTED_VERSION"] == "3.11.4"
    r = helpers.parse_version({"match_text": r"Ruby ([\d.]+)", "env_key": "X", "which_env": env})
    assert r["return"] == 1 and r["error"] == "version was not detected"
    r = helpers.parse_version({"match_text": r"Python", "group_number": 1, "env_key": "X", "which_env": env})
    assert r["return"] == 1 and "group 1" in r["error"]
    r = helpers.parse_version({"match_text": "x", "file_name": "missing.out", "env_key": "X", "which_env": env})
    assert r["return"] == 16


def test_detect_version_using_script(helpers, t6) -> None:
    script, d1, d2 = t6
    rsi = build_run_script_input(script_path=script, env={}, state={}, meta={}, dialect=CM)
    env = {"CM_T6_BIN_WITH_PATH": str(d2 / "t6tool")}
    r = helpers.detect_version_using_script({"env": env, "run_script_input": rsi})
    assert r == {"return": 0, "detected_version": "2.0.1"}
    assert env["CM_DETECTED_VERSION"] == "2.0.1"
    env = {"CM_T6_BIN_WITH_PATH": str(d2 / "t6tool"), "CM_VERSION_MAX": "2.0"}
    r = helpers.detect_version_using_script({"env": env, "run_script_input": rsi})
    assert r["return"] == 16 and "2.0.1" in r["error"]


# -- run_native_script helper --------------------------------------------------------------


def test_run_native_script_helper(helpers, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "s"
    d.mkdir()
    (d / "install.sh").write_text('echo "CM_INSTALLED=$CM_WHAT=ok" > tmp-run-env.out\n')
    (d / "broken.sh").write_text("exit 5\n")
    state: dict = {}
    env = {"CM_WHAT": "x"}
    rsi = build_run_script_input(script_path=d, env=env, state=state, meta={}, dialect=CM, silent=True)
    r = helpers.run_native_script({"run_script_input": rsi, "env": env, "script_name": "install"})
    assert r["return"] == 0 and env["CM_INSTALLED"] == "x=ok"
    r = helpers.run_native_script({"run_script_input": rsi, "env": env, "script_name": "broken"})
    assert r["return"] == 2 and r["returncode"] == 5 and "exit code 5" in r["error"]
    r = helpers.run_native_script({"run_script_input": rsi, "env": env, "script_name": "nosuch"})
    assert r["return"] == 16 and "nosuch" in r["error"]


# -- the rest --------------------------------------------------------------------------------


def test_update_deps(helpers) -> None:
    deps = [{"tags": "get,python3", "names": ["python", "python3"], "env": {"A": "1"}},
            {"tags": "get,cuda", "names": ["cuda"]}, {"tags": "detect,os"}]
    r = helpers.update_deps({"deps": deps, "env": {"V": "3.11"},
                             "update_deps": {"python": {"tags": "_shared,_x", "version_min": "<<<V>>>",
                                                        "env": {"B": "2"}}}})
    assert r == {"return": 0}
    assert deps[0] == {"tags": "get,python3,_shared,_x", "names": ["python", "python3"],
                       "env": {"A": "1", "B": "2"}, "version_min": "3.11"}
    assert deps[1] == {"tags": "get,cuda", "names": ["cuda"]} and deps[2] == {"tags": "detect,os"}


def test_clean_some_tmp_files_and_default_path_list(helpers, tmp_path, monkeypatch) -> None:
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    for n in ("tmp-run-env.out", "tmp-run-state.json", "tmp-ver.out", "keep.txt"):
        (tmp_path / n).write_text("x")
    assert helpers.clean_some_tmp_files({"env": {"CM_TMP_CURRENT_SCRIPT_WORK_PATH": str(tmp_path)}}) == {"return": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    monkeypatch.setenv("MYPATH", "/a:/b::/c")
    assert helpers.get_default_path_list({"default_path_env_key": "MYPATH"}) == ["/a", "/b", "/c"]


def test_available_variations_and_find_file_deep_back(helpers, tmp_path) -> None:
    r = helpers._available_variations({"meta": {"alias": "get-generic-python-lib",
                                                "variations": {"numpy": {}, "torch": {}, "package.#": {}}}})
    assert r["return"] == 1 and "_numpy _torch" in r["error"] and "get-generic-python-lib" in r["error"]
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.h").write_text("")
    (tmp_path / "a" / "marker").write_text("")
    assert helpers.find_file_deep({"paths": [str(tmp_path)], "file_name": "f.h"})["found_paths"] == [str(tmp_path / "a" / "b")]
    r = helpers.find_file_back({"path": str(tmp_path / "a" / "b"), "file_name": "marker"})
    assert r["found_path"] == str((tmp_path / "a").resolve())
    assert helpers.find_file_back({"path": str(tmp_path), "file_name": "no-such-marker-xyz"})["found_path"] == ""


def test_cmind_handle_goes_through_the_session(helpers) -> None:
    r = helpers.cmind.access({"action": "run", "target": "nosuchautomation"})
    assert r["return"] > 0 and "nosuchautomation" in r["error"]
    assert helpers.action_object.access("nosuchaction nosuchautomation")["return"] > 0
    assert helpers.cmind.utils.is_true("on")
    assert "find_artifact" in ScriptHelpers.helper_names


def test_helpers_work_from_a_real_hook_with_cmind_utils(helpers, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "s"
    d.mkdir()
    (d / "customize.py").write_text(textwrap.dedent("""\
        from cmind import utils
        def preprocess(i):
            r = utils.load_json('nope.json', check_if_exists=True)
            i['env']['MISSING'] = r['return']
            r = i['automation'].run_native_script({'run_script_input': i['run_script_input'],
                                                   'env': i['env'], 'script_name': 'detect'})
            return r
    """))
    (d / "detect.sh").write_text("echo FOUND=yes > tmp-run-env.out\n")
    env: dict = {}
    r = preprocess(helpers, d, env)
    assert r["return"] == 0 and env["FOUND"] == "yes" and env["MISSING"] == 16


def test_loggers_scripts_use(helpers, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    d = tmp_path / "s"
    d.mkdir()
    (d / "customize.py").write_text(textwrap.dedent("""\
        import cmind
        def preprocess(i):
            automation = i['automation']
            automation.action_object.logger.info('mlc style %s', 1)
            automation.cmind.logger.warning('cm style')
            automation.logger.debug('hidden at info level')
            cmind.logger.info('module level')
            i['env']['N_REPOS'] = len(automation.action_object.repos)
            return {'return': 0}
    """))
    env: dict = {}
    assert preprocess(helpers, d, env)["return"] == 0
    err = capsys.readouterr().err
    assert "mlc style 1" in err and "cm warning: cm style" in err and "module level" in err
    assert "hidden" not in err
    assert env["N_REPOS"] >= 1  # at least the local repo
