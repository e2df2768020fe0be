"""get-compiler: the C compiler in CC (or --cc), else the first of gcc, clang, cc on PATH."""

import os
import shutil


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail, search_dirs, version_ok
    from cm_scripts_mlops.lib.compilers import compiler_env, compiler_version, sibling

    env = i["env"]
    path = os.pathsep.join(search_dirs(env))
    cc = env.get("CM_C_COMPILER_WITH_PATH") or os.environ.get("CC", "")
    if cc:
        resolved = cc if os.path.isfile(cc) else shutil.which(cc, path=path) or shutil.which(cc)
        if not resolved:
            return fail(f"C compiler not found: {cc}", 16)
        cc = resolved
    else:
        for name in str(env.get("CM_COMPILER_PREFERENCE", "gcc,clang,cc")).split(","):
            found = shutil.which(name.strip(), path=path)
            if found:
                cc = found
                break
    if not cc:
        return fail("no C compiler found (tried CC, gcc, clang, cc); install one, e.g. apt-get install gcc g++", 16)
    first = os.path.basename(cc)
    family = "LLVM" if "clang" in first else "GCC"
    version = compiler_version(cc, family)
    if not version:
        return fail(f"{cc} --version did not report a version", 16)
    problem = version_ok(version, env)
    if problem:
        return fail(f"{cc}: {problem}", 16)
    cxx = env.get("CM_CXX_COMPILER_WITH_PATH") or os.environ.get("CXX", "")
    if cxx and not os.path.isfile(cxx):
        cxx = shutil.which(cxx) or ""
    env.update(compiler_env(family, cc, cxx or sibling(cc, family), version))
    if family == "GCC":
        env["CM_GCC_BIN_WITH_PATH"], env["CM_GCC_VERSION"] = cc, version
    else:
        env["CM_LLVM_CLANG_BIN_WITH_PATH"], env["CM_LLVM_CLANG_VERSION"] = cc, version
    return {"return": 0, "version": version}
