"""Which repositories exist, in which order, and the ``repos.json`` registry.

Search order: the ``local`` repo (``<home>/repos/local``, created on first use), then the
repos that packages register through the ``cm_repos`` hook (higher ``priority`` first),
then the paths of ``<home>/repos.json`` in order (absolute, or relative to
``<home>/repos``). A repo is a folder with ``cmr.yaml``/``cmr.json`` (CM: YAML first, JSON
shallow-merged over it) or a root ``meta.yaml``/``meta.json`` (MLC) holding ``alias`` and
``uid``. Repo metas are cached in ``<home>/index/repo-metas.json`` and re-read only when
a marker file's stat signature changes, so listing repos parses no YAML when warm.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from cmcore.db import metafiles
from cmcore.db.index import RACY, stat_sig
from cmcore.db.model import Repo
from cmcore.errors import EXISTS, GENERIC, MALFORMED, NOT_FOUND, CMError
from cmcore.refs import is_uid, match_ref, parse_ref

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

LOCAL_ALIAS = "local"
LOCAL_UID = "9a3280b14a4285c9"
MARKERS = ("cmr.yaml", "cmr.json", "meta.yaml", "meta.json")
RACY_MARK = "racy"


def marker_sig(path: str, now_ns: int) -> str:
    """Signature of a repo's marker files (one stat each; ``-`` for a missing one)."""
    parts = []
    for n in MARKERS:
        try:
            sig = stat_sig(os.stat(os.path.join(path, n)), now_ns)
            parts.append(RACY_MARK if tuple(sig) == RACY else ":".join(map(str, sig)))
        except OSError:
            parts.append("-")
    return "|".join(parts)


def read_repo_meta(path: str) -> tuple[dict, str]:
    """``(meta, dialect)`` of a repo folder; :class:`CMError` 4 if it is not a valid repo."""
    names = {n for n in MARKERS if os.path.isfile(os.path.join(path, n))}
    cm = [n for n in ("cmr.yaml", "cmr.json") if n in names]
    if cm:
        meta, dialect = metafiles.read_meta(path, cm), "cm"
    elif names & {"meta.yaml", "meta.json"}:
        meta, dialect = metafiles.read_meta(path, [n for n in ("meta.yaml", "meta.json") if n in names]), "mlc"
    else:
        raise CMError(f"{path} is not a CM repository: it has no cmr.yaml, cmr.json or meta.yaml", MALFORMED)
    if not meta.get("alias") or not meta.get("uid"):
        raise CMError(f"the repo meta in {path} must have both alias and uid", MALFORMED)
    return meta, dialect


def make_repo(path: Path, meta: dict, dialect: str, origin: str, priority: int = 0) -> Repo:
    prefix = str(meta.get("prefix") or "").strip()
    content = path / prefix if prefix else path
    return Repo(str(meta["alias"]), str(meta["uid"]).lower(), path, content, meta, dialect, origin, priority)


class RepoRegistry:
    """Lists, registers and unregisters repos for one session."""

    def __init__(self, session: Any, index_root: Path, *, cache_metas: bool,
                 warn: Callable[[str], None]) -> None:
        self.session = session
        self.home: Path = session.home
        self.index_root = index_root
        self.cache_metas = cache_metas
        self.warn = warn
        self._repos: list[Repo] | None = None
        self._stamp: str | None = None
        self._packages: list[tuple[Path, str, int]] | None = None

    @property
    def repos_json(self) -> Path:
        return self.home / "repos.json"

    # -- the local repo -----------------------------------------------------------------
    def local_path(self) -> Path:
        return self.home / "repos" / LOCAL_ALIAS

    def ensure_local(self) -> Path:
        p = self.local_path()
        if not (p / "cmr.yaml").is_file() and not (p / "cmr.json").is_file():
            from cmcore.metaio import atomic_write_text

            atomic_write_text(p / "cmr.yaml", f"alias: {LOCAL_ALIAS}\nuid: {LOCAL_UID}\ngit: false\n")
        return p

    # -- listing ------------------------------------------------------------------------
    def _json_stamp(self) -> str:
        try:
            st = os.stat(self.repos_json)
            return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"
        except OSError:
            return "-"

    def all(self) -> list[Repo]:
        """Every repo in search order (re-read when repos.json changes)."""
        stamp = self._json_stamp()
        if self._repos is not None and stamp == self._stamp:
            return self._repos
        self.ensure_local()
        candidates: list[tuple[Path, str, int]] = [(self.local_path(), "local", 0)]
        candidates += self._package_candidates()
        candidates += [(p, "registered", 0) for p in self._registered_paths()]
        repos = self._load(candidates)
        self._repos, self._stamp = repos, self._json_stamp()
        rec = getattr(self.session, "replay", None)
        if rec is not None:  # what the repo list was made of (cmcore.replay)
            rec.file(self.repos_json)
            for path, _origin, _prio in candidates:
                for n in MARKERS:
                    rec.file(os.path.join(str(path), n))
        return repos

    def invalidate(self) -> None:
        self._repos = None

    def _package_candidates(self) -> list[tuple[Path, str, int]]:
        if self._packages is None:
            specs = self.session.pm.registered_records("cm_repos")
            ordered = sorted(specs.values(), key=lambda s: -int(s.priority or 0))  # stable: hook order
            self._packages = [(Path(s.path), f"package:{s.name}", int(s.priority or 0)) for s in ordered]
        return list(self._packages)

    def read_json_list(self, strict: bool = False) -> list[str]:
        """The raw entries of repos.json ([] when absent); ``strict`` raises on a bad file."""
        try:
            text = self.repos_json.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        try:
            data = json.loads(text) if text.strip() else []
            if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
                raise ValueError("it must be a JSON list of paths")
        except ValueError as exc:
            msg = f"{self.repos_json} is malformed ({metafiles.one_line(exc)})"
            if strict:
                raise CMError(msg + "; fix or remove it", MALFORMED) from exc
            self.warn(msg + "; ignoring it")
            return []
        return data

    def resolve_entry(self, entry: str) -> Path:
        p = Path(entry).expanduser()
        return p if p.is_absolute() else self.home / "repos" / p

    def _registered_paths(self) -> list[Path]:
        entries = self.read_json_list()
        gone = [e for e in entries if not self.resolve_entry(e).is_dir()]
        if gone:
            for e in gone:
                self.warn(f"the repo path {e} no longer exists; removed it from {self.repos_json}")
            self._edit_json(lambda lst: [e for e in lst if self.resolve_entry(e).is_dir()])
        return [self.resolve_entry(e) for e in entries if e not in gone]

    def _edit_json(self, change: Callable[[list[str]], list[str]]) -> None:
        """Read-modify-write repos.json under a lock, atomically."""
        from cmcore.fsutil import FileLock
        from cmcore.metaio import atomic_write_text

        with FileLock(self.home / ".repos.json.lock", timeout=60):
            current = self.read_json_list(strict=True)
            new = change(list(current))
            if new != current:
                atomic_write_text(self.repos_json, json.dumps(new, indent=2) + "\n")
        self.invalidate()

    def _load(self, candidates: list[tuple[Path, str, int]]) -> list[Repo]:
        cache = self._read_meta_cache()
        dirty = False
        now = time.time_ns()
        out: list[Repo] = []
        seen_alias: dict[str, Path] = {}
        seen_uid: dict[str, Path] = {}
        for path, origin, prio in candidates:
            key = str(path)
            sig = marker_sig(key, now)
            hit = cache.get(key)
            if hit and hit[0] == sig and RACY_MARK not in sig:
                meta, dialect = hit[1], hit[2]
            else:
                try:
                    meta, dialect = read_repo_meta(key)
                except CMError as exc:
                    self.warn(f"skipping the repo {key}: {exc.message}")
                    continue
                cache[key] = [sig, meta, dialect]
                dirty = True
            repo = make_repo(path, meta, dialect, origin, prio)
            other = seen_alias.get(repo.alias.lower()) or seen_uid.get(repo.uid)
            if other is not None:
                self.warn(f'skipping the repo {path}: its alias or uid ("{repo.cid}") is already used by {other}')
                continue
            seen_alias[repo.alias.lower()] = path
            seen_uid[repo.uid] = path
            out.append(repo)
        if dirty:
            self._write_meta_cache(cache)
        return out

    def _meta_cache_path(self) -> Path:
        return self.index_root / "repo-metas.json"

    def _read_meta_cache(self) -> dict[str, Any]:
        if not self.cache_metas:
            return {}
        try:
            data = json.loads(self._meta_cache_path().read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_meta_cache(self, cache: dict[str, Any]) -> None:
        if not self.cache_metas:
            return
        from cmcore.metaio import atomic_write_text

        try:
            atomic_write_text(self._meta_cache_path(), json.dumps(cache, default=str))
        except OSError:
            pass

    # -- lookup -------------------------------------------------------------------------
    def find(self, ref: str) -> list[Repo]:
        """Repos matching an alias, uid, ``alias,uid``, glob or path."""
        repos = self.all()
        if ref and (os.sep in ref or ref.startswith(".")) and not ref.startswith("*"):
            target = Path(ref).expanduser().resolve()
            return [r for r in repos if r.path.resolve() == target]
        alias, uid = parse_ref(ref)
        return [r for r in repos if match_ref(alias, uid, r.alias, r.uid)]

    # -- registering --------------------------------------------------------------------
    def register(self, path: Path) -> Repo:
        p = Path(path).expanduser().resolve()
        if not p.is_dir():
            raise CMError(f"cannot register {p}: no such folder", NOT_FOUND)
        meta, dialect = read_repo_meta(str(p))
        alias, uid = str(meta["alias"]), str(meta["uid"]).lower()
        if not is_uid(uid):
            raise CMError(f'the repo uid "{uid}" in {p} is not 16 hex characters', MALFORMED)
        for r in self.all():
            if r.path.resolve() == p:
                return r
            if r.alias.lower() == alias.lower() or r.uid == uid:
                what = "alias" if r.alias.lower() == alias.lower() else "uid"
                raise CMError(
                    f'cannot register {p}: a repo with the same {what} ("{r.cid}") is already registered at {r.path}',
                    EXISTS,
                )
        self._edit_json(lambda lst: lst if any(self.resolve_entry(e).resolve() == p for e in lst) else [*lst, str(p)])
        return make_repo(p, meta, dialect, "registered")

    def unregister(self, repo: Repo) -> None:
        if repo.origin == "local":
            raise CMError("the local repo cannot be unregistered", GENERIC)
        if repo.origin.startswith("package:"):
            raise CMError(
                f'the repo "{repo.alias}" comes from the package {repo.origin[8:]}; uninstall the package instead',
                GENERIC,
            )
        target = repo.path.resolve()
        self._edit_json(lambda lst: [e for e in lst if self.resolve_entry(e).resolve() != target])
