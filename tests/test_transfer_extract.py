"""lib/extract.py with real archives, including planted traversal and link attacks."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from cmcore.transfer.extract import (
    ExtractError,
    detect_format,
    extract,
    strip_archive_suffix,
    top_level_entries,
)


def make_tree(root: Path) -> Path:
    src = root / "src" / "pkg"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "sub" / "b.txt").write_text("B")
    tool = src / "tool.sh"
    tool.write_text("#!/bin/sh\necho hi\n")
    tool.chmod(0o755)
    os.symlink("a.txt", src / "link-to-a")
    return src


@pytest.mark.parametrize("suffix,mode", [
    (".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar.xz", "w:xz"), (".tar.bz2", "w:bz2"),
])
def test_tar_formats(tmp_path, suffix, mode):
    src = make_tree(tmp_path)
    arc = tmp_path / f"pkg{suffix}"
    with tarfile.open(arc, mode) as tf:
        tf.add(src, arcname="pkg")
    out = tmp_path / "out"
    names = extract(arc, out)
    assert (out / "pkg" / "sub" / "b.txt").read_text() == "B"
    assert os.readlink(out / "pkg" / "link-to-a") == "a.txt"
    assert os.access(out / "pkg" / "tool.sh", os.X_OK)
    assert top_level_entries(names) == ["pkg"]


def test_zip_keeps_executable_bits_and_inner_links(tmp_path):
    src = make_tree(tmp_path)
    arc = tmp_path / "pkg.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        for p in sorted(src.rglob("*")):
            rel = "pkg/" + str(p.relative_to(src))
            if p.is_symlink():
                info = zipfile.ZipInfo(rel)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, os.readlink(p))
            elif p.is_file():
                zf.write(p, rel)
    out = tmp_path / "out"
    extract(arc, out)
    assert (out / "pkg" / "a.txt").read_text() == "A"
    assert os.access(out / "pkg" / "tool.sh", os.X_OK)
    assert (out / "pkg" / "link-to-a").is_symlink()
    assert (out / "pkg" / "link-to-a").read_text() == "A"


def test_single_file_gz(tmp_path):
    arc = tmp_path / "data.json.gz"
    arc.write_bytes(gzip.compress(b'{"x": 1}'))
    names = extract(arc, tmp_path / "out")
    assert names == ["data.json"]
    assert (tmp_path / "out" / "data.json").read_text() == '{"x": 1}'


def test_format_detection_by_content(tmp_path):
    z = tmp_path / "noext"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("x", "1")
    assert detect_format(z) == "zip"
    t = tmp_path / "tarnoext"
    with tarfile.open(t, "w:gz") as tf:
        info = tarfile.TarInfo("y")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"2"))
    assert detect_format(t) == "tar"
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not an archive")
    with pytest.raises(ExtractError, match="unknown archive format"):
        detect_format(junk)


def _tar_with(path: Path, *members: tarfile.TarInfo) -> None:
    with tarfile.open(path, "w:gz") as tf:
        good = tarfile.TarInfo("good.txt")
        good.size = 2
        tf.addfile(good, io.BytesIO(b"ok"))
        for m in members:
            tf.addfile(m, io.BytesIO(b"x" * m.size) if m.isfile() else None)


def _file(name: str) -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.size = 1
    return m


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type = kind
    m.linkname = target
    return m


@pytest.mark.parametrize("member,why", [
    (_file("../escape.txt"), "outside the target folder"),
    (_file("a/../../escape.txt"), "outside the target folder"),
    (_file("/etc/evil.txt"), "outside the target folder"),
    (_link("evil-link", "/etc/passwd"), "is a link to '/etc/passwd'"),
    (_link("d/evil-link", "../../outside"), "is a link to '../../outside'"),
    (_link("hard", "../../etc/passwd", tarfile.LNKTYPE), "is a hard link"),
    (_link("dev", "", tarfile.CHRTYPE), "is a device or FIFO"),
])
def test_tar_attacks_are_refused_and_nothing_is_written(tmp_path, member, why):
    arc = tmp_path / "evil.tar.gz"
    _tar_with(arc, member)
    out = tmp_path / "target" / "inner"
    with pytest.raises(ExtractError) as e:
        extract(arc, out)
    msg = e.value.message
    assert msg.startswith("refusing to extract evil.tar.gz: member") and why in msg and "\n" not in msg
    assert list(out.iterdir()) == []  # even the good member was not written
    assert not (tmp_path / "target" / "escape.txt").exists()


def test_tar_link_inside_is_fine(tmp_path):
    arc = tmp_path / "ok.tar"
    _tar_with(arc, _link("d/ok-link", "../good.txt"))
    extract(arc, tmp_path / "o")
    assert (tmp_path / "o" / "d" / "ok-link").read_text() == "ok"


@pytest.mark.parametrize("name", ["../zip-escape.txt", "/abs.txt", "a/../../zip-escape.txt"])
def test_zip_traversal_refused(tmp_path, name):
    arc = tmp_path / "evil.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("good.txt", "ok")
        zf.writestr(zipfile.ZipInfo(name), "bad")
    out = tmp_path / "t" / "in"
    with pytest.raises(ExtractError, match="outside the target folder"):
        extract(arc, out)
    assert list(out.iterdir()) == []
    assert not (tmp_path / "t" / "zip-escape.txt").exists()


def test_zip_symlink_escape_refused(tmp_path):
    arc = tmp_path / "evil.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        info = zipfile.ZipInfo("sneaky")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "../../../../etc/passwd")
    with pytest.raises(ExtractError, match="is a link to"):
        extract(arc, tmp_path / "o")
    assert not (tmp_path / "o" / "sneaky").exists()


def test_missing_and_corrupt_archives(tmp_path):
    with pytest.raises(ExtractError) as e:
        extract(tmp_path / "nope.zip", tmp_path / "o")
    assert e.value.code == 16
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ExtractError, match="cannot extract"):
        extract(bad, tmp_path / "o")
    badtgz = tmp_path / "bad.tar.gz"
    badtgz.write_bytes(gzip.compress(b"not a tar at all" * 10))
    with pytest.raises(ExtractError, match="cannot extract"):
        extract(badtgz, tmp_path / "o")
    badgz = tmp_path / "bad.gz"
    badgz.write_bytes(b"\x1f\x8bnope")
    with pytest.raises(ExtractError, match="cannot extract"):
        extract(badgz, tmp_path / "o")
    assert not (tmp_path / "o" / "bad").exists()


def test_helpers():
    assert strip_archive_suffix("model.tar.gz") == "model"
    assert strip_archive_suffix("x.TGZ") == "x"
    assert strip_archive_suffix("plain") == "plain"
    assert top_level_entries(["./a/b", "a/c", "d"]) == ["a", "d"]
