"""How a script run uses the cache store: its key, its tags, the validator, the cached state.

The key (``cmcore.cache.keys.CacheKey``) decides reuse; tags are only for finding entries
(CM-FORMAT §3.12, with DESIGN's hash-keyed fix of flaw 8).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from cmcore.script import depspec as D
from cmcore.script import envmodel as E
from cmcore.script.flags import is_true

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def wants_cache(run: Any) -> bool:
    """``meta.cache`` or (``--force_cache`` and ``can_force_cache``), off with ``--skip_cache``/fake run."""
    meta = run.meta
    force = run.flags.force_cache or is_true(run.inp.get("force-cache"))
    on = is_true(meta.get("cache")) or (force and is_true(meta.get("can_force_cache")))
    return on and not run.flags.skip_cache and not run.flags.fake_run and not run.flags.dry_run


def collect_extra_cache_tags(run: Any) -> None:
    """``CM_EXTRA_CACHE_TAGS``, ``--extra_cache_tags`` (``<<<K>>>`` substituted), ``name-<n>``."""
    tags: list[str] = []
    for src in (run.env.get(run.key("EXTRA_CACHE_TAGS")), run.inp.get("extra_cache_tags")):
        if src:
            text = E.substitute_placeholders(str(src) if not isinstance(src, list) else ",".join(src), run.env)
            tags.extend(t.strip() for t in str(text).split(",") if t.strip() and "<<<" not in t)
    name = run.env.get(run.key("NAME"))
    if name:
        tags.append(f"name-{str(name).lower()}")
    for t in tags:
        if t not in run.extra_cache_tags:
            run.extra_cache_tags.append(t)


def deps_tags_from_env(run: Any) -> list[str]:
    """``deps-<prefix><value>`` tags from ``extra_cache_tags_from_env``."""
    out = []
    for item in run.meta.get("extra_cache_tags_from_env") or []:
        if not isinstance(item, dict):
            continue
        val = run.env.get(str(item.get("env", "")))
        if val in (None, ""):
            continue
        for v in str(val).split(","):
            v = v.strip()
            if v:
                out.append(f"deps-{item.get('prefix', '')}{v}")
    return out


def deps_spec(run: Any) -> list[Any]:
    """What the deps will be asked for (tags and version fields, after ad/adr), in order."""
    spec = []
    for lname in D.DEP_LISTS:
        for dep in run.deps.get(lname) or []:
            if isinstance(dep, dict) and dep.get("tags"):
                item = {"list": lname, "tags": D.join_tags(D.tag_list(dep.get("tags")))}
                for k in ("version", "version_min", "version_max", "version_max_usable"):
                    if dep.get(k):
                        item[k] = str(dep[k])
                spec.append(item)
    return spec


def key_inputs(run: Any) -> dict:
    """Inputs that parameterise the result: mapped flags and the dep's own env block."""
    out: dict[str, Any] = {}
    mapping = dict(run.meta.get("input_mapping") or {})
    for _, frag in run.variations.fragments:
        mapping.update(frag.get("input_mapping") or {})
    for flag in sorted(mapping):
        if flag in run.inp and run.inp[flag] is not None:
            out[f"input.{flag}"] = run.inp[flag]
    if run.inp.get("local_env"):
        out["dep_env"] = copy.deepcopy(run.inp["local_env"])
    return out


def make_key(run: Any) -> Any:
    from cmcore.cache.keys import CacheKey, script_content_hash

    rec = getattr(run.session, "replay", None)
    if rec is not None:  # cmcore.replay: the files the content hash reads
        rec.tree(run.path)
    return CacheKey(
        script_uid=run.uid or run.alias,
        script_content_hash=script_content_hash(run.path),
        variations=list(run.variations.names),
        version=run.version_req.version,
        extra_tags=list(run.extra_cache_tags) + deps_tags_from_env(run),
        deps_spec=deps_spec(run),
        dialect=run.dialect.name,
        inputs=key_inputs(run),
    )


def entry_tags(run: Any) -> list[str]:
    """Tags of the entry, for ``cm find cache``: script tags, meta tags, variations, extra tags."""
    out: list[str] = []
    for t in [*run.query.tags, *(run.artifact.tags or []), *(f"_{v}" for v in run.variations.names),
              *run.extra_cache_tags, *deps_tags_from_env(run)]:
        t = str(t)
        if t and not t.startswith("-") and t not in out:
            out.append(t)
    return out


def merge_cached(run: Any, entry: Any) -> None:
    """Merge a hit's (path-fixed) new_env/new_state into the live env and state."""
    E.deep_merge(run.env, entry.new_env or {})
    E.deep_merge(run.state, entry.new_state or {})


def make_validator(run: Any, session: Any) -> Any:
    """``validate(entry) -> bool`` when the script has ``validate_cache.sh``/``.bat``, else None."""
    if not any(n.startswith("validate_cache") for n in os.listdir(run.path)):
        return None  # the common case: decided without importing the native runner
    from cmcore.script.native import select_native_script

    env_probe = dict(run.env)
    if select_native_script(run.path, "validate_cache", env_probe, run.dialect, explicit=False) is None:
        return None

    def validate(entry: Any) -> bool:
        from cmcore.script.native import run_native_script

        env = copy.deepcopy(run.env)
        E.deep_merge(env, entry.new_env or {})
        script = select_native_script(run.path, "validate_cache", env, run.dialect, explicit=False)
        if script is None:
            return True
        res = run_native_script(script, env=env, state=copy.deepcopy(run.state), cwd=Path(entry.path),
                                dialect=run.dialect, silent=True, log=session.log)
        if res.returncode != 0:
            return False
        detected = res.env_out.get(run.key("DETECTED_VERSION")) if res.env_out else None
        return not detected or not entry.version or str(detected) == entry.version

    return validate
