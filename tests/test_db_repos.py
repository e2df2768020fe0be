"""Repos: the local repo, repos.json, package repos, MLC repos, prefixes, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_db_support import make_repo, no_racy, write_artifact  # noqa: F401 (fixture)

from cmcore import hookimpl
from cmcore.errors import CMError
from cmcore.types import RepoSpec


def test_local_repo_created_on_first_use(cm_session):
    repo = cm_session.db.local_repo()
    assert repo.alias == "local" and repo.uid == "9a3280b14a4285c9"
    assert repo.path == cm_session.home / "repos" / "local"
    assert "alias: local" in (repo.path / "cmr.yaml").read_text()
    assert repo.origin == "local" and repo.dialect == "cm"
    assert cm_session.db.repos()[0].alias == "local"


def test_register_then_search_order_and_prefix(cm_session, tmp_path):
    a = make_repo(tmp_path / "a", "repo-a")
    b = make_repo(tmp_path / "b", "repo-b", prefix="content")
    write_artifact(a, "demo", "x", {"tags": ["t"]})
    write_artifact(b / "content", "demo", "x", {"tags": ["t"]})
    db = cm_session.db
    db.register_repo(a)
    db.register_repo(b)
    assert json.loads((cm_session.home / "repos.json").read_text()) == [str(a.resolve()), str(b.resolve())]
    assert [r.alias for r in db.repos()][-2:] == ["repo-a", "repo-b"]
    rb = db.get_repo("repo-b")
    assert rb.content_path == b.resolve() / "content"
    found = db.search("demo", "x")
    assert [f.repo.alias for f in found] == ["repo-a", "repo-b"]  # search order = repo order
    assert [f.path for f in db.search("demo", "repo-b:x")] == [b.resolve() / "content" / "demo" / "x"]
    assert len(db.search("demo", "repo-a:")) == 1


def test_register_is_idempotent_and_duplicates_name_the_other_path(cm_session, tmp_path):
    a = make_repo(tmp_path / "a", "same", uid="1111111111111111")
    db = cm_session.db
    db.register_repo(a)
    db.register_repo(a)  # same path again: nothing changes
    assert json.loads((cm_session.home / "repos.json").read_text()) == [str(a.resolve())]
    fork = make_repo(tmp_path / "fork", "same", uid="2222222222222222")
    with pytest.raises(CMError) as e:
        db.register_repo(fork)
    assert e.value.code == 8 and str(a.resolve()) in e.value.message and "alias" in e.value.message
    twin = make_repo(tmp_path / "twin", "other", uid="1111111111111111")
    with pytest.raises(CMError) as e:
        db.register_repo(twin)
    assert e.value.code == 8 and "uid" in e.value.message
    with pytest.raises(CMError) as e:
        db.register_repo(tmp_path / "no-such-dir")
    assert e.value.code == 16
    (tmp_path / "plain").mkdir()
    with pytest.raises(CMError) as e:
        db.register_repo(tmp_path / "plain")
    assert e.value.code == 4 and "not a CM repository" in e.value.message
    assert json.loads((cm_session.home / "repos.json").read_text()) == [str(a.resolve())]


def test_vanished_repo_path_warns_once_and_is_dropped(cm_home, tmp_path, capsys):
    from cmcore.session import Session

    keep = make_repo(tmp_path / "keep", "keep")
    gone = tmp_path / "gone"
    (cm_home / "repos.json").write_text(json.dumps([str(gone), str(keep), "relative-gone"]))
    s = Session(home=cm_home)
    aliases = [r.alias for r in s.db.repos()]
    assert aliases[-1] == "keep" and len(aliases) >= 2
    err = capsys.readouterr().err
    assert err.count("no longer exists") == 2 and str(gone) in err
    assert json.loads((cm_home / "repos.json").read_text()) == [str(keep)]
    Session(home=cm_home).db.repos()
    assert "no longer exists" not in capsys.readouterr().err


def test_relative_paths_in_repos_json(cm_home, tmp_path):
    from cmcore.session import Session

    make_repo(cm_home / "repos" / "owner@name", "owner@name")
    (cm_home / "repos.json").write_text(json.dumps(["owner@name"]))
    s = Session(home=cm_home)
    assert s.db.get_repo("owner@name").path == cm_home / "repos" / "owner@name"


def test_malformed_repos_json_is_not_overwritten(cm_session, tmp_path, capsys):
    reg = cm_session.home / "repos.json"
    reg.write_text("{not json")
    assert [r.alias for r in cm_session.db.repos()][0] == "local"
    assert "malformed" in capsys.readouterr().err
    with pytest.raises(CMError) as e:
        cm_session.db.register_repo(make_repo(tmp_path / "a", "a"))
    assert e.value.code == 4
    assert reg.read_text() == "{not json"  # nothing lost


def test_mlc_repo_and_artifacts(cm_session, tmp_path):
    root = make_repo(tmp_path / "mlc", "mlcommons@mlperf-automations", uid="9cf241afa6074c89", dialect="mlc")
    write_artifact(root, "script", "detect-os", {"tags": ["detect", "os"]}, dialect="mlc")
    repo = cm_session.db.register_repo(root)
    assert repo.dialect == "mlc" and repo.uid == "9cf241afa6074c89"
    [art] = cm_session.db.search("script", tags="detect,os", repo="mlcommons@mlperf-automations")
    assert art.dialect == "mlc" and art.meta_files == [art.path / "meta.yaml"]
    assert art.meta["tags"] == ["detect", "os"]
    # a new artifact in an MLC repo is written as meta.json / meta.yaml
    new = cm_session.db.add("script", "mlcommons@mlperf-automations:made", fmt="yaml")
    assert (new.path / "meta.yaml").is_file() and new.dialect == "mlc"


def test_package_repos_from_the_hook(cm_session, cm_register, tmp_path):
    low = make_repo(tmp_path / "low", "pkg-low")
    high = make_repo(tmp_path / "high", "pkg-high")

    class Plugin:
        @hookimpl
        def cm_repos(self):
            return [RepoSpec("low", str(low), priority=1), RepoSpec("high", str(high), priority=5)]

    cm_register(Plugin())
    cm_session.db.registry._packages = None  # the registry caches the hook's answer per session
    cm_session.db.registry.invalidate()
    repos = cm_session.db.repos()
    names = [r.alias for r in repos]
    assert names.index("pkg-high") < names.index("pkg-low")
    by = {r.alias: r for r in repos}
    assert by["pkg-high"].origin == "package:high" and by["pkg-high"].priority == 5
    with pytest.raises(CMError) as e:
        cm_session.db.unregister_repo("pkg-high")
    assert "uninstall" in e.value.message


def test_unregister_and_delete(cm_session, tmp_path):
    a = make_repo(tmp_path / "a", "repo-a")
    db = cm_session.db
    db.register_repo(a)
    db.unregister_repo("repo-a")
    assert a.is_dir() and "repo-a" not in [r.alias for r in db.repos()]
    db.register_repo(a)
    db.unregister_repo("repo-a", delete=True)
    assert not a.exists()
    with pytest.raises(CMError) as e:
        db.unregister_repo("repo-aa")
    assert e.value.code == 16
    with pytest.raises(CMError):
        db.unregister_repo("local")


@pytest.mark.usefixtures("no_racy")
def test_repo_meta_cache_follows_edits(cm_session, tmp_path):
    a = make_repo(tmp_path / "a", "before")
    cm_session.db.register_repo(a)
    assert "before" in [r.alias for r in cm_session.db.repos()]
    text = (a / "cmr.yaml").read_text().replace("before", "after-edit")
    (a / "cmr.yaml").write_text(text)
    from cmcore.session import Session

    assert "after-edit" in [r.alias for r in Session(home=cm_session.home).db.repos()]


def test_repo_ref_errors(cm_session):
    with pytest.raises(CMError) as e:
        cm_session.db.search("demo", "nosuchrepo:x")
    assert e.value.code == 16
    with pytest.raises(CMError) as e:
        cm_session.db.search("demo", "a:b:c")
    assert e.value.code == 4


def test_cmr_json_is_merged_over_yaml(cm_session, tmp_path):
    a = make_repo(tmp_path / "a", "yaml-alias", uid="3333333333333333")
    (a / "cmr.json").write_text(json.dumps({"alias": "json-alias"}))
    repo = cm_session.db.register_repo(a)
    assert repo.alias == "json-alias" and repo.uid == "3333333333333333"
    assert Path(repo.path) == a.resolve()
