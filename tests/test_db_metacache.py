"""Parsed metas are reused as JSON while the meta files are unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

import cmcore.db.index
from cmcore.db.metacache import ParsedMetaCache


@pytest.fixture
def no_racy_window(monkeypatch):
    """Files changed within the last 2 s are never trusted; in-process tests shrink the window."""
    monkeypatch.setattr(cmcore.db.index, "RACY_NS", 0)


def _write(p, text):
    p.write_text(text)


def test_reused_until_the_file_changes(tmp_path, no_racy_window, monkeypatch):
    art = tmp_path / "art"
    art.mkdir()
    _write(art / "_cm.yaml", "alias: a\ntags: [x, y]\nflag: yes\nnested: {k: [1, 2]}\n")
    cache = ParsedMetaCache(tmp_path / "cache")
    first = cache.read(str(art), ["_cm.yaml"])
    assert first == {"alias": "a", "tags": ["x", "y"], "flag": True, "nested": {"k": [1, 2]}}
    (kept,) = list((tmp_path / "cache").rglob("*.json"))
    # the cached copy is what is used: prove it by planting a value in it
    kept.write_text(kept.read_text().replace('"alias": "a"', '"alias": "from-cache"'))
    assert cache.read(str(art), ["_cm.yaml"])["alias"] == "from-cache"
    # an edit is seen at once
    _write(art / "_cm.yaml", "alias: b\ntags: [x]\n")
    assert cache.read(str(art), ["_cm.yaml"]) == {"alias": "b", "tags": ["x"]}
    # a file changed too recently is parsed, never taken from (or put in) the cache
    monkeypatch.setattr(cmcore.db.index, "RACY_NS", 10**12)
    kept.unlink()
    _write(art / "_cm.yaml", "alias: c\n")
    assert cache.read(str(art), ["_cm.yaml"]) == {"alias": "c"}
    assert not kept.exists()


def test_metas_json_cannot_hold_are_not_kept(tmp_path, no_racy_window):
    art = tmp_path / "art"
    art.mkdir()
    _write(art / "_cm.yaml", "versions:\n  1.1: {env: {A: x}}\nwhen: 2024-01-02\n")
    cache = ParsedMetaCache(tmp_path / "cache")
    meta = cache.read(str(art), ["_cm.yaml"])
    assert 1.1 in meta["versions"]  # the YAML float key survives
    assert not list((tmp_path / "cache").rglob("*.json"))


def test_malformed_meta_still_errors(tmp_path):
    from cmcore.errors import CMError

    art = tmp_path / "art"
    art.mkdir()
    _write(art / "_cm.yaml", "tags: [unclosed\n")
    with pytest.raises(CMError) as exc:
        ParsedMetaCache(tmp_path / "cache").read(str(art), ["_cm.yaml"])
    assert exc.value.code == 4 and "\n" not in exc.value.message


def test_warm_cached_run_imports_only_what_it_needs(cm_repo, cm_home, tmp_path):
    root = cm_repo("r", {"hello": {"meta": {"tags": ["hello"], "cache": True, "new_env_keys": ["H_*"]},
                                   "files": {"run.sh": "echo H_OK=1 > tmp-run-env.out\n"}}})
    assert root.is_dir()
    # a warm cached run pays only for what it needs: no YAML parser, no typer, no did-you-mean
    # machinery, no compat shims, no native runner (nothing runs), no entry-point scan
    heavy = ("yaml", "typer", "difflib", "cmcore.compat", "cmcore.script.native", "importlib.metadata")
    code = ("import sys; from cmcore.cli import main; rc = main(['run', 'script', 'hello', '--quiet', '-s']); "
            f"print(rc, [m for m in {heavy!r} if m in sys.modules])")
    env = {**os.environ, "CM_HOME": str(cm_home)}
    env.pop("CM_PLUGINS", None)

    def once():
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=120).stdout.split()

    first = once()  # parses, creates the local repo, keeps JSON copies
    time.sleep(2.1)  # files changed within the last 2 s are never trusted
    once()  # re-reads what the first run wrote too recently
    outs = [first, once()]
    assert outs[0][0] == "0" and outs[1] == ["0", "[]"], outs


def test_atomic_writes_get_ordinary_file_modes(tmp_path):
    from cmcore.metaio import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "f.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "f.json").stat().st_mode & 0o777 == 0o644
