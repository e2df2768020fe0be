"""install-python-venv: `python -m venv`, then activation through state['script_prefix']."""

import os
import re


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail

    env, meta = i["env"], i["meta"]
    name = str(env.get("CM_NAME") or "venv").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        return fail(f"bad venv name {name!r}: use letters, digits, '.', '_' and '-'", 1)
    env["CM_NAME"] = name
    windows = i["os_info"]["platform"] == "windows"
    path = os.path.join(os.getcwd(), name)
    scripts = os.path.join(path, "Scripts" if windows else "bin")
    env["CM_VIRTUAL_ENV_NAME"] = name
    env["CM_VIRTUAL_ENV_DIR"] = name
    env["CM_VIRTUAL_ENV_PATH"] = path
    env["CM_VIRTUAL_ENV_SCRIPTS_PATH"] = scripts
    # The post-dep get-python3 searches here (CM_TMP_* reach post_deps, CM-FORMAT §3.5).
    env["CM_TMP_PATH"] = scripts
    env["CM_TMP_PATH_IGNORE_NON_EXISTANT"] = "yes"
    for dep in meta.get("post_deps", []):
        if "register-python" in dep.get("names", []):
            dep["extra_cache_tags"] = f"virtual,name-{name}"
    return {"return": 0, "add_extra_cache_tags": [f"name-{name}"]}


def postprocess(i):
    env, state = i["env"], i["state"]
    windows = i["os_info"]["platform"] == "windows"
    scripts = env["CM_VIRTUAL_ENV_SCRIPTS_PATH"]
    python = os.path.join(scripts, "python.exe" if windows else "python")
    if not os.path.isfile(python):
        return {"return": 2, "error": f"the venv was not created: {python} is missing"}
    activate = f'call "{scripts}\\activate.bat"' if windows else f'. "{scripts}/activate"'
    prefix = state.setdefault("script_prefix", [])
    if activate not in prefix:
        prefix.append(activate)
    # The post-dep get-python3 takes this interpreter as given and registers it.
    env["CM_PYTHON_BIN_WITH_PATH"] = python
    return {"return": 0}
