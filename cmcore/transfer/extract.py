"""Safe archive extraction: zip, tar, tar.gz/tgz, tar.xz/txz, tar.bz2/tbz2 and single-file gz.

Every member is checked **before anything is written**: a member whose path is absolute or
climbs out of the target folder (``../x``), a symlink or hard link pointing outside it,
and device or FIFO members are refused with one line naming the member. So a planted
archive leaves the target folder exactly as it was.
"""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from cmcore.errors import GENERIC, NOT_FOUND, CMError

FORMATS = ("zip", "tar", "tar.gz", "tar.xz", "tar.bz2", "gz")

_SUFFIXES = (
    (".tar.gz", "tar.gz"), (".tgz", "tar.gz"),
    (".tar.xz", "tar.xz"), (".txz", "tar.xz"),
    (".tar.bz2", "tar.bz2"), (".tbz2", "tar.bz2"), (".tbz", "tar.bz2"),
    (".tar", "tar"), (".zip", "zip"), (".pth", "zip"), (".gz", "gz"),
)


class ExtractError(CMError):
    """An archive that cannot be (safely) extracted."""


def detect_format(path: str | os.PathLike) -> str:
    """The archive format from the file name, else from the content (magic bytes)."""
    name = Path(path).name.lower()
    for suffix, fmt in _SUFFIXES:
        if name.endswith(suffix):
            return fmt
    p = Path(path)
    if zipfile.is_zipfile(p):
        return "zip"
    try:
        if tarfile.is_tarfile(p):
            return "tar"  # tarfile's "r:*" reads any compression
    except OSError:
        pass
    with open(p, "rb") as f:
        if f.read(2) == b"\x1f\x8b":
            return "gz"
    raise ExtractError(f"cannot extract {path}: unknown archive format (supported: {', '.join(FORMATS)})",
                       GENERIC)


def _inside(root: Path, rel: str) -> bool:
    """Whether ``root/rel`` stays inside ``root`` (lexically, without touching the disk)."""
    if not rel:
        return True
    pure = PurePosixPath(rel.replace("\\", "/"))
    if pure.is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        return False
    depth = 0
    for part in pure.parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in (".", ""):
            depth += 1
    return True


def _refuse(archive: Path, member: str, why: str) -> ExtractError:
    return ExtractError(f"refusing to extract {archive.name}: member {member!r} {why}", GENERIC)


def check_zip(archive: Path, zf: zipfile.ZipFile) -> None:
    """Raise :class:`ExtractError` if any zip member would land outside the target."""
    for info in zf.infolist():
        name = info.filename
        if not _inside(Path("."), name):
            raise _refuse(archive, name, "points outside the target folder")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            target = zf.read(info).decode("utf-8", "replace")
            parent = str(PurePosixPath(name).parent)
            if PurePosixPath(target).is_absolute() or not _inside(Path("."), f"{parent}/{target}"):
                raise _refuse(archive, name, f"is a link to {target!r} outside the target folder")


def check_tar(archive: Path, tf: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Return the members after checking each; raise :class:`ExtractError` on an unsafe one."""
    members = tf.getmembers()
    for m in members:
        if not _inside(Path("."), m.name):
            raise _refuse(archive, m.name, "points outside the target folder")
        if m.issym():
            parent = str(PurePosixPath(m.name).parent)
            if PurePosixPath(m.linkname).is_absolute() or not _inside(Path("."), f"{parent}/{m.linkname}"):
                raise _refuse(archive, m.name, f"is a link to {m.linkname!r} outside the target folder")
        elif m.islnk():
            # Hard link targets are archive paths relative to the archive root.
            if PurePosixPath(m.linkname).is_absolute() or not _inside(Path("."), m.linkname):
                raise _refuse(archive, m.name, f"is a hard link to {m.linkname!r} outside the target folder")
        elif m.isdev() or m.isfifo():
            raise _refuse(archive, m.name, "is a device or FIFO")
    return members


def _extract_zip(archive: Path, target: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        check_zip(archive, zf)
        names = zf.namelist()
        for info in zf.infolist():
            mode = info.external_attr >> 16
            out = target / info.filename
            if stat.S_ISLNK(mode):
                out.parent.mkdir(parents=True, exist_ok=True)
                if out.is_symlink() or out.exists():
                    out.unlink()
                os.symlink(zf.read(info).decode("utf-8"), out)
                continue
            zf.extract(info, target)
            if mode & 0o111 and not info.is_dir():
                # zipfile drops permission bits; keep executables executable.
                out.chmod(mode & 0o777)
    return names


def _extract_tar(archive: Path, target: Path) -> list[str]:
    try:
        with tarfile.open(archive, "r:*") as tf:
            members = check_tar(archive, tf)
            kwargs: dict[str, Any] = {"filter": "tar"} if hasattr(tarfile, "data_filter") else {}
            tf.extractall(target, members=members, **kwargs)  # noqa: S202 - members checked above
            return [m.name for m in members]
    except tarfile.TarError as e:
        raise ExtractError(f"cannot extract {archive}: {e}", GENERIC) from None


def _extract_gz(archive: Path, target: Path) -> list[str]:
    name = archive.name[:-3] if archive.name.lower().endswith(".gz") else archive.name + ".out"
    out = target / name
    tmp = out.with_name(out.name + ".part")
    try:
        with gzip.open(archive, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, EOFError) as e:
        tmp.unlink(missing_ok=True)
        raise ExtractError(f"cannot extract {archive}: {e}", GENERIC) from None
    os.replace(tmp, out)
    return [name]


def extract(archive: str | os.PathLike, target: str | os.PathLike, *, fmt: str | None = None) -> list[str]:
    """Extract ``archive`` into the folder ``target`` (created if needed); return member names."""
    archive = Path(archive)
    if not archive.is_file():
        raise ExtractError(f"cannot extract {archive}: file not found", NOT_FOUND)
    fmt = fmt or detect_format(archive)
    if fmt not in FORMATS:
        raise ExtractError(f"cannot extract {archive}: unknown format {fmt!r} (supported: {', '.join(FORMATS)})",
                           GENERIC)
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        if fmt == "zip":
            return _extract_zip(archive, target)
        if fmt == "gz":
            return _extract_gz(archive, target)
        return _extract_tar(archive, target)
    except zipfile.BadZipFile as e:
        raise ExtractError(f"cannot extract {archive}: {e}", GENERIC) from None


def top_level_entries(names: list[str]) -> list[str]:
    """The distinct first path components of the extracted members, in order."""
    seen: list[str] = []
    for n in names:
        parts = [p for p in PurePosixPath(n.replace("\\", "/")).parts if p not in (".", "")]
        if parts and parts[0] not in seen:
            seen.append(parts[0])
    return seen


def strip_archive_suffix(name: str) -> str:
    """``model.tar.gz`` → ``model``; ``a.zip`` → ``a``; other names unchanged."""
    low = name.lower()
    for suffix, _fmt in _SUFFIXES:
        if low.endswith(suffix):
            return name[: -len(suffix)]
    return name
