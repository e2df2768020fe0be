"""The cache store: lookup, locked reservation, atomic publish, listing and removal.

Layout: ``<home>/repos/local/cache/<uid>/`` holds one entry: ``_cm.json`` (meta), the
cached state file (``cm-cached-state.json`` or ``mlc-cached-state.json``) and whatever the
script wrote, because the script runs in that folder. ``<cache>/.locks/`` holds the lock
files (one per key, one per folder).

Uids: the first entry of a key is ``digest[:16]``; further entries of the same key (``--new``,
or when the first one is kept for other version constraints) are ``digest[:8]`` + 8 random
hex digits. A lookup therefore reads only the folders whose name starts with ``digest[:8]``,
and scans the rest by ``cache_key`` only when that finds nothing (entries copied in under
other names).

Visibility: an entry exists for lookups once its meta is written; ``publish`` writes the
state and then the meta, each atomically, so a killed run never leaves a visible half entry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cmcore.cache.entry import (
    META_FILE,
    RESERVATION_FILE,
    STATE_FILES,
    CacheEntry,
    load_entry,
    read_json,
    read_reservation,
)
from cmcore.cache.keys import CacheKey, script_content_hash
from cmcore.cache.locks import KeyLock, try_lock
from cmcore.cache.versions import version_in_range
from cmcore.errors import GENERIC, CMError
from cmcore.fsutil import FileLock
from cmcore.metaio import atomic_write_text, dump_json, write_json
from cmcore.refs import gen_uid, parse_tags, tags_match

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CacheEntry", "CacheKey", "CacheSlot", "CacheStore", "script_content_hash"]

CACHE_AUTOMATION_UID = "541d6f712a6b464e"
LOCAL_REPO_UID = "9a3280b14a4285c9"
TRASH_PREFIX = ".trash-"

Validator = Callable[[CacheEntry], bool]


def _now() -> str:
    """The time now in UTC, ISO 8601 with microseconds (``datetime.isoformat``'s form, without its import)."""
    ns = time.time_ns()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000))
    return f"{stamp}.{ns // 1000 % 1_000_000:06d}+00:00"


def _script_ident(script: Any) -> tuple[str, str]:
    """(alias, uid) of the script artifact (an Artifact, an ``alias,uid`` string or None)."""
    if script is None:
        return "", ""
    if isinstance(script, str):
        from cmcore.refs import parse_ref

        return parse_ref(script)
    return str(getattr(script, "alias", "") or ""), str(getattr(script, "uid", "") or "")


def _clean_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for t in tags:
        t = str(t).strip()
        # '-x' tags are queries, not tags; CM's 'tmp' marker has no meaning here.
        if t and not t.startswith("-") and t != "tmp" and t not in out:
            out.append(t)
    return out


def _make_writable(func: Any, path: str, exc_info: Any) -> None:
    """rmtree helper: read-only files and folders (git packs, Go module caches) are deleted too."""
    parent = os.path.dirname(path)
    for p in (parent, path):
        try:
            os.chmod(p, 0o700)
        except OSError:
            pass
    func(path)


class CacheSlot:
    """What ``CacheStore.reserve`` yields: either a hit, or a folder to run in and publish."""

    def __init__(self, store: CacheStore, key: CacheKey, uid: str, path: Path, tags: list[str],
                 script: tuple[str, str], hit: CacheEntry | None) -> None:
        self.store = store
        self.key = key
        self.uid = uid
        self.path = path
        self.hit = hit
        self.entry: CacheEntry | None = hit
        self._tags = tags
        self._script = script
        self._open = True

    def publish(
        self,
        tags: list[str] | None,
        version: str,
        new_env: dict[str, Any],
        new_state: dict[str, Any],
        deps: list[Any],
        dependent_cached_path: str | None = None,
        extra_meta: dict[str, Any] | None = None,
    ) -> CacheEntry:
        """Make the entry visible: write the cached state, then the meta, each atomically."""
        if self.hit is not None:
            raise CMError(f"cache slot {self.uid} is a hit; there is nothing to publish", GENERIC)
        if not self._open:
            raise CMError(f"cache slot {self.uid} was already published or released", GENERIC)
        alias, suid = self._script
        version = str(version or "")
        all_tags = list(tags or self._tags)
        if suid:
            all_tags.append(f"script-artifact-{suid}")
        if version:
            all_tags.append(f"version-{version}")
        dialect = self.key.dialect
        state = {"new_env": new_env or {}, "new_state": new_state or {}, "deps": deps or [], "version": version}
        meta: dict[str, Any] = dict(extra_meta or {})
        meta.update({
            "uid": self.uid,
            "automation_alias": "cache",
            "automation_uid": CACHE_AUTOMATION_UID,
            "tags": _clean_tags(all_tags),
            "version": version,
            "cache_key": self.key.digest(),
            "cache_key_fields": self.key.to_dict(),
            "associated_script_artifact": f"{alias},{suid}" if alias and suid else (alias or suid),
            "associated_script_artifact_uid": suid,
            "dependent_cached_path": str(dependent_cached_path or ""),
            "created": _now(),
            "dialect": dialect,
        })
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.path / STATE_FILES.get(dialect, STATE_FILES["cm"]), state)
        write_json(self.path / META_FILE, meta)  # from here on the entry is visible
        self._open = False
        entry = load_entry(self.path, self.store.repos_root)
        if entry is None or entry.corrupt:  # pragma: no cover - we just wrote both files
            raise CMError(f"cache entry {self.path} could not be read back after publishing", GENERIC)
        self.entry = entry
        return entry


class CacheStore:
    """The cache of one CM home. Cheap to create; holds no open files between calls."""

    def __init__(self, session: Any, lock_timeout: float | None = None) -> None:
        self.session = session
        self.repos_root = os.fspath(Path(session.home) / "repos")
        self.root = Path(self.repos_root) / "local" / "cache"
        self.locks_dir = self.root / ".locks"
        self.lock_timeout = lock_timeout

    # -- reading -----------------------------------------------------------------------
    def _names(self) -> list[str]:
        """Entry folder names (no stat calls: this runs on every lookup)."""
        try:
            return sorted(n for n in os.listdir(self.root) if not n.startswith("."))
        except FileNotFoundError:
            return []

    def _folders(self) -> list[Path]:
        return [self.root / n for n in self._names() if (self.root / n).is_dir()]

    def _warn_corrupt(self, entry: CacheEntry) -> None:
        """One warning line per corrupt folder per session; it never stops a lookup."""
        warned = self.session.cache.setdefault("cache_corrupt_warned", set())
        if str(entry.path) not in warned:
            warned.add(str(entry.path))
            self.session.log.warning(
                f"skipping corrupt cache entry {entry.path}: {entry.error} "
                f"(remove it with: cm rm cache {entry.uid} -f)"
            )

    def _candidates(self, digest: str) -> list[CacheEntry]:
        names = self._names()
        prefix = digest[:8]
        mine = [n for n in names if n.startswith(prefix)]
        rec = getattr(self.session, "replay", None)
        if rec is not None:  # cmcore.replay: the listing and the entries this lookup reads
            rec.file(self.root)
            for n in mine:
                rec.tree(self.root / n)
        entries = [e for e in (load_entry(self.root / n, self.repos_root, want_key=digest) for n in mine) if e]
        if not any(not e.corrupt for e in entries):
            entries += self._misnamed(names, digest)
        good = []
        for e in entries:
            if e.corrupt:
                self._warn_corrupt(e)
            else:
                good.append(e)
        good.sort(key=lambda e: (e.created, e.uid), reverse=True)
        return good

    def _misnamed(self, names: list[str], digest: str) -> list[CacheEntry]:
        """Entries of ``digest`` whose folder name does not follow the uid scheme (copied in).

        A fallback scan by ``cache_key``. Each folder's meta is read once per session (the
        memo maps such keys to folder names), so a run with many cache misses, e.g. a cold
        dependency tree, scans the cache once, and later only the folders that appeared since.
        """
        rec = getattr(self.session, "replay", None)
        if rec is not None:
            rec.refuse("the cache was scanned for copied-in entries")
        memo = self.session.cache.setdefault(f"cache_scan:{self.root}", {"seen": set(), "by_key": {}})
        seen: set[str] = memo["seen"]
        by_key: dict[str, list[str]] = memo["by_key"]
        for n in names:
            if n in seen or n.startswith(digest[:8]):
                continue
            meta, err = read_json(self.root / n / META_FILE)
            if err or not isinstance(meta, dict):
                continue  # unfinished or corrupt: looked at again next time
            seen.add(n)
            k = str(meta.get("cache_key") or "")
            if k and not n.startswith(k[:8]):
                by_key.setdefault(k, []).append(n)
        found = (load_entry(self.root / n, self.repos_root, want_key=digest) for n in by_key.get(digest, ()))
        return [e for e in found if e is not None]

    def lookup(self, key: CacheKey, version_min: str = "", version_max: str = "",
               validate: Validator | None = None) -> CacheEntry | None:
        """The newest valid entry for ``key``, or None.

        Skipped: corrupt entries (one warning each), entries whose ``dependent_cached_path``
        is gone, entries whose version is outside ``version_min``/``version_max`` (an entry
        without a version fails a bounded request), and entries ``validate`` rejects.
        """
        rec = getattr(self.session, "replay", None)
        for entry in self._candidates(key.digest()):
            if rec is not None and entry.dependent_cached_path:
                rec.file(entry.dependent_cached_path)
            if entry.dependency_missing:
                self.session.log.debug(f"cache entry {entry.uid}: {entry.dependent_cached_path} is gone; not reused")
                continue
            if not version_in_range(entry.version, version_min, version_max):
                continue
            if validate is not None:
                try:
                    ok = bool(validate(entry))
                except CMError as exc:
                    self.session.log.warning(f"cache entry {entry.uid}: validation failed: {exc.message}")
                    ok = False
                if not ok:
                    continue
            return entry
        return None

    def entries(self, tags: str | list[str] | None = None) -> list[CacheEntry]:
        """Every entry (oldest first), corrupt ones included (``.corrupt``, ``.error``).

        ``tags`` is a CM tag query (``a,b,-c`` or a list). A corrupt entry matches through the
        tags recorded when it was reserved, if those survived.
        """
        yes, no = parse_tags(tags)
        out = []
        for f in self._folders():
            e = load_entry(f, self.repos_root)
            if e is None:
                continue
            if (yes or no) and not tags_match(e.tags, yes, no):
                continue
            out.append(e)
        out.sort(key=lambda e: (e.created, e.uid))
        return out

    def unfinished(self) -> list[Path]:
        """Folders without a meta: running reservations, or runs that failed or were killed."""
        # A folder with only _cm.yaml was made by hand (`cm add cache --yaml`): not ours to prune.
        return [f for f in self._folders() if not (f / META_FILE).exists() and not (f / "_cm.yaml").exists()]

    # -- reserving ---------------------------------------------------------------------
    def _ensure_root(self) -> None:
        if self.root.is_dir():
            return
        local = self.root.parent
        if not (local / "cmr.yaml").exists() and not (local / "cmr.json").exists():
            try:
                self.session.db.local_repo()  # the database owns the local repo's meta
            except Exception:  # noqa: BLE001 - no database yet: write the CM default ourselves
                atomic_write_text(local / "cmr.yaml", f"alias: local\nuid: {LOCAL_REPO_UID}\ngit: false\n")
        self.root.mkdir(parents=True, exist_ok=True)

    def _folder_lock_path(self, uid: str) -> Path:
        return self.locks_dir / f"{uid}.folder.lock"

    def _fresh_uid(self, digest: str) -> str:
        while True:
            uid = digest[:8] + gen_uid()[:8]
            if not (self.root / uid).exists():
                return uid

    def _discard(self, folder: Path) -> None:
        """Remove a folder; first renamed out of sight so no reader sees it half-deleted."""
        if not folder.exists():
            return
        trash = self.root / f"{TRASH_PREFIX}{folder.name}-{gen_uid()[:6]}"
        try:
            os.replace(folder, trash)
        except OSError:
            trash = folder
        import shutil

        shutil.rmtree(trash, onerror=_make_writable)

    @contextmanager
    def reserve(
        self,
        key: CacheKey,
        tags: list[str],
        script: Any,
        new: bool = False,
        *,
        renew: bool = False,
        version_min: str = "",
        version_max: str = "",
        validate: Validator | None = None,
    ) -> Iterator[CacheSlot]:
        """Lock ``key`` across processes and yield a :class:`CacheSlot` until the block exits.

        After the lock is taken the lookup runs again, so of several simultaneous cold runs
        one executes and the others get ``slot.hit``. ``new`` always gives a fresh folder;
        ``renew`` re-runs in the folder of the entry found (hidden until republished).
        Asking again for a key this thread already holds raises a cycle error.
        """
        self._ensure_root()
        digest = key.digest()
        alias, suid = _script_ident(script)
        label = (alias or suid or key.script_uid or "script") + "".join(f" _{v}" for v in key.variations)
        if key.version:
            label += f" (version {key.version})"

        def waiting() -> None:
            self.session.log.info(f"waiting for another run of {label} to finish (cache {digest[:12]})")

        with KeyLock(self.locks_dir / f"{digest}.lock", label, self.lock_timeout, on_wait=waiting):
            found = None if new else self.lookup(key, version_min, version_max, validate)
            if found is not None and not renew:
                yield CacheSlot(self, key, found.uid, found.path, tags, (alias, suid), hit=found)
                return
            if found is not None:  # renew: same folder, invisible while it re-runs
                uid, reuse_files = found.uid, True
            else:
                primary = self.root / digest[:16]
                primary_entry = load_entry(primary, self.repos_root)
                # The primary name is free unless it holds a good entry of this key (kept for
                # other version constraints) or an entry of another key (a copied-in folder).
                taken = primary_entry is not None and (
                    not primary_entry.corrupt or primary_entry.cache_key not in ("", digest)
                )
                uid = self._fresh_uid(digest) if new or taken else digest[:16]
                reuse_files = False
            folder = self.root / uid
            # Held while the folder is in use, so that prune and rm leave it alone. Only the
            # key-lock holder takes it, so it cannot be a cycle (no KeyLock bookkeeping).
            with FileLock(self._folder_lock_path(uid), timeout=self.lock_timeout):
                if reuse_files:
                    for name in (META_FILE, *STATE_FILES.values()):
                        (folder / name).unlink(missing_ok=True)
                else:
                    self._discard(folder)  # a leftover of a killed or failed run: start clean
                    folder.mkdir(parents=True)
                atomic_write_text(folder / RESERVATION_FILE, dump_json({
                    "cache_key": digest, "tags": _clean_tags(list(tags)), "script": f"{alias},{suid}",
                    "pid": os.getpid(), "started": _now(),
                }))
                yield CacheSlot(self, key, uid, folder, list(tags), (alias, suid), hit=None)

    # -- removing ----------------------------------------------------------------------
    def remove(self, entry: CacheEntry | Path) -> None:
        """Delete an entry (corrupt or not) or an unfinished folder.

        Refuses (CMError) while a live run holds the folder; a dead run's lock is gone.
        """
        folder = entry.path if isinstance(entry, CacheEntry) else Path(entry)
        if folder.parent != self.root:
            raise CMError(f"{folder} is not a cache entry of {self.root}", GENERIC)
        lock = try_lock(self._folder_lock_path(folder.name))
        if lock is None:
            res = read_reservation(folder)
            who = f" (pid {res['pid']})" if res.get("pid") else ""
            raise CMError(f"cache entry {folder.name} is in use by a running script{who}; not removed", GENERIC)
        try:
            self._discard(folder)
        finally:
            lock.release()

    def in_use(self, folder: Path) -> bool:
        """True while a live run holds the folder's lock (a killed run's lock is already gone)."""
        lock = try_lock(self._folder_lock_path(folder.name))
        if lock is None:
            return True
        lock.release()
        return False

    def clean_trash(self) -> list[Path]:
        """Remove ``.trash-*`` folders left by a removal that was killed half-way."""
        out = []
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            return []
        for n in names:
            if n.startswith(TRASH_PREFIX):
                import shutil

                shutil.rmtree(self.root / n, onerror=_make_writable)
                out.append(self.root / n)
        return out
