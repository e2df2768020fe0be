"""Reproducibility and authoring verbs of the ``script`` automation (a mixin of ScriptAutomation).

* ``cm replay script cm-lock.json [--strict] [--check]``: drift check, then re-run a lockfile;
* ``cm doc script TAGS|NAME [--output=FILE]`` / ``cm doc script --repo=NAME``: READMEs and catalogues;
* ``cm docker script TAGS [--dockerfile_only] ...`` and ``cm dockerfile script TAGS``: Dockerfiles;
* ``cm lint script [TAGS|NAME|--all] [--repo=NAME]``: validate metas against the published schema;
* ``cm add script NAME --tags=a,b [--template=python|shell]``: a working script from a template.

Each verb is a thin adapter from the CM input dict to a function in :mod:`cmcore.repro`,
:mod:`cmcore.docgen`, :mod:`cmcore.dockergen`, :mod:`cmcore.lint` or :mod:`cmcore.script.templates`.
"""

from __future__ import annotations

from typing import Any

from cmcore.errors import GENERIC, CMError


class ReproVerbs:
    """Verbs mixed into ``ScriptAutomation``; ``self.session`` is the automation's session."""

    session: Any

    def replay(self, i: dict) -> dict:
        """``cm replay script cm-lock.json [--strict] [--check]``: drift check, then re-run the lock."""
        from cmcore.repro.replay import replay

        path = i.get("artifact") or i.get("file") or i.get("lock")
        if not path or not isinstance(path, str):
            raise CMError("replay needs a lockfile: cm replay script cm-lock.json", GENERIC)
        return replay(self.session, path, i)
