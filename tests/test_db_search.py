"""Search and load: references, globs, tags, malformed metas, _base inheritance, CM_INDEX=no."""

from __future__ import annotations

import json

import pytest
from test_db_support import make_repo, no_racy, write_artifact  # noqa: F401 (fixture)

from cmcore.errors import CMError


@pytest.fixture
def repo(cm_session, tmp_path):
    root = make_repo(tmp_path / "r", "test-repo", uid="aaaaaaaaaaaaaaaa")
    write_artifact(root, "demo", "get-python3", {"uid": "1000000000000001", "tags": ["get", "python", "python3"]})
    write_artifact(root, "demo", "get-python-venv", {"uid": "1000000000000002", "tags": ["get", "python", "venv"]})
    write_artifact(root, "demo", "detect-os", {"uid": "1000000000000003", "tags": ["detect", "os", "hello world"]})
    write_artifact(root, "demo", "Mixed-Case", {"uid": "1000000000000004", "tags": ["Case"]}, fmt="json")
    cm_session.db.register_repo(root)
    return root


def names(arts):
    return sorted(a.alias for a in arts)


def test_by_alias_uid_and_both(cm_session, repo):
    db = cm_session.db
    assert names(db.search("demo", "detect-os")) == ["detect-os"]
    assert names(db.search("demo", "DETECT-OS")) == ["detect-os"]  # aliases compare case-insensitively
    assert names(db.search("demo", "1000000000000002")) == ["get-python-venv"]
    assert names(db.search("demo", "whatever,1000000000000002")) == ["get-python-venv"]  # uid wins
    assert names(db.search("demo", "1000000000000002,detect-os")) == ["get-python-venv"]
    assert db.search("demo", "ffffffffffffffff") == []


def test_globs_and_repo_prefix(cm_session, repo):
    db = cm_session.db
    assert names(db.search("demo", "*python*")) == ["get-python-venv", "get-python3"]
    assert names(db.search("demo", "get-python?")) == ["get-python3"]
    assert names(db.search("demo", "test-repo:*")) == ["Mixed-Case", "detect-os", "get-python-venv", "get-python3"]
    assert names(db.search("demo", "aaaaaaaaaaaaaaaa:detect-os")) == ["detect-os"]
    assert names(db.search("demo", "test-*:get-python3")) == ["get-python3"]
    assert db.search("demo", "local:*") == []


def test_tags_and_not_tags(cm_session, repo):
    db = cm_session.db
    assert names(db.search("demo", tags="get,python")) == ["get-python-venv", "get-python3"]
    assert names(db.search("demo", tags="get,python,-venv")) == ["get-python3"]
    assert names(db.search("demo", tags=["get", "-python3"])) == ["get-python-venv"]
    assert names(db.search("demo", tags=" get , venv ")) == ["get-python-venv"]
    assert names(db.search("demo", tags="hello world")) == ["detect-os"]  # tags may hold spaces
    assert db.search("demo", tags="case") == []  # tags are case-sensitive
    assert names(db.search("demo", tags="Case")) == ["Mixed-Case"]
    assert names(db.search("demo", "get-python3", tags="venv")) == []  # both filters apply
    assert names(db.search("demo", "*python*", tags="venv")) == ["get-python-venv"]


def test_load_one_none_several(cm_session, repo):
    db = cm_session.db
    art = db.load("demo", "detect-os")
    assert art.meta["tags"] == ["detect", "os", "hello world"] and art.uid == "1000000000000003"
    assert art.repo.alias == "test-repo" and art.repo_path == str(repo.resolve())
    with pytest.raises(CMError) as e:
        db.load("demo", "detect-oss")
    assert e.value.code == 16 and 'did you mean "detect-os"' in e.value.message
    with pytest.raises(CMError) as e:
        db.load("demo", tags="pyton")
    assert e.value.code == 16 and '"python"' in e.value.message
    with pytest.raises(CMError) as e:
        db.load("demo", tags="get")
    assert e.value.code == 1 and len(e.value.extra["paths"]) == 2


def test_folder_name_is_trusted_and_meta_keys_optional(cm_session, repo):
    d = repo / "demo" / "no-meta-alias"
    d.mkdir()
    (d / "_cm.yaml").write_text("tags: [bare]\n")
    uid_dir = repo / "demo" / "abcdefabcdefabcd"
    uid_dir.mkdir()
    (uid_dir / "_cm.json").write_text("{}")
    db = cm_session.db
    [a] = db.search("demo", tags="bare")
    assert a.alias == "no-meta-alias" and a.uid is None
    [b] = db.search("demo", "abcdefabcdefabcd")
    assert b.alias is None and b.uid == "abcdefabcdefabcd"
    # an artifact whose meta names another automation still belongs to the folder it is in
    write_artifact(repo, "demo", "odd", {"automation_alias": "something-else"})
    assert names(db.search("demo", "odd")) == ["odd"]


def test_yaml_then_json_overlay(cm_session, repo):
    d = write_artifact(repo, "demo", "both", {"tags": ["from-yaml"], "only_yaml": 1, "shared": "yaml"})
    (d / "_cm.json").write_text(json.dumps({"shared": "json", "tags": ["from-json"]}))
    art = cm_session.db.load("demo", "both")
    assert art.meta["shared"] == "json" and art.meta["only_yaml"] == 1
    assert art.meta["tags"] == ["from-json"]  # shallow merge: the JSON list replaces the YAML one
    assert [p.name for p in art.meta_files] == ["_cm.yaml", "_cm.json"]
    assert cm_session.db.search("demo", tags="from-yaml") == []


def test_malformed_meta_hides_only_that_artifact(cm_session, repo, capsys):
    bad = repo / "demo" / "bad-yaml"
    bad.mkdir()
    (bad / "_cm.yaml").write_text("tags: [scratch, bad-yaml\n  x: :\n")
    notmap = repo / "demo" / "a-list"
    notmap.mkdir()
    (notmap / "_cm.yaml").write_text("- just\n- a list\n")
    badjson = repo / "demo" / "bad-json"
    badjson.mkdir()
    (badjson / "_cm.json").write_text('{"alias": "bad-json", ')
    db = cm_session.db
    assert names(db.search("demo", tags="get")) == ["get-python-venv", "get-python3"]
    assert db.search("demo", "bad-yaml") == []
    assert len(db.search("demo")) == 4
    err = capsys.readouterr().err.splitlines()
    skipped = [x for x in err if x.startswith("cm warning: skipping ")]
    assert len(skipped) == 3, err  # one line per broken file, once per session
    assert any(str(bad / "_cm.yaml") in x and "malformed YAML" in x for x in skipped)
    assert any("not a mapping" in x for x in skipped)
    assert any(str(badjson / "_cm.json") in x for x in skipped)
    assert all("\n" not in x for x in skipped)
    db.search("demo", tags="get")
    assert "skipping" not in capsys.readouterr().err


def test_inheritance(cm_session, repo):
    write_artifact(repo, "demo", "base", {"tags": ["base-tag"], "env": {"A": "1", "B": "base"}, "deps": [1],
                                          "scalar": "base"})
    write_artifact(repo, "demo", "child", {"_base": "base", "tags": ["child-tag"], "env": {"B": "child"},
                                           "deps": [2], "scalar": "child"})
    write_artifact(repo, "demo", "grandchild", {"_base": "demo::child", "tags": ["gc"]})
    db = cm_session.db
    child = db.load("demo", "child")
    assert child.meta["env"] == {"A": "1", "B": "child"} and child.meta["deps"] == [1, 2]
    assert child.meta["scalar"] == "child" and child.meta["tags"] == ["base-tag", "child-tag"]
    assert child.original_meta["tags"] == ["child-tag"]
    assert names(db.search("demo", tags="base-tag")) == ["base", "child", "grandchild"]
    assert names(db.search("demo", tags="base-tag", ignore_inheritance=True)) == ["base"]
    plain = db.load("demo", "child", ignore_inheritance=True)
    assert plain.meta["tags"] == ["child-tag"]


def test_inheritance_cycle_and_missing_base(cm_session, repo, capsys):
    write_artifact(repo, "demo", "loop-a", {"_base": "loop-b", "tags": ["loop"]})
    write_artifact(repo, "demo", "loop-b", {"_base": "loop-a", "tags": ["loop"]})
    write_artifact(repo, "demo", "orphan", {"_base": "no-such-base", "tags": ["orphan"]})
    db = cm_session.db
    with pytest.raises(CMError) as e:
        db.load("demo", "loop-a").meta  # noqa: B018
    assert e.value.code == 8
    assert db.search("demo", tags="loop") == []  # hidden with a warning, others unaffected
    assert "deeper than 10" in capsys.readouterr().err
    assert names(db.search("demo", tags="get,python3")) == ["get-python3"]
    assert db.search("demo", tags="orphan") == []


def test_index_disabled_gives_the_same_answers(cm_home, repo, monkeypatch):
    from cmcore.session import Session

    monkeypatch.setenv("CM_INDEX", "no")
    s = Session(home=cm_home)
    assert names(s.db.search("demo", tags="get,python")) == ["get-python-venv", "get-python3"]
    assert not (cm_home / "index" / "shards").exists() or not list((cm_home / "index" / "shards").iterdir())


def test_unknown_automation_folder_and_uid_automation(cm_session, repo):
    db = cm_session.db
    assert db.search("never-seen") == []
    # the script automation given by uid: its folder is "script" (installed packages may have some)
    assert all(a.path.parent.name == "script" for a in db.search("5b4e0237da074764"))
    with pytest.raises(CMError):
        db.search("ffffffffffffffff")


def test_names_that_would_escape_the_repo(cm_session):
    db = cm_session.db
    for bad in ("../evil", "a/b", "/abs", "..", "x\x00y"):
        with pytest.raises(CMError) as e:
            db.add("demo", bad)
        assert e.value.code == 4, bad
    art = db.add("demo", "fine")
    for bad in ("../evil", "sub/dir", ".."):
        with pytest.raises(CMError) as e:
            db.move(art, bad)
        assert e.value.code == 4
        with pytest.raises(CMError) as e:
            db.copy(art, bad)
        assert e.value.code == 4
    assert not (cm_session.home / "repos" / "evil").exists()
    assert art.path.is_dir()


def test_dot_means_the_artifact_or_repo_around_cwd(cm_session, repo, monkeypatch):
    db = cm_session.db
    monkeypatch.chdir(repo / "demo" / "detect-os")
    assert names(db.search("demo", ".")) == ["detect-os"]
    monkeypatch.chdir(repo)
    assert names(db.search("demo", ".:get-python3")) == ["get-python3"]
    with pytest.raises(CMError) as e:
        db.search("demo", ".")
    assert e.value.code == 16
    monkeypatch.chdir(repo.parent)
    with pytest.raises(CMError) as e:
        db.search("demo", ".:x")
    assert e.value.code == 16 and "not inside a registered repo" in e.value.message


def test_index_reads_yaml_features_right(cm_session, repo):
    d = repo / "demo" / "anchors"
    d.mkdir()
    (d / "_cm.yaml").write_text(
        "common: &c {tags: [from-anchor, merged]}\n"
        "<<: *c\n"
        "alias: anchors\n"
        "extra: &e [x]\n"
    )
    d2 = repo / "demo" / "aliased-tags"
    d2.mkdir()
    (d2 / "_cm.yaml").write_text("base_tags: &t [one, two]\ntags: *t\nsort: 7\n")
    db = cm_session.db
    assert names(db.search("demo", tags="merged")) == ["anchors"]
    [a] = db.search("demo", tags="one,two")
    assert a.alias == "aliased-tags" and a.sort == 7
    assert a.meta["base_tags"] == ["one", "two"]
