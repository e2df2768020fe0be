"""detect-cpu: CPU topology, ISA flags, memory and disk (CM_HOST_CPU_*)."""

import os
import platform


def postprocess(i):
    from cm_scripts_mlops.lib import cpuinfo

    env, state = i["env"], i["state"]
    lscpu = ""
    if os.path.isfile("tmp-lscpu.out"):
        with open("tmp-lscpu.out", errors="replace") as f:
            lscpu = f.read()
    if env.get("CM_HOST_OS_TYPE") == "darwin":
        lscpu = _macos_to_lscpu(lscpu)
    env.update(cpuinfo.parse_lscpu(lscpu))

    flags = set()
    if os.path.isfile("/proc/cpuinfo"):
        with open("/proc/cpuinfo", errors="replace") as f:
            flags = cpuinfo.cpu_flags(f.read())
    elif env.get("CM_HOST_OS_TYPE") == "darwin":
        flags = set(env.pop("CM_TMP_MACOS_CPU_FEATURES", "").lower().split())
    env.update(cpuinfo.isa_env(flags))

    if not env.get("CM_HOST_CPU_ARCHITECTURE"):
        env["CM_HOST_CPU_ARCHITECTURE"] = platform.machine()
    if not env.get("CM_HOST_CPU_MODEL_NAME"):
        env["CM_HOST_CPU_MODEL_NAME"] = platform.processor() or platform.machine()
    env.update(cpuinfo.core_counts(env))
    env.setdefault("CM_HOST_CPU_TOTAL_CORES", env["CM_HOST_CPU_TOTAL_LOGICAL_CORES"])
    # Python's view is the fallback when run.sh could not measure (no `free`/`df`, Windows).
    for k, v in cpuinfo.capacity_env(os.getcwd()).items():
        if not env.get(k):
            env[k] = v
    if env.get("CM_HOST_OS_TYPE") == "windows":
        state["host_device_raw_info"] = {"processor": platform.processor(), "cpu_count": os.cpu_count()}
    return {"return": 0}


def _macos_to_lscpu(text):
    """Turn `sysctl hw machdep.cpu` lines into lscpu-style lines."""
    keys = {
        "hw.ncpu": "CPU(s)", "hw.packages": "Socket(s)", "hw.physicalcpu": "Core(s) per socket",
        "machdep.cpu.brand_string": "Model name", "machdep.cpu.vendor": "Vendor ID",
        "hw.l1dcachesize": "L1d cache", "hw.l1icachesize": "L1i cache", "hw.l2cachesize": "L2 cache",
        "hw.l3cachesize": "L3 cache", "hw.machine": "Architecture",
    }
    out = []
    for line in text.splitlines():
        k, _, v = line.partition(":")
        if k.strip() in keys:
            out.append(f"{keys[k.strip()]}: {v.strip()}")
    return "\n".join(out)
