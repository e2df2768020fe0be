"""The lockfile: what one workflow run resolved, so that it can be checked and replayed.

A lock is a JSON document::

    {"format": "cm-lock/1", "created_at": "...",
     "command": {"tags": "...", "input": {...}, "argv": [...]},   # the top-level request (redacted)
     "platform": {"os": {...}, "cpu": {...}, "python": {...}, "devices": [...]},
     "software": {"cmcore": "0.1.0", "plugins": {name: {distribution, version, builtin}}},
     "repos": {alias: {uid, origin, version, git: {commit, url, dirty}}},
     "scripts": [ {alias, uid, repo, path, content_hash, tags, variations, requested,
                   version, version_request, inputs, cache: {enabled, key, hit}, deps,
                   depth, order}, ... ]}

``scripts`` is in completion order (a dependency before the script that needed it); the top
level script is the last one. Secrets never reach the file: every dict goes through
:func:`cmcore.secrets.redact_env` and the argv through :func:`cmcore.secrets.redact_text`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

from cmcore.errors import MALFORMED, NOT_FOUND, CMError
from cmcore.metaio import atomic_write_text
from cmcore.repro import facts
from cmcore.secrets import redact_env, redact_text

LOCK_FORMAT = "cm-lock/1"

#: Input keys that are about *how* to run, not *what*: never part of the replayed request.
CONTROL_KEYS = frozenset({
    "action", "automation", "artifact", "artifacts", "cmd", "out", "lock", "recursion", "parsed_automation",
    "parsed_artifact", "parsed_artifacts", "unparsed_cmd", "save_to_json", "state", "local_env", "local_state",
    "local_const", "local_const_state", "remembered_selections", "strict", "j", "json", "help", "h",
    "dry_run", "print_deps", "time", "v", "verbose", "s", "silent",
})


def _plain(value: Any) -> Any:
    """JSON-safe copy: dicts, lists and scalars kept; anything else as its string."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def script_record(run: Any, result: dict, memo: dict[str, dict]) -> dict[str, Any]:
    """One resolved script run (``Component(kind="script").data``) as a lock entry."""
    from cmcore.script.cacheuse import key_inputs

    art = run.artifact
    repo = getattr(art, "repo", None)
    path = Path(art.path)
    rel = ""
    if repo is not None:
        try:
            rel = path.resolve().relative_to(Path(repo.path).resolve()).as_posix()
        except ValueError:
            rel = ""
    key = run.cache_key.digest() if getattr(run, "cache_key", None) is not None else ""
    vr = run.version_req
    rec: dict[str, Any] = {
        "alias": run.alias,
        "uid": run.uid,
        "dialect": run.dialect.name,
        "repo": str(getattr(repo, "alias", "") or ""),
        "repo_uid": str(getattr(repo, "uid", "") or ""),
        "path": rel,
        "content_hash": facts.folder_hash(path),
        "tags": ",".join(run.query.tags),
        "script_tags": list(art.tags or []),
        "requested": list(run.query.variation_request),
        "variations": list(run.variations.names),
        "version": str(run.version or ""),
        "version_request": {k: v for k, v in (("version", vr.version), ("version_min", vr.version_min),
                                              ("version_max", vr.version_max),
                                              ("version_max_usable", vr.version_max_usable)) if v},
        "inputs": redact_env(_plain(key_inputs(run))),
        "cache": {"enabled": bool(run.cache), "key": key, "hit": bool(result.get("cached"))},
        "deps": list(run.deps_run),
    }
    if repo is not None:
        rec["git_commit"] = (facts.repo_facts(repo, memo).get("git") or {}).get("commit", "")
    return rec


def request_of(run: Any, result: dict) -> dict[str, Any]:
    """The top-level request, rebuilt from the run: tags, flags and the caller's own env.

    The engine refills the caller's env in place (its copy plus the exported ``new_env``),
    so the keys the script exported are taken out again to get what the caller passed.
    """
    i = run.inp
    req: dict[str, Any] = {}
    for k, v in i.items():
        if k in CONTROL_KEYS or k.startswith("_") or k in ("tags", "env"):
            continue
        req[k] = _plain(v)
    tags = list(run.query.tags) + [f"_{v}" for v in run.query.variations] + [f"-_{v}" for v in run.query.excluded]
    if run.query.ref:
        req["artifact"] = run.query.ref
    req["tags"] = ",".join(tags)
    exported = set((result.get("new_env") or {}).keys())
    env = {k: v for k, v in (i.get("env") or {}).items() if k not in exported}
    if env:
        req["env"] = _plain(env)
    return redact_env(req)


def build_lock(session: Any, records: list[dict], run: Any, result: dict, memo: dict[str, dict]) -> dict:
    """The whole lock document for a finished top-level run."""
    repos: dict[str, Any] = {}
    seen = set()
    for rec in records:
        seen.add((rec["repo"], rec["repo_uid"]))
    for r in session.db.repos():
        if (r.alias, r.uid) in seen:
            repos[r.alias] = facts.repo_facts(r, memo)
    argv = run.inp.get("cmd")
    command: dict[str, Any] = {"input": request_of(run, result)}
    if isinstance(argv, list):
        command["argv"] = [redact_text(str(a)) for a in argv]
    elif isinstance(argv, str):
        command["argv"] = redact_text(argv)
    return {
        "format": LOCK_FORMAT,
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "platform": facts.platform_facts(session),
        "software": facts.plugin_versions(session),
        "repos": repos,
        "scripts": records,
    }


def write_lock(path: str | os.PathLike, lock: dict) -> Path:
    """Write a lock atomically (a reader never sees half a file) and return its path."""
    p = Path(path).expanduser()
    if not p.is_absolute():
        p = Path.cwd() / p
    if p.is_dir():
        raise CMError(f"--lock={path} is a folder; give a file name such as cm-lock.json", MALFORMED)
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(p, json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    return p


def load_lock(path: str | os.PathLike) -> dict:
    """Read and check a lock; a missing, unreadable or foreign file is a one-line CMError."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise CMError(f"lockfile {p} not found", NOT_FOUND)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CMError(f"lockfile {p} is not valid JSON: {exc}", MALFORMED) from exc
    if not isinstance(data, dict) or data.get("format") != LOCK_FORMAT:
        raise CMError(f"{p} is not a CM lockfile (expected \"format\": \"{LOCK_FORMAT}\")", MALFORMED)
    if not isinstance(data.get("scripts"), list) or not data["scripts"]:
        raise CMError(f"lockfile {p} records no script runs", MALFORMED)
    cmd = data.get("command")
    if not isinstance(cmd, dict) or not isinstance(cmd.get("input"), dict):
        raise CMError(f"lockfile {p} has no command to replay", MALFORMED)
    return data
