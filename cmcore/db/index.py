"""The persistent index: what each automation folder of each repo holds, kept never stale.

One file ("shard", :mod:`cmcore.shardfile`) per ``<repo content>/<automation>/`` folder
lives under ``<home>/index/shards/``, stored by column. A shard records, per artifact
folder, its alias, uid, tags, dialect, ``sort``, whether its meta uses ``_base``, a parse
error if any, and the stat signature (mtime, ctime, size, inode) of each meta file,
observed *before* the file was read. A lookup therefore:

* stats the automation folder: a new mtime means folders were added or removed, so the
  folder is listed again (``os.scandir``; unchanged artifacts are not parsed);
* stats each recorded meta file: a different signature means an edit (in place or by
  rename), so only that artifact is parsed again; a vanished one is dropped. A folder that
  had no meta file yet (a cache entry being made) is checked through its own signature.
  These stats are first made all at once (relative to the open folder, split between two
  threads for thousands); only when one differs is each row checked to find which.

No YAML is parsed on a warm lookup; when folders must be read, only the indexed keys are
built from YAML, and a first indexing of thousands of folders uses fork workers. Timestamps
younger than a clock tick with margin when observed (:func:`cmcore.replay.racy_window`:
100 ms where the file system keeps sub-second times, else :data:`RACY_NS`, 2 s) are stored
as "racy" and re-checked next time, so a change within one filesystem clock tick cannot be
missed (the trick git uses for its index). Shards are written with an
atomic replace under a lock, so readers never see half a file; because every entry is
re-validated against the disk, a concurrent writer can at worst cost a re-scan, never a
wrong answer. A shard that does not parse is rebuilt after one warning; one of an older
format is replaced quietly.

One case is seen late on purpose: a *second* meta file created by hand next to an existing
one (a ``_cm.json`` overlay added to a YAML-only artifact) changes neither the folder
listing nor the recorded file, so it counts for search only after the artifact's meta or
folder list changes, or ``cm reindex repo``. Checking it would cost one more stat per
artifact on every lookup. Loading an artifact's meta always reads the files present.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cmcore import shardfile
from cmcore.db import metafiles
from cmcore.digest import sha1
from cmcore.errors import CMError
from cmcore.refs import is_uid
from cmcore.replay import racy_window
from cmcore.shardfile import paths_fresh as shard_fresh

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

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


_COLS = ("name", "alias", "uid", "tags", "dialect", "files", "has_base", "error", "sort")  # stored per row


def _row_paths(r: Row) -> tuple[list[str], list[int]]:
    """A row's paths relative to its folder (each meta file, or the folder itself when it has
    none) and their signatures, 4 ints each (racy ones when the row's do not fit)."""
    paths = [r.name + os.sep + f for f in r.files] if r.files else [r.name]
    return paths, (r.sigs if len(r.sigs) == 4 * len(paths) else list(RACY) * len(paths))


class Shard:
    """The rows of one automation folder, stored by column (fast to load, nothing built per row).

    Next to the columns: ``rels``, one path per meta file (``name/_cm.yaml``) or meta-less
    artifact folder (``name``), and ``sig``, their signatures as four parallel lists (mtimes,
    ctimes, sizes, inodes), which is what a warm lookup checks. ``token`` changes with every
    write (:mod:`cmcore.replay` refers to a shard by it); ``path`` is the file this shard
    matches on disk, or None.
    """

    def __init__(self, dir_sig: list[int] | None = None, cols: dict[str, list] | None = None,
                 rels: list[str] | None = None, sig: tuple[list[int], ...] | None = None, token: int = 0) -> None:
        self.dir_sig: list[int] = dir_sig if dir_sig is not None else []
        self.cols: dict[str, list] = cols if cols is not None else {c: [] for c in _COLS}
        self.rels: list[str] = rels if rels is not None else []
        self.sig: tuple[list[int], ...] = sig if sig is not None else ([], [], [], [])
        self.token = token
        self.path: str | None = None
        self._offs: list[int] | None = None

    @classmethod
    def from_rows(cls, dir_sig: list[int], rows: list[Row]) -> Shard:
        cols: dict[str, list] = {c: [] for c in _COLS}
        rels: list[str] = []
        sig: tuple[list[int], ...] = ([], [], [], [])
        # Equal values are stored as one object (marshal writes the others as references), so
        # loading creates each distinct tag, file list or dialect once, not once per row.
        shared: dict = {}
        one = shared.setdefault
        for r in rows:
            name = one(r.name, r.name)
            cols["name"].append(name)
            cols["alias"].append(one(r.alias, r.alias))
            cols["uid"].append(r.uid)
            cols["tags"].append([one(t, t) for t in r.tags])
            cols["dialect"].append(one(r.dialect, r.dialect))
            files = tuple(r.files)
            cols["files"].append(one(files, files))
            cols["has_base"].append(r.has_base)
            cols["error"].append(one(r.error, r.error))
            cols["sort"].append(r.sort)
            paths, sigs = _row_paths(r)
            for j in range(len(paths)):
                for i in range(4):
                    sig[i].append(sigs[4 * j + i])
            rels += paths
        return cls(dir_sig, cols, rels, sig)

    def __len__(self) -> int:
        return len(self.cols["name"])

    @property
    def names(self) -> list[str]:
        return self.cols["name"]

    def offsets(self) -> list[int]:
        """Where each row's paths start in ``rels`` (and one past the end)."""
        if self._offs is None:
            if len(self.rels) == len(self):  # every row has one path (each has at least one)
                self._offs = list(range(len(self) + 1))
                return self._offs
            offs = [0]
            for files in self.cols["files"]:
                offs.append(offs[-1] + (len(files) or 1))
            if offs[-1] != len(self.rels):
                raise ValueError("the paths do not match the rows")
            self._offs = offs
        return self._offs

    def row_sigs(self, k: int) -> list[int]:
        offs = self.offsets()
        return [x for j in range(offs[k], offs[k + 1]) for x in (self.sig[0][j], self.sig[1][j],
                                                                   self.sig[2][j], self.sig[3][j])]

    def row(self, k: int) -> Row:
        c = self.cols
        return Row(c["name"][k], c["alias"][k], c["uid"][k], c["tags"][k], c["dialect"][k], list(c["files"][k]),
                   self.row_sigs(k), c["has_base"][k], c["error"][k], c["sort"][k])

    def patch(self, rows: dict[int, Row | None]) -> bool:
        """Replace rows in place (an edited meta: no rebuild of 10,000 rows); False, changing
        nothing, when a row is gone or its number of paths differs (then rebuild)."""
        offs = self.offsets()
        if any(r is None or (len(r.files) or 1) != offs[k + 1] - offs[k] for k, r in rows.items()):
            return False
        for k, r in rows.items():
            assert r is not None
            for c in _COLS:
                self.cols[c][k] = getattr(r, c)
            self.cols["files"][k] = tuple(r.files)
            paths, sigs = _row_paths(r)
            for j, idx in enumerate(range(offs[k], offs[k + 1])):
                self.rels[idx] = paths[j]
                for i in range(4):
                    self.sig[i][idx] = sigs[4 * j + i]
        return True

    def racy(self) -> bool:
        """Whether a signature was too young to be trusted when taken (it is checked again)."""
        return -1 in self.sig[0]


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
    """Indexes of rows whose files changed: the hot path of a warm lookup.

    First all or nothing (:func:`cmcore.shardfile.paths_fresh`, one stat per path); only when
    something differs, row by row to find what."""
    if len(shard.rels) != len(shard.sig[0]) or any(len(x) != len(shard.rels) for x in shard.sig[1:]):
        raise ValueError("signature lists of different lengths")
    if shard_fresh(folder, shard.rels, *shard.sig):
        return []
    offs = shard.offsets()
    mt, ct, sz, ino = shard.sig
    stat = os.stat
    base = folder + os.sep
    out = []
    for k in range(len(shard)):
        for j in range(offs[k], offs[k + 1]):
            try:
                st = stat(base + shard.rels[j])
            except OSError:
                out.append(k)
                break
            if (st.st_ctime_ns != ct[j] or st.st_ino != ino[j] or st.st_mtime_ns != mt[j]
                    or st.st_size != sz[j]):
                out.append(k)
                break
    return out


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a lookup makes tens of thousands of small objects
    (columns, stat results), none in cycles, and collections while making them only cost time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Index:
    """Shards under ``<home>/index``; ``enabled=False`` (``CM_INDEX=no``) scans every time."""

    def __init__(self, root: Path, *, enabled: bool = True, warn: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.enabled = enabled
        self.warn = warn or (lambda _m: None)

    # -- files --------------------------------------------------------------------------
    def shard_path(self, folder: str) -> Path:
        key = sha1(folder.encode("utf-8", "surrogateescape")).hexdigest()[:20]
        return self.root / "shards" / f"{key}.shard"

    def _read(self, folder: str) -> Shard | None:
        p = self.shard_path(folder)
        try:
            with open(p, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            old = p.with_suffix(".json")  # an index written by an older version: replaced
            if old.exists():
                self.drop_file(old)
            return None
        except OSError as exc:
            self.warn(f"cannot read the index file {p}: {metafiles.one_line(exc)}; rebuilding it")
            return None
        if data[:4] != shardfile.MAGIC:
            return None  # another format: rebuild quietly
        try:
            fr = shardfile.decode_fresh(data)
            if fr[0] != folder:
                return None  # a hash clash: rebuild quietly
            cols = shardfile.decode_rows(data)
            if not isinstance(cols, dict) or sorted(cols) != sorted(_COLS):
                raise ValueError("columns missing")
            if not all(isinstance(cols[c], list) for c in _COLS) or len({len(cols[c]) for c in _COLS}) != 1:
                raise ValueError("a column is not a list, or columns of different lengths")
            shard = Shard(list(fr[2]), cols, shardfile.rels_of(fr), tuple(fr[4:8]), fr[1])
            shard.offsets()  # rows and paths agree
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            self.warn(f"the index file {p} is corrupt ({metafiles.one_line(exc)}); rebuilding it")
            return None
        shard.path = str(p)
        return shard

    def _write(self, folder: str, shard: Shard) -> None:
        from cmcore.fsutil import FileLock
        from cmcore.metaio import atomic_write_bytes

        p = self.shard_path(folder)
        shard.token = int.from_bytes(os.urandom(8), "little")
        shard.path = None
        data = shardfile.encode((folder, shard.token, shard.dir_sig, "\0".join(shard.rels), *shard.sig),
                                shard.cols)
        try:
            with FileLock(self.root / "locks" / f"{p.stem}.lock", timeout=30):
                atomic_write_bytes(p, data)
        except (OSError, CMError):
            return  # a read-only or busy index only costs speed: the disk is the truth
        shard.path = str(p)

    @staticmethod
    def drop_file(p: Path) -> None:
        try:
            p.unlink()
        except OSError:
            pass

    def drop(self, folder: str) -> None:
        self.drop_file(self.shard_path(folder))

    def clear(self) -> None:
        """Forget every shard (``cm reindex repo`` then rebuilds them)."""
        d = self.root / "shards"
        if d.is_dir():
            for p in [*d.glob("*.shard"), *d.glob("*.json")]:
                self.drop_file(p)

    # -- the lookup ---------------------------------------------------------------------
    def rows(self, folder: str, _retry: bool = True) -> tuple[Shard, dict[str, dict]]:
        """The fresh shard of one automation folder, plus the metas parsed while refreshing."""
        with gc_paused():
            return self._rows(folder, _retry)

    def _rows(self, folder: str, _retry: bool) -> tuple[Shard, dict[str, dict]]:
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
                shard = Shard.from_rows(shard.dir_sig, [shard.row(pos[n]) if n in pos else Row(n, sigs=list(RACY))
                                                        for n in names])
        if shard.dir_sig != dir_sig:
            changed = True
            shard.dir_sig = dir_sig
        metas: dict[str, dict] = {}
        try:
            stale = stale_rows(folder, shard)
        except (TypeError, IndexError, ValueError) as exc:  # a shard of the wrong shape
            if not _retry:
                raise
            self.warn(f"the index file {self.shard_path(folder)} is corrupt ({exc}); rebuilding it")
            self.drop(folder)
            return self._rows(folder, _retry=False)
        if stale:
            scanned = scan_many(folder, [shard.names[k] for k in stale], now)
            replaced: dict[int, Row | None] = {}
            for k, (new, meta) in zip(stale, scanned, strict=True):
                old = shard.row(k)
                if new is None or new.key() != old.key():
                    replaced[k] = new  # None: gone
                if meta is not None:
                    metas[old.name] = meta
            if replaced:
                changed = True
                if not shard.patch(replaced):  # a row gone, or its number of files changed
                    rows = [replaced[k] if k in replaced else shard.row(k) for k in range(len(shard))]
                    shard = Shard.from_rows(shard.dir_sig, [r for r in rows if r is not None])
        if changed and self.enabled:
            self._write(folder, shard)
        return shard, metas


def env_disables_index(env: dict[str, Any]) -> bool:
    """``CM_INDEX=no|off|false|0`` turns the index off (CM-FORMAT §1.1)."""
    return str(env.get("CM_INDEX", "")).strip().lower() in ("no", "off", "false", "0")
