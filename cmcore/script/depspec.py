"""Dependency lists as data: appending, patching by name (``ad``/``adr``), tag updates.

Everything here works on copies: a patch never mutates a meta, a variation fragment or the
caller's ``adr`` dict (flaw 5: CM shares one mutable adr dict across the whole tree).
"""

from __future__ import annotations

import copy

from cmcore.errors import GENERIC, CMError
from cmcore.script.conditions import CONDITION_KEYS, enabled
from cmcore.script.envmodel import deep_merge, substitute_placeholders

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

DEP_LISTS = ("deps", "prehook_deps", "posthook_deps", "post_deps")


def tag_list(tags: Any) -> list[str]:
    if not tags:
        return []
    items = tags if isinstance(tags, list) else str(tags).split(",")
    out: list[str] = []
    for t in items:
        t = str(t).strip()
        if t and t not in out:
            out.append(t)
    return out


def join_tags(tags: list[str]) -> str:
    return ",".join(tags)


def add_tags(tags: Any, extra: Any) -> str:
    """Append tags uniquely; a tag still holding ``<<<`` is dropped."""
    cur = tag_list(tags)
    for t in tag_list(extra):
        if "<<<" in t:
            continue
        if t not in cur:
            cur.append(t)
    return join_tags(cur)


def names_of(dep: dict) -> list[str]:
    n = dep.get("names") or []
    if isinstance(n, str):
        n = [x.strip() for x in n.split(",") if x.strip()]
    return [str(x) for x in n]


def append_deps(existing: list[dict], new: list[dict]) -> list[dict]:
    """CM's ``append_deps``: same ``names`` set replaces; no names and same tag set replaces; else append."""
    out = list(existing)
    for d in new or []:
        if not isinstance(d, dict):
            continue
        d = copy.deepcopy(d)
        nn = set(names_of(d))
        replaced = False
        for idx, e in enumerate(out):
            if nn:
                if set(names_of(e)) == nn:
                    out[idx] = d
                    replaced = True
                    break
            elif not names_of(e) and set(tag_list(e.get("tags"))) == set(tag_list(d.get("tags"))):
                out[idx] = d
                replaced = True
                break
        if not replaced:
            out.append(d)
    return out


def _patch_one(dep: dict, patch: dict, env: dict) -> None:
    for k, v in patch.items():
        if k in CONDITION_KEYS:
            continue  # conditions on a patch decide whether it applies, they are not copied
        v = _resolve(v, env)
        if k == "tags":
            dep["tags"] = add_tags(dep.get("tags"), v)
        elif isinstance(v, dict) and isinstance(dep.get(k), dict):
            deep_merge(dep[k], v)
        elif isinstance(v, list) and isinstance(dep.get(k), list):
            for item in v:
                if item not in dep[k]:
                    dep[k].append(copy.deepcopy(item))
        else:
            dep[k] = copy.deepcopy(v)


def _resolve(v: Any, env: dict) -> Any:
    if isinstance(v, dict):
        return {k: _resolve(x, env) for k, x in v.items()}
    return substitute_placeholders(v, env)


def patch_deps(lists: dict[str, list[dict]], patches: dict | None, env: dict, *, strict: bool = False,
               script: str = "") -> set[str]:
    """Apply ``{name: patch}`` to every dep (in the four lists) whose ``names`` holds the name.

    With ``strict`` (``ad``), a name found in none of the lists is an error. Returns the names found.
    """
    found: set[str] = set()
    for name, patch in (patches or {}).items():
        if not isinstance(patch, dict):
            raise CMError(f'dependency patch "{name}" must be a mapping, not {type(patch).__name__}', GENERIC)
        if not enabled(patch, env):
            found.add(name)
            continue
        hit = False
        for lname in DEP_LISTS:
            for dep in lists.get(lname) or []:
                if name in names_of(dep):
                    _patch_one(dep, patch, env)
                    hit = True
        if hit:
            found.add(name)
        elif strict:
            raise CMError(f'script "{script}" has no dependency named "{name}" to patch with ad', GENERIC)
    return found


def merge_patches(base: dict | None, extra: dict | None) -> dict:
    """A new adr dict: ``base`` deep-merged with ``extra`` (neither is mutated)."""
    out = copy.deepcopy(base or {})
    for name, patch in (extra or {}).items():
        if isinstance(patch, dict) and isinstance(out.get(name), dict):
            cur = out[name]
            for k, v in patch.items():
                if k == "tags":
                    cur["tags"] = add_tags(cur.get("tags"), v)
                elif isinstance(v, dict) and isinstance(cur.get(k), dict):
                    deep_merge(cur[k], v)
                else:
                    cur[k] = copy.deepcopy(v)
        else:
            out[name] = copy.deepcopy(patch)
    return out


def update_tags_from_env(dep: dict, env: dict) -> None:
    """``update_tags_from_env_with_prefix`` and ``update_tags_from_env`` (dep env first, then env)."""
    local = dep.get("env") or {}
    tags = tag_list(dep.get("tags"))
    prefixed = dep.get("update_tags_from_env_with_prefix") or {}
    if isinstance(prefixed, dict):
        for prefix, keys in prefixed.items():
            for key in keys if isinstance(keys, list) else [keys]:
                val = local.get(key) if local.get(key) not in (None, "") else env.get(key)
                if val not in (None, ""):
                    t = f"{prefix}{val}"
                    if t not in tags:
                        tags.append(t)
    for key in dep.get("update_tags_from_env") or []:
        val = local.get(key) if local.get(key) not in (None, "") else env.get(key)
        if val not in (None, ""):
            for t in tag_list(str(val)):
                if t not in tags:
                    tags.append(t)
    dep["tags"] = join_tags(tags)


def inherited_variations(dep: dict, resolved_names: list[str], group_of: Any) -> list[str]:
    """The caller's variations a dep with ``inherit_variation_tags`` gets (as ``_name`` tags)."""
    if not dep.get("inherit_variation_tags"):
        return []
    skip_groups = {str(g) for g in dep.get("skip_inherit_variation_groups") or []}
    dep_tags = tag_list(dep.get("tags"))
    excluded = {t[2:] for t in dep_tags if t.startswith(("-_", "_-"))}
    out = []
    for n in resolved_names:
        if n in excluded or group_of(n) in skip_groups:
            continue
        out.append(f"_{n}")
    return out
