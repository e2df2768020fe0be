"""compile-program: compile every source to an object in the work folder, then link."""

import os

C_EXT = (".c",)
CXX_EXT = (".cc", ".cpp", ".cxx", ".c++", ".C")


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail

    env = i["env"]
    folder = os.path.abspath(env.get("CM_SOURCE_FOLDER_PATH") or env.get("CM_TMP_CURRENT_PATH") or os.getcwd())
    if not os.path.isdir(folder):
        return fail(f"source folder not found: {folder}", 16)
    given = [s for s in str(env.get("CM_SOURCE_FILES", "")).split(";") if s.strip()]
    if given:
        sources = [s if os.path.isabs(s) else os.path.join(folder, s) for s in given]
        missing = [s for s in sources if not os.path.isfile(s)]
        if missing:
            return fail(f"source file not found: {missing[0]}", 16)
    else:
        sources = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(C_EXT + CXX_EXT))
    if not sources:
        return fail(f"no C/C++ sources in {folder} (give --sources=a.c;b.cpp or --source_dir=DIR)", 16)
    bad = [s for s in sources if not s.endswith(C_EXT + CXX_EXT)]
    if bad:
        return fail(f"not a C/C++ source (.c .cc .cpp .cxx): {bad[0]}", 1)
    has_cxx = any(s.endswith(CXX_EXT) for s in sources)
    if not env.get("CM_C_COMPILER_WITH_PATH"):
        return fail("no C compiler: the get,compiler dependency did not set CM_C_COMPILER_WITH_PATH", 16)
    if has_cxx and not env.get("CM_CXX_COMPILER_WITH_PATH"):
        return fail("C++ sources but no C++ compiler found (install g++ or clang++)", 16)
    name = env.get("CM_BIN_NAME") or "run.out"
    if os.path.basename(name) != name:
        return fail(f"bad --bin_name {name!r}: give a file name", 1)
    env["CM_TMP_COMPILE_SOURCES"] = "\n".join(sources)
    env["CM_TMP_COMPILE_LINKER"] = env["CM_CXX_COMPILER_WITH_PATH"] if has_cxx else env["CM_C_COMPILER_WITH_PATH"]
    env.setdefault("CM_COMPILER_FLAGS", env.get("CM_COMPILER_FLAGS_DEFAULT", "-O2"))
    env["CM_COMPILED_BIN_WITH_PATH"] = os.path.join(os.getcwd(), name)
    return {"return": 0}


def postprocess(i):
    env = i["env"]
    path = env["CM_COMPILED_BIN_WITH_PATH"]
    if not os.path.isfile(path):
        return {"return": 2, "error": f"compilation produced no program at {path}"}
    env["CM_COMPILED_BIN_NAME"] = os.path.basename(path)
    return {"return": 0}
