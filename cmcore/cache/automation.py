"""The ``cache`` automation (CM-FORMAT §4.1, §3.12 "Management").

``cm show cache [ref|"get python"] [--tags=...] [--env] [--all]``, ``cm find cache ...``,
``cm rm cache <uid>|--tags=... [-f]``, ``cm rm cache --all -f``, ``cm prune cache [-f]``.

Differences from the original, on purpose (see docs/compatibility.md):

* ``cm rm cache -f`` with neither tags nor a uid refuses instead of wiping every entry;
  ``--all`` says that you mean it.
* ``delete`` without force from Python (or a non-interactive console) is an error, not a
  silent success that deleted nothing.
* corrupt entries are listed and removable (by uid, and by tags recorded at reservation).
"""

from __future__ import annotations

import fnmatch
import sys
from typing import Any, ClassVar

from cmcore.automations.generic import GenericActions
from cmcore.cache.store import CacheEntry, CacheStore
from cmcore.errors import GENERIC, NOT_FOUND, CMError
from cmcore.refs import parse_ref, split_repo_ref


def _flag(i: dict, *names: str) -> bool:
    return any(i.get(n) is True or (isinstance(i.get(n), str) and i[n].lower() in ("yes", "true", "on", "1"))
               for n in names)


class _Selection:
    """What the user named: tag query items, exact uids and uid globs."""

    def __init__(self, i: dict) -> None:
        self.tags: list[str] = []
        self.uids: list[str] = []
        self.globs: list[str] = []
        raw = i.get("tags")
        if isinstance(raw, str):
            self.tags += [t.strip() for t in raw.split(",") if t.strip()]
        elif isinstance(raw, list):
            self.tags += [str(t).strip() for t in raw if str(t).strip()]
        refs = [i.get("artifact"), *(i.get("artifacts") or [])]
        for ref in refs:
            if isinstance(ref, str) and ref.strip():
                self._add_ref(ref.strip())

    def _add_ref(self, ref: str) -> None:
        repo, art = split_repo_ref(ref)
        if repo and repo not in ("local", "9a3280b14a4285c9"):
            raise CMError(f'cache entries live in the "local" repo, not in "{repo}"', NOT_FOUND)
        if any(c.isspace() for c in art):  # "get python _shared" → tags
            self.tags += art.split()
            return
        if "*" in art or "?" in art:
            self.globs.append(art.lower())
            return
        alias, uid = parse_ref(art)
        if uid:
            self.uids.append(uid)
        elif "," in art:  # "get,python": tags (the original read it as alias,uid)
            self.tags += [t.strip() for t in art.split(",") if t.strip()]
        elif alias:  # entries have no alias: a single word is a tag
            self.tags.append(alias)

    @property
    def empty(self) -> bool:
        return not (self.tags or self.uids or self.globs)

    def select(self, store: CacheStore) -> list[CacheEntry]:
        entries = store.entries(self.tags or None)
        if self.uids or self.globs:
            entries = [e for e in entries if e.uid in self.uids
                       or any(fnmatch.fnmatchcase(e.uid, g) for g in self.globs)]
        return entries


class CacheAutomation(GenericActions):
    """Cached script results: show, find, rm, prune; the other generic actions are inherited."""

    name: ClassVar[str] = "cache"
    uid: ClassVar[str] = "541d6f712a6b464e"
    summary: ClassVar[str] = "cached script results: show, find, rm, prune"

    def _store(self) -> CacheStore:
        return CacheStore(self.session)

    @staticmethod
    def _console(i: dict) -> bool:
        """People-readable lines only on the console and never mixed into --json output."""
        return i.get("out") == "con" and not _flag(i, "json", "j") and i.get("out") != "json"

    def search(self, i: dict) -> dict:
        """``cm find cache [ref|"tags words"] [--tags=a,-b]``: print the paths of matching entries.

        Returns ``list`` (:class:`CacheEntry` objects with ``.path`` and ``.meta``, like CM's
        artifacts), ``paths`` and ``entries`` (plain dicts). On the console a filter that
        matches nothing is error 16, so a typo in a tag is not mistaken for an empty cache.
        """
        sel = _Selection(i)
        entries = sel.select(self._store())
        if not entries and not sel.empty and self._con(i):
            raise CMError("no cache entries match " + self._what(sel), NOT_FOUND)
        if self._console(i):
            for e in entries:
                print(e.path)
        return {"return": 0, "list": entries, "paths": [str(e.path) for e in entries],
                "entries": [e.to_dict() for e in entries]}

    def show(self, i: dict) -> dict:
        """``cm show cache [...] [--env] [--all]``: tags, path and version of each entry.

        Entries whose ``dependent_cached_path`` is gone are never reused and are hidden
        unless ``--all`` is given; corrupt entries are always shown, with how to remove them.
        """
        env = i.get("env") is True
        entries = _Selection(i).select(self._store())
        if not _flag(i, "all"):
            entries = [e for e in entries if e.corrupt or not e.dependency_missing]
        if self._console(i):
            for e in entries:
                print(self._describe(e, env))
            if not entries:
                print("no cache entries")
        return {"return": 0, "list": entries, "entries": [e.to_dict(env=env) for e in entries]}

    @staticmethod
    def _describe(e: CacheEntry, env: bool) -> str:
        if e.corrupt:
            lines = [f"* {e.uid}  CORRUPT: {e.error}", f"  path: {e.path}",
                     f"  remove: cm rm cache {e.uid} -f"]
            if e.tags:
                lines.insert(1, f"  tags (recorded at reservation): {','.join(e.tags)}")
            return "\n".join(lines)
        head = f"* {e.uid}" + (f"  version {e.version}" if e.version else "")
        if e.dependency_missing:
            head += f"  (stale: {e.dependent_cached_path} is gone)"
        lines = [head, f"  tags: {','.join(e.tags)}", f"  path: {e.path}"]
        if env:
            lines += [f"  {k}={v}" for k, v in sorted(e.new_env.items())] or ["  (no new env)"]
        return "\n".join(lines)

    def delete(self, i: dict) -> dict:
        """``cm rm cache <uid>|--tags=... -f``; ``--all -f`` removes every entry.

        Without tags and without a uid it refuses unless ``--all`` is given. Without ``-f`` it
        asks on an interactive console and otherwise fails (nothing is deleted silently).
        """
        sel = _Selection(i)
        store = self._store()
        everything = _flag(i, "all")
        if sel.empty and not everything:
            n = len(store.entries())
            raise CMError(f"refusing to delete all {n} cache entries: give --tags=... or a uid, "
                          "or add --all to really remove every entry", GENERIC)
        force = _flag(i, "force", "f")
        console = self._console(i)
        entries = sel.select(store)
        targets: list[Any] = list(entries)
        if sel.empty:  # --all: unfinished folders too
            targets += store.unfinished()
        if not targets:
            if force:
                if console:
                    print("no cache entries match")
                return {"return": 0, "deleted_list": []}
            raise CMError("no cache entries match " + self._what(sel), NOT_FOUND)
        if not force:
            if not (console and sys.stdin.isatty()):
                raise CMError(f"{len(targets)} cache entries match; nothing was deleted: add -f (--force) "
                              "to delete them", GENERIC)
            targets = [t for t in targets if self._confirm(f"delete cache entry {self._label(t)}?")]
        deleted, in_use = [], []
        for t in targets:
            path = t.path if isinstance(t, CacheEntry) else t
            try:
                store.remove(t)
            except CMError as exc:
                in_use.append({"path": str(path), "error": exc.message})
                continue
            deleted.append(t.to_dict() if isinstance(t, CacheEntry) else {"path": str(path), "unfinished": True})
            if console:
                print(f"deleted {path}")
        if sel.tags and console:
            unmatched = [e for e in store.entries() if e.corrupt and not e.tags]
            if unmatched:
                self.session.log.warning(f"{len(unmatched)} corrupt cache entries have no readable tags; "
                                         "remove them with: cm prune cache -f")
        if in_use:
            raise CMError(f"deleted {len(deleted)} cache entries; {len(in_use)} in use by running scripts: "
                          + "; ".join(x["error"] for x in in_use), GENERIC, deleted_list=deleted, in_use=in_use)
        return {"return": 0, "deleted_list": deleted}

    @staticmethod
    def _what(sel: _Selection) -> str:
        parts = []
        if sel.tags:
            parts.append("tags " + ",".join(sel.tags))
        if sel.uids or sel.globs:
            parts.append("uid " + " ".join(sel.uids + sel.globs))
        return " and ".join(parts)

    @staticmethod
    def _label(target: Any) -> str:
        return f"{target.uid} ({','.join(target.tags)})" if isinstance(target, CacheEntry) else str(target)

    def prune(self, i: dict) -> dict:
        """``cm prune cache [-f] [--dry_run]``: remove what no lookup will ever use.

        Always: unfinished folders not held by a live run (failed or killed runs) and leftovers
        of interrupted removals. With ``-f`` also corrupt entries and entries whose
        ``dependent_cached_path`` is gone.
        """
        store = self._store()
        force = _flag(i, "force", "f")
        dry = _flag(i, "dry_run", "dry-run")
        console = self._console(i)
        removed: list[dict] = []
        kept: list[dict] = []
        if not dry:
            store.clean_trash()
        candidates: list[tuple[Any, str]] = [(p, "unfinished") for p in store.unfinished()]
        for e in store.entries():
            if e.corrupt:
                candidates.append((e, "corrupt"))
            elif e.dependency_missing:
                candidates.append((e, "stale"))
        for target, why in candidates:
            path = target.path if isinstance(target, CacheEntry) else target
            if why != "unfinished" and not force:
                kept.append({"path": str(path), "reason": f"{why}; add -f to remove"})
                continue
            if store.in_use(path):
                kept.append({"path": str(path), "reason": "in use by a running script"})
                continue
            if not dry:
                try:
                    store.remove(target)
                except CMError as exc:  # grabbed by a run since we looked
                    kept.append({"path": str(path), "reason": exc.message})
                    continue
            removed.append({"path": str(path), "reason": why})
        if console:
            verb = "would remove" if dry else "removed"
            for r in removed:
                print(f"{verb} {r['path']} ({r['reason']})")
            for k in kept:
                print(f"kept {k['path']} ({k['reason']})")
            if not removed and not kept:
                print("nothing to prune")
        return {"return": 0, "removed": removed, "kept": kept, "dry_run": dry}
