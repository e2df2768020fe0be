"""Probe helpers for hardware plugins (the ``cm-hw-*`` distributions and third-party ones).

Every hardware probe follows the same rules (STYLE.md §11): it runs in a subprocess with a
timeout, returns "absent" instead of raising, is cached per session, and yields to
``CM_OVERRIDE_<KIND>`` (a value forces the device present, an empty string forces it absent).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

TYPE_CHECKING = False  # no `typing` import at run time: every hardware plugin imports this module
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

DEFAULT_TIMEOUT = 10.0  # seconds; nvidia-smi on a busy multi-GPU box can take a few seconds


def env_get(session: Any, key: str) -> str | None:
    """``key`` from the session's environment, else from the live process environment.

    The live environment is consulted too because a test (or an embedder) may set an
    override after the session was created; the device cache is keyed by the override
    values, so a change is never masked by an old result.
    """
    env = getattr(session, "env", None) or {}
    if key in env:
        return str(env[key])
    return os.environ.get(key)


def override(session: Any, kind: str) -> str | None:
    """The ``CM_OVERRIDE_<KIND>`` value: None when unset, "" for "force absent"."""
    value = env_get(session, f"CM_OVERRIDE_{kind.upper()}")
    return None if value is None else value.strip()


def override_extras(session: Any, kind: str) -> dict[str, str]:
    """Every ``CM_OVERRIDE_<KIND>_<FIELD>`` as ``{field_lowercase: value}``."""
    prefix = f"CM_OVERRIDE_{kind.upper()}_"
    keys = set(os.environ) | set(getattr(session, "env", None) or {})
    out = {}
    for key in sorted(keys):
        if key.startswith(prefix):
            value = env_get(session, key)
            if value is not None:
                out[key[len(prefix):].lower()] = value.strip()
    return out


def probe_timeout(session: Any) -> float:
    """Seconds a probe may take: ``CM_HW_PROBE_TIMEOUT``, else :data:`DEFAULT_TIMEOUT`."""
    raw = env_get(session, "CM_HW_PROBE_TIMEOUT")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def run_probe(cmd: Sequence[str], timeout: float, env: dict[str, str] | None = None) -> str | None:
    """Run ``cmd``; return its stdout when it exits 0 in time, else None. Never raises."""
    status, out, _err = run_probe_status(cmd, timeout, env)
    return out if status == "ok" else None


def run_probe_status(cmd: Sequence[str], timeout: float,
                     env: dict[str, str] | None = None) -> tuple[str, str, str]:
    """Run ``cmd``; return ``(status, stdout, stderr)``, status one of ``ok``, ``failed``
    (non-zero exit), ``timeout`` (the child was killed) or ``missing`` (cannot start). Never raises."""
    import subprocess  # here, not at import: loading a plugin must stay cheap

    try:
        proc = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, env=env,
            stdin=subprocess.DEVNULL, check=False, errors="replace",
        )
    except subprocess.TimeoutExpired:
        return "timeout", "", ""
    except (OSError, subprocess.SubprocessError, ValueError):
        return "missing", "", ""
    return ("ok" if proc.returncode == 0 else "failed"), proc.stdout, proc.stderr


def cached(session: Any, key: str, compute: Callable[[], T]) -> T:
    """Memoise ``compute()`` in ``session.cache`` (a session without a cache just computes)."""
    cache = getattr(session, "cache", None)
    if not isinstance(cache, dict):
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def to_float(raw: str | None, default: float) -> float:
    """``float(raw)`` or ``default`` for a missing or malformed value."""
    try:
        return float(raw) if raw not in (None, "") else default
    except ValueError:
        return default


def to_int(raw: str | None, default: int) -> int:
    """``int(raw)`` or ``default`` for a missing or malformed value."""
    try:
        return int(float(raw)) if raw not in (None, "") else default
    except ValueError:
        return default


def cached_probe(session: Any, key: str, probe: Callable[[], list]) -> list:
    """``probe()`` memoised in the session; a probe that raises means "absent" (``[]``)."""

    def safe() -> list:
        try:
            return probe()
        except Exception:  # a probe must never take the caller down
            return []

    return cached(session, key, safe)


def detect_devices(session: Any, kind: str, from_override: Callable[[Any, str], list],
                   probe_key: str, probe: Callable[[], list]) -> list:
    """A hardware plugin's ``detect``, memoised in the session.

    ``CM_OVERRIDE_<KIND>`` wins when set: empty means absent, any other value gives
    ``from_override(session, value)``. Otherwise ``probe()`` runs (a probe that raises means
    absent); ``probe_key`` holds whatever the probe's answer depends on (e.g. the env vars it reads).
    """
    value = override(session, kind)
    if value is not None:
        key = f"cm-hw-{kind}:override:{value}:{sorted(override_extras(session, kind).items())}"
        return cached(session, key, lambda: from_override(session, value) if value else [])
    return cached_probe(session, f"cm-hw-{kind}:probe:{probe_key}", probe)


def device_component(component: Any, session: Any, kind: str, detect: Callable[[Any], list]) -> list[dict] | None:
    """The ``cm_detect`` answer of a hardware plugin: for ``Component(kind="device", name=kind)``
    the detected devices as dicts, None for other components or when none is present."""
    if component.kind != "device" or component.name != kind:
        return None
    return [d.to_dict() for d in detect(session)] or None
