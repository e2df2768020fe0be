"""Host OS facts for detect-os: package manager table, library paths, container check."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

# flavor (ID of /etc/os-release, lowercased) → package manager; FLAVOR_LIKE is the fallback.
_MANAGER_BY_FLAVOR = {
    "ubuntu": "apt", "debian": "apt", "linuxmint": "apt", "pop": "apt", "raspbian": "apt",
    "rhel": "dnf", "centos": "dnf", "fedora": "dnf", "rocky": "dnf", "almalinux": "dnf", "ol": "dnf",
    "amzn": "yum",
    "arch": "pacman", "manjaro": "pacman",
    "macos": "brew",
    "sles": "zypper", "opensuse-leap": "zypper", "opensuse-tumbleweed": "zypper", "opensuse": "zypper",
    "windows": "choco",
}

COMMANDS = {
    "apt": ("DEBIAN_FRONTEND=noninteractive apt-get install -y", "apt-get update -y"),
    "dnf": ("dnf install -y", "dnf makecache"),
    "yum": ("yum install -y", "yum makecache"),
    "pacman": ("pacman -S --noconfirm --needed", "pacman -Sy"),
    "brew": ("brew install", "brew update"),
    "zypper": ("zypper --non-interactive install", "zypper refresh"),
    "choco": ("choco install -y", "choco upgrade -y chocolatey"),
}


def package_manager(flavor: str, flavor_like: str = "") -> str:
    """The package manager name for an OS flavor (``""`` when unknown)."""
    flavor = (flavor or "").lower()
    if flavor in _MANAGER_BY_FLAVOR:
        return _MANAGER_BY_FLAVOR[flavor]
    for like in (flavor_like or "").lower().replace(",", " ").split():
        if like in _MANAGER_BY_FLAVOR:
            return _MANAGER_BY_FLAVOR[like]
    return ""


def package_manager_env(flavor: str, flavor_like: str = "") -> dict[str, str]:
    """``CM_HOST_OS_PACKAGE_MANAGER`` and its ``_INSTALL_CMD``/``_UPDATE_CMD``."""
    pm = package_manager(flavor, flavor_like)
    if not pm:
        return {}
    install, update = COMMANDS[pm]
    return {
        "CM_HOST_OS_PACKAGE_MANAGER": pm,
        "CM_HOST_OS_PACKAGE_MANAGER_INSTALL_CMD": install,
        "CM_HOST_OS_PACKAGE_MANAGER_UPDATE_CMD": update,
    }


def os_type() -> str:
    """``linux``, ``darwin`` or ``windows`` (CM_HOST_OS_TYPE)."""
    s = platform.system().lower()
    return "windows" if s.startswith(("win", "cygwin", "msys")) else s


def os_bits() -> str:
    m = platform.machine().lower()
    return "64" if ("64" in m or m in ("arm64", "s390x")) else "32"


def python_bits() -> str:
    return "64" if sys.maxsize > 2**32 else "32"


def parse_os_release(text: str) -> dict[str, str]:
    """``KEY=value`` lines of /etc/os-release, quotes removed."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"').strip("'")
    return out


def parse_ld_search_dirs(text: str) -> list[str]:
    """The ``SEARCH_DIR("=/usr/lib")`` entries of ``ld --verbose``, in order."""
    dirs: list[str] = []
    for m in re.finditer(r'SEARCH_DIR\("=?([^"]+)"\)', text):
        d = m.group(1)
        if d not in dirs:
            dirs.append(d)
    return dirs


def default_library_paths() -> list[str]:
    """The linker's default search dirs that exist (``ld --verbose``), else the usual ones."""
    dirs: list[str] = []
    ld = shutil.which("ld")
    if ld:
        try:
            out = subprocess.run([ld, "--verbose"], stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=10).stdout
            dirs = parse_ld_search_dirs(out)
        except (OSError, subprocess.SubprocessError):
            dirs = []
    if not dirs:
        dirs = ["/usr/local/lib", "/usr/lib", "/lib", "/usr/lib64", "/lib64"]
    return [d for d in dirs if os.path.isdir(d)]


def inside_container(root: str = "/") -> bool:
    """Whether this process runs in a Docker/Podman/Kubernetes container."""
    r = Path(root)
    if (r / ".dockerenv").exists() or (r / "run/.containerenv").exists():
        return True
    try:
        text = (r / "proc/1/cgroup").read_text(errors="replace")
    except OSError:
        return False
    return any(w in text for w in ("docker", "containerd", "kubepods", "libpod"))
