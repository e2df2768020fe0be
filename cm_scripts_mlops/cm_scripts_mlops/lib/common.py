"""Small helpers shared by the scripts' customize.py files."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence

from cmcore.errors import CMError

TRUE_WORDS = ("yes", "on", "true", "1")


def is_true(value: object) -> bool:
    """CM's truthiness for env flags: ``yes/on/true/1`` (any case) or a real ``True``."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in TRUE_WORDS


def fail(message: str, code: int = 1) -> dict:
    """The CM return dict for an error (what a customize hook returns)."""
    return {"return": code, "error": message}


def from_error(e: CMError) -> dict:
    return {"return": e.code, "error": e.message}


def env_name(text: str) -> str:
    """``onnxruntime-gpu`` → ``ONNXRUNTIME_GPU``: a string made safe as an env key part."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()


def compare_versions(a: str, b: str) -> int:
    """-1, 0, 1 like CM: numeric parts as ints, shorter padded with 0 (``3.9 == 3.9.0``).

    The engine's comparison, so scripts and the engine always agree.
    """
    from cmcore.script.versions import compare

    return compare(a, b)


def version_ok(version: str, env: dict, prefix: str = "CM_") -> str | None:
    """``None`` if ``version`` meets ``CM_VERSION``/``_MIN``/``_MAX``, else a reason."""
    want = str(env.get(f"{prefix}VERSION", "") or "")
    vmin = str(env.get(f"{prefix}VERSION_MIN", "") or "")
    vmax = str(env.get(f"{prefix}VERSION_MAX", "") or "")
    public = str(version).split("+", 1)[0]  # PEP 440: "2.13.0+cpu" satisfies a request for 2.13.0
    if want and compare_versions(version if "+" in want else public, want) != 0:
        return f"version {version} is not the requested {want}"
    if vmin and compare_versions(public, vmin) < 0:
        return f"version {version} is below the minimum {vmin}"
    if vmax and compare_versions(public, vmax) > 0:
        return f"version {version} is above the maximum {vmax}"
    return None


def split_version(version: str) -> tuple[str, str, str]:
    """``3.12`` → ``('3', '12', '0')``: a two-part version has patch 0 (CM-FORMAT flaw 16)."""
    parts = (str(version).split(".") + ["0", "0", "0"])[:3]
    return parts[0], parts[1] or "0", parts[2] or "0"


def run_capture(cmd: Sequence[str], timeout: float = 60.0, env: dict | None = None) -> tuple[int, str]:
    """Run a command without a shell or stdin; return ``(exit code, stdout+stderr)``."""
    try:
        p = subprocess.run(list(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env)
    except FileNotFoundError:
        return 127, f"{cmd[0]}: not found"
    except subprocess.TimeoutExpired:
        return 124, f"{cmd[0]}: timed out after {timeout:g}s"
    except OSError as e:
        return 126, f"{cmd[0]}: {e}"
    return p.returncode, p.stdout


def search_dirs(env: dict, default_env_key: str = "PATH", extra: Sequence[str] = ()) -> list[str]:
    """The folders a detection looks in: ``CM_TMP_PATH`` (``--path``) if set, else the
    variable ``default_env_key`` of the process, then ``extra``; existing ones, no repeats."""
    raw = env.get("CM_TMP_PATH") or os.environ.get(default_env_key, "")
    dirs = [d for d in str(raw).split(os.pathsep) if d]
    out: list[str] = []
    for d in [*dirs, *extra]:
        if d and os.path.isdir(d) and d not in out:
            out.append(d)
    return out


def last_line(text: str) -> str:
    """The last non-empty line of a command's output (the usual error line)."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""
