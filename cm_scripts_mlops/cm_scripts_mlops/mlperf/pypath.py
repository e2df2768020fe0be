"""How our own packages reach a subprocess running in the tool-owned environment.

A folder of symlinks (one per package) goes first on ``PYTHONPATH``: the subprocess imports
the very code of the running ``cm`` (editable or installed), and nothing else from the ``cm``
process's site-packages (its numpy or onnxruntime must not shadow the tool env's).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

#: each package with a plain submodule whose file tells where the real package folder is
PACKAGES = {"cmcore": "errors", "cm_backend_onnx": "options", "cm_backend_tensorrt": "plugin",
            "cm_scripts_mlops": "plugin"}


def package_dirs() -> dict[str, Path]:
    """The folder of each of our packages, found through a submodule: under pytest (or with the
    repository root on sys.path) a same-named distribution folder makes the package itself look
    like a namespace package without a ``__file__``."""
    out: dict[str, Path] = {}
    for name, sub in PACKAGES.items():
        try:
            spec = importlib.util.find_spec(f"{name}.{sub}")
        except (ImportError, ValueError):  # an optional package (cm_backend_tensorrt) may be absent
            continue
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            out[name] = Path(spec.origin).resolve().parent
    return out


def shim_dir(where: str | os.PathLike) -> Path:
    """``<where>/pypath`` holding a symlink per package (re-pointed if it moved)."""
    d = Path(where) / "pypath"
    d.mkdir(parents=True, exist_ok=True)
    for name, src in package_dirs().items():
        link = d / name
        if link.is_symlink() and Path(os.readlink(link)) == src:
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(src, target_is_directory=True)
    return d


def subprocess_env(where: str | os.PathLike, base: dict | None = None) -> dict[str, str]:
    """An environment for the tool-env python: our packages first on PYTHONPATH."""
    env = {k: str(v) for k, v in (base if base is not None else os.environ).items()}
    old = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(shim_dir(where)) + (os.pathsep + old if old else "")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env
