"""Env, state and const: merging, placeholders, export filtering, local keys (CM-FORMAT §3.5, §3.6).

Pure functions over plain dicts. The engine decides *when* to call them; this module says
*what* each step does.
"""

from __future__ import annotations

import copy
import fnmatch
import re

from cmcore.errors import GENERIC, CMError

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

_PLACEHOLDER = re.compile(r"<<<([A-Za-z0-9_+ .-]+?)>>>")


# -- merging --------------------------------------------------------------------------


def deep_merge(target: dict, src: dict, *, append_lists: bool = True) -> dict:
    """Merge ``src`` into ``target`` in place: dicts recurse, lists append uniquely, scalars overwrite.

    Values taken from ``src`` are copied, so later changes to ``target`` never reach ``src``.
    """
    for k, v in (src or {}).items():
        cur = target.get(k)
        if isinstance(v, dict) and isinstance(cur, dict):
            deep_merge(cur, v, append_lists=append_lists)
        elif append_lists and isinstance(v, list) and isinstance(cur, list):
            for item in v:
                if item not in cur:
                    cur.append(copy.deepcopy(item))
        else:
            target[k] = copy.deepcopy(v)
    return target


def setdefaults(env: dict, src: dict) -> None:
    """``default_env``: set only the keys that are absent."""
    for k, v in (src or {}).items():
        if k not in env:
            env[k] = copy.deepcopy(v)


# -- placeholders ---------------------------------------------------------------------


def substitute_placeholders(value: Any, *envs: dict) -> Any:
    """Replace ``<<<KEY>>>`` with the value from the first env that has KEY; unknown ones stay."""
    if isinstance(value, str) and "<<<" in value:

        def repl(m: re.Match) -> str:
            key = m.group(1)
            for e in envs:
                if key in e and not isinstance(e[key], (dict, list)):
                    return str(e[key])
            return m.group(0)

        return _PLACEHOLDER.sub(repl, value)
    if isinstance(value, list):
        return [substitute_placeholders(v, *envs) for v in value]
    return value


def normalise(env: dict, *extra: dict) -> None:
    """Resolve ``<<<KEY>>>`` placeholders in env values, in place (several passes for chains)."""
    for _ in range(3):
        changed = False
        for k, v in list(env.items()):
            if (isinstance(v, str) and "<<<" in v) or isinstance(v, list):
                nv = substitute_placeholders(v, env, *extra)
                if nv != v:
                    env[k] = nv
                    changed = True
        if not changed:
            return


def rewrite_git_url(env: dict, prefix: str = "CM_") -> None:
    """``<P>GIT_URL`` with ``<P>GIT_AUTH=yes``: put ``<P>GH_TOKEN`` in an https URL, or use ssh with ``<P>GIT_SSH``."""
    url = env.get(prefix + "GIT_URL")
    if not isinstance(url, str) or str(env.get(prefix + "GIT_AUTH", "")).lower() not in ("yes", "true", "on", "1"):
        return
    m = re.match(r"^(?:https?://|git@)([^/:]+)[/:]([^/]+)/(.+?)(?:\.git)?/?$", url)
    if not m:
        return
    host, owner, repo = m.groups()
    if env.get(prefix + "GIT_SSH") not in (None, "", False):
        env[prefix + "GIT_URL"] = f"git@{host}:{owner}/{repo}.git"
    elif env.get(prefix + "GH_TOKEN"):
        env[prefix + "GIT_URL"] = f"https://git:{env[prefix + 'GH_TOKEN']}@{host}/{owner}/{repo}"


def pending_keys(env: dict) -> list[str]:
    """Keys whose value still holds an unresolved ``<<<...>>>`` (withheld from deps)."""
    return [k for k, v in env.items() if isinstance(v, str) and "<<<" in v]


def check_list_keys(env: dict) -> None:
    """``+KEY`` values must be lists (CM-FORMAT §3.5)."""
    for k, v in env.items():
        if k.startswith("+") and not isinstance(v, list):
            raise CMError(f'env key "{k}" must hold a list, not {type(v).__name__} ({v!r})', GENERIC)


# -- export filtering -----------------------------------------------------------------


def expand_key_patterns(patterns: list[str], env: dict) -> list[str]:
    """``<<<KEY>>>`` in a key list names the key whose *name* is ``env[KEY]``."""
    out: list[str] = []
    for p in patterns or []:
        p = str(p)
        m = _PLACEHOLDER.fullmatch(p.strip())
        if m:
            name = env.get(m.group(1))
            if isinstance(name, str) and name:
                out.append(name)
        else:
            out.append(p)
    return out


def matches_any(key: str, patterns: list[str]) -> bool:
    for p in patterns:
        if "*" in p or "?" in p or "[" in p:
            if fnmatch.fnmatchcase(key, p):
                return True
        elif key == p:
            return True
    return False


def filter_keys(source: dict, patterns: list[str], lookup_env: dict | None = None) -> dict:
    """The entries of ``source`` whose keys match ``patterns`` (a filter, not a diff)."""
    pats = expand_key_patterns(patterns, lookup_env if lookup_env is not None else source)
    if not pats:
        return {}
    return {k: copy.deepcopy(v) for k, v in source.items() if matches_any(k, pats)}


def restore_in_place(obj: dict, saved: dict, new: dict) -> None:
    """Refill the caller's dict in place: its saved copy, deep-merged with the exported keys."""
    obj.clear()
    obj.update(saved)
    deep_merge(obj, new)


# -- local keys -----------------------------------------------------------------------

_LOCAL_SUFFIXES = (
    "VERSION", "VERSION_MIN", "VERSION_MAX", "VERSION_MAX_USABLE", "DETECTED_VERSION", "INPUT", "OUTPUT",
    "OUTBASENAME", "OUTDIRNAME", "NAME", "EXTRA_CACHE_TAGS", "RENEW_CACHE_ENTRY",
)


def local_key_patterns(prefixes: tuple[str, ...] = ("CM_", "MLC_"), extra: list[str] | None = None) -> list[str]:
    """Keys never passed to ``deps``/``prehook_deps``/``posthook_deps`` (CM-FORMAT §3.5).

    Both dialects' names are withheld, so a CM script calling an MLC dep (or the reverse)
    leaks neither dialect's run-local keys.
    """
    out: list[str] = []
    for p in prefixes:
        out.extend(p + s for s in _LOCAL_SUFFIXES)
        out.extend((p + "TMP_*", p + "GIT_*"))
    out.append("MLC_SEARCH_FOLDER_PATH")
    out.extend(str(x) for x in extra or [])
    return out


def version_keys(prefix: str) -> list[str]:
    return [prefix + s for s in ("VERSION", "VERSION_MIN", "VERSION_MAX", "VERSION_MAX_USABLE")]


def withhold(env: dict, patterns: list[str], keep: list[str] | None = None) -> dict:
    """Remove matching keys (except ``keep`` patterns) from env; return them for :func:`give_back`."""
    keep = keep or []
    taken = {}
    for k in list(env):
        if matches_any(k, patterns) and not matches_any(k, keep):
            taken[k] = env.pop(k)
    return taken


def give_back(env: dict, taken: dict) -> None:
    """Put withheld keys back (a dep's export of the same key does not beat the caller's own)."""
    env.update(taken)
