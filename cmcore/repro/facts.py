"""Facts a lockfile records about scripts, repositories and the platform.

Each function is cheap and never raises for an expected condition (no git, no plugin): a
missing fact is an empty string, so a lock can always be written.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

# Generated or per-run files that are not part of what a script *is*.
_SKIP_DIRS = frozenset({"__pycache__", ".git", "dockerfiles"})
_SKIP_SUFFIXES = (".pyc", ".pyo")


def _skipped(name: str) -> bool:
    return name.startswith("tmp-") or name == "README.md" or name.endswith(_SKIP_SUFFIXES)


def folder_hash(folder: str | os.PathLike) -> str:
    """sha256 over every file of a script folder (names and bytes, sorted, recursive).

    ``tmp-*`` files, ``__pycache__`` and the generated ``README.md`` are left out, so a run
    or ``cm doc`` never looks like a change; any edit to the meta, customize.py, a native
    script or a data file does.
    """
    root = Path(folder)
    h = hashlib.sha256(b"cm-script-folder\0")
    if not root.is_dir():
        return ""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            if _skipped(name):
                continue
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            try:
                data = p.read_bytes()
            except OSError:
                continue
            h.update(rel.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0")
            h.update(data)
    return "sha256:" + h.hexdigest()


def _git(args: list[str], cwd: Path) -> str:
    try:
        p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=15)
    except (OSError, subprocess.SubprocessError):
        return ""
    return p.stdout.strip() if p.returncode == 0 else ""


def git_facts(repo_path: str | os.PathLike, memo: dict[str, dict] | None = None) -> dict[str, Any]:
    """``{commit, url, dirty_paths}`` of the git checkout holding ``repo_path``; ``{}`` if none."""
    path = Path(repo_path)
    key = str(path)
    if memo is not None and key in memo:
        return memo[key]
    out: dict[str, Any] = {}
    if path.is_dir() and _git(["rev-parse", "--is-inside-work-tree"], path) == "true":
        out["commit"] = _git(["rev-parse", "HEAD"], path)
        url = _git(["config", "--get", "remote.origin.url"], path)
        if url:
            from cmcore.secrets import redact_text

            out["url"] = redact_text(url)  # a token put into an https URL never reaches the lock
        status = _git(["status", "--porcelain", "--", "."], path)
        out["dirty"] = bool(status)
    if memo is not None:
        memo[key] = out
    return out


def repo_facts(repo: Any, memo: dict[str, dict] | None = None) -> dict[str, Any]:
    """What identifies the repository of a script: alias, uid, origin, version, git commit."""
    if repo is None:
        return {}
    meta = getattr(repo, "meta", {}) or {}
    out: dict[str, Any] = {"alias": str(getattr(repo, "alias", "") or ""), "uid": str(getattr(repo, "uid", "") or ""),
                           "origin": str(getattr(repo, "origin", "") or "")}
    if meta.get("version"):
        out["version"] = str(meta["version"])
    git = git_facts(getattr(repo, "path", "."), memo)
    if git.get("commit"):
        out["git"] = git
    return out


def _os_release() -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k in ("ID", "VERSION_ID", "PRETTY_NAME"):
            out[k.lower()] = v.strip().strip('"')
    return out


def platform_facts(session: Any, *, devices: bool = True) -> dict[str, Any]:
    """OS, CPU, devices (from the hardware plugins) and Python of this machine."""
    osr = _os_release()
    out: dict[str, Any] = {
        "os": {"system": platform.system(), "release": platform.release(),
               "distro": osr.get("id", ""), "distro_version": osr.get("version_id", ""),
               "pretty_name": osr.get("pretty_name", "")},
        "cpu": {"machine": platform.machine(), "processor": platform.processor(), "count": os.cpu_count() or 0},
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                   "executable": sys.executable},
    }
    if devices:
        out["devices"] = device_list(session)
    return out


def device_list(session: Any) -> list[dict[str, Any]]:
    """Every device the ``cm_detect_devices`` implementations report (a failing plugin is skipped)."""
    from cmcore.types import Device

    found: list[dict[str, Any]] = []
    pm = getattr(session, "pm", None)
    if pm is None or not hasattr(pm, "call_each"):
        return found
    for _plugin, devs in pm.call_each("cm_detect_devices", session=session):
        for d in devs or []:
            if isinstance(d, Device):
                found.append(d.to_dict())
    return found


def plugin_versions(session: Any) -> dict[str, Any]:
    """``cmcore`` and every loaded plugin with its distribution and version."""
    import cmcore

    out: dict[str, Any] = {"cmcore": cmcore.__version__, "plugins": {}}
    pm = getattr(session, "pm", None)
    if pm is None or not hasattr(pm, "plugin_infos"):
        return out
    for info in pm.plugin_infos():
        out["plugins"][info.name] = {"distribution": info.distribution, "version": info.version,
                                     "builtin": bool(info.builtin)}
    return out
