"""Helpers the MLPerf scripts' customize.py files share (``cm`` process side)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from cm_scripts_mlops.mlperf import pypath
from cmcore.errors import GENERIC, NOT_FOUND, CMError


def tool_python(env: dict) -> str:
    """The tool-owned interpreter the python-lib deps installed into."""
    py = str(env.get("CM_PYTHON_BIN_WITH_PATH") or "")
    if not py or not Path(py).is_file():
        raise CMError("no tool-owned python: the get,generic-python-lib dependencies did not export "
                      "CM_PYTHON_BIN_WITH_PATH", NOT_FOUND)
    return py


def run_module(python: str, module: str, args: list[str], cwd: str | os.PathLike,
               timeout: float = 3600, what: str = "") -> str:
    """``python -m module args`` with our packages on PYTHONPATH; the last line of stdout.

    A failure is a one-line CMError with the module's last error line.
    """
    cmd = [python, "-m", module, *args]
    try:
        p = subprocess.run(cmd, cwd=cwd, env=pypath.subprocess_env(cwd), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CMError(f"{what or module} did not finish within {timeout:g}s", GENERIC) from None
    if p.returncode != 0:
        lines = [ln for ln in (p.stderr + "\n" + p.stdout).splitlines() if ln.strip()]
        raise CMError(f"{what or module} failed: {lines[-1].strip() if lines else 'exit ' + str(p.returncode)}", 2)
    out = [ln for ln in p.stdout.splitlines() if ln.strip()]
    return out[-1] if out else ""


def run_json(python: str, module: str, args: list[str], cwd: str | os.PathLike, **kw: Any) -> dict:
    line = run_module(python, module, args, cwd, **kw)
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise CMError(f"{module} printed no JSON result (last line: {line!r})", GENERIC) from None
    return data if isinstance(data, dict) else {"value": data}


def fail(e: CMError) -> dict:
    return {"return": e.code, "error": e.message}
