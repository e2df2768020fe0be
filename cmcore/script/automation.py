"""The ``script`` automation: ``run``, the script-specific ``search``, ``help``, ``native_run``.

It inherits the generic database actions and the helpers that ``customize.py`` files call
on ``i['automation']`` (which is this very object, never a deep copy: flaw 17).
"""

from __future__ import annotations

import os

from cmcore.automations.generic import GenericActions
from cmcore.errors import GENERIC, CMError
from cmcore.script.helpers import ScriptHelpers
from cmcore.script.verbs_repro import ReproVerbs

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import ClassVar


class ScriptAutomation(ReproVerbs, GenericActions, ScriptHelpers):
    """Portable scripts (CM-FORMAT §3)."""

    #: `cm add script` writes _cm.yaml, as CM does (`--json` for _cm.json)
    add_format = "yaml"

    name: ClassVar[str] = "script"
    uid: ClassVar[str] = "5b4e0237da074764"
    summary: ClassVar[str] = "portable scripts: run, find, and the generic actions"
    not_actions: ClassVar[frozenset[str]] = (
        GenericActions.not_actions | ScriptHelpers.helper_names | frozenset({"for_folder"})
    )

    def run(self, i: dict) -> dict:
        """Run a script: ``cm run script "get python _shared" [--flags]`` (CM-FORMAT §3.8)."""
        from cmcore.script.engine import run_script

        return run_script(self.session, i)

    def search(self, i: dict) -> dict:
        """Find scripts: a spaced artifact (or ``a,b``) is tags; ``_variations`` are ignored for finding."""
        from cmcore.script.resolve import search
        from cmcore.script.tagquery import build_query

        q = build_query(i)
        found = search(self.session, q)
        if i.get("out") == "con":
            for a in found:
                print(a.path)
        rec = getattr(self.session, "replay", None)
        if rec is not None:  # the search recorded the repos and folders it read (cmcore.replay)
            rec.kind = "find"
            # tags only, printed: another tag query reads the same inputs (the find template)
            from cmcore.replay import TEMPLATE_KEYS

            rec.template = not q.ref and i.get("out") == "con" and set(i) - {"out"} <= TEMPLATE_KEYS
        return {"return": 0, "list": found}

    def help(self, i: dict) -> dict:
        """Help for a script (``cm help script "detect os"``), or the list of verbs without one."""
        from cmcore.script.context import RunContext
        from cmcore.script.help import script_help
        from cmcore.script.resolve import find_script
        from cmcore.script.tagquery import build_query

        q = build_query(i)
        if not q.ref and not q.tags:
            text = "script actions: " + ", ".join(self.actions())
            if i.get("out") == "con":
                print(text)
            return {"return": 0, "help": text}
        art = find_script(self.session, q, quiet=True, ctx=RunContext())
        return script_help(art, i)

    def native_run(self, i: dict) -> dict:
        """``cm native-run script --command="..." --env.K=V``: run a shell command with env exports.

        Returns ``return_code`` without failing on a non-zero exit (CM-FORMAT §3.16). The
        wrapper goes in a temporary file, not in the cwd.
        """
        from cmcore.script.native import export_lines

        cmd = i.get("command") or i.get("cmd_string")
        if not cmd and i.get("unparsed_cmd"):
            import shlex

            cmd = " ".join(shlex.quote(str(x)) for x in i["unparsed_cmd"])
        if not cmd or not isinstance(cmd, str):
            raise CMError('native-run needs --command="..."', GENERIC)
        env = i.get("env") or {}
        if not isinstance(env, dict):
            raise CMError('"env" must be a mapping', GENERIC)
        text = "\n".join(["#!/bin/bash", "", *export_lines(env), "", cmd]) + "\n"
        import subprocess
        import tempfile

        fd, path = tempfile.mkstemp(prefix="tmp-native-run.", suffix=".sh")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            rc = subprocess.call(["bash", path], cwd=os.getcwd())
        finally:
            os.unlink(path)
        return {"return": 0, "return_code": rc}

    def actions(self) -> list[str]:
        names = set(super().actions()) | {"run", "search", "help", "native_run"}
        return sorted(n for n in names if n not in self.not_actions)
