"""The index's shard files, and the one freshness test the index and replay both use.

This module imports only built-in modules: :mod:`cmcore.replay` reads the freshness part of
a shard without importing the index.

A shard file holds two parts, each with its own checksum::

    b"CMI3" | len(fresh) u32 | crc32(fresh) u32 | crc32(rows) u32 | fresh | rows

* ``fresh`` (marshal): ``(folder, token, dir_sig, rels, mtimes, ctimes, sizes, inodes)``:
  the automation folder, a random number that changes with every write, the folder's own
  signature, the paths (relative to the folder, ``"\\0"``-joined) of every meta file (or
  meta-less artifact folder) it covers, and their stat signatures as four parallel lists.
* ``rows`` (marshal): the index's columns (alias, uid, tags, ...) keyed by name.

marshal (format 4, stable since Python 3.4) builds the columns several times faster than
JSON, and equal immutable values written as one object (the file list ``("_cm.yaml",)``,
the dialect) come back as one object.
"""

from __future__ import annotations

import marshal
import os
import zlib

TYPE_CHECKING = False  # no `typing` import (see cmcore.replay)
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any

MAGIC = b"CMI3"
MARSHAL_VERSION = 4
THREADED_MIN = 2000  # from this many paths, the stats run in two threads (the kernel does the work)

Fresh = tuple  # (folder, token, dir_sig, rels, mtimes, ctimes, sizes, inodes)


def encode(fresh: Fresh, rows: Any) -> bytes:
    a = marshal.dumps(fresh, MARSHAL_VERSION)
    b = marshal.dumps(rows, MARSHAL_VERSION)
    head = MAGIC + len(a).to_bytes(4, "little") + zlib.crc32(a).to_bytes(4, "little")
    return head + zlib.crc32(b).to_bytes(4, "little") + a + b


def _part(data: bytes, which: int) -> Any:
    """Part 0 (fresh) or 1 (rows) of a shard file's bytes; ValueError if damaged."""
    if len(data) < 16 or data[:4] != MAGIC:
        raise ValueError("not an index file of this version")
    n = int.from_bytes(data[4:8], "little")
    part = data[16:16 + n] if which == 0 else data[16 + n:]
    if zlib.crc32(part) != int.from_bytes(data[8 + 4 * which:12 + 4 * which], "little"):
        raise ValueError("checksum mismatch")
    try:
        return marshal.loads(part)
    except (EOFError, TypeError) as exc:
        raise ValueError(f"unreadable ({exc})") from None


def decode_fresh(data: bytes) -> Fresh:
    fresh = _part(data, 0)
    if not (isinstance(fresh, tuple) and len(fresh) == 8 and isinstance(fresh[3], str)
            and all(isinstance(x, list) for x in fresh[4:])):
        raise ValueError("the freshness part has the wrong shape")
    return fresh


def decode_rows(data: bytes) -> Any:
    return _part(data, 1)


def rels_of(fresh: Fresh) -> list[str]:
    """The relative paths a freshness part covers."""
    return fresh[3].split("\0") if fresh[3] else []


def fresh_data(folder: str, path: str, token: int) -> bytes | None:
    """The bytes of the shard file ``path`` when it is still the one written with ``token``
    for ``folder`` and every path it covers still has its signature; else None."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        fr = decode_fresh(data)
    except (OSError, ValueError):
        return None
    if fr[0] != folder or fr[1] != token or not paths_fresh(folder, rels_of(fr), *fr[4:8]):
        return None
    return data


def _same(fd: int | None, base: str, rels: list[str], mt: list, ct: list, sz: list, ino: list,
          out: list, slot: int) -> None:
    stat = os.stat
    try:
        if fd is not None:
            sts = [stat(r, dir_fd=fd) for r in rels]
        else:
            sts = [stat(base + r) for r in rels]
    except OSError:  # a vanished file: changed
        out[slot] = False
        return
    out[slot] = ([s.st_ctime_ns for s in sts] == ct and [s.st_ino for s in sts] == ino
                 and [s.st_mtime_ns for s in sts] == mt and [s.st_size for s in sts] == sz)


def paths_fresh(folder: str, rels: list[str], mt: list, ct: list, sz: list, ino: list) -> bool:
    """True when every path under ``folder`` still has its recorded signature.

    One stat per path, relative to an open folder where the platform allows it (no path walk
    from the root each time); a long list is split between two threads, as a stat spends its
    time in the kernel, outside the interpreter lock.
    """
    if not rels:
        return True
    fd = None
    if os.stat in os.supports_dir_fd:
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return False
    try:
        base = folder + os.sep
        out = [True, True]
        n = len(rels)
        if n < THREADED_MIN or (os.cpu_count() or 1) < 2:
            _same(fd, base, rels, mt, ct, sz, ino, out, 0)
            return out[0]
        import threading

        h = n // 2
        t = threading.Thread(target=_same, args=(fd, base, rels[h:], mt[h:], ct[h:], sz[h:], ino[h:], out, 1))
        t.start()
        _same(fd, base, rels[:h], mt[:h], ct[:h], sz[:h], ino[:h], out, 0)
        t.join()
        return out[0] and out[1]
    finally:
        if fd is not None:
            os.close(fd)


# -- what a tag query looks at (the index's search, and replay's find template) ------------

def candidate_rows(tagcol: list[list[str]], bases: list[bool], errors: list[str], yes: list[str],
                   ignore_inheritance: bool) -> Iterable[int]:
    """The rows a search must look at, in order: with required tags, only rows that have the
    first of them (one pass at the speed of a comprehension), plus rows whose tags may come
    from ``_base`` and rows with a parse error (reported)."""
    if not yes:
        return range(len(tagcol))
    t = yes[0]
    ks = [k for k, have in enumerate(tagcol) if t in have]
    extra = [k for k, e in enumerate(errors) if e]
    if not ignore_inheritance:
        extra += [k for k, b in enumerate(bases) if b]
    return sorted({*ks, *extra}) if extra else ks


def tags_ok(have: Collection[str], yes: list[str], no: list[str]) -> bool:
    """Has every ``yes`` tag and no ``no`` tag."""
    for t in yes:
        if t not in have:
            return False
    for t in no:
        if t in have:
            return False
    return True
