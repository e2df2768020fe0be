"""Dependency and ``update_meta_if_env`` conditions (CM-FORMAT §3.7), with their real rules.

``cond`` is ``{KEY: [values]}``; values compare as ``str(v).lower()``. For the AND forms
(``enable_if_env``/``skip_if_env``) an absent key matches a list holding a false word; for
the OR forms (``*_any_env``) an absent key never matches. That asymmetry is CM's and is
kept on purpose: real metas rely on it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

_TRUE_WORDS = ("yes", "on", "true", "1")
_FALSE_WORDS = ("no", "off", "false", "0")


def _values(v: Any) -> list[str]:
    if isinstance(v, (list, tuple, set)):
        return [str(x).lower() for x in v]
    return [str(v).lower()]


def key_matches(env: dict, key: str, wanted: Any, *, absent_matches_false: bool = True) -> bool:
    """Does ``env[key]`` satisfy the list ``wanted``?"""
    values = _values(wanted)
    if key not in env:
        return absent_matches_false and any(w in _FALSE_WORDS or w == "" for w in values)
    actual = str(env[key]).lower()
    if any(w in _TRUE_WORDS for w in values) and actual not in _FALSE_WORDS and actual != "":
        return True
    if any(w in _FALSE_WORDS for w in values) and (actual in _FALSE_WORDS or actual == ""):
        return True
    return actual in values


def all_match(env: dict, cond: dict) -> bool:
    """Every key matches (``enable_if_env`` / ``skip_if_env``)."""
    return all(key_matches(env, k, v) for k, v in (cond or {}).items())


def any_match(env: dict, cond: dict) -> bool:
    """At least one present key matches (``enable_if_any_env`` / ``skip_if_any_env``)."""
    return any(key_matches(env, k, v, absent_matches_false=False) for k, v in (cond or {}).items())


CONDITION_KEYS = ("enable_if_env", "skip_if_env", "enable_if_any_env", "skip_if_any_env")


def enabled(item: dict, env: dict) -> bool:
    """Whether a dep (or an ``update_meta_if_env`` block, or an adr patch) applies under ``env``."""
    if "enable_if_env" in item and not all_match(env, item["enable_if_env"] or {}):
        return False
    if "enable_if_any_env" in item and not any_match(env, item["enable_if_any_env"] or {}):
        return False
    if "skip_if_env" in item and item["skip_if_env"] and all_match(env, item["skip_if_env"]):
        return False
    if "skip_if_any_env" in item and item["skip_if_any_env"] and any_match(env, item["skip_if_any_env"]):
        return False
    return True
