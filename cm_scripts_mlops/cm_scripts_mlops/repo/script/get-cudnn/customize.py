"""get-cudnn: libcudnn.so in --path, the CUDA lib dirs, pip's nvidia/cudnn or the system; the
version from cudnn_version.h (else from the library's file name)."""

import glob
import os
import sys


def _dirs(env):
    from cm_scripts_mlops.lib import cuda

    if env.get("CM_TMP_PATH"):
        return [d for d in env["CM_TMP_PATH"].split(os.pathsep) if d]
    dirs = []
    if env.get("CM_CUDA_PATH_LIB"):
        dirs.append(env["CM_CUDA_PATH_LIB"])
    dirs += cuda.cuda_lib_search_dirs(env)
    # The nvidia-cudnn-cu* wheels put the library in site-packages/nvidia/cudnn/lib.
    for p in sys.path:
        dirs += glob.glob(os.path.join(p, "nvidia", "cudnn", "lib"))
    return list(dict.fromkeys(dirs))


def preprocess(i):
    from cm_scripts_mlops.lib import cuda
    from cm_scripts_mlops.lib.common import fail, version_ok

    env = i["env"]
    lib = cuda.find_library(["libcudnn.so", "libcudnn.dylib"], _dirs(env))
    if not lib:
        return fail("cuDNN not found: no libcudnn.so in --path, the CUDA lib dirs or the system; install it "
                    "(e.g. pip install nvidia-cudnn-cu12, or NVIDIA's libcudnn package) or pass --path=DIR", 16)
    include = cuda.include_dir_for(lib, "cudnn_version.h") or cuda.include_dir_for(lib, "cudnn.h")
    version = ""
    if include:
        for header in ("cudnn_version.h", "cudnn.h"):
            version = cuda.header_version(os.path.join(include, header), "CUDNN_")
            if version:
                break
    version = version or cuda.soname_version(lib)
    if not version:
        return fail(f"cuDNN version not detected for {lib} (no cudnn_version.h, no version in the name)", 16)
    problem = version_ok(version, env)
    if problem:
        return fail(f"cuDNN {problem} ({lib})", 16)
    libdir = os.path.dirname(lib)
    env["CM_CUDNN_VERSION"] = version
    env["CM_CUDNN_LIB_WITH_PATH"] = lib
    env["CM_CUDA_PATH_LIB_CUDNN"] = libdir
    env["+LD_LIBRARY_PATH"] = [libdir]
    if include:
        env["CM_CUDA_PATH_INCLUDE_CUDNN"] = include
        env["+C_INCLUDE_PATH"] = [include]
        env["+CPLUS_INCLUDE_PATH"] = [include]
    return {"return": 0, "version": version}
