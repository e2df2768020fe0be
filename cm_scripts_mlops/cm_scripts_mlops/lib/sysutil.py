"""Installing OS packages without ever waiting on a password.

The rule: install as root, or with ``sudo -n`` when sudo works without a password;
otherwise do nothing and tell the user, in one line, the exact command to run.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cm_scripts_mlops.lib.osinfo import COMMANDS


@dataclass
class Plan:
    """How to install: ``argv`` to run (``None`` when we cannot), and the command for the user."""

    argv: list[str] | None
    user_command: str
    reason: str = ""


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def sudo_works(timeout: float = 10.0) -> bool:
    """``sudo -n true`` succeeds: sudo is there and needs no password (never prompts)."""
    if not shutil.which("sudo"):
        return False
    try:
        r = subprocess.run(["sudo", "-n", "true"], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def install_words(manager: str) -> list[str]:
    """The install command of a package manager as argv words (env assignments dropped)."""
    install = COMMANDS[manager][0]
    return [w for w in shlex.split(install) if "=" not in w]


def plan_install(manager: str, packages: Sequence[str], *, root: bool | None = None,
                 sudo_ok: Callable[[], bool] = sudo_works) -> Plan:
    """Decide how to install ``packages`` with ``manager`` (see the module docstring)."""
    if manager not in COMMANDS:
        known = ", ".join(sorted(COMMANDS))
        return Plan(None, "", f"unknown package manager {manager!r} (known: {known})")
    words = install_words(manager) + list(packages)
    user = " ".join(shlex.quote(w) for w in words)
    root = is_root() if root is None else root
    if manager in ("brew", "choco"):  # these run as the user, never through sudo
        return Plan(words, user)
    if root:
        return Plan(words, user)
    if sudo_ok():
        return Plan(["sudo", "-n", *words], "sudo " + user)
    return Plan(None, "sudo " + user, "not root, and sudo needs a password (or is missing)")


def install_env(manager: str) -> dict[str, str]:
    env = dict(os.environ)
    if manager == "apt":
        env["DEBIAN_FRONTEND"] = "noninteractive"
    return env


def run_install(manager: str, packages: Sequence[str], *, plan: Plan | None = None,
                log: Callable[[str], None] = print, timeout: float = 1800) -> tuple[bool, str]:
    """Install; return ``(ok, one-line message)``. apt/dnf/... indexes are refreshed once on failure."""
    plan = plan or plan_install(manager, packages)
    if plan.argv is None:
        return False, f"cannot install {' '.join(packages)}: {plan.reason}; run: {plan.user_command}"
    env = install_env(manager)

    def attempt() -> subprocess.CompletedProcess:
        log(" ".join(shlex.quote(w) for w in plan.argv or []))
        return subprocess.run(plan.argv or [], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              env=env, timeout=timeout)

    r = attempt()
    if r.returncode != 0 and manager in COMMANDS and manager not in ("brew", "choco"):
        update = [w for w in shlex.split(COMMANDS[manager][1]) if "=" not in w]
        if plan.argv and plan.argv[0] == "sudo":
            update = ["sudo", "-n", *update]
        log(" ".join(update))
        subprocess.run(update, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                       timeout=timeout)
        r = attempt()
    if r.returncode != 0:
        lines = [ln for ln in (r.stderr or r.stdout).strip().splitlines() if ln.strip()]
        detail = lines[-1].strip() if lines else f"exit code {r.returncode}"
        return False, f"installing {' '.join(packages)} failed: {detail} (command: {plan.user_command})"
    return True, ""


def package_installed(manager: str, package: str) -> bool:
    """Whether the OS package is installed (for libraries with no command to look for)."""
    probes = {
        "apt": ["dpkg-query", "-W", "-f=${Status}", package],
        "dnf": ["rpm", "-q", package], "yum": ["rpm", "-q", package], "zypper": ["rpm", "-q", package],
        "pacman": ["pacman", "-Q", package], "brew": ["brew", "list", "--versions", package],
    }
    argv = probes.get(manager)
    if not argv or not shutil.which(argv[0]):
        return False
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    if manager == "apt":
        return r.returncode == 0 and "install ok installed" in r.stdout
    return r.returncode == 0
