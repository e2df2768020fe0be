"""Building the ``cmind``/``mlc``/``utils`` shim modules and installing them temporarily.

The shims exist only for the duration of a ``with compat_modules(...)`` block: a script
importing ``cmind`` outside a hook, or a user's own ``cmind`` installation, is never shadowed.
Blocks nest (a hook calling ``cmind.access`` runs further hooks): each block restores exactly
the ``sys.modules`` entries it changed.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from cmcore.compat import utils as _utils

# Marks our modules, so that a nested block does not take a shim for the real package.
MARKER = "__cm_compat_shim__"
# What old scripts read from cmind.__version__: the cmind API level these shims follow.
CMIND_API_VERSION = "4.2.0"
_ABSENT = object()
_BUILT: dict[str, dict[str, ModuleType]] = {}


def _access(i: dict | str | list) -> dict:
    """``cmind.access`` / ``mlc.access``: the current cmcore session's API."""
    from cmcore.session import current

    if isinstance(i, dict) and "automation" not in i and "target" in i:  # MLC's key
        i = {**i, "automation": i["target"]}
    return current().access(i)


class SessionLogger:
    """The ``logger`` old scripts use (``automation.action_object.logger``,
    ``automation.cmind.logger``): a ``logging.Logger``-like view of a session's log.
    Without a session it follows :func:`cmcore.session.current`."""

    def __init__(self, session: Any = None) -> None:
        self._session = session

    def _log(self) -> Any:
        if self._session is not None:
            return self._session.log
        from cmcore.session import current

        return current().log

    @staticmethod
    def _text(msg: object, args: tuple) -> str:
        text = str(msg)
        if args:
            try:
                text = text % args
            except (TypeError, ValueError):
                text = " ".join([text, *map(str, args)])
        return text

    def debug(self, msg: object, *args: Any, **_: Any) -> None:
        self._log().debug(self._text(msg, args))

    def info(self, msg: object, *args: Any, **_: Any) -> None:
        self._log().info(self._text(msg, args))

    def warning(self, msg: object, *args: Any, **_: Any) -> None:
        self._log().warning(self._text(msg, args))

    warn = warning

    def error(self, msg: object, *args: Any, **_: Any) -> None:
        self._log().warning(self._text(msg, args))

    critical = exception = error


def _error(r: dict) -> dict:
    """``cmind.error(r)``: print ``CM error: ...`` to stderr and return ``r``."""
    if r.get("return", 0) > 0:
        print(f"\nCM error: {r.get('error', '')}!", file=sys.stderr)
    return r


def _halt(r: dict) -> None:
    """``cmind.halt(r)``: print the error and exit with its code."""
    _error(r)
    raise SystemExit(int(r.get("return", 0)))


def make_utils_module(name: str, prefix: str) -> ModuleType:
    """A fresh ``utils`` module (``cmind.utils``, ``mlc.utils`` or ``utils``)."""
    mod = ModuleType(name, "cmcore compatibility shim for old customize.py files")
    for attr in dir(_utils):
        if not attr.startswith("_"):
            setattr(mod, attr, getattr(_utils, attr))
    mod.get_host_os_info = functools.partial(_utils.get_host_os_info, prefix=prefix)  # type: ignore[attr-defined]
    setattr(mod, MARKER, True)
    return mod


def make_module(name: str) -> dict[str, ModuleType]:
    """The ``sys.modules`` entries for shim package ``name`` (``cmind``, ``mlc`` or ``utils``).

    Built once per process, so that a module object a customize.py bound at load time is
    the same one it imports again inside a hook.
    """
    if name not in _BUILT:
        _BUILT[name] = _build(name)
    return dict(_BUILT[name])


def _build(name: str) -> dict[str, ModuleType]:
    if name == "utils":
        return {"utils": make_utils_module("utils", "MLC_")}
    prefix = "CM_" if name == "cmind" else "MLC_"
    pkg = ModuleType(name, f"cmcore compatibility shim for {name}")
    pkg.__path__ = []  # a package, so that `import cmind.utils` works
    utils = make_utils_module(f"{name}.utils", prefix)
    attrs: dict[str, Any] = {
        "utils": utils, "access": _access, "error": _error, "halt": _halt, "logger": SessionLogger(),
        "__version__": CMIND_API_VERSION, MARKER: True,
    }
    for k, v in attrs.items():
        setattr(pkg, k, v)
    return {name: pkg, f"{name}.utils": utils}


def real_module_available(name: str) -> bool:
    """True if ``name`` is importable and is not one of our shims."""
    existing = sys.modules.get(name)
    if existing is not None:
        return not getattr(existing, MARKER, False)
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _script_has_own_utils(script_dir: Path | None) -> bool:
    if script_dir is None:
        return False
    return (script_dir / "utils.py").is_file() or (script_dir / "utils" / "__init__.py").is_file()


@contextmanager
def compat_modules(script_dir: Path | None = None) -> Iterator[list[str]]:
    """Put the shims into ``sys.modules`` for the block; yield the names installed.

    ``cmind`` and ``mlc`` only when the real package is not importable. ``utils`` (which MLC
    scripts import from the engine's folder, never an installed package) unless the script
    folder has its own ``utils.py``, which then wins as it would under MLC.
    """
    plan: dict[str, Any] = {}
    for pkg in ("cmind", "mlc"):
        if not real_module_available(pkg):
            plan.update(make_module(pkg))
    if _script_has_own_utils(script_dir):
        existing = sys.modules.get("utils")
        if existing is not None and getattr(existing, MARKER, False):
            plan["utils"] = _ABSENT  # a shim from an outer block must not hide the script's own
    else:
        plan.update(make_module("utils"))
    saved: dict[str, Any] = {name: sys.modules.get(name, _ABSENT) for name in plan}
    for name, mod in plan.items():
        if mod is _ABSENT:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = mod
    try:
        yield sorted(n for n, m in plan.items() if m is not _ABSENT)
    finally:
        for name, old in saved.items():
            if old is _ABSENT:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
