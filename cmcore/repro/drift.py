"""Drift: how this machine differs from a lockfile, one line per item.

:func:`check_lock` runs before a replay (a script changed, a repository or script is missing,
a repository moved to another commit, cmcore/a plugin/Python has another version);
:func:`compare_runs` runs after it (a script resolved to another version or other variations,
or did not run at all).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmcore.repro import facts


@dataclass
class Drift:
    """Drift items (each one line) and notes (differences that do not change what runs)."""

    items: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.items)


def _label(rec: dict) -> str:
    v = "".join(f" _{x}" for x in rec.get("variations") or [])
    return f"{rec.get('alias') or rec.get('uid')}{v}"


def _find_script(session: Any, rec: dict) -> Any:
    uid = rec.get("uid") or ""
    ref = uid or rec.get("alias") or ""
    found = session.db.search("script", ref) if ref else []
    if not found and uid and rec.get("alias"):
        found = session.db.search("script", rec["alias"])
    return found[0] if found else None


def check_lock(session: Any, lock: dict) -> Drift:
    """Everything that makes a replay of ``lock`` on this machine differ from the recorded run."""
    d = Drift()
    repos = {r.uid: r for r in session.db.repos()}
    repos_by_alias = {r.alias: r for r in repos.values()}
    memo: dict[str, dict] = {}
    for alias, info in sorted((lock.get("repos") or {}).items()):
        repo = repos.get(info.get("uid", "")) or repos_by_alias.get(alias)
        if repo is None:
            d.items.append(f"repo {alias} ({info.get('uid', '?')}) is missing: register it (cm pull repo ...)")
            continue
        want = (info.get("git") or {}).get("commit", "")
        have = (facts.repo_facts(repo, memo).get("git") or {}).get("commit", "")
        if want and have and want != have:
            d.items.append(f"repo {alias}: git commit {want[:12]} -> {have[:12]}")
        elif want and not have:
            d.notes.append(f"repo {alias}: recorded at git commit {want[:12]}, now not a git checkout")
    checked: set[str] = set()
    for rec in lock.get("scripts") or []:
        key = rec.get("uid") or rec.get("alias") or ""
        if key in checked:
            continue
        checked.add(key)
        art = _find_script(session, rec)
        if art is None:
            where = f" (repo {rec['repo']})" if rec.get("repo") else ""
            d.items.append(f"script {rec.get('alias') or key}{where} is missing")
            continue
        now = facts.folder_hash(Path(art.path))
        if rec.get("content_hash") and now != rec["content_hash"]:
            d.items.append(f"script {rec.get('alias') or key} changed: {art.path} differs from the locked "
                           f"content ({rec['content_hash'][7:19]} -> {now[7:19]})")
    _software(session, lock, d)
    _platform(lock, d)
    return d


def _software(session: Any, lock: dict, d: Drift) -> None:
    want = lock.get("software") or {}
    have = facts.plugin_versions(session)
    if want.get("cmcore") and want["cmcore"] != have["cmcore"]:
        d.items.append(f"cmcore version {want['cmcore']} -> {have['cmcore']}")
    for name, info in sorted((want.get("plugins") or {}).items()):
        now = have["plugins"].get(name)
        if now is None:
            if not info.get("builtin"):
                d.items.append(f"plugin {name} ({info.get('distribution') or '?'}) is not installed")
        elif info.get("version") and now.get("version") and info["version"] != now["version"]:
            d.items.append(f"plugin {name} version {info['version']} -> {now['version']}")


def _platform(lock: dict, d: Drift) -> None:
    plat = lock.get("platform") or {}
    py = (plat.get("python") or {}).get("version", "")
    here = platform.python_version()
    if py and py.split(".")[:2] != here.split(".")[:2]:
        d.items.append(f"python {py} -> {here}")
    elif py and py != here:
        d.notes.append(f"python {py} -> {here} (same minor version)")
    osd = plat.get("os") or {}
    if osd.get("system") and osd["system"] != platform.system():
        d.items.append(f"operating system {osd['system']} -> {platform.system()}")
    cpu = (plat.get("cpu") or {}).get("machine", "")
    if cpu and cpu != platform.machine():
        d.notes.append(f"cpu architecture {cpu} -> {platform.machine()}")


def compare_runs(locked: list[dict], replayed: list[dict]) -> list[str]:
    """After a replay: scripts whose version or variations differ, or that did not run again."""
    out: list[str] = []
    by_uid: dict[str, list[dict]] = {}
    for rec in replayed:
        by_uid.setdefault(rec.get("uid") or rec.get("alias") or "", []).append(rec)
    for rec in locked:
        cands = by_uid.get(rec.get("uid") or rec.get("alias") or "", [])
        if not cands:
            out.append(f"script {_label(rec)} did not run in the replay")
            continue
        same = [c for c in cands if c.get("variations") == rec.get("variations")]
        if not same:
            out.append(f"script {rec.get('alias')}: variations {','.join(rec.get('variations') or []) or '-'} -> "
                       f"{','.join(cands[0].get('variations') or []) or '-'}")
            continue
        got = same[0]
        if (rec.get("version") or "") != (got.get("version") or ""):
            out.append(f"script {_label(rec)}: version {rec.get('version') or '-'} -> {got.get('version') or '-'}")
    return out
