"""get-tensorrt: libnvinfer in --path first, then the `tensorrt` Python package, then the system.

Nothing is installed here: TensorRT needs an NVIDIA GPU stack that matches the driver, so when
it is missing the error says in one line what to install.
"""

import glob
import os
import platform


def _python_candidates(env):
    from cm_scripts_mlops.lib import pyenv

    out = []
    if env.get("CM_PYTHON_BIN_WITH_PATH"):
        out.append(env["CM_PYTHON_BIN_WITH_PATH"])
    try:
        tool = pyenv.venv_python(pyenv.default_home() / "venv" / "default")
        if tool.exists():
            out.append(str(tool))
    except Exception:  # no CM session (run outside cm): only the given python
        pass
    return out


def _lib_dirs(env, explicit):
    from cm_scripts_mlops.lib import cuda

    if explicit:
        return [d for d in env["CM_TMP_PATH"].split(os.pathsep) if d]
    dirs = cuda.cuda_lib_search_dirs(env)
    dirs += glob.glob("/usr/local/TensorRT*/lib") + glob.glob("/opt/tensorrt*/lib")
    return list(dict.fromkeys(dirs))


def preprocess(i):
    from cm_scripts_mlops.lib import cuda, pyenv
    from cm_scripts_mlops.lib.common import fail, version_ok

    env = i["env"]
    explicit = bool(env.get("CM_TMP_PATH"))
    want_py = env.get("CM_TENSORRT_REQUIRE_PYTHON") == "yes"
    want_lib = env.get("CM_TENSORRT_REQUIRE_LIB") == "yes"
    version, lib, py = "", "", ""

    if not want_py:
        lib = cuda.find_library(["libnvinfer.so", "libnvinfer.dylib"], _lib_dirs(env, explicit))
        if lib:
            include = cuda.include_dir_for(lib, "NvInferVersion.h")
            if include:
                version = cuda.header_version(os.path.join(include, "NvInferVersion.h"), "NV_TENSORRT_")
                env["CM_TENSORRT_INCLUDE_PATH"] = include
                env["+C_INCLUDE_PATH"] = [include]
                env["+CPLUS_INCLUDE_PATH"] = [include]
            version = version or cuda.soname_version(lib)
            env["CM_TENSORRT_LIB_WITH_PATH"] = lib
            env["CM_TENSORRT_LIB_PATH"] = os.path.dirname(lib)
            env["CM_TENSORRT_INSTALL_PATH"] = os.path.dirname(os.path.dirname(lib))
            env["+LD_LIBRARY_PATH"] = [os.path.dirname(lib)]
    if not want_lib and not (explicit and lib):
        for python in _python_candidates(env):
            v = pyenv.installed_version(python, "tensorrt")
            if v:
                py = python
                version = version or v
                env["CM_TENSORRT_PYTHON_VERSION"] = v
                env["CM_TENSORRT_PYTHON_BIN_WITH_PATH"] = python
                break
    if not (lib or py):
        machine = platform.machine().lower()
        if platform.system() not in ("Linux", "Windows") or machine not in ("x86_64", "amd64", "aarch64"):
            return fail(f"TensorRT not found, and NVIDIA ships no TensorRT for {platform.system()} {machine}", 16)
        return fail("TensorRT not found (no libnvinfer.so in --path or the CUDA/system lib dirs, no `tensorrt` "
                    "Python package); install it with: cmr \"get generic-python-lib _package.tensorrt\" "
                    "(or NVIDIA's libnvinfer packages), or pass --path=<TensorRT>/lib", 16)
    if not version:
        return fail(f"TensorRT found ({lib or py}) but its version was not detected", 16)
    problem = version_ok(version, env)
    if problem:
        return fail(f"TensorRT {problem}", 16)
    env["CM_TENSORRT_VERSION"] = version
    env["CM_TENSORRT_SOURCE"] = "lib" if lib else "python"
    return {"return": 0, "version": version}
