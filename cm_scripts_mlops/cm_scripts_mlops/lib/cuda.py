"""NVIDIA stack detection helpers: CUDA home, library versions, cuDNN and TensorRT headers."""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

LIB_DIRS = ("lib64", "lib", "targets/x86_64-linux/lib", "targets/sbsa-linux/lib", "lib/x64")


def cuda_search_bins(env: dict) -> list[str]:
    """PATH-like search list for nvcc: ``--path`` if given, else PATH + /usr/local/cuda*/bin."""
    if env.get("CM_TMP_PATH"):
        return [d for d in str(env["CM_TMP_PATH"]).split(os.pathsep) if d]
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    for d in sorted(glob.glob("/usr/local/cuda*/bin"), reverse=True) + ["/opt/cuda/bin"]:
        if os.path.isdir(d) and d not in dirs:
            dirs.append(d)
    return dirs


def cuda_lib_search_dirs(env: dict) -> list[str]:
    """Where libcudart may be: ``--path``, LD_LIBRARY_PATH, /usr/local/cuda*/lib*, system dirs."""
    if env.get("CM_TMP_PATH"):
        return [d for d in str(env["CM_TMP_PATH"]).split(os.pathsep) if d]
    dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if d]
    for root in sorted(glob.glob("/usr/local/cuda*"), reverse=True):
        dirs += [os.path.join(root, sub) for sub in LIB_DIRS]
    dirs += ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def cuda_home_from_nvcc(nvcc: str) -> str:
    """The toolkit root for an nvcc: the parent of its (real) bin dir that has the headers.

    ``/usr/local/bin/nvcc`` may be a wrapper; the real toolkit is then found through the
    resolved path or ``/usr/local/cuda``. Without headers anywhere (a bare nvcc), the parent
    of the given bin dir is used.
    """
    given = Path(nvcc).parent.parent
    candidates = [Path(os.path.realpath(nvcc)).parent.parent, given]
    text = _read_head(nvcc)
    m = re.search(r"(/[^\s\"']+)/bin/nvcc", text)  # `exec /usr/local/cuda-13.0/bin/nvcc "$@"`
    if m:
        candidates.insert(0, Path(m.group(1)))
    candidates.append(Path("/usr/local/cuda"))
    for c in candidates:
        if (c / "include" / "cuda_runtime.h").is_file() or (c / "include" / "cuda.h").is_file():
            return str(c)
    return str(given)


def _read_head(path: str, limit: int = 4096) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(limit)
    except OSError:
        return ""
    if b"\0" in data:  # a binary, not a wrapper script
        return ""
    return data.decode("utf-8", "replace")


def lib_dir(home: str) -> str:
    """The first existing library dir of a toolkit root ('' when none)."""
    for sub in LIB_DIRS:
        d = os.path.join(home, sub)
        if os.path.isdir(d):
            return d
    return ""


def find_library(names: list[str], dirs: list[str]) -> str:
    """The first ``dir/name`` (or versioned ``name.*``) that exists, searching dirs in order."""
    for d in dirs:
        for n in names:
            p = os.path.join(d, n)
            if os.path.exists(p):
                return p
            versioned = sorted(glob.glob(p + ".*"), reverse=True)
            if versioned:
                return versioned[0]
    return ""


def soname_version(path: str) -> str:
    """``libcudart.so.12.4.127`` (after resolving links) → ``12.4.127``; '' when unknown."""
    for p in (os.path.realpath(path), path):
        m = re.search(r"\.so\.(\d+(?:\.\d+)*)$", p) or re.search(r"(\d+(?:\.\d+)+)\.dylib$", p)
        if m:
            return m.group(1)
    return ""


def header_version(header: str, prefix: str) -> str:
    """``#define <prefix>MAJOR 9`` ... → ``9.1.0`` from a version header ('' when absent)."""
    try:
        text = Path(header).read_text(errors="replace")
    except OSError:
        return ""
    parts = []
    for name in ("MAJOR", "MINOR", ("PATCHLEVEL", "PATCH", "BUILD")):
        names = name if isinstance(name, tuple) else (name,)
        for n in names:
            m = re.search(rf"#define\s+{prefix}{n}\s+(\d+)", text)
            if m:
                parts.append(m.group(1))
                break
    return ".".join(parts) if len(parts) >= 2 else ""


def include_dir_for(lib_path: str, header: str) -> str:
    """The include dir holding ``header`` next to a library (``../include``) or in /usr/include."""
    libdir = Path(lib_path).parent
    for cand in (libdir.parent / "include", libdir.parent.parent / "include", libdir / "include",
                 Path("/usr/include"), Path("/usr/include/x86_64-linux-gnu"),
                 Path("/usr/include/aarch64-linux-gnu")):
        if (cand / header).is_file():
            return str(cand)
    return ""
