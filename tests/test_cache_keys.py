"""Cache keys: stable digests, sensitivity to every field, script content hashing, versions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cmcore.cache.keys import CacheKey, script_content_hash
from cmcore.cache.versions import compare_versions, version_in_range
from cmcore.errors import CMError

BASE = dict(script_uid="5b4e0237da074764", script_content_hash="abc", variations=["shared", "cuda"],
            version="", extra_tags=["name-x"], deps_spec=["get,python3", {"tags": "get,cuda"}], dialect="cm")


def test_digest_is_stable_across_processes() -> None:
    key = CacheKey(**BASE)  # type: ignore[arg-type]
    code = (
        "from cmcore.cache.keys import CacheKey;"
        "print(CacheKey(script_uid='5b4e0237da074764', script_content_hash='abc',"
        " variations=['cuda','_shared','cuda'], extra_tags=['name-x'],"
        " deps_spec=['get,python3', {'tags': 'get,cuda'}]).digest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == key.digest()
    assert len(out) == 64 and int(out, 16) >= 0


def test_equal_meaning_gives_equal_keys() -> None:
    a = CacheKey(**BASE)  # type: ignore[arg-type]
    b = CacheKey(**{**BASE, "variations": ["_cuda", "shared", "shared"], "extra_tags": ("name-x",)})  # type: ignore[arg-type]
    assert a == b and a.digest() == b.digest() and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    # the optional inputs field does not change digests while it is empty
    assert CacheKey(**BASE, inputs={}).digest() == a.digest()  # type: ignore[arg-type]


@pytest.mark.parametrize("field,value", [
    ("script_uid", "0000000000000000"),
    ("script_content_hash", "abd"),
    ("variations", ["shared"]),
    ("version", "3.11"),
    ("extra_tags", ["name-y"]),
    ("deps_spec", [{"tags": "get,cuda"}, "get,python3"]),  # order of deps matters
    ("dialect", "mlc"),
    ("inputs", {"CM_INPUT": "/data"}),
])
def test_every_field_changes_the_key(field: str, value: object) -> None:
    assert CacheKey(**{**BASE, field: value}).digest() != CacheKey(**BASE).digest()  # type: ignore[arg-type]


def _script(tmp_path: Path) -> Path:
    d = tmp_path / "get-tool"
    d.mkdir()
    (d / "_cm.yaml").write_text("alias: get-tool\ntags: [get, tool]\n")
    (d / "customize.py").write_text("def preprocess(i):\n    return {'return': 0}\n")
    (d / "run.sh").write_text("echo hi\n")
    (d / "run.bat").write_text("echo hi\n")
    return d


def test_content_hash_deterministic_and_sensitive(tmp_path: Path) -> None:
    d = _script(tmp_path)
    h = script_content_hash(d)
    assert h == script_content_hash(d)
    # generated files, hidden files, unrelated files and sub-folders do not count
    (d / "tmp-run.sh").write_text("generated")
    (d / ".run.sh.swp").write_text("editor")
    (d / "README.md").write_text("docs")
    (d / "sub").mkdir()
    (d / "sub" / "x.py").write_text("x = 1")
    assert script_content_hash(d) == h
    # a content change, a new native script and a rename all change it
    (d / "run.sh").write_text("echo changed\n")
    h2 = script_content_hash(d)
    assert h2 != h
    (d / "install.py").write_text("")
    h3 = script_content_hash(d)
    assert h3 != h2
    (d / "install.py").rename(d / "setup.py")
    assert script_content_hash(d) != h3
    (d / "_cm.yaml").write_text("alias: get-tool\ntags: [get, tool, extra]\n")
    assert script_content_hash(d) != h3


def test_content_hash_same_for_copies(tmp_path: Path) -> None:
    d = _script(tmp_path)
    copy = tmp_path / "elsewhere" / "get-tool"
    copy.parent.mkdir()
    subprocess.run(["cp", "-r", str(d), str(copy)], check=True)
    assert script_content_hash(copy) == script_content_hash(d)


def test_content_hash_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CMError) as exc:
        script_content_hash(tmp_path / "nope")
    assert exc.value.code == 16 and "nope" in exc.value.message


@pytest.mark.parametrize("a,b,expected", [
    ("3.9", "3.9.0", 0),
    ("3.10", "3.9", 1),
    ("3.9.1", "3.10", -1),
    ("1.0.rc1", "1.0.0", -1),   # a textual part never raises and sorts first
    ("3.12.0rc1", "3.12.0", -1),
    ("1.0.1.post1", "1.0.1", 1),
    ("2.1.0+cu121", "2.1.0", 0),
    ("abc", "1", -1),
    ("", "0.1", -1),
])
def test_compare_versions(a: str, b: str, expected: int) -> None:
    assert compare_versions(a, b) == expected
    assert compare_versions(b, a) == -expected


def test_version_in_range() -> None:
    assert version_in_range("3.10.2", "3.9", "3.11")
    assert not version_in_range("3.8", "3.9", "")
    assert not version_in_range("3.12", "", "3.11.99")
    assert version_in_range("3.11", "3.11", "3.11.0")
    assert version_in_range("", "", "")
    assert not version_in_range("", "3.9", "")  # unknown version never satisfies a bound
