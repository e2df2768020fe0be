"""The cache automation through the real `cm` command and the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmcore.cache.entry import META_FILE
from cmcore.cache.keys import CacheKey
from cmcore.cache.store import CacheStore
from cmcore.session import Session


def add(home: Path, name: str, tags: list[str], version: str = "", env: dict | None = None,
        dcp: str | None = None) -> Path:
    store = CacheStore(Session(home=home))
    key = CacheKey(script_uid="1234567890abcdef", script_content_hash=name)
    with store.reserve(key, tags, f"{name},1234567890abcdef") as slot:
        e = slot.publish(tags, version, env or {}, {}, [], dependent_cached_path=dcp)
    return e.path


@pytest.fixture
def populated(cm_home: Path) -> dict[str, Path]:
    return {
        "py": add(cm_home, "py", ["get", "python", "python3", "_shared"], "3.11.4", {"CM_PYTHON_BIN": "/usr/bin/python3"}),
        "py2": add(cm_home, "py2", ["get", "python", "python3"], "3.9.0"),
        "os": add(cm_home, "os", ["detect", "os"]),
    }


def test_show_lists_tags_path_version(cm_cli, populated: dict[str, Path]) -> None:
    r = cm_cli("show", "cache")
    assert r.exit_code == 0, r.stderr
    for p in populated.values():
        assert f"path: {p}" in r.stdout
    assert "version 3.11.4" in r.stdout and "tags: get,python,python3,_shared," in r.stdout
    assert "CM_PYTHON_BIN" not in r.stdout
    r = cm_cli("show", "cache", "get python", "--env")
    assert r.exit_code == 0
    assert "CM_PYTHON_BIN=/usr/bin/python3" in r.stdout and str(populated["os"]) not in r.stdout


def test_show_json_is_machine_readable(cm_cli, populated: dict[str, Path]) -> None:
    r = cm_cli("show", "cache", "--tags=python", "--env", "-j")
    assert r.exit_code == 0
    data = json.loads(r.stdout)  # nothing but JSON on stdout
    got = {e["path"]: e for e in data["entries"]}
    assert set(got) == {str(populated["py"]), str(populated["py2"])}
    assert got[str(populated["py"])]["new_env"] == {"CM_PYTHON_BIN": "/usr/bin/python3"}
    assert got[str(populated["py"])]["version"] == "3.11.4"


def test_find_by_tags_forms(cm_cli, populated: dict[str, Path]) -> None:
    def paths(*args: str) -> set[str]:
        r = cm_cli("find", "cache", *args)
        assert r.exit_code == 0, r.stderr
        return set(r.stdout.split())

    py, py2, os_ = (str(populated[k]) for k in ("py", "py2", "os"))
    assert paths("--tags=get,python") == {py, py2}
    assert paths("--tags=get,python,-_shared") == {py2}
    assert paths("--tags,=python,_shared") == {py}
    assert paths("get python") == {py, py2}
    assert paths("get,python") == {py, py2}
    assert paths("python -_shared") == {py2}
    assert paths("--tags=version-3.9.0") == {py2}
    assert paths() == {py, py2, os_}
    r = cm_cli("find", "cache", "--tags=nothing-has-this")
    assert r.exit_code == 16 and "nothing-has-this" in r.stderr
    uid = populated["os"].name
    assert paths(uid) == {os_}
    assert paths(f"local:{uid}") == {os_}
    assert paths(uid[:5] + "*") == {os_}
    r = cm_cli("find", "cache", "other-repo:x")
    assert r.exit_code == 16 and "local" in r.stderr


def test_rm_by_tags_with_force(cm_cli, populated: dict[str, Path]) -> None:
    r = cm_cli("rm", "cache", "--tags=python,-_shared", "-f")
    assert r.exit_code == 0, r.stderr
    assert f"deleted {populated['py2']}" in r.stdout
    assert not populated["py2"].exists() and populated["py"].exists() and populated["os"].exists()


def test_rm_without_tags_refuses_to_wipe(cm_cli, populated: dict[str, Path]) -> None:
    r = cm_cli("rm", "cache", "-f")
    assert r.exit_code == 1
    assert "refusing to delete all 3 cache entries" in r.stderr and "--all" in r.stderr
    assert r.stderr.count("\n") == 1  # one line
    assert all(p.exists() for p in populated.values())
    r = cm_cli("rm", "cache", "--all", "-f")
    assert r.exit_code == 0
    assert not any(p.exists() for p in populated.values())


def test_rm_without_force_deletes_nothing_and_says_so(cm_cli, cm_session: Session,
                                                      populated: dict[str, Path]) -> None:
    r = cm_cli("rm", "cache", "--tags=os")  # stdin is not a terminal under pytest
    assert r.exit_code == 1 and "nothing was deleted" in r.stderr and "-f" in r.stderr
    r2 = cm_session.access({"action": "rm", "automation": "cache", "tags": "os"})
    assert r2["return"] == 1 and "nothing was deleted" in r2["error"]
    assert populated["os"].exists()


def test_rm_no_match(cm_cli, cm_session: Session, populated: dict[str, Path]) -> None:
    r = cm_cli("rm", "cache", "--tags=nothing-has-this", "-f")
    assert r.exit_code == 0 and "no cache entries match" in r.stdout
    r2 = cm_session.access({"action": "rm", "automation": "cache", "tags": "nothing-has-this"})
    assert r2["return"] == 16 and "nothing-has-this" in r2["error"]


def test_rm_by_uid_and_corrupt_entries(cm_cli, populated: dict[str, Path]) -> None:
    bad = populated["os"]
    (bad / META_FILE).write_text('{"uid": "abc", "tags": ["det')
    r = cm_cli("show", "cache")
    assert r.exit_code == 0
    assert f"* {bad.name}  CORRUPT" in r.stdout and f"cm rm cache {bad.name} -f" in r.stdout
    assert r.stderr.count("cm warning") == 0  # listing is not a lookup: shown, not warned
    r = cm_cli("find", "cache", "--tags=python")
    assert r.exit_code == 0 and str(populated["py"]) in r.stdout
    r = cm_cli("rm", "cache", bad.name, "-f")
    assert r.exit_code == 0, r.stderr
    assert not bad.exists() and populated["py"].exists()


def test_show_hides_stale_entries_unless_all(cm_cli, cm_home: Path, tmp_path: Path) -> None:
    dep = tmp_path / "model.bin"
    dep.write_text("w")
    p = add(cm_home, "m", ["get", "model"], dcp=str(dep))
    assert str(p) in cm_cli("show", "cache").stdout
    dep.unlink()
    assert str(p) not in cm_cli("show", "cache").stdout
    r = cm_cli("show", "cache", "--all")
    assert str(p) in r.stdout and "stale" in r.stdout
    r = cm_cli("prune", "cache")
    assert p.exists() and "add -f" in r.stdout
    r = cm_cli("prune", "cache", "-f")
    assert r.exit_code == 0 and not p.exists()


def test_prune_removes_unfinished_and_corrupt(cm_cli, cm_home: Path, populated: dict[str, Path]) -> None:
    store = CacheStore(Session(home=cm_home))
    key = CacheKey(script_uid="1234567890abcdef", script_content_hash="failed")
    with pytest.raises(RuntimeError), store.reserve(key, ["fail"], "fail,1234567890abcdef") as slot:
        raise RuntimeError("run.sh exited 3")
    (populated["py2"] / "cm-cached-state.json").write_text("")
    r = cm_cli("prune", "cache", "--dry_run")
    assert r.exit_code == 0 and f"would remove {slot.path} (unfinished)" in r.stdout
    assert slot.path.exists()
    r = cm_cli("prune", "cache")
    assert f"removed {slot.path} (unfinished)" in r.stdout and f"kept {populated['py2']}" in r.stdout
    assert not slot.path.exists() and populated["py2"].exists()
    r = cm_cli("prune", "cache", "-f")
    assert f"removed {populated['py2']} (corrupt)" in r.stdout
    assert not populated["py2"].exists() and populated["py"].exists()
    assert "nothing to prune" in cm_cli("prune", "cache").stdout


def test_empty_cache_and_typos(cm_cli) -> None:
    r = cm_cli("show", "cache")
    assert r.exit_code == 0 and "no cache entries" in r.stdout
    r = cm_cli("find", "cache")
    assert r.exit_code == 0 and r.stdout == ""
    r = cm_cli("shwo", "cache")
    assert r.exit_code == 4 and "show" in r.stderr


def test_inherited_generic_actions_see_cache_entries(cm_cli, populated: dict[str, Path]) -> None:
    uid = populated["os"].name
    r = cm_cli("load", "cache", uid, "-j")
    assert r.exit_code == 0, r.stderr
    assert r.json()["meta"]["cache_key"] and r.json()["meta"]["tags"][:2] == ["detect", "os"]
