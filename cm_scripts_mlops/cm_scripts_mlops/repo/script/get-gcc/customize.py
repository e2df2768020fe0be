"""get-gcc: find gcc (PATH or --path) meeting the version constraints; export CC/CXX settings."""

import os


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail

    env = i["env"]
    if env.get("CM_GCC_BIN_WITH_PATH"):
        return {"return": 0} if os.path.isfile(env["CM_GCC_BIN_WITH_PATH"]) else \
            fail(f"gcc not found: {env['CM_GCC_BIN_WITH_PATH']} does not exist", 16)
    r = i["automation"].find_artifact({
        "file_name": "gcc", "env": env, "os_info": i["os_info"], "default_path_env_key": "PATH",
        "detect_version": True, "env_path_key": "CM_GCC_BIN_WITH_PATH",
        "run_script_input": i["run_script_input"], "recursion_spaces": i.get("recursion_spaces", ""),
    })
    if r["return"] == 16:
        return fail("gcc not found on PATH or in --path; install it (e.g. apt-get install gcc g++)", 16)
    return r if r["return"] else {"return": 0}


def detect_version(i):
    r = i["automation"].parse_version({
        "match_text": r"\)\s*(\d+(?:\.\d+)+)", "group_number": 1,
        "env_key": "CM_GCC_VERSION", "which_env": i["env"],
    })
    if r["return"] or not r.get("version"):
        r = i["automation"].parse_version({"match_text": r"(\d+\.\d+(?:\.\d+)?)", "group_number": 1,
                                           "env_key": "CM_GCC_VERSION", "which_env": i["env"]})
    if r["return"]:
        return r
    return {"return": 0, "version": r["version"]}


def postprocess(i):
    from cm_scripts_mlops.lib.common import fail, version_ok
    from cm_scripts_mlops.lib.compilers import compiler_env, sibling

    env = i["env"]
    r = detect_version(i)
    if r["return"]:
        return r
    version = r["version"]
    problem = version_ok(version, env)
    if problem:
        return fail(f"gcc {problem}", 16)
    gcc = env["CM_GCC_BIN_WITH_PATH"]
    gxx = sibling(gcc, "GCC")
    env.update(compiler_env("GCC", gcc, gxx, version))
    env["CM_GCC_BIN"] = os.path.basename(gcc)
    env["CM_GCC_INSTALLED_PATH"] = os.path.dirname(gcc)
    env["CM_GCC_VERSION"] = version
    return {"return": 0, "version": version}
