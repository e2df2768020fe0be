"""get-python3: find a Python 3 on PATH (or --path) that meets the version constraints."""

import os


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail

    env = i["env"]
    given = env.get("CM_PYTHON_BIN_WITH_PATH", "")
    if given:
        if not (os.path.isfile(given) and os.access(given, os.X_OK)):
            return fail(f"python not found: {given} is not an executable file", 16)
        return {"return": 0}
    windows = i["os_info"]["platform"] == "windows"
    r = i["automation"].find_artifact({
        "file_name": "python.exe" if windows else "python3",
        "env": env,
        "os_info": i["os_info"],
        "default_path_env_key": "PATH",
        "detect_version": True,
        "env_path_key": "CM_PYTHON_BIN_WITH_PATH",
        "run_script_input": i["run_script_input"],
        "recursion_spaces": i.get("recursion_spaces", ""),
    })
    if r["return"] == 16:
        where = env.get("CM_TMP_PATH") or "PATH"
        return fail(f"no python3{_constraints(env)} found in {where}; install one (e.g. apt-get install "
                    "python3) or give it with --path=DIR or _custom-path.FILE", 16)
    return r if r["return"] else {"return": 0}


def detect_version(i):
    r = i["automation"].parse_version({
        "match_text": r"Python\s*([\d.]+)",
        "group_number": 1,
        "env_key": "CM_PYTHON_VERSION",
        "which_env": i["env"],
    })
    if r["return"]:
        return r
    return {"return": 0, "version": r["version"]}


def postprocess(i):
    from cm_scripts_mlops.lib.common import fail, split_version, version_ok
    from cm_scripts_mlops.lib.pyenv import is_venv_python

    env = i["env"]
    r = detect_version(i)
    if r["return"]:
        return r
    version = r["version"].rstrip(".")
    path = env["CM_PYTHON_BIN_WITH_PATH"]
    problem = version_ok(version, env)
    if problem:
        return fail(f"{path}: {problem}", 16)
    env["CM_PYTHON_VERSION"] = version
    env["CM_PYTHON_BIN"] = os.path.basename(path)
    env["CM_PYTHON_BIN_PATH"] = os.path.dirname(path)
    # A two-part version such as 3.12 has patch 0 (the original crashed, CM-FORMAT flaw 16).
    major, minor, patch = split_version(version)
    env["CM_PYTHON_MAJOR_VERSION"], env["CM_PYTHON_MINOR_VERSION"], env["CM_PYTHON_PATCH_VERSION"] = major, minor, patch

    extra = [t for t in str(env.get("CM_EXTRA_CACHE_TAGS", "")).split(",") if t.strip()]
    if "virtual" not in extra and "non-virtual" not in extra:
        extra.append("virtual" if is_venv_python(path) else "non-virtual")
    env["CM_PYTHON_CACHE_TAGS"] = ",".join([f"version-{version}", *extra])
    return {"return": 0, "version": version, "add_extra_cache_tags": extra}


def _constraints(env):
    parts = []
    for key, word in (("CM_VERSION", "=="), ("CM_VERSION_MIN", ">="), ("CM_VERSION_MAX", "<=")):
        if env.get(key):
            parts.append(f"{word}{env[key]}")
    return (" " + ",".join(parts)) if parts else ""
