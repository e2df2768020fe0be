"""The cache's answer to ``cm_detect`` for scripts (called by ``cmcore.builtin.cache``).

The engine puts on its ``ScriptRun`` (``component.data``):

* ``cache_key``: a :class:`~cmcore.cache.keys.CacheKey`, or None when the script is not cached;
* ``version_min`` / ``version_max``: filters on the entry's version;
* ``validate``: ``validate(entry) -> bool`` or None (the engine's ``validate_cache`` runner);
* flags ``new``, ``renew``, ``skip_cache``.
"""

from __future__ import annotations

from cmcore.cache.store import CacheEntry, CacheStore

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def detect(component: Any, session: Any) -> CacheEntry | None:
    """Return the newest valid :class:`CacheEntry` for the run's key, or None.

    None when the run is not cached (``cache_key`` None), or when ``new``, ``renew`` or
    ``skip_cache`` asks not to reuse. On None the engine reserves with
    ``CacheStore(session).reserve(...)``, which looks up once more under the key's lock.
    """
    data = component.data
    key = getattr(data, "cache_key", None)
    if key is None or any(getattr(data, f, False) for f in ("new", "renew", "skip_cache")):
        return None
    return CacheStore(session).lookup(
        key,
        version_min=getattr(data, "version_min", "") or "",
        version_max=getattr(data, "version_max", "") or "",
        validate=getattr(data, "validate", None),
    )
