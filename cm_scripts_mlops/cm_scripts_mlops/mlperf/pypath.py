"""How our own packages reach a subprocess running in the tool-owned environment.

A folder of symlinks (one per package) goes first on ``PYTHONPATH``: the subprocess imports
the very code of the running ``cm`` (editable or installed), and nothing else from the ``cm``
process's site-packages (its numpy or onnxruntime must not shadow the tool env's).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

PACKAGES = ("cmcore", "cm_backend_onnx", "cm_backend_tensorrt", "cm_scripts_mlops")


def package_dirs() -> dict[str, Path]:
    """The source folder of each of our packages that is importable here."""
    out: dict[str, Path] = {}
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec and spec.submodule_search_locations:
            out[name] = Path(list(spec.submodule_search_locations)[0]).resolve()
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
