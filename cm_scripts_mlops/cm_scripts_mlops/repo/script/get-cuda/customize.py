"""get-cuda: nvcc (``_toolkit``, default) or libcudart (``_lib-only``); version from `release X.Y`."""

import os

SAVED = "CM_TMP_CUDA_SAVED_TMP_PATH"


def preprocess(i):
    from cm_scripts_mlops.lib import cuda
    from cm_scripts_mlops.lib.common import fail

    env = i["env"]
    lib_only = env.get("CM_CUDA_LIB_ONLY") == "yes"
    if lib_only:
        lib = env.get("CM_CUDA_RT_WITH_PATH") or cuda.find_library(["libcudart.so", "libcudart.dylib"],
                                                                    cuda.cuda_lib_search_dirs(env))
        if not lib:
            return fail("CUDA runtime not found: no libcudart.so in --path, LD_LIBRARY_PATH, "
                        "/usr/local/cuda*/lib64 or the system lib dirs; install the CUDA runtime "
                        "(e.g. pip install nvidia-cuda-runtime-cu12) or pass --path=DIR", 16)
        env["CM_CUDA_RT_WITH_PATH"] = lib
        env["CM_TMP_CUDART_VERSION"] = cuda.soname_version(lib)
        return {"return": 0}
    if env.get("CM_NVCC_BIN_WITH_PATH"):
        if not os.path.isfile(env["CM_NVCC_BIN_WITH_PATH"]):
            return fail(f"nvcc not found: {env['CM_NVCC_BIN_WITH_PATH']} does not exist", 16)
        return {"return": 0}
    # find_artifact searches CM_TMP_PATH: widen it to the usual toolkit folders (restored later).
    env[SAVED] = env.get("CM_TMP_PATH", "")
    env["CM_TMP_PATH"] = os.pathsep.join(cuda.cuda_search_bins(env))
    env["CM_TMP_PATH_IGNORE_NON_EXISTANT"] = "yes"
    r = i["automation"].find_artifact({
        "file_name": "nvcc.exe" if i["os_info"]["platform"] == "windows" else "nvcc",
        "env": env,
        "os_info": i["os_info"],
        "default_path_env_key": "PATH",
        "detect_version": True,
        "env_path_key": "CM_NVCC_BIN_WITH_PATH",
        "run_script_input": i["run_script_input"],
        "recursion_spaces": i.get("recursion_spaces", ""),
    })
    _restore(env)
    if r["return"] == 16:
        return fail("CUDA toolkit not found: no nvcc on PATH, in --path or in /usr/local/cuda*/bin; "
                    "install the toolkit (e.g. apt-get install nvidia-cuda-toolkit), pass --path=<cuda>/bin, "
                    "or use _lib-only for the runtime library alone", 16)
    return r if r["return"] else {"return": 0}


def _restore(env):
    if SAVED in env:
        old = env.pop(SAVED)
        if old:
            env["CM_TMP_PATH"] = old
        else:
            env.pop("CM_TMP_PATH", None)


def detect_version(i):
    r = i["automation"].parse_version({
        "match_text": r"release\s*([\d.]+)",
        "group_number": 1,
        "env_key": "CM_CUDA_VERSION",
        "which_env": i["env"],
    })
    if r["return"]:
        return r
    return {"return": 0, "version": r["version"]}


def postprocess(i):
    from cm_scripts_mlops.lib import cuda
    from cm_scripts_mlops.lib.common import fail, version_ok

    env = i["env"]
    _restore(env)
    r = detect_version(i)
    if r["return"]:
        return fail("CUDA version not detected (no 'release X.Y' in the nvcc output)", 16)
    version = r["version"].rstrip(".")
    problem = version_ok(version, env)
    if problem:
        return fail(f"CUDA {problem}", 16)
    if env.get("CM_CUDA_LIB_ONLY") == "yes":
        lib = env["CM_CUDA_RT_WITH_PATH"]
        libdir = os.path.dirname(lib)
        home = os.path.dirname(libdir)
        if os.path.basename(home) in ("x86_64-linux", "sbsa-linux"):  # <root>/targets/<arch>/lib
            home = os.path.dirname(os.path.dirname(home))
        bindir = os.path.join(home, "bin")
    else:
        nvcc = env["CM_NVCC_BIN_WITH_PATH"]
        home = cuda.cuda_home_from_nvcc(nvcc)
        bindir = os.path.dirname(nvcc)
        libdir = cuda.lib_dir(home)
        env["CM_NVCC_BIN"] = os.path.basename(nvcc)
        env["CM_NVCC_PATH"] = bindir
        env["+PATH"] = [bindir]
    include = os.path.join(home, "include")
    env["CUDA_HOME"] = env["CUDA_PATH"] = env["CM_CUDA_INSTALLED_PATH"] = home
    env["CM_CUDA_PATH_BIN"] = bindir
    env["CM_CUDA_VERSION"] = version
    parts = version.split(".") + ["0"]
    env["CM_CUDA_VERSION_MAJOR"], env["CM_CUDA_VERSION_MINOR"] = parts[0], parts[1]
    env["CM_CUDA_VERSION_STRING"] = f"cu{parts[0]}{parts[1]}"
    if os.path.isdir(include):
        env["CM_CUDA_PATH_INCLUDE"] = include
        env["+C_INCLUDE_PATH"] = [include]
        env["+CPLUS_INCLUDE_PATH"] = [include]
    if libdir and os.path.isdir(libdir):
        env["CM_CUDA_PATH_LIB"] = libdir
        key = "+DYLD_FALLBACK_LIBRARY_PATH" if i["os_info"]["platform"] == "darwin" else "+LD_LIBRARY_PATH"
        env[key] = [libdir]
        env["+ LDFLAGS"] = [f"-L{libdir}"]
    return {"return": 0, "version": version}
