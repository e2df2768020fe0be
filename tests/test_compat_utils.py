"""The compat ``utils`` functions old customize.py files call, and the shim modules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from cmcore.compat import utils as u
from cmcore.compat.shims import compat_modules, make_module, real_module_available


def test_truthiness_helpers() -> None:
    for v in ("1", "true", "Yes", "ON", True, " yes "):
        assert u.is_true(v), v
    for v in ("0", "false", "No", "off", False):
        assert u.is_false(v), v
    for v in ("", "maybe", None, "gpu"):
        assert not u.is_true(v) and not u.is_false(v)
    env = {"A": "yes", "B": "1", "C": "off", "D": ""}
    assert u.check_if_true_yes_on(env, "A") and not u.check_if_true_yes_on(env, "B")
    assert u.check_if_none_false_no_off(env, "C") and u.check_if_none_false_no_off(env, "D")
    assert u.check_if_none_false_no_off(env, "ABSENT") and not u.check_if_none_false_no_off(env, "A")


def test_json_yaml_txt_roundtrips_and_errors(tmp_path: Path) -> None:
    j, y, t = str(tmp_path / "a.json"), str(tmp_path / "a.yaml"), str(tmp_path / "a.txt")
    assert u.save_json(j, {"b": 1, "a": [1, 2]}) == {"return": 0}
    assert u.load_json(j) == {"return": 0, "meta": {"a": [1, 2], "b": 1}}
    assert Path(j).read_text().startswith('{\n  "a"')  # sorted, indented
    assert u.save_yaml(y, {"k": {"v": "x"}})["return"] == 0
    assert u.load_yaml(y, check_if_exists=True)["meta"] == {"k": {"v": "x"}}
    assert u.load_json_or_yaml(y)["meta"] == {"k": {"v": "x"}}
    assert u.load_json_or_yaml(str(tmp_path / "a.toml"))["return"] == 1
    assert u.save_json_or_yaml(str(tmp_path / "b.yaml"), {"z": 1})["return"] == 0
    merged = u.load_yaml_and_json(str(tmp_path / "a"))
    assert merged["meta"] == {"k": {"v": "x"}, "a": [1, 2], "b": 1}
    assert u.load_yaml_and_json(str(tmp_path / "none"))["return"] == 16
    assert u.is_file_json_or_yaml(str(tmp_path / "a"))["path"].endswith("a.yaml")
    u.save_txt(t, "Python 3.11.4\nline2")
    r = u.load_txt(t, split=True, match_text=r"Python ([\d.]+)")
    assert r["list"] == ["Python 3.11.4", "line2"] and r["match"].group(1) == "3.11.4"
    assert u.load_txt(t, match_text="Ruby", fail_if_no_match="no ruby") == {"return": 1, "error": "no ruby"}
    assert u.load_txt(t, remove_after_read=True)["string"].startswith("Python")
    assert not Path(t).exists()
    for fn in (u.load_json, u.load_yaml, u.load_txt, u.load_bin):
        r = fn(str(tmp_path / "missing"))
        assert r["return"] == 16 and "missing" in r["error"]
    Path(j).write_text("{broken")
    assert u.load_json(j)["return"] == 1 and "malformed" in u.load_json(j)["error"]
    Path(y).write_text("a: [unclosed")
    assert u.load_yaml(y)["return"] == 1


def test_merge_dicts_and_update_dict() -> None:
    a = {"x": 1, "l": [1, 2], "d": {"k": 1, "l": ["a"]}}
    r = u.merge_dicts({"dict1": a, "dict2": {"x": 2, "l": [2, 3], "d": {"l": ["a", "b"], "n": 5}},
                       "append_lists": True, "append_unique": True})
    assert r["dict1"] is a
    assert a == {"x": 2, "l": [1, 2, 3], "d": {"k": 1, "l": ["a", "b"], "n": 5}}
    b = {"l": [1]}
    u.merge_dicts({"dict1": b, "dict2": {"l": [1, 2], "skip": 1}, "ignore_keys": ["skip"]})
    assert b == {"l": [1, 2]}
    assert u.update_dict({"a": {"b": 1}}, {"a": {"c": 2}, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
    env: dict = {"E": ""}
    assert u.get_set_env(env, "E", "dflt") == "dflt" and u.get_set_env(env, "E", "other") == "dflt"
    d: dict = {"a": "x"}
    u.update_dict_if_empty(d, "a", "y")
    u.update_dict_if_empty(d, "b", "y")
    assert d == {"a": "x", "b": "y"}


def test_compare_versions() -> None:
    c = u.compare_version_strings
    assert c("3.9", "3.9.0") == 0 and c("3.10", "3.9") == 1 and c("1.2.0", "2.0.1") == -1
    assert c("2.0.1", "2.0") == 1 and c("11", "9") == 1
    assert c("1.0.rc1", "1.0.0") == 1  # mixed parts compare as text instead of raising
    assert u.compare_versions({"version1": "1.2", "version2": "1.10"}) == {"return": 0, "comparison": -1}


def test_tags_uids_objects_inputs() -> None:
    uid = u.gen_uid()["uid"]
    assert u.is_cm_uid(uid) and u.is_uid(uid) and not u.is_cm_uid("xyz") and not u.is_cm_uid("0123456789abcde.")
    assert u.convert_tags_to_list({"tags": "a, b,,c"})["tags"] == ["a", "b", "c"]
    assert u.filter_tags(["a", "", " b "]) == ["a", "b"]
    assert u.get_list_from_cli({"x": "a,b"}, "x") == ["a", "b"] and u.get_list_from_cli({}, "x") == []
    assert u.assemble_cm_object("alias", "0123456789abcdef") == "alias,0123456789abcdef"
    assert u.assemble_cm_object("", "0123456789abcdef") == "0123456789abcdef"
    assert u.assemble_cm_object1({"alias": "a", "repo_alias": "r"}) == "r:a"
    assert u.sub_input({"a": 1, "b": 2}, ["a"]) == {"a": 1}
    assert u.sub_input({"a": 1, "b": 2}, ["a"], reverse=True) == {"b": 2}
    assert u.dump_safe_json({"a": 1, "f": print}) == {"a": 1}
    assert u.prune_input({"input": {"action": "run", "tags": "x", "xx_k": 1}, "extra_keys_starts_with": ["xx_"]}) == \
        {"return": 0, "new_input": {"tags": "x"}}
    assert u.convert_env_to_dict("A=1\n\n B = x=y \n") == {"return": 0, "dict": {"A": "1", "B": "x=y"}}
    assert u.digits("3.11.4rc1") == "3.11.4"


def test_files_and_dirs(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "marker.txt").write_text("m")
    (tmp_path / "a" / "b" / "f.py").write_text("x")
    r = u.find_file_in_dir_and_above("marker.txt", str(tmp_path / "a" / "b"))
    assert r["return"] == 0 and r["path"] == str((tmp_path / "a").resolve())
    assert u.find_file_in_dir_and_above("no-such-file-xyz", str(tmp_path))["return"] == 16
    assert u.find_file_in_dir_and_above("x", str(tmp_path / "nope"))["return"] == 2
    r = u.list_all_files({"path": str(tmp_path), "pattern": "*.py"})
    assert r["list"] == {"a/b/f.py": {"size": 1}}
    assert u.check_and_create_dir(str(tmp_path / "n" / "m")) == {"return": 0} and (tmp_path / "n" / "m").is_dir()
    name = u.gen_tmp_file({"suffix": ".out"})["file_name"]
    assert Path(name).is_file() and name.endswith(".out")
    Path(name).unlink()


def test_host_os_info_and_system(tmp_path: Path) -> None:
    info = u.get_host_os_info()["info"]
    assert info["platform"] == "linux" and info["env"]["CM_HOST_OS_TYPE"] == "linux"
    assert info["start_script"] == ["#!/bin/bash", ""] and info["python_bits"] in ("32", "64")
    assert u.get_host_os_info({"bits": "32"}, prefix="MLC_")["info"]["bits"] == "32"
    r = u.system({"cmd": "echo hi; echo err >&2; exit 3", "path": str(tmp_path)})
    assert r["ret"] == 3 and r["stdout"] == "hi" and r["stderr"] == "err" and r["std"] == "hi\nerr"
    assert u.system({"cmd": ""})["return"] == 1


# -- shims ----------------------------------------------------------------------------------


def test_shim_modules_have_the_expected_api() -> None:
    cm = make_module("cmind")
    assert set(cm) == {"cmind", "cmind.utils"}
    assert cm["cmind"].utils is cm["cmind.utils"] and callable(cm["cmind"].access)
    assert cm["cmind.utils"].get_host_os_info()["info"]["env"]["CM_HOST_OS_TYPE"] == "linux"
    mlc = make_module("mlc")
    assert mlc["mlc.utils"].get_host_os_info()["info"]["env"]["MLC_HOST_OS_TYPE"] == "linux"
    top = make_module("utils")["utils"]
    assert top.is_true("yes") and top.load_json is u.load_json
    assert make_module("utils")["utils"] is top  # built once


@pytest.mark.skipif(importlib.util.find_spec("cmind") is not None, reason="real cmind installed")
def test_compat_modules_install_and_restore(tmp_path: Path) -> None:
    sentinel = object()
    sys.modules["utils"] = sentinel  # type: ignore[assignment]
    try:
        with compat_modules(None) as names:
            assert names == ["cmind", "cmind.utils", "mlc", "mlc.utils", "utils"]
            assert sys.modules["utils"] is not sentinel
            assert not real_module_available("cmind")
            with compat_modules(None):
                import cmind

                assert cmind.utils.is_true("on")
            assert "cmind" in sys.modules  # the outer block still holds them
        assert sys.modules["utils"] is sentinel
        assert "cmind" not in sys.modules and "mlc.utils" not in sys.modules
    finally:
        sys.modules.pop("utils", None)
    (tmp_path / "utils.py").write_text("X = 1\n")
    with compat_modules(tmp_path) as names:
        assert "utils" not in names


def test_cmind_error_and_halt(capsys) -> None:
    cm = make_module("cmind")["cmind"]
    r = {"return": 16, "error": "not found"}
    assert cm.error(r) is r
    assert "CM error: not found!" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cm.halt(r)
    assert e.value.code == 16 and "not found" in capsys.readouterr().err
    cm.error({"return": 0})
    assert capsys.readouterr().err == ""
