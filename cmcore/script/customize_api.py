"""Loading a script's ``customize.py`` and calling its hooks (CM-FORMAT §3.10).

A ``customize.py`` is loaded fresh for every use, under a unique module name, with the
script folder first on ``sys.path`` and the compat modules (``cmind``, ``mlc``, ``utils``)
importable for exactly as long as the load or the hook call lasts. A hook that raises, or
returns something other than a dict, becomes a one-line :class:`CMError` naming the file.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from cmcore.errors import GENERIC, CMError
from cmcore.script.dialect import CM, Dialect

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

CUSTOMIZE_FILE = "customize.py"
HOOKS = ("preprocess", "postprocess", "detect_version", "predeps")
# Code for a customize.py that cannot be loaded or whose hook crashed.
HOOK_FAILED = GENERIC

_counter = itertools.count(1)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _hook_error(path: Path, what: str, exc: BaseException) -> CMError:
    import traceback

    err = CMError(f"{path}: {what} failed: {_one_line(exc)}", HOOK_FAILED)
    # The full traceback, for `-v` output; not part of the one-line message.
    err.details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))  # type: ignore[attr-defined]
    return err


@contextmanager
def hook_context(script_dir: Path | None) -> Iterator[None]:
    """The import environment of a customize.py: compat shims, script folder first on
    ``sys.path``; modules imported from the script folder are dropped afterwards, so a
    sibling ``helpers.py`` of one script never shadows another script's."""
    from cmcore.compat.shims import compat_modules

    before = set(sys.modules)
    added_path = None
    no_pyc = sys.dont_write_bytecode
    if script_dir is not None:
        added_path = str(script_dir)
        sys.path.insert(0, added_path)
        if _recently_edited(script_dir):
            sys.dont_write_bytecode = True
    try:
        with compat_modules(script_dir):
            yield
    finally:
        sys.dont_write_bytecode = no_pyc
        if added_path is not None:
            try:
                sys.path.remove(added_path)
            except ValueError:
                pass
        if script_dir is not None:
            _drop_modules_from(script_dir, before)


def _recently_edited(script_dir: Path) -> bool:
    """Was a ``.py`` file of the folder changed within the last 2 s? A bytecode cache records
    its source's mtime in whole seconds (and its size), so a cache written now would be taken
    for a same-size edit made later in the same second; none is written for such a file."""
    now = time.time()
    try:
        with os.scandir(script_dir) as it:
            return any(e.name.endswith(".py") and now - e.stat().st_mtime < 2.0 for e in it)
    except OSError:
        return False


def _drop_modules_from(script_dir: Path, before: set[str]) -> None:
    root = script_dir.resolve()
    for name in set(sys.modules) - before:
        f = getattr(sys.modules.get(name), "__file__", None)
        if f and Path(f).resolve().is_relative_to(root):
            sys.modules.pop(name, None)


def load_customize(script_dir: Path, dialect: Dialect = CM) -> ModuleType | None:
    """Load ``script_dir/customize.py`` as a fresh module; None if there is none.

    ``dialect`` is accepted for symmetry with :func:`call_hook`; both dialects get all shims.
    """
    script_dir = Path(script_dir)
    path = script_dir / CUSTOMIZE_FILE
    if not path.is_file():
        return None
    name = f"cm_customize_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
        raise CMError(f"{path}: cannot be loaded as a Python module", HOOK_FAILED)
    module = importlib.util.module_from_spec(spec)
    module.__cm_script_dir__ = str(script_dir)  # type: ignore[attr-defined]
    with hook_context(script_dir):
        sys.modules[name] = module  # some code (dataclasses, pickle) looks itself up here
        try:
            spec.loader.exec_module(module)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SyntaxError, ImportError, SystemExit, ...
            raise _hook_error(path, "loading", exc) from exc
        finally:
            sys.modules.pop(name, None)
    return module


def call_hook(module: ModuleType | None, name: str, i: dict, dialect: Dialect = CM) -> dict | None:
    """Call hook ``name`` (``preprocess``, ``postprocess``, ``detect_version``, ...) with ``i``.

    Returns None when the module or the hook is absent; else the hook's dict (``return``
    defaults to 0). A hook that raises, or returns a non-dict, is a :class:`CMError`.
    """
    if module is None:
        return None
    fn = getattr(module, name, None)
    if not callable(fn):
        return None
    path = Path(getattr(module, "__file__", "") or CUSTOMIZE_FILE)
    script_dir = getattr(module, "__cm_script_dir__", None)
    with hook_context(Path(script_dir) if script_dir else None):
        try:
            r = fn(i)
        except KeyboardInterrupt:
            raise
        except CMError as exc:  # already one line with a code (e.g. from a nested helper)
            raise CMError(f"{path}: {name}(): {exc.message}", exc.code) from exc
        except BaseException as exc:
            raise _hook_error(path, f"{name}()", exc) from exc
    if not isinstance(r, dict):
        raise CMError(
            f"{path}: {name}() returned {type(r).__name__}, expected a dict such as {{'return': 0}}",
            HOOK_FAILED,
        )
    r.setdefault("return", 0)
    return r


# -- inputs of hooks and helpers ---------------------------------------------------------


def os_info(dialect: Dialect = CM) -> dict:
    """The ``i['os_info']`` dict of CM-FORMAT §3.10 (platform, bat_ext, env_separator, ...)."""
    from cmcore.osinfo import get_host_os_info

    return get_host_os_info({}, prefix=dialect.prefix)["info"]


def build_run_script_input(
    *,
    script_path: Path,
    env: dict,
    state: dict,
    meta: dict,
    dialect: Dialect = CM,
    script_name: str = "run",
    os_info_dict: dict | None = None,
    const: dict | None = None,
    const_state: dict | None = None,
    recursion: bool = False,
    recursion_spaces: str = "",
    run_state: dict | None = None,
    silent: bool = False,
    artifact: Any = None,
    **extra: Any,
) -> dict:
    """The ``run_script_input`` bundle that hooks pass to the helpers (``find_artifact``,
    ``run_native_script``, ``detect_version_using_script``). Setting its ``script_name`` in
    preprocess changes the main native script.

    ``script_path`` is the script folder. ``env``/``state``/``meta`` are the live objects.
    """
    info = os_info_dict if os_info_dict is not None else os_info(dialect)
    bundle: dict = {
        "path": str(script_path),
        "script_name": script_name,
        "bat_ext": info.get("bat_ext", ".sh"),
        "os_info": info,
        "env": env,
        "state": state,
        "meta": meta,
        "const": const if const is not None else {},
        "const_state": const_state if const_state is not None else {},
        "dialect": dialect,
        "recursion": recursion,
        "recursion_spaces": recursion_spaces,
        "run_state": run_state if run_state is not None else {},
        "silent": silent,
        "artifact": artifact,
        "tmp_file_run_env": "tmp-run-env.out",
        "tmp_file_run_state": "tmp-run-state.json",
    }
    bundle.update(extra)
    return bundle
