"""Python environments for get-generic-python-lib and install-python-venv.

Packages are never installed into the user's interpreter: either into the virtual
environment the user selected (the detected python already lives in one), or into a
tool-owned one under the CM home, ``<CM_HOME>/venv/default``, created on first use from
the detected python. PEP 668 ("externally managed") therefore never applies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cm_scripts_mlops.lib.common import last_line, run_capture
from cmcore.errors import GENERIC, CMError

WINDOWS = os.name == "nt"


def is_venv_python(python: str | os.PathLike) -> bool:
    """Whether ``python`` is the interpreter of a venv (``<venv>/bin/python`` with ``pyvenv.cfg``).

    The path is not resolved: a venv's python is usually a symlink to the base interpreter.
    """
    p = Path(python)
    return (p.parent.parent / "pyvenv.cfg").is_file()


def venv_python(venv_dir: str | os.PathLike) -> Path:
    d = Path(venv_dir)
    return d / "Scripts" / "python.exe" if WINDOWS else d / "bin" / "python"


def python_version(python: str | os.PathLike) -> str:
    """``major.minor.micro`` of an interpreter; raises CMError when it does not run."""
    code, out = run_capture([str(python), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
    if code != 0:
        raise CMError(f"python {python} does not run: {last_line(out)}", GENERIC)
    return out.strip().splitlines()[-1]


def _venv_major_minor(venv_dir: Path) -> str:
    """``3.11`` from a venv's pyvenv.cfg (``version = 3.11.7`` or ``version_info = ...``)."""
    try:
        for line in (venv_dir / "pyvenv.cfg").read_text().splitlines():
            k, _, v = line.partition("=")
            if k.strip() in ("version", "version_info"):
                return ".".join(v.strip().split(".")[:2])
    except OSError:
        pass
    return ""


def tool_venv_dir(home: str | os.PathLike, base_python: str | os.PathLike, name: str = "default") -> Path:
    """Where the tool-owned venv for ``base_python`` lives: ``<home>/venv/<name>``, or
    ``<name>-py<M.m>`` when ``<name>`` already exists for another Python version."""
    root = Path(home) / "venv"
    mm = ".".join(python_version(base_python).split(".")[:2])
    d = root / name
    if d.exists() and _venv_major_minor(d) not in ("", mm):
        d = root / f"{name}-py{mm}"
    return d


def ensure_venv(base_python: str | os.PathLike, venv_dir: str | os.PathLike, log=print) -> Path:
    """Create ``venv_dir`` with ``base_python`` unless a working venv is there; return its python."""
    from cmcore.fsutil import FileLock

    venv_dir = Path(venv_dir)
    py = venv_python(venv_dir)
    venv_dir.parent.mkdir(parents=True, exist_ok=True)
    # Two runs installing packages at once must not both create the venv.
    with FileLock(venv_dir.parent / f".{venv_dir.name}.lock"):
        if py.exists() and run_capture([str(py), "-c", "pass"])[0] == 0:
            return py
        if venv_dir.exists():
            shutil.rmtree(venv_dir)  # a half-made venv from a killed run
        log(f"creating the tool-owned Python environment {venv_dir}")
        code, out = run_capture([str(base_python), "-m", "venv", str(venv_dir)], timeout=600)
        if code != 0:
            shutil.rmtree(venv_dir, ignore_errors=True)
            raise CMError(f"cannot create a venv with {base_python}: {last_line(out)} "
                          f"(on Debian/Ubuntu: apt-get install python3-venv)", GENERIC)
    return py


def target_python(python: str | os.PathLike, home: str | os.PathLike, name: str = "default",
                  log=print) -> Path:
    """The interpreter packages go into: ``python`` itself if it is a venv, else the tool venv."""
    if is_venv_python(python):
        return Path(python)
    return ensure_venv(python, tool_venv_dir(home, python, name), log=log)


def installed_version(python: str | os.PathLike, dist: str) -> str | None:
    """The installed version of distribution ``dist`` in ``python``'s environment, or None."""
    code, out = run_capture([str(python), "-c",
                             "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))", dist])
    if code != 0:
        return None
    lines = out.strip().splitlines()
    return lines[-1].strip() if lines else None


def install_command(python: str | os.PathLike, requirement: str, extra: list[str] | None = None,
                    use_uv: bool | None = None) -> list[str]:
    """``uv pip install --python PY REQ`` when uv is on PATH, else ``PY -m pip install REQ``."""
    extra = list(extra or [])
    uv = shutil.which("uv") if use_uv is not False else None
    if uv:
        return [uv, "pip", "install", "--python", str(python), requirement, *extra]
    return [str(python), "-m", "pip", "install", "--disable-pip-version-check", requirement, *extra]


def pip_install(python: str | os.PathLike, requirement: str, extra: list[str] | None = None,
                log=print, timeout: float = 3600) -> None:
    """Install one requirement; a failure is a one-line CMError with pip's last error line."""
    cmd = install_command(python, requirement, extra)
    log(" ".join(cmd))
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CMError(f"installing {requirement} timed out after {timeout:g}s", GENERIC) from None
    if p.returncode != 0:
        errors = [ln for ln in p.stdout.splitlines() if "error" in ln.lower()]
        detail = (errors[-1] if errors else last_line(p.stdout)).strip()
        raise CMError(f"installing {requirement} into {python} failed: {detail}", GENERIC)


def pip_version_spec(env: dict, prefix: str = "CM_") -> str:
    """The pip specifier from the version request (``==v``, ``>=a,<=b``, ...)."""
    if env.get(f"{prefix}TMP_PIP_VERSION_STRING"):
        return str(env[f"{prefix}TMP_PIP_VERSION_STRING"])
    v, vmin, vmax = (str(env.get(f"{prefix}VERSION{s}", "") or "") for s in ("", "_MIN", "_MAX"))
    if v:
        return f"=={v}"
    parts = ([f">={vmin}"] if vmin else []) + ([f"<={vmax}"] if vmax else [])
    return ",".join(parts)


def default_home() -> Path:
    """The CM home of the running session (falls back to ``$CM_HOME``)."""
    try:
        from cmcore.session import current

        return Path(current().home)
    except Exception:  # pragma: no cover - only outside a CM process
        from cmcore.session import default_home as dh

        return dh()


if __name__ == "__main__":  # pragma: no cover
    print(target_python(sys.argv[1], sys.argv[2]))
