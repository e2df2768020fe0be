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

    def download_file(self, i: dict) -> dict:
        """Download ``url`` into ``path`` (default: the cwd) as ``filename`` (default: from the URL).

        TLS is verified unless ``verify`` is false/no; ``md5sum``/``sha256`` are checked and a bad
        file is deleted. Returns ``filename`` and ``path`` (the full file path).
        """
        from cmcore.transfer.download import Checksums, download, filename_from_url

        url = str(i.get("url") or "")
        if not url:
            raise CMError("utils download_file: no url given", GENERIC)
        verify = i.get("verify", True)
        verify_tls = verify if isinstance(verify, bool) else str(verify).strip().lower() not in (
            "no", "false", "off", "0")
        name = str(i.get("filename") or filename_from_url(url))
        folder = os.path.abspath(str(i.get("path") or os.getcwd()))
        checks = Checksums(md5=str(i.get("md5sum") or ""), sha256=str(i.get("sha256") or ""))
        out = download(url, os.path.join(folder, name), checksums=checks, verify_tls=verify_tls,
                       log=self.session.log.info if i.get("out") == "con" else None)
        return {"return": 0, "filename": out.name, "path": str(out)}

    def unzip_file(self, i: dict) -> dict:
        """Extract ``filename`` (zip or tar family) into ``path`` (default: the cwd), refusing members
        that escape it; ``strip_folders=N`` removes N leading folders. Returns ``files``."""
        from cmcore.transfer.extract import extract

        archive = str(i.get("filename") or "")
        if not archive or not os.path.isfile(archive):
            raise CMError(f"utils unzip_file: archive not found: {archive!r}", 16)
        target = os.path.abspath(str(i.get("path") or os.getcwd()))
        strip = int(i.get("strip_folders") or 0)
        if strip <= 0:
            return {"return": 0, "files": extract(archive, target)}
        import shutil
        import tempfile

        with tempfile.TemporaryDirectory(dir=target) as tmp:
            names = extract(archive, tmp)
            moved = []
            for name in names:
                parts = name.replace("\\", "/").split("/")
                if len(parts) <= strip:
                    continue
                src = os.path.join(tmp, *parts)
                dst = os.path.join(target, *parts[strip:])
                if os.path.isdir(src):
                    os.makedirs(dst, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.move(src, dst)
                moved.append("/".join(parts[strip:]))
        return {"return": 0, "files": moved}

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
