"""CPU facts for detect-cpu: the lscpu key map, ISA flags and core counts."""

from __future__ import annotations

import os
import re
import shutil

# lscpu key → CM env key (CM-FORMAT §3.15).
LSCPU_MAP = {
    "CPU(s)": "CM_HOST_CPU_TOTAL_CORES",
    "Socket(s)": "CM_HOST_CPU_SOCKETS",
    "Thread(s) per core": "CM_HOST_CPU_THREADS_PER_CORE",
    "Core(s) per socket": "CM_HOST_CPU_PHYSICAL_CORES_PER_SOCKET",
    "Model name": "CM_HOST_CPU_MODEL_NAME",
    "Vendor ID": "CM_HOST_CPU_VENDOR_ID",
    "Architecture": "CM_HOST_CPU_ARCHITECTURE",
    "CPU family": "CM_HOST_CPU_FAMILY",
    "CPU max MHz": "CM_HOST_CPU_MAX_MHZ",
    "L1d cache": "CM_HOST_CPU_L1D_CACHE_SIZE",
    "L1i cache": "CM_HOST_CPU_L1I_CACHE_SIZE",
    "L2 cache": "CM_HOST_CPU_L2_CACHE_SIZE",
    "L3 cache": "CM_HOST_CPU_L3_CACHE_SIZE",
    "NUMA node(s)": "CM_HOST_CPU_NUMA_NODES",
    "On-line CPU(s) list": "CM_HOST_CPU_ON_LINE_CPUS_LIST",
}

# CM_HOST_CPU_FLAGS_<NAME> → the /proc/cpuinfo flags that mean it (any of them).
ISA_FLAGS = {
    "SSE4_2": ("sse4_2",),
    "AVX": ("avx",),
    "AVX2": ("avx2",),
    "FMA": ("fma",),
    "F16C": ("f16c",),
    "AVX512F": ("avx512f",),
    "AVX512BW": ("avx512bw",),
    "AVX512_VNNI": ("avx512_vnni",),
    "AVX512_BF16": ("avx512_bf16",),
    "AVX512_FP16": ("avx512_fp16",),
    "AVX_VNNI": ("avx_vnni",),
    "AMX": ("amx_tile",),
    "AMX_BF16": ("amx_bf16",),
    "AMX_INT8": ("amx_int8",),
    "NEON": ("asimd", "neon"),
    "SVE": ("sve",),
    "SVE2": ("sve2",),
}


def parse_lscpu(text: str) -> dict[str, str]:
    """Map ``lscpu`` output to env: known keys per :data:`LSCPU_MAP`, others to ``CM_CPUINFO_<Key>``."""
    env: dict[str, str] = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, value = (s.strip() for s in line.split(":", 1))
        if not key or not value:
            continue
        if key in LSCPU_MAP:
            env[LSCPU_MAP[key]] = value
        elif key != "Flags":  # the flag list is long; it is summarised as CM_HOST_CPU_FLAGS_*
            env["CM_CPUINFO_" + re.sub(r"[^A-Za-z0-9]+", "_", key).strip("_")] = value
    if env.get("CM_HOST_CPU_SOCKETS") == "-":
        env["CM_HOST_CPU_SOCKETS"] = "1"
    return env


def cpu_flags(cpuinfo_text: str) -> set[str]:
    """The flag words of /proc/cpuinfo (``flags`` on x86, ``Features`` on Arm)."""
    for line in cpuinfo_text.splitlines():
        key = line.split(":", 1)[0].strip().lower()
        if key in ("flags", "features") and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()


def isa_env(flags: set[str]) -> dict[str, str]:
    """``CM_HOST_CPU_FLAGS_<ISA>=yes|no`` for every ISA in :data:`ISA_FLAGS`."""
    env = {f"CM_HOST_CPU_FLAGS_{name}": "yes" if flags.intersection(words) else "no"
           for name, words in ISA_FLAGS.items()}
    env["CM_HOST_CPU_FLAGS_LIST"] = ",".join(n for n, w in ISA_FLAGS.items() if flags.intersection(w))
    return env


def core_counts(env: dict) -> dict[str, str]:
    """Logical and physical core totals from the lscpu-derived keys (falls back to os.cpu_count)."""
    out: dict[str, str] = {}
    logical = str(env.get("CM_HOST_CPU_TOTAL_CORES") or os.cpu_count() or 1)
    out["CM_HOST_CPU_TOTAL_LOGICAL_CORES"] = logical
    try:
        sockets = int(env.get("CM_HOST_CPU_SOCKETS") or 1)
        per_socket = int(env["CM_HOST_CPU_PHYSICAL_CORES_PER_SOCKET"])
        out["CM_HOST_CPU_TOTAL_PHYSICAL_CORES"] = str(sockets * per_socket)
    except (KeyError, ValueError):
        try:
            tpc = int(env.get("CM_HOST_CPU_THREADS_PER_CORE") or 1)
            out["CM_HOST_CPU_TOTAL_PHYSICAL_CORES"] = str(max(1, int(logical) // max(1, tpc)))
        except ValueError:
            out["CM_HOST_CPU_TOTAL_PHYSICAL_CORES"] = logical
    return out


def human_bytes(n: int) -> str:
    """``25769803776`` → ``24G`` (binary units, like ``free -h``)."""
    value = float(n)
    for unit in ("B", "K", "M", "G", "T", "P"):
        if value < 1024 or unit == "P":
            return f"{value:.0f}{unit}" if unit in ("B", "K") or value >= 10 else f"{value:.1f}{unit}"
        value /= 1024
    return f"{n}B"  # pragma: no cover


def memory_bytes(meminfo_text: str) -> int | None:
    """MemTotal from /proc/meminfo, in bytes."""
    m = re.search(r"^MemTotal:\s+(\d+)\s*kB", meminfo_text, re.M)
    return int(m.group(1)) * 1024 if m else None


def capacity_env(path: str = "/") -> dict[str, str]:
    """``CM_HOST_MEMORY_CAPACITY`` and ``CM_HOST_DISK_CAPACITY`` (plus ``_BYTES``) from Python."""
    env: dict[str, str] = {}
    mem: int | None = None
    try:
        with open("/proc/meminfo") as f:
            mem = memory_bytes(f.read())
    except OSError:
        try:
            mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            mem = None
    if mem:
        env["CM_HOST_MEMORY_CAPACITY"] = human_bytes(mem)
        env["CM_HOST_MEMORY_CAPACITY_BYTES"] = str(mem)
    try:
        total = shutil.disk_usage(path).total
        env["CM_HOST_DISK_CAPACITY"] = human_bytes(total)
        env["CM_HOST_DISK_CAPACITY_BYTES"] = str(total)
    except OSError:
        pass
    return env
