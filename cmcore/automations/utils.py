"""The ``utils`` automation: small services that cm4mlops ``customize.py`` files call.

Real scripts call ``cmind.access({'action': X, 'automation': 'utils,dc2743f8450541e3', ...})``
for downloads, archives, version comparison and input pruning. These verbs answer with the
same return keys those scripts read.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from typing import Any

from cmcore.automations.base import Automation
from cmcore.errors import GENERIC, CMError

UTILS_UID = "dc2743f8450541e3"

# Keys that describe how a command was invoked, not what it asked for.
_CONTROL_KEYS = ("action", "automation", "cmd", "out", "parsed_automation", "parsed_artifact",
                 "self_module", "unparsed_cmd", "recursion")


class UtilsAutomation(Automation):
    name = "utils"
    uid = UTILS_UID
    summary = "helpers used by scripts: download, unzip, compare versions, run a command"

    def compare_versions(self, i: dict) -> dict:
        """``version1`` vs ``version2`` → ``comparison`` -1, 0 or 1 (missing parts count as 0)."""
        from cmcore.compat.utils import compare_versions

        return compare_versions({"version1": i.get("version1", ""), "version2": i.get("version2", "")})

    def get_host_os_info(self, i: dict) -> dict:
        """``info``: platform, bits and the platform-dependent script conventions."""
        from cmcore.compat.utils import get_host_os_info

        return get_host_os_info(i)

    def prune_input(self, i: dict) -> dict:
        """``new_input``: the caller's input without control keys and without keys starting with
        any of ``extra_keys_starts_with``."""
        inp = dict(i.get("input") or {})
        prefixes = tuple(i.get("extra_keys_starts_with") or ())
        new = {k: v for k, v in inp.items()
               if k not in _CONTROL_KEYS and not (prefixes and k.startswith(prefixes))}
        return {"return": 0, "new_input": new}

    def detect_tags_in_artifact(self, i: dict) -> dict:
        """A spaced artifact in ``input`` becomes comma tags (``"get python"`` → ``tags=get,python``)."""
        inp = i.get("input")
        if isinstance(inp, dict):
            art = inp.get("artifact") or ""
            if " " in art:
                extra = ",".join(t for t in art.split() if t)
                inp["tags"] = f"{inp['tags']},{extra}" if inp.get("tags") else extra
                del inp["artifact"]
        return {"return": 0}

    def system(self, i: dict) -> dict:
        """Run ``cmd`` (a string or a list) in ``path``; return ``ret``, ``stdout``, ``stderr``.

        A list runs as is. A string runs through ``bash -c`` only when it uses shell syntax
        (pipes, redirections, ``&&``); otherwise it is split and run without a shell.
        """
        cmd = i.get("cmd")
        if not cmd:
            raise CMError("utils system: no cmd given", GENERIC)
        if isinstance(cmd, str):
            argv = ["bash", "-c", cmd] if any(c in cmd for c in "|&;<>$`") else shlex.split(cmd)
        else:
            argv = [str(c) for c in cmd]
        try:
            p = subprocess.run(argv, cwd=i.get("path") or None, capture_output=True, text=True,
                               timeout=float(i.get("timeout") or 3600))
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"return": 0, "ret": 1, "stdout": "", "stderr": str(exc)}
        return {"return": 0, "ret": p.returncode, "stdout": p.stdout.strip(), "stderr": p.stderr.strip()}

    def host_info(self, i: dict) -> dict:
        """A short description of this machine (used in reports)."""
        info: dict[str, Any] = {
            "platform": sys.platform,
            "machine": platform.machine(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
        }
        return {"return": 0, "info": info}
