"""A cache entry as read from its folder: meta ``_cm.json`` plus the cached state file.

A folder without ``_cm.json`` is an unfinished reservation (invisible). A folder whose meta
or state does not parse is a *corrupt* entry: listed (so it can be removed), never reused.
"""

from __future__ import annotations

import json
from pathlib import Path

from cmcore.cache.pathfix import fix_env, fix_text
from cmcore.records import field, record

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

META_FILE = "_cm.json"
STATE_FILES = {"cm": "cm-cached-state.json", "mlc": "mlc-cached-state.json"}
#: Written at reservation time; holds the key and the tags, so that even an entry whose
#: meta is destroyed can be found by ``cm rm cache --tags=...``.
RESERVATION_FILE = ".cm-reservation.json"


@record
class CacheEntry:
    """One cache entry. ``corrupt`` entries carry ``error`` and whatever could be recovered."""

    uid: str
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    new_env: dict[str, Any] = field(default_factory=dict)
    new_state: dict[str, Any] = field(default_factory=dict)
    deps: list[Any] = field(default_factory=list)
    corrupt: bool = False
    error: str = ""
    recovered_tags: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        state = f" corrupt: {self.error}" if self.corrupt else f" version={self.version!r}"
        return f"<CacheEntry {self.uid}{state} at {self.path}>"

    @property
    def tags(self) -> list[str]:
        t = self.meta.get("tags")
        return [str(x) for x in t] if isinstance(t, list) else list(self.recovered_tags)

    @property
    def version(self) -> str:
        return str(self.meta.get("version") or "")

    @property
    def cache_key(self) -> str:
        return str(self.meta.get("cache_key") or "")

    @property
    def created(self) -> str:
        return str(self.meta.get("created") or "")

    @property
    def dialect(self) -> str:
        return str(self.meta.get("dialect") or "cm")

    @property
    def dependent_cached_path(self) -> str:
        return str(self.meta.get("dependent_cached_path") or "")

    @property
    def dependency_missing(self) -> bool:
        """True when the entry depends on a path that no longer exists (it is then never reused)."""
        p = self.dependent_cached_path
        return bool(p) and not Path(p).exists()

    @property
    def original_meta(self) -> dict[str, Any]:
        """CM's Artifact objects have it; customize.py code may read it."""
        return self.meta

    def to_dict(self, env: bool = False) -> dict[str, Any]:
        """Plain data for ``--json`` and the Python API."""
        d: dict[str, Any] = {
            "uid": self.uid,
            "path": str(self.path),
            "tags": self.tags,
            "version": self.version,
            "created": self.created,
            "cache_key": self.cache_key,
            "script": self.meta.get("associated_script_artifact", ""),
            "dependent_cached_path": self.dependent_cached_path,
            "corrupt": self.corrupt,
        }
        if self.corrupt:
            d["error"] = self.error
        if env:
            d["new_env"] = dict(self.new_env)
        return d


def read_json(path: Path) -> tuple[Any, str]:
    """(data, "") or (None, error text). A missing file gives (None, "missing")."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None, "missing"
    except OSError as exc:
        return None, f"cannot read {path.name}: {exc.strerror or exc}"
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as exc:
        return None, f"{path.name} does not parse: {exc}"


def read_reservation(folder: Path) -> dict[str, Any]:
    data, _ = read_json(folder / RESERVATION_FILE)
    return data if isinstance(data, dict) else {}


def load_entry(folder: Path, repos_root: str, want_key: str | None = None) -> CacheEntry | None:
    """Read the entry in ``folder``.

    Returns None for a folder without meta (unfinished), or when ``want_key`` is given and the
    meta names another key (cheap rejection before the state is read). Never raises for bad
    content: a corrupt entry comes back with ``corrupt=True``.
    """
    meta, err = read_json(folder / META_FILE)
    if err == "missing":
        return None
    uid = folder.name
    if err or not isinstance(meta, dict):
        res = read_reservation(folder)
        if want_key is not None and res.get("cache_key") not in (None, want_key):
            return None
        raw = res.get("tags")
        tags: list[Any] = raw if isinstance(raw, list) else []
        return CacheEntry(uid, folder, corrupt=True, error=err or f"{META_FILE} is not a JSON object",
                          recovered_tags=[str(t) for t in tags])
    if want_key is not None and meta.get("cache_key") != want_key:
        return None
    entry = CacheEntry(str(meta.get("uid") or uid), folder, meta=meta)
    if not entry.cache_key and "tmp" in entry.tags:
        return entry  # an unfinished entry made by the original CM: listed, never reused
    state_name = STATE_FILES.get(entry.dialect, STATE_FILES["cm"])
    state, err = read_json(folder / state_name)
    if err or not isinstance(state, dict):
        if err == "missing" and not entry.cache_key:
            return entry  # foreign entry without state: nothing to reuse, nothing broken
        entry.corrupt = True
        entry.error = f"{state_name} is missing" if err == "missing" else (err or f"{state_name} is not a JSON object")
        return entry
    env = state.get("new_env")
    entry.new_env = fix_env(env, repos_root) if isinstance(env, dict) else {}
    st = state.get("new_state")
    entry.new_state = st if isinstance(st, dict) else {}
    deps = state.get("deps")
    entry.deps = deps if isinstance(deps, list) else []
    dcp = meta.get("dependent_cached_path")
    if isinstance(dcp, str) and dcp:
        meta["dependent_cached_path"] = fix_text(dcp, repos_root)
    return entry
