"""The generic actions (search, load, add, update, delete, move, copy, info) from the CLI and the API.

The ``demo`` automation is a real plugin distribution on sys.path whose automation is a
plain :class:`GenericActions`, so these tests see exactly what any automation inherits.
"""

from __future__ import annotations

import json

import pytest
from test_db_support import DEMO_UID, demo_path, make_repo, write_artifact  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("demo_path")


@pytest.fixture
def api(cm_home):
    from cmcore.session import Session, set_default

    s = Session(home=cm_home)
    set_default(s)
    yield s.access
    set_default(None)


def test_demo_plugin_is_loaded(cm_cli):
    r = cm_cli("help")
    assert "demo" in r.stdout, r.stderr


def test_add_find_load_from_the_cli(cm_cli, cm_home):
    r = cm_cli("add", "demo", "first", "--tags=a,b,-c", "--meta.deep.key=v")
    assert r.exit_code == 0, r.stderr
    path = cm_home / "repos" / "local" / "demo" / "first"
    assert r.stdout.strip() == str(path)
    meta = json.loads((path / "_cm.json").read_text())
    assert meta["alias"] == "first" and meta["automation_alias"] == "demo" and meta["automation_uid"] == DEMO_UID
    assert meta["tags"] == ["a", "b"] and meta["deep"] == {"key": "v"}
    r = cm_cli("add", "demo", "second", "--tags=b", "--yaml")
    assert (cm_home / "repos" / "local" / "demo" / "second" / "_cm.yaml").is_file()
    r = cm_cli("find", "demo", "--tags=b")
    assert r.exit_code == 0 and r.stdout.split() == [str(path), str(path.parent / "second")]
    r = cm_cli("ls", "demo", "f*")
    assert r.stdout.split() == [str(path)]
    r = cm_cli("load", "demo", "first")
    assert r.exit_code == 0 and json.loads(r.stdout)["deep"] == {"key": "v"}
    r = cm_cli("load", "demo", "first", "--yaml")
    assert "deep:\n  key: v" in r.stdout
    r = cm_cli("find", "demo", "--tags=b", "-j")
    data = json.loads(r.stdout[r.stdout.index("{"):])
    assert data["return"] == 0 and len(data["artifacts"]) == 2 and data["artifacts"][0]["alias"] == "first"
    assert data["paths"][0] == str(path)


def test_errors_from_the_cli(cm_cli):
    cm_cli("add", "demo", "python-tool", "--tags=python,tool")
    r = cm_cli("add", "demo", "python-tool")
    assert r.exit_code == 8 and "already exists" in r.stderr
    r = cm_cli("load", "demo", "pyhton-tool")
    assert r.exit_code == 16 and 'did you mean "python-tool"' in r.stderr
    r = cm_cli("find", "demo", "--tags=pyton")
    assert r.exit_code == 16 and '"python"' in r.stderr and r.stdout == ""
    r = cm_cli("add", "demo", "../escape")
    assert r.exit_code == 4 and "invalid" in r.stderr
    r = cm_cli("rm", "demo")
    assert r.exit_code == 1 and "'*'" in r.stderr
    r = cm_cli("mv", "demo", "python-tool")
    assert r.exit_code == 1 and "two names" in r.stderr
    r = cm_cli("add", "demo", "x", "--meta=notadict")
    assert r.exit_code == 4
    assert len(r.stderr.strip().splitlines()) == 1  # one line, no traceback


def test_update_delete_move_copy_info_from_the_cli(cm_cli, cm_home):
    base = cm_home / "repos" / "local" / "demo"
    cm_cli("add", "demo", "tool", "--tags=one,two")
    r = cm_cli("update", "demo", "tool", "--tags=three,-one", "--meta.k=v")
    assert r.exit_code == 0, r.stderr
    meta = json.loads((base / "tool" / "_cm.json").read_text())
    assert meta["tags"] == ["two", "three"] and meta["k"] == "v"
    r = cm_cli("update", "demo", "made-by-update", "--tags=new")  # not found: added
    assert r.exit_code == 0 and (base / "made-by-update").is_dir()
    r = cm_cli("mv", "demo", "tool", "renamed")
    assert r.exit_code == 0 and not (base / "tool").exists()
    assert json.loads((base / "renamed" / "_cm.json").read_text())["alias"] == "renamed"
    r = cm_cli("cp", "demo", "renamed", "copied", "--new_tags=copy")
    assert r.exit_code == 0, r.stderr
    copied = json.loads((base / "copied" / "_cm.json").read_text())
    original = json.loads((base / "renamed" / "_cm.json").read_text())
    assert copied["uid"] != original["uid"] and "copy" in copied["tags"] and "copy" not in original["tags"]
    r = cm_cli("mv", "demo", "renamed", "copied")
    assert r.exit_code == 1 and "already exists" in r.stderr
    r = cm_cli("info", "demo", "copied")
    assert f"CID: demo,{DEMO_UID}::copied,{copied['uid']}" in r.stdout and "_cm.json" in r.stdout
    r = cm_cli("rm", "demo", "copied", "renamed", "-f")
    assert r.exit_code == 0 and not (base / "copied").exists() and not (base / "renamed").exists()
    r = cm_cli("rm", "demo", "--tags=new", "--force")
    assert r.exit_code == 0 and not (base / "made-by-update").exists()


def test_console_delete_asks_and_defaults_to_no(cm_cli, cm_home, monkeypatch):
    import io

    cm_cli("add", "demo", "keep-me")
    cm_cli("add", "demo", "drop-me")
    monkeypatch.setattr("sys.stdin", io.StringIO("n\ny\n"))
    r = cm_cli("rm", "demo", "*-me")
    assert r.exit_code == 0, r.stderr
    base = cm_home / "repos" / "local" / "demo"
    # asked in sorted order: drop-me (answered n), keep-me (answered y)
    assert r.stderr.count("[y/N]") == 2
    assert (base / "drop-me").exists() and not (base / "keep-me").exists()


def test_python_api_return_dicts(api, cm_home):
    r = api({"action": "add", "automation": "demo", "artifact": "py1", "tags": ["x", "y"], "meta": {"n": 1}})
    assert r["return"] == 0 and r["meta"]["n"] == 1 and r["path"].endswith("py1")
    r = api({"action": "search", "automation": "demo", "tags": "x"})
    assert r["return"] == 0 and [a.alias for a in r["list"]] == ["py1"]
    assert r["paths"] == [str(cm_home / "repos" / "local" / "demo" / "py1")]
    assert r["artifacts"][0]["tags"] == ["x", "y"] and r["artifacts"][0]["repo"] == "local"
    r = api({"action": "find", "automation": "demo", "tags": "nothing"})
    assert r["return"] == 0 and r["list"] == []  # CM compatible: an empty answer is not an error in Python
    import cmcore

    r = cmcore.access("load demo py1")  # the public API: the default session, a CLI string
    assert r["return"] == 0 and r["meta"]["tags"] == ["x", "y"] and r["artifact"].uid == r["meta"]["uid"]
    r = api({"action": "load", "automation": "demo", "artifact": "py2"})
    assert r["return"] == 16 and "not found" in r["error"]
    r = api({"action": "update", "automation": "demo", "artifact": "py1", "meta": {"n": 2, "l": [1]}})
    r = api({"action": "update", "automation": "demo", "artifact": "py1", "meta": {"l": [2]}})
    assert r["return"] == 0 and r["list"][0].meta["l"] == [1, 2] and r["list"][0].meta["n"] == 2
    r = api({"action": "update", "automation": "demo", "artifact": "py1", "meta": {"l": [3]},
             "replace_lists": True})
    assert r["list"][0].meta["l"] == [3]
    r = api({"action": "update", "automation": "demo", "artifact": "py1", "meta": {"only": 1}, "replace": True})
    m = r["list"][0].meta
    assert m["only"] == 1 and "n" not in m and m["alias"] == "py1" and m["tags"] == []


def test_python_delete_without_force_is_an_error(api, cm_home):
    api({"action": "add", "automation": "demo", "artifact": "precious"})
    r = api({"action": "rm", "automation": "demo", "artifact": "precious"})
    assert r["return"] == 1 and "force" in r["error"]
    assert (cm_home / "repos" / "local" / "demo" / "precious").is_dir()
    r = api({"action": "rm", "automation": "demo", "artifact": "precious", "force": True})
    assert r["return"] == 0 and r["deleted_list"] == [str(cm_home / "repos" / "local" / "demo" / "precious")]
    r = api({"action": "rm", "automation": "demo", "artifact": "precious", "f": True})
    assert r["return"] == 16


def test_update_several_needs_force(api):
    for n in ("u1", "u2"):
        api({"action": "add", "automation": "demo", "artifact": n, "tags": "grp"})
    r = api({"action": "update", "automation": "demo", "search_tags": "grp", "meta": {"z": 1}})
    assert r["return"] == 1 and len(r["paths"]) == 2
    r = api({"action": "update", "automation": "demo", "search_tags": "grp", "meta": {"z": 1}, "force": True})
    assert r["return"] == 0 and all(a.meta["z"] == 1 for a in r["list"])


def test_add_into_a_named_repo_and_move_across_repos(api, cm_home, tmp_path):
    from cmcore.session import current

    other = make_repo(tmp_path / "other", "other-repo")
    current().db.register_repo(other)
    r = api({"action": "add", "automation": "demo", "artifact": "other-repo:remote-one"})
    assert r["return"] == 0 and r["path"] == str(other.resolve() / "demo" / "remote-one")
    r = api({"action": "add", "automation": "demo", "artifact": "two", "repo": "other-repo", "uid": "abcdef0123456789"})
    assert r["path"].endswith("other/demo/two") and r["meta"]["uid"] == "abcdef0123456789"
    r = api({"action": "add", "automation": "demo", "artifact": "dup-uid", "uid": "abcdef0123456789",
             "repo": "other-repo"})
    assert r["return"] == 8
    r = api({"action": "mv", "automation": "demo", "artifact": "other-repo:two", "artifacts": ["local:two-here"]})
    assert r["return"] == 0, r
    assert (cm_home / "repos" / "local" / "demo" / "two-here").is_dir() and not (other / "demo" / "two").exists()
    r = api({"action": "load", "automation": "demo", "artifact": "two-here"})
    assert r["meta"]["uid"] == "abcdef0123456789"  # a move keeps the uid


def test_move_keeps_yaml_comments(api, cm_home):
    from cmcore.session import current

    d = write_artifact(current().db.local_repo().path, "demo", "commented", {"tags": ["c"]})
    (d / "_cm.yaml").write_text("# a comment people care about\n" + (d / "_cm.yaml").read_text())
    r = api({"action": "mv", "automation": "demo", "artifact": "commented", "artifacts": ["still-commented"]})
    assert r["return"] == 0
    text = (cm_home / "repos" / "local" / "demo" / "still-commented" / "_cm.yaml").read_text()
    assert text.startswith("# a comment people care about\n") and "alias: \"still-commented\"" in text


def test_generic_search_for_an_unregistered_automation_folder(cm_session, tmp_path):
    from cmcore.automations.generic import GenericActions

    root = make_repo(tmp_path / "r", "r")
    write_artifact(root, "experiment", "exp1", {"tags": ["exp"]})
    cm_session.db.register_repo(root)
    g = GenericActions.for_folder(cm_session, "experiment")
    r = g.search({"tags": "exp"})
    assert [a.alias for a in r["list"]] == ["exp1"]
    assert "for_folder" not in g.actions() and "search" in g.actions()
