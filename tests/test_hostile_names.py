"""Artifact names, aliases and repo names cannot escape their repository.

Every hostile name given to ``cm add/mv/cp/rm`` (CLI and Python API, where a NUL byte can
be passed) must end in a one-line error with a non-zero code and change nothing on disk,
inside or outside the CM home; repo aliases derived from URLs are single folder names.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cmcore
from cmcore.automations.repo import alias_from_url
from cmcore.errors import CMError
from cmcore.refs import check_name

HOSTILE = ["..", "../evil", "../../evil", "a/../../evil", "/tmp/cm-hostile-abs", "~/evil", "a/b", "a\\..\\b",
           "local:../evil", "..:evil", " ../evil", ".", "./.."]


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime for p in root.rglob("*")
            if "index" not in p.relative_to(root).parts and not p.name.endswith(".lock")}


@pytest.fixture
def world(tmp_path: Path, cm_cli):
    """A CM home with one artifact; returns (cli, the folder that must not change)."""
    r = cm_cli("add", "script", "victim", "--tags=v")
    assert r.exit_code == 0, r.stderr
    return cm_cli, tmp_path


def _one_line_error(r) -> None:
    assert r.exit_code != 0
    lines = [ln for ln in r.stderr.strip().splitlines() if ln]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("verb", ["add", "mv", "cp"])
def test_hostile_names_change_nothing(world, verb: str, name: str) -> None:
    cli, root = world
    before = _snapshot(root)
    args = ["add", "script", name] if verb == "add" else [verb, "script", "victim", name]
    r = cli(*args)
    _one_line_error(r)
    assert _snapshot(root) == before, f"{args} changed the disk"
    assert not Path("/tmp/cm-hostile-abs").exists()
    assert cli("find", "script", "victim").exit_code == 0


@pytest.mark.parametrize("name", ["..", "../..", "/", "/tmp"])
def test_rm_with_hostile_names_removes_nothing(world, name: str) -> None:
    cli, root = world
    before = _snapshot(root)
    r = cli("rm", "script", name, "-f")
    assert r.exit_code != 0
    assert _snapshot(root) == before


@pytest.mark.parametrize("name", ["a\x00b", "\x00", "../x\x00", "x\n../y"])
def test_api_names_with_nul_and_newlines(cm_home: Path, name: str) -> None:
    for req in ({"action": "add", "automation": "script", "artifact": name},
                {"action": "find", "automation": "script", "artifact": name}):
        r = cmcore.access(req)
        if req["action"] == "add":
            assert r["return"] != 0, r
        if r["return"]:
            assert "\n" not in r["error"], r["error"]
    assert not any(p.name.startswith(("a", "x", "y")) for p in (cm_home / "repos").rglob("*") if p.is_dir()
                   and p.parent.name == "script")


def test_add_into_a_hostile_repo_name(world) -> None:
    cli, root = world
    before = _snapshot(root)
    for repo in ("../..", "/etc", "no-such-repo"):
        r = cli("add", "script", "x", f"--repo={repo}")
        assert r.exit_code != 0
    assert _snapshot(root) == before


@pytest.mark.parametrize("url", [
    "https://host/../..", "https://host/a/..", "https://host/..", "git@host:../../x.git", "/x/../..",
    "https://host/a%2f..%2f..", "https://host/a/b/", "file:///", "https://host/a/./.git",
])
def test_repo_alias_from_url_is_one_folder(url: str) -> None:
    try:
        alias = alias_from_url(url)
        check_name(alias, "repo")
    except CMError as exc:
        assert "\n" not in exc.message
        return
    assert alias not in (".", "..") and "/" not in alias and "\x00" not in alias


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_repo_alias_from_any_url_never_escapes(url: str) -> None:
    try:
        alias = alias_from_url(url)
        check_name(alias, "repo")
    except CMError:
        return
    assert Path("/home/repos", alias).resolve().parent == Path("/home/repos").resolve()


def test_a_uid_is_exactly_16_hex_characters() -> None:
    from cmcore.refs import is_uid

    assert is_uid("0123456789abcdef") and is_uid("0123456789ABCDEF")
    for bad in ("", None, "0123456789abcde", "0123456789abcdeg", "0123456789abcdef0", "0123456789abcdef\n",
                " 0123456789abcdef", "0123456789abcde."):
        assert not is_uid(bad), bad
    with pytest.raises(CMError):
        check_name("../escape")
