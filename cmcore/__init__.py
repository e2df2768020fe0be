"""cmcore: the tiny core of Collective Mind rebuilt as a plugin platform.

Public API::

    import cmcore
    r = cmcore.access({"action": "run", "automation": "script", "tags": "detect,os"})
    r = cmcore.access('run script "detect os" -j')

Plugins use ``from cmcore import hookimpl``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `import cmcore` must not import typing
if TYPE_CHECKING:
    from typing import Any

    from cmcore.hooks import HookimplMarker

    hookimpl: HookimplMarker

__version__ = "0.1.0"


def access(i: dict | str | list) -> dict:
    """Run one CM action; return ``{'return': 0, ...}`` or ``{'return': code, 'error': msg}``.

    ``i`` is the CM input dict, a CLI string (``'find script --tags=get'``) or an argv list.
    Never raises for expected errors.
    """
    from cmcore.session import current

    return current().access(i)


def __getattr__(name: str) -> Any:  # lazy re-exports, so `import cmcore` stays cheap
    if name == "hookimpl":  # made once, on first use (pluggy reads the marks it makes, too)
        from cmcore.hooks import HookimplMarker

        marker = globals()["hookimpl"] = HookimplMarker("cm")
        return marker
    if name == "CMError":
        from cmcore.errors import CMError

        return CMError
    if name == "Session":
        from cmcore.session import Session

        return Session
    raise AttributeError(name)


__all__ = ["__version__", "access", "hookimpl", "CMError", "Session"]
