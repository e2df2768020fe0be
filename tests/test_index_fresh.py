"""The index is never stale, parses nothing on a warm lookup, and survives a corrupt file."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from test_db_support import make_repo, no_racy, write_artifact  # noqa: F401 (fixture)

from cmcore import shardfile
from cmcore.db import metafiles


@pytest.fixture
def repo(cm_session, tmp_path):
    root = make_repo(tmp_path / "r", "idx-repo")
    for k in range(20):
        write_artifact(root, "demo", f"art-{k:02d}", {"tags": ["all", f"n{k}"] + (["few"] if k % 7 == 0 else [])})
    cm_session.db.register_repo(root)
    return root


@pytest.fixture
def parse_count(monkeypatch):
    """Every read of an artifact meta file, whole or only its index keys."""
    calls: list[str] = []

    def counting(real):
        def wrapper(path):
            if f"{os.sep}demo{os.sep}" in path:  # artifact metas only, not repo markers
                calls.append(path)
            return real(path)

        return wrapper

    monkeypatch.setattr(metafiles, "parse_file", counting(metafiles.parse_file))
    monkeypatch.setattr(metafiles, "_yaml_index_fields", counting(metafiles._yaml_index_fields))
    return calls


def aliases(arts):
    return sorted(a.alias for a in arts)


def bump(path, seconds=5):
    """Move a file's or folder's mtime forward, as if the change had happened later."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


@pytest.mark.usefixtures("no_racy")
def test_warm_lookup_parses_nothing(cm_session, repo, parse_count):
    db = cm_session.db
    assert aliases(db.search("demo", tags="few")) == ["art-00", "art-07", "art-14"]
    assert len(parse_count) == 20  # first use: every meta once
    parse_count.clear()
    from cmcore.session import Session

    fresh = Session(home=cm_session.home)  # another process, in effect
    assert aliases(fresh.db.search("demo", tags="few")) == ["art-00", "art-07", "art-14"]
    assert len(fresh.db.search("demo")) == 20
    assert fresh.db.search("demo", tags="nothing-has-this") == []
    assert parse_count == []
    art = fresh.db.load("demo", "art-07")
    assert art.meta["tags"][-1] == "few" and len(parse_count) == 1  # the meta is read when asked for


@pytest.mark.usefixtures("no_racy")
def test_never_stale_add_edit_delete(cm_session, repo, parse_count):
    db = cm_session.db
    assert len(db.search("demo", tags="all")) == 20
    parse_count.clear()
    # a folder added by hand
    write_artifact(repo, "demo", "new-one", {"tags": ["all", "fresh"]})
    bump(repo / "demo")
    assert aliases(db.search("demo", tags="fresh")) == ["new-one"]
    assert len(parse_count) == 1  # only the new artifact was parsed
    # a meta edited in place (same inode): new tags are seen, old ones are gone
    meta = repo / "demo" / "art-03" / "_cm.yaml"
    meta.write_text(meta.read_text().replace("- n3\n", "- n3\n- edited-in-place\n"))
    bump(meta)
    assert aliases(db.search("demo", tags="edited-in-place")) == ["art-03"]
    # a meta replaced atomically (new inode, e.g. an editor's save or git checkout)
    meta5 = repo / "demo" / "art-05" / "_cm.yaml"
    tmp = meta5.with_name("tmp.yaml")
    tmp.write_text(meta5.read_text().replace("- n5\n", "- replaced\n"))
    os.replace(tmp, meta5)
    assert aliases(db.search("demo", tags="replaced")) == ["art-05"]
    assert db.search("demo", tags="n5") == []
    # a folder deleted
    shutil.rmtree(repo / "demo" / "art-07")
    bump(repo / "demo")
    assert aliases(db.search("demo", tags="few")) == ["art-00", "art-14"]
    # a folder renamed
    os.rename(repo / "demo" / "art-14", repo / "demo" / "renamed")
    bump(repo / "demo")
    found = db.search("demo", tags="few")
    assert sorted(a.name for a in found) == ["art-00", "renamed"]
    # the meta file of an artifact removed (folder kept): the artifact is gone
    (repo / "demo" / "art-00" / "_cm.yaml").unlink()
    assert aliases(db.search("demo", tags="few")) == ["art-14"]  # alias kept in the renamed folder's meta


def test_racy_changes_within_one_clock_tick_are_seen(cm_session, repo):
    """Without faking time: edits right after indexing, with the real racy window."""
    db = cm_session.db
    for k in range(3):
        assert len(db.search("demo", tags="all")) == 20 + k
        write_artifact(repo, "demo", f"quick-{k}", {"tags": ["all", "quick"]})
        meta = repo / "demo" / "art-01" / "_cm.yaml"
        meta.write_text(meta.read_text().replace("- n1\n", f"- n1\n- q{k}\n"))
        assert aliases(db.search("demo", tags=f"q{k}")) == ["art-01"]
    assert len(db.search("demo", tags="quick")) == 3


@pytest.mark.usefixtures("no_racy")
def test_folder_without_meta_becomes_an_artifact(cm_session, repo):
    """A writer creates the folder first and the meta last (the cache store does)."""
    db = cm_session.db
    d = repo / "demo" / "in-progress"
    d.mkdir()
    bump(repo / "demo")
    assert db.search("demo", "in-progress") == []
    (d / "_cm.json").write_text(json.dumps({"alias": "in-progress", "tags": ["done"]}))
    bump(d)
    assert aliases(db.search("demo", tags="done")) == ["in-progress"]


def read_shard(p):
    data = p.read_bytes()
    return shardfile.decode_fresh(data), shardfile.decode_rows(data)


def demo_shard(cm_session):
    shards = list((cm_session.home / "index" / "shards").glob("*.shard"))
    target = [p for p in shards if read_shard(p)[0][0].endswith(os.sep + "demo")]
    assert len(target) == 1
    return target[0]


def test_corrupt_index_file_is_rebuilt_with_one_warning(cm_session, repo, capsys):
    db = cm_session.db
    db.search("demo")
    target = demo_shard(cm_session)
    good = target.read_bytes()
    target.write_bytes(good[: len(good) // 2])  # a torn file: its checksum fails
    capsys.readouterr()
    assert len(db.search("demo", tags="few")) == 3
    err = capsys.readouterr().err
    assert err.count("cm warning:") == 1 and "is corrupt (" in err and "rebuilding" in err
    fresh, cols = read_shard(target)
    assert len(cols["name"]) == 20 and len(fresh[3].split("\0")) == 20
    # wrong shapes with valid checksums are corrupt too: missing columns, or more paths than
    # signatures
    target.write_bytes(shardfile.encode(fresh, {"name": cols["name"]}))
    assert len(db.search("demo", tags="few")) == 3
    assert "is corrupt" in capsys.readouterr().err
    target.write_bytes(shardfile.encode((*fresh[:4], fresh[4][:-1], *fresh[5:]), cols))
    assert len(db.search("demo", tags="few")) == 3
    assert "is corrupt" in capsys.readouterr().err
    assert len(read_shard(target)[0][4]) == 20
    # values of the wrong type in the signatures only look changed: those rows are read again
    target.write_bytes(shardfile.encode((*fresh[:4], [None] * 20, *fresh[5:]), cols))
    assert len(db.search("demo", tags="few")) == 3
    assert None not in read_shard(target)[0][4]
    # garbage, and an index file of an older version (JSON), are replaced without a word
    target.write_bytes(b"\x00garbage")
    old = target.with_suffix(".json")
    old.write_text('{"v": 2}')
    assert len(db.search("demo", tags="few")) == 3
    assert capsys.readouterr().err == ""
    assert read_shard(target)[1]["name"] == cols["name"]
    target.unlink()
    assert len(db.search("demo", tags="few")) == 3
    assert not old.exists()


def test_reindex_rebuilds(cm_session, repo, cm_cli):
    db = cm_session.db
    db.search("demo")
    shard_dir = cm_session.home / "index" / "shards"
    before = {p.name for p in shard_dir.glob("*.shard")}
    db.reindex()
    after = {p.name for p in shard_dir.glob("*.shard")}
    assert before <= after
    r = cm_cli("reindex", "repo")
    assert r.exit_code == 0, r.stderr


def test_index_files_are_small_and_columnar(cm_session, repo):
    cm_session.db.search("demo")
    target = demo_shard(cm_session)
    fresh, cols = read_shard(target)
    assert set(cols) >= {"name", "alias", "uid", "tags", "files"}
    assert cols["files"][0] == ("_cm.yaml",)
    assert fresh[3].split("\0")[0] == "art-00" + os.sep + "_cm.yaml"
    st = (repo / "demo" / "art-00" / "_cm.yaml").stat()
    assert [fresh[i][0] for i in range(4, 8)] in ([st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino],
                                                   [-1, -1, -1, -1])
    assert target.stat().st_size < 20 * 400


def test_parallel_first_indexing_gives_the_same_rows(cm_session, repo, monkeypatch, capsys):
    """A first indexing of many folders runs in worker processes; the answer must not change."""
    from cmcore.db import index as ix
    from cmcore.session import Session

    bad = repo / "demo" / "zz-broken"
    bad.mkdir()
    (bad / "_cm.yaml").write_text("tags: [unclosed\n")
    (repo / "demo" / "zz-empty").mkdir()
    monkeypatch.setattr(ix, "PARALLEL_MIN", 5)
    db = cm_session.db
    parallel = [(a.alias, a.uid, a.tags) for a in db.search("demo")]
    assert len(parallel) == 20
    assert "skipping" in capsys.readouterr().err
    monkeypatch.setenv("CM_INDEX", "no")
    monkeypatch.setattr(ix, "PARALLEL_MIN", 10**9)
    sequential = [(a.alias, a.uid, a.tags) for a in Session(home=cm_session.home).db.search("demo")]
    assert parallel == sequential


@pytest.mark.parametrize("threaded_min", [1, 10**9])
def test_the_one_pass_freshness_test_sees_every_change(tmp_path, monkeypatch, threaded_min):
    """cmcore.shardfile.paths_fresh, in two threads (every list is "long") and in one."""
    from cmcore import shardfile

    monkeypatch.setattr(shardfile, "THREADED_MIN", threaded_min)
    rels = []
    for k in range(40):
        (tmp_path / f"a{k:02d}").mkdir()
        (tmp_path / f"a{k:02d}" / "_cm.yaml").write_text(f"n: {k}\n")
        # an old mtime: an edit below is seen even within one tick of the file system clock
        os.utime(tmp_path / f"a{k:02d}" / "_cm.yaml", ns=(10**18, 10**18))
        rels.append(f"a{k:02d}{os.sep}_cm.yaml")

    def sigs():
        sts = [os.stat(tmp_path / r) for r in rels]
        return ([s.st_mtime_ns for s in sts], [s.st_ctime_ns for s in sts], [s.st_size for s in sts],
                [s.st_ino for s in sts])

    want = sigs()
    folder = str(tmp_path)
    assert shardfile.paths_fresh(folder, rels, *want)
    assert shardfile.paths_fresh(folder, [], [], [], [], [])
    for k in (0, 39):  # a change in the first half and in the second half
        p = tmp_path / rels[k]
        old = p.read_text()
        p.write_text(old.replace("n:", "m:"))  # same size
        assert not shardfile.paths_fresh(folder, rels, *want)
        want = sigs()
        assert shardfile.paths_fresh(folder, rels, *want)
    (tmp_path / rels[30]).unlink()
    assert not shardfile.paths_fresh(folder, rels, *want)
    assert not shardfile.paths_fresh(str(tmp_path / "nosuch"), rels, *want)


@pytest.mark.usefixtures("no_racy")
def test_edited_rows_are_patched_in_place_and_read_once(cm_session, repo, parse_count):
    """An edit, a meta renamed to another format, and a meta removed change only their rows;
    the next lookup reads nothing again (the patched shard on disk is right)."""
    db = cm_session.db
    db.search("demo")
    d3, d4, d5 = (repo / "demo" / f"art-{k:02d}" for k in (3, 4, 5))
    (d3 / "_cm.yaml").write_text("alias: art-03\ntags: [all, edited]\n")
    (d4 / "_cm.yaml").unlink()
    (d4 / "_cm.json").write_text(json.dumps({"alias": "art-04", "tags": ["all", "now-json"]}))
    (d5 / "_cm.yaml").unlink()
    parse_count.clear()
    assert aliases(db.search("demo", tags="edited")) == ["art-03"]
    assert aliases(db.search("demo", tags="now-json")) == ["art-04"]
    assert "art-05" not in aliases(db.search("demo"))
    assert len(aliases(db.search("demo", tags="all"))) == 19
    assert sorted(os.path.basename(os.path.dirname(p)) for p in parse_count) == ["art-03", "art-04"]
    parse_count.clear()
    assert aliases(db.search("demo", tags="now-json")) == ["art-04"] and parse_count == []
    (d5 / "_cm.yaml").write_text("alias: art-05\ntags: [all, back]\n")
    assert aliases(db.search("demo", tags="back")) == ["art-05"]
