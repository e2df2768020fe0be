"""The persistent index: what each automation folder of each repo holds, kept never stale.

One small JSON file ("shard") per ``<repo content>/<automation>/`` folder lives under
``<home>/index/shards/``, stored by column. A shard records, per artifact folder, its
alias, uid, tags, dialect, ``sort``, whether its meta uses ``_base``, a parse error if
any, and the stat signature (mtime, ctime, size, inode) of each meta file, observed
*before* the file was read. A lookup therefore:

* stats the automation folder: a new mtime means folders were added or removed, so the
  folder is listed again (``os.scandir``; unchanged artifacts are not parsed);
* stats each recorded meta file: a different signature means an edit (in place or by
  rename), so only that artifact is parsed again; a vanished one is dropped. A folder that
  had no meta file yet (a cache entry being made) is checked through its own signature.

No YAML is parsed on a warm lookup; when folders must be read, only the indexed keys are
built from YAML, and a first indexing of thousands of folders uses fork workers. Timestamps
younger than a clock tick with margin when observed (:func:`cmcore.replay.racy_window`:
100 ms where the file system keeps sub-second times, else :data:`RACY_NS`, 2 s) are stored
as "racy" and re-checked next time, so a change within one filesystem clock tick cannot be
missed (the trick git uses for its index). Shards are written with an
atomic replace under a lock, so readers never see half a file; because every entry is
re-validated against the disk, a concurrent writer can at worst cost a re-scan, never a
wrong answer. A shard that does not parse is rebuilt after one warning.

One case is seen late on purpose: a *second* meta file created by hand next to an existing
one (a ``_cm.json`` overlay added to a YAML-only artifact) changes neither the folder
listing nor the recorded file, so it counts for search only after the artifact's meta or
folder list changes, or ``cm reindex repo``. Checking it would cost one more stat per
artifact on every lookup. Loading an artifact's meta always reads the files present.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cmcore.db import metafiles
from cmcore.digest import sha1
from cmcore.errors import CMError
from cmcore.refs import is_uid
from cmcore.replay import racy_window

FORMAT = 2  # 2: signatures are lists of ints
RACY_NS = 2_000_000_000  # at most this; 100 ms where times have sub-second parts (racy_window)
RACY = (-1, -1, -1, -1)  # matches no real file (no inode is -1): re-check next time


class Row:
    """One artifact folder as the index knows it."""

    __slots__ = ("name", "alias", "uid", "tags", "dialect", "files", "sigs", "has_base", "error", "sort")

    def __init__(self, name: str, alias: str = "", uid: str = "", tags: list[str] | None = None,
                 dialect: str = "cm", files: list[str] | None = None, sigs: list[int] | None = None,
                 has_base: bool = False, error: str = "", sort: int = 0) -> None:
        self.name = name
        self.alias = alias
        self.uid = uid
        self.tags = tags or []
        self.dialect = dialect
        self.files = files or []  # meta file names in load order; [] = not an artifact (yet)
        # 4 ints per meta file (see stat_sig); for a folder without meta, the folder's own
        self.sigs = sigs or []
        self.has_base = has_base
        self.error = error  # one-line parse error; such a row is hidden
        self.sort = sort

    def key(self) -> tuple:
        return tuple(getattr(self, k) for k in self.__slots__)


_COLS = ("name", "alias", "uid", "tags", "dialect", "files", "sigs", "has_base", "error", "sort")


class Shard:
    """The rows of one automation folder, stored by column (fast to load, nothing built per row)."""

    def __init__(self, dir_sig: list[int] | None = None, cols: dict[str, list] | None = None) -> None:
        self.dir_sig: list[int] = dir_sig if dir_sig is not None else []
        self.cols: dict[str, list] = cols if cols is not None else {c: [] for c in _COLS}

    def __len__(self) -> int:
        return len(self.cols["name"])

    @property
    def names(self) -> list[str]:
        return self.cols["name"]

    def row(self, k: int) -> Row:
        return Row(*(self.cols[c][k] for c in _COLS))

    def set_row(self, k: int, row: Row) -> None:
        for c in _COLS:
            self.cols[c][k] = getattr(row, c)

    def append(self, row: Row) -> None:
        for c in _COLS:
            self.cols[c].append(getattr(row, c))

    def keep(self, ks: list[int]) -> Shard:
        return Shard(self.dir_sig, {c: [v[k] for k in ks] for c, v in self.cols.items()})


def stat_sig(st: os.stat_result, now_ns: int) -> list[int]:
    """A file's signature ``[mtime_ns, ctime_ns, size, inode]``, or :data:`RACY` when it changed
    too recently to be trusted."""
    if now_ns - max(st.st_mtime_ns, st.st_ctime_ns) < min(RACY_NS, racy_window(st.st_mtime_ns, st.st_ctime_ns)):
        return list(RACY)
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


def scan_artifact(folder: str, name: str, now_ns: int) -> tuple[Row | None, dict | None]:
    """Read one artifact folder: ``(row, full meta if it was parsed whole)``; ``(None, None)`` if
    it is not a folder any more."""
    adir = os.path.join(folder, name)
    try:
        present = os.listdir(adir)  # one listing instead of a stat per candidate meta name
    except OSError:
        return None, None
    dialect, files = metafiles.meta_names_in(set(present))
    if not files:
        try:
            return Row(name, dialect=dialect, sigs=stat_sig(os.stat(adir), now_ns)), None
        except OSError:
            return None, None
    # Signatures are taken before reading, so a change during the read is seen next time.
    sigs: list[int] = []
    for f in files:
        try:
            sigs += stat_sig(os.stat(os.path.join(adir, f)), now_ns)
        except OSError:
            sigs += RACY
    try:
        meta, full = metafiles.read_index_fields(adir, files)
    except CMError as exc:
        return Row(name, dialect=dialect, files=files, sigs=sigs, error=exc.message), None
    alias = meta.get("alias")
    alias = str(alias) if alias else ("" if is_uid(name) else name)
    uid = meta.get("uid")
    uid = str(uid).lower() if uid else (name.lower() if is_uid(name) else "")
    try:
        sort = int(meta.get("sort") or 0)
    except (TypeError, ValueError):
        sort = 0
    row = Row(name, alias, uid, metafiles.tags_of(meta), dialect, files, sigs, bool(meta.get("_base")), "", sort)
    return row, full


PARALLEL_MIN = 1500  # below this many folders to read, worker processes cost more than they save


def _scan_chunk(folder: str, names: list[str], now_ns: int) -> list[tuple | None]:
    out: list[tuple | None] = []
    for n in names:
        row, _meta = scan_artifact(folder, n, now_ns)
        out.append(row.key() if row is not None else None)
    return out


def scan_many(folder: str, names: list[str], now_ns: int) -> list[tuple[Row | None, dict | None]]:
    """Read many artifact folders; a first indexing of thousands uses every core (fork workers)."""
    import threading

    workers = min(4, os.cpu_count() or 1)
    if (len(names) < PARALLEL_MIN or workers < 2 or not hasattr(os, "fork")
            or threading.active_count() > 1):  # forking a threaded process is unsafe
        return [scan_artifact(folder, n, now_ns) for n in names]
    import multiprocessing

    size = -(-len(names) // workers)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_scan_chunk, [(folder, names[i:i + size], now_ns)
                                               for i in range(0, len(names), size)])
    except (OSError, ValueError, RuntimeError):
        return [scan_artifact(folder, n, now_ns) for n in names]
    return [(Row(*key) if key is not None else None, None) for part in parts for key in part]


def stale_rows(folder: str, shard: Shard) -> list[int]:
    """Indexes of rows whose files changed: the hot loop of a warm lookup (one stat per meta file)."""
    stat = os.stat
    base = folder + os.sep
    sep = os.sep
    out = []
    for k, (name, files, sigs) in enumerate(zip(shard.cols["name"], shard.cols["files"], shard.cols["sigs"],
                                                strict=True)):
        if len(files) == 1:  # the usual case, kept tight
            try:
                st = stat(base + name + sep + files[0])
            except OSError:
                out.append(k)
                continue
            if (st.st_ino != sigs[3] or st.st_mtime_ns != sigs[0] or st.st_ctime_ns != sigs[1]
                    or st.st_size != sigs[2]):
                out.append(k)
            continue
        # a folder without meta is checked through the folder itself (a meta file may appear)
        paths = [base + name + sep + f for f in files] if files else [base + name]
        if len(sigs) != 4 * len(paths):
            out.append(k)
            continue
        for j, p in enumerate(paths):
            try:
                st = stat(p)
            except OSError:
                out.append(k)
                break
            if [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino] != sigs[4 * j:4 * j + 4]:
                out.append(k)
                break
    return out


class Index:
    """Shards under ``<home>/index``; ``enabled=False`` (``CM_INDEX=no``) scans every time."""

    def __init__(self, root: Path, *, enabled: bool = True, warn: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.enabled = enabled
        self.warn = warn or (lambda _m: None)

    # -- files --------------------------------------------------------------------------
    def shard_path(self, folder: str) -> Path:
        key = sha1(folder.encode("utf-8", "surrogateescape")).hexdigest()[:20]
        return self.root / "shards" / f"{key}.json"

    def _read(self, folder: str) -> Shard | None:
        p = self.shard_path(folder)
        try:
            with open(p, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:  # a damaged file may not even be UTF-8
            self.warn(f"cannot read the index file {p}: {metafiles.one_line(exc)}; rebuilding it")
            return None
        try:
            data = json.loads(text)
            if data.get("v") != FORMAT or data.get("folder") != folder:
                return None  # another format or a hash clash: rebuild quietly
            cols = data["cols"]
            if sorted(cols) != sorted(_COLS) or len({len(cols[c]) for c in _COLS}) != 1:
                raise ValueError("columns missing or of different lengths")
            if not all(isinstance(cols[c], list) for c in _COLS):
                raise ValueError("a column is not a list")
            return Shard([int(x) for x in data["dir"]], cols)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self.warn(f"the index file {p} is corrupt ({metafiles.one_line(exc)}); rebuilding it")
            return None

    def _write(self, folder: str, shard: Shard) -> None:
        from cmcore.fsutil import FileLock
        from cmcore.metaio import atomic_write_text

        p = self.shard_path(folder)
        text = json.dumps({"v": FORMAT, "folder": folder, "dir": shard.dir_sig, "cols": shard.cols},
                          separators=(",", ":"), ensure_ascii=False)
        try:
            with FileLock(self.root / "locks" / f"{p.stem}.lock", timeout=30):
                atomic_write_text(p, text)
        except (OSError, CMError):
            pass  # a read-only or busy index only costs speed: the disk is the truth

    def drop(self, folder: str) -> None:
        try:
            self.shard_path(folder).unlink()
        except OSError:
            pass

    def clear(self) -> None:
        """Forget every shard (``cm reindex repo`` then rebuilds them)."""
        d = self.root / "shards"
        if d.is_dir():
            for p in d.glob("*.json"):
                try:
                    p.unlink()
                except OSError:
                    pass

    # -- the lookup ---------------------------------------------------------------------
    def rows(self, folder: str, _retry: bool = True) -> tuple[Shard, dict[str, dict]]:
        """The fresh shard of one automation folder, plus the metas parsed while refreshing."""
        now = time.time_ns()
        try:
            st = os.stat(folder)
        except OSError:
            return Shard(), {}
        dir_sig = stat_sig(st, now)
        cached = self._read(folder) if self.enabled else None
        changed = cached is None
        shard = cached if cached is not None else Shard()
        if shard.dir_sig != dir_sig or tuple(dir_sig) == RACY:
            try:
                names = sorted(e.name for e in os.scandir(folder) if not e.name.startswith(".") and e.is_dir())
            except OSError:
                names = []
            if names != shard.names:
                changed = True
                pos = {n: k for k, n in enumerate(shard.names)}
                fresh = Shard()
                for n in names:
                    k = pos.get(n)
                    fresh.append(shard.row(k) if k is not None else Row(n, sigs=list(RACY)))
                shard = fresh
        if shard.dir_sig != dir_sig:
            changed = True
            shard.dir_sig = dir_sig
        metas: dict[str, dict] = {}
        gone: list[int] = []
        try:
            stale = stale_rows(folder, shard)
        except (TypeError, IndexError, ValueError) as exc:  # a shard of the wrong shape
            if not _retry:
                raise
            self.warn(f"the index file {self.shard_path(folder)} is corrupt ({exc}); rebuilding it")
            self.drop(folder)
            return self.rows(folder, _retry=False)
        scanned = scan_many(folder, [shard.cols["name"][k] for k in stale], now)
        for k, (new, meta) in zip(stale, scanned, strict=True):
            old = shard.row(k)
            if new is None:
                gone.append(k)
                changed = True
                continue
            if new.key() != old.key():
                changed = True
            shard.set_row(k, new)
            if meta is not None:
                metas[old.name] = meta
        if gone:
            dropped = set(gone)
            shard = shard.keep([k for k in range(len(shard)) if k not in dropped])
        if changed and self.enabled:
            self._write(folder, shard)
        return shard, metas


def env_disables_index(env: dict[str, Any]) -> bool:
    """``CM_INDEX=no|off|false|0`` turns the index off (CM-FORMAT §1.1)."""
    return str(env.get("CM_INDEX", "")).strip().lower() in ("no", "off", "false", "0")
