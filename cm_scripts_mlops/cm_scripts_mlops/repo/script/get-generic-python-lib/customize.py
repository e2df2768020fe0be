"""get-generic-python-lib: detect, or pip/uv-install, one Python package.

Where it goes: if the detected python (dep ``get,python3``) is a venv's, into that venv (the
user selected it, e.g. with install-python-venv); otherwise into the tool-owned venv
``<CM_HOME>/venv/default``, created on first use. Never into the user's interpreter.
The python that has the package is exported as ``CM_PYTHON_BIN_WITH_PATH``.
"""

import os
import shlex


def _names(env):
    from cm_scripts_mlops.lib.common import env_name

    dist = str(env.get("CM_GENERIC_PYTHON_PACKAGE_NAME", "")).strip()
    key = env.get("CM_TMP_PYTHON_PACKAGE_NAME_ENV") or env_name(dist)
    return dist, key


def preprocess(i):
    from cm_scripts_mlops.lib import pyenv
    from cm_scripts_mlops.lib.common import fail, from_error, is_true, version_ok

    from cmcore.errors import CMError

    env = i["env"]
    dist, key = _names(env)
    if not dist:
        return fail("no package selected: add a variation such as _numpy or _package.NAME", 16)
    base = env.get("CM_PYTHON_BIN_WITH_PATH", "")
    if not base:
        return fail("no python: the get,python3 dependency did not set CM_PYTHON_BIN_WITH_PATH", 16)
    try:
        venv_name = env.get("CM_GENERIC_PYTHON_TOOL_VENV_NAME") or "default"
        target = str(pyenv.target_python(base, pyenv.default_home(), venv_name))
        env["CM_PYTHONLIB_TARGET_PYTHON"] = target
        installed = pyenv.installed_version(target, dist)
        wanted_ok = installed is not None and version_ok(installed, env) is None
        if is_true(env.get("CM_TMP_PYTHON_PACKAGE_FORCE_INSTALL")) or not wanted_ok:
            spec = pyenv.pip_version_spec(env)
            extra = []
            for flag, k in (("--index-url", "CM_GENERIC_PYTHON_PIP_INDEX_URL"),
                            ("--extra-index-url", "CM_GENERIC_PYTHON_PIP_EXTRA_INDEX_URL"),
                            ("--find-links", "CM_GENERIC_PYTHON_PIP_FIND_LINKS_URL")):
                if env.get(k):
                    extra += [flag, str(env[k])]
            extra += shlex.split(str(env.get("CM_GENERIC_PYTHON_PIP_EXTRA", "")))
            if installed is not None:
                extra.append("--upgrade")
            pyenv.pip_install(target, f"{dist}{spec}", extra)
    except CMError as e:
        return from_error(e)
    env["CM_PYTHONLIB_VERSION_ENV_KEY"] = f"CM_{key}_VERSION"
    return {"return": 0}


def detect_version(i):
    r = i["automation"].parse_version({
        "match_text": r"^\s*([^\s]+)\s*$",
        "group_number": 1,
        "env_key": "CM_PYTHONLIB_DETECTED_VERSION",
        "which_env": i["env"],
    })
    if r["return"]:
        return r
    return {"return": 0, "version": r["version"]}


def postprocess(i):
    from cm_scripts_mlops.lib.common import fail, version_ok

    env = i["env"]
    dist, key = _names(env)
    target = env.get("CM_PYTHONLIB_TARGET_PYTHON", "")
    r = detect_version(i)
    if r["return"]:
        return fail(f"{dist} is not installed in {target} (no version detected)", 16)
    version = r["version"]
    problem = version_ok(version, env)
    if problem:
        return fail(f"{dist} in {target}: {problem}", 16)
    env[f"CM_{key}_VERSION"] = version
    env["CM_PYTHONLIB_VERSION_ENV_KEY"] = f"CM_{key}_VERSION"
    env[f"CM_PYTHONLIB_{key}_CACHE_TAGS"] = f"version-{version}"
    env[f"CM_PYTHONLIB_{key}_PYTHON"] = target
    env["CM_PYTHON_BIN_WITH_PATH"] = target
    env["CM_PYTHON_BIN"] = os.path.basename(target)
    env["CM_PYTHON_BIN_PATH"] = os.path.dirname(target)
    env["+PATH"] = [os.path.dirname(target)]
    return {"return": 0, "version": version}
