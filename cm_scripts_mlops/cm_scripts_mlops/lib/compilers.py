"""The env a C/C++ compiler exports (CM_C_COMPILER_*, CM_CXX_COMPILER_*, CM_COMPILER_*)."""

from __future__ import annotations

import os
import re
import shutil

from cm_scripts_mlops.lib.common import run_capture

FAMILIES = {
    # family: (C name, C++ name, version regex over `--version`)
    "GCC": ("gcc", "g++", r"\)\s*(\d+(?:\.\d+)+)|gcc[^\d]*(\d+(?:\.\d+)+)"),
    "LLVM": ("clang", "clang++", r"clang version\s*(\d+(?:\.\d+)+)"),
}


def compiler_version(path: str, family: str) -> str:
    """The compiler's version from ``--version`` ('' when it does not run or does not say)."""
    code, out = run_capture([path, "--version"], timeout=30)
    if code != 0:
        return ""
    return parse_version(out, family)


def parse_version(text: str, family: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    m = re.search(FAMILIES[family][2], first) or re.search(r"(\d+\.\d+(?:\.\d+)?)", first)
    if not m:
        return ""
    return next(g for g in m.groups() if g) if m.groups() else m.group(0)


def sibling(c_path: str, family: str) -> str:
    """The C++ driver next to a C driver (``gcc-12`` → ``g++-12``), else on PATH ('' if none)."""
    c_name, cxx_name, _ = FAMILIES[family]
    folder, base = os.path.split(c_path)
    cand = os.path.join(folder, base.replace(c_name, cxx_name, 1))
    if cand != c_path and os.path.isfile(cand):
        return cand
    return shutil.which(cxx_name) or ""


def compiler_env(family: str, c_path: str, cxx_path: str, version: str) -> dict:
    """All the keys compile-program and other scripts read."""
    env = {
        "CM_COMPILER_FAMILY": family,
        "CM_COMPILER_VERSION": version,
        "CM_C_COMPILER_BIN": os.path.basename(c_path),
        "CM_C_COMPILER_WITH_PATH": c_path,
        "CM_C_COMPILER_FLAG_OUTPUT": "-o ",
        "CM_C_COMPILER_FLAG_VERSION": "--version",
        "CM_C_COMPILER_FLAG_INCLUDE": "-I",
        "CM_COMPILER_FLAGS_FAST": "-O3",
        "CM_COMPILER_FLAGS_DEFAULT": "-O2",
        "CM_COMPILER_FLAGS_DEBUG": "-O0 -g",
        "CM_LINKER_FLAGS_FAST": "-O3",
        "CM_LINKER_FLAGS_DEFAULT": "-O2",
        "CM_LINKER_FLAGS_DEBUG": "-O0 -g",
        "CM_COMPILER_CACHE_TAGS": f"{family.lower()},version-{version}",
        "+PATH": [os.path.dirname(c_path)],
    }
    if cxx_path:
        env.update({
            "CM_CXX_COMPILER_BIN": os.path.basename(cxx_path),
            "CM_CXX_COMPILER_WITH_PATH": cxx_path,
            "CM_CXX_COMPILER_FLAG_OUTPUT": "-o ",
            "CM_CXX_COMPILER_FLAG_VERSION": "--version",
            "CM_CXX_COMPILER_FLAG_INCLUDE": "-I",
        })
    return env
