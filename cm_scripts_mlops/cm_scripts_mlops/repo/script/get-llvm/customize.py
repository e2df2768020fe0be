"""get-llvm: find clang (PATH or --path) meeting the version constraints; export CC/CXX settings."""

import os


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail

    env = i["env"]
    if env.get("CM_LLVM_CLANG_BIN_WITH_PATH"):
        return {"return": 0} if os.path.isfile(env["CM_LLVM_CLANG_BIN_WITH_PATH"]) else \
            fail(f"clang not found: {env['CM_LLVM_CLANG_BIN_WITH_PATH']} does not exist", 16)
    r = i["automation"].find_artifact({
        "file_name": "clang", "env": env, "os_info": i["os_info"], "default_path_env_key": "PATH",
        "detect_version": True, "env_path_key": "CM_LLVM_CLANG_BIN_WITH_PATH",
        "run_script_input": i["run_script_input"], "recursion_spaces": i.get("recursion_spaces", ""),
    })
    if r["return"] == 16:
        return fail("clang not found on PATH or in --path; install it (e.g. apt-get install clang)", 16)
    return r if r["return"] else {"return": 0}


def detect_version(i):
    r = i["automation"].parse_version({
        "match_text": r"clang version\s*(\d+(?:\.\d+)+)", "group_number": 1,
        "env_key": "CM_LLVM_CLANG_VERSION", "which_env": i["env"],
    })
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
        return fail(f"clang {problem}", 16)
    clang = env["CM_LLVM_CLANG_BIN_WITH_PATH"]
    env.update(compiler_env("LLVM", clang, sibling(clang, "LLVM"), version))
    env["CM_LLVM_CLANG_BIN"] = os.path.basename(clang)
    env["CM_LLVM_INSTALLED_PATH"] = os.path.dirname(os.path.dirname(clang))
    env["CM_LLVM_CLANG_VERSION"] = version
    return {"return": 0, "version": version}
