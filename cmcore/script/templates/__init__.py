'''Templates for ``cm add script NAME --tags=a,b [--template=python|shell]``.

Each template is a set of files written into the new script folder, with ``{alias}``,
``{prefix}`` (``CM_`` or ``MLC_``) and ``{key}`` (the script's output env key) filled in. The
texts live here, not as loose files, so that they ship inside the ``cmcore`` wheel with no
package-data rules, and so that a test can run every template.

* ``shell``: ``run.sh`` / ``run.bat`` write the output key to ``tmp-run-env.out``;
* ``python`` (the default): the same, plus ``customize.py`` with ``preprocess`` (checks the
  input and sets env for the native script) and ``postprocess`` (reads what it produced).
'''

from __future__ import annotations

RUN_SH = """#!/bin/bash
# Native step of {alias}. The env from the meta, the variations and customize.py is exported.
# Write KEY=VALUE lines to tmp-run-env.out to hand values back to CM.
set -e
echo "{alias}: running in $(pwd)"
echo "{key}=${{{key}:-hello from {alias}}}" > tmp-run-env.out
"""

RUN_BAT = """@echo off
rem Native step of {alias} on Windows (see run.sh).
echo {alias}: running in %CD%
if "%{key}%"=="" (set {key}=hello from {alias})
echo {key}=%{key}%> tmp-run-env.out
"""

CUSTOMIZE_PY = '''"""Hooks of {alias}: preprocess runs before run.sh/run.bat, postprocess after it."""

import os


def preprocess(i):
    env = i["env"]
    # A mapped flag (--message=...) arrives as env["{prefix}{upper}_MESSAGE"] (see input_mapping).
    message = env.get("{prefix}{upper}_MESSAGE", "")
    if message:
        env["{key}"] = message
    return {{"return": 0}}


def postprocess(i):
    env = i["env"]
    if not env.get("{key}"):
        return {{"return": 1, "error": "{alias}: run.sh did not set {key}"}}
    env["{prefix}{upper}_CWD"] = os.getcwd()
    return {{"return": 0}}
'''

#: template name -> {file name: text}
TEMPLATES: dict[str, dict[str, str]] = {
    "shell": {"run.sh": RUN_SH, "run.bat": RUN_BAT},
    "python": {"run.sh": RUN_SH, "run.bat": RUN_BAT, "customize.py": CUSTOMIZE_PY},
}


def meta_for(alias: str, template: str, prefix: str = "CM_") -> dict:
    """The meta a new script starts with (tags and uid are added by the caller)."""
    upper = alias.upper().replace("-", "_").replace(".", "_")
    meta: dict = {"automation_alias": "script", "automation_uid": "5b4e0237da074764", "cache": False,
                  "new_env_keys": [f"{prefix}{upper}_*"]}
    if template == "python":
        meta["input_mapping"] = {"message": f"{prefix}{upper}_MESSAGE"}
        meta["input_description"] = {"message": {"desc": "the text the script hands back"}}
    return meta


def render(template: str, alias: str, prefix: str = "CM_") -> dict[str, str]:
    """The files of ``template`` for a script named ``alias``."""
    upper = alias.upper().replace("-", "_").replace(".", "_")
    key = f"{prefix}{upper}_OUTPUT"
    return {name: text.format(alias=alias, prefix=prefix, upper=upper, key=key)
            for name, text in TEMPLATES[template].items()}
