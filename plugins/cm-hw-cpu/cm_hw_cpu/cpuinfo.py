"""Reading what the host CPU is, without third-party packages.

Linux reads ``/proc/cpuinfo``, ``/proc/meminfo`` and ``/sys`` (plain files that cannot hang),
with ``lscpu`` as a fallback for the model name on Arm; macOS asks ``sysctl``; Windows asks
PowerShell. Every external command goes through :func:`run_probe` (timeout, never raises).
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path

from cmcore.hwprobe import run_probe

# ISA features worth reporting (they change which kernels an engine can use).
INTERESTING_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
    "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8", "amx_fp16",
    "asimd", "asimddp", "asimdhp", "sve", "sve2", "i8mm", "bf16", "sme",
)

# macOS spells some features differently from Linux.
_MAC_FLAG_ALIASES = {
    "avx2.0": "avx2", "avx1.0": "avx", "avx512vnni": "avx512_vnni", "avx512bf16": "avx512_bf16",
    "sse4.2": "sse4_2", "feat_bf16": "bf16", "feat_i8mm": "i8mm", "feat_dotprod": "asimddp",
    "feat_fp16": "asimdhp", "neon": "asimd", "feat_sme": "sme",
}


@dataclass
class CPUInfo:
    """What we learned about the CPU; fields we could not read stay at their defaults."""

    arch: str = ""
    vendor: str = ""
    model: str = ""
    family: int | None = None
    sockets: int = 1
    cores: int = 0
    threads: int = 0
    max_ghz: float | None = None
    memory_bytes: int | None = None
    flags: list[str] = field(default_factory=list)


def parse_proc_cpuinfo(text: str) -> CPUInfo:
    """Parse the text of ``/proc/cpuinfo`` (x86 and Arm layouts)."""
    info = CPUInfo()
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    sockets: set[str] = set()
    cores: set[tuple[str, str]] = set()
    cores_per_socket = 0
    mhz: list[float] = []
    processors = 0
    flags: set[str] = set()
    for block in blocks:
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if ":" in line:
                k, _, v = line.partition(":")
                fields[k.strip().lower()] = v.strip()
        if "processor" in fields:
            processors += 1
        info.vendor = info.vendor or fields.get("vendor_id", "")
        info.model = info.model or fields.get("model name", "")
        if info.family is None and fields.get("cpu family", "").isdigit():
            info.family = int(fields["cpu family"])
        phys = fields.get("physical id")
        if phys is not None:
            sockets.add(phys)
            if "core id" in fields:
                cores.add((phys, fields["core id"]))
        if fields.get("cpu cores", "").isdigit():
            cores_per_socket = int(fields["cpu cores"])
        try:
            mhz.append(float(fields.get("cpu mhz", "")))
        except ValueError:
            pass
        flags.update((fields.get("flags") or fields.get("features") or "").split())
    if not info.vendor and "CPU implementer" in text:
        info.vendor = "ARM"
    info.sockets = max(1, len(sockets))
    info.threads = processors
    info.cores = len(cores) or (cores_per_socket * info.sockets) or processors
    info.flags = sorted(f for f in flags if f in INTERESTING_FLAGS)
    ghz = _ghz_from_model(info.model)
    info.max_ghz = ghz or (max(mhz) / 1000.0 if mhz else None)
    return info


def parse_meminfo(text: str) -> int | None:
    """``MemTotal`` of ``/proc/meminfo`` in bytes."""
    m = re.search(r"^MemTotal:\s*(\d+)\s*kB", text, re.MULTILINE)
    return int(m.group(1)) * 1024 if m else None


def parse_sysctl(text: str) -> CPUInfo:
    """Parse ``sysctl`` output (``key: value`` lines) on macOS."""
    kv: dict[str, str] = {}
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep:
            kv[k.strip()] = v.strip()
    info = CPUInfo(arch=kv.get("hw.machine", ""))
    info.model = kv.get("machdep.cpu.brand_string", "")
    info.vendor = kv.get("machdep.cpu.vendor", "") or ("Apple" if info.model.startswith("Apple") else "")
    info.sockets = int(kv.get("hw.packages", "1") or 1)
    info.cores = int(kv.get("hw.physicalcpu", "0") or 0)
    info.threads = int(kv.get("hw.logicalcpu", "0") or 0)
    if kv.get("hw.memsize", "").isdigit():
        info.memory_bytes = int(kv["hw.memsize"])
    freq = kv.get("hw.cpufrequency_max") or kv.get("hw.cpufrequency")
    if freq and freq.isdigit():
        info.max_ghz = int(freq) / 1e9
    else:
        info.max_ghz = _ghz_from_model(info.model)
    flags: set[str] = set()
    for key in ("machdep.cpu.features", "machdep.cpu.leaf7_features"):
        flags.update(f.lower() for f in kv.get(key, "").split())
    for key, value in kv.items():
        if key.startswith("hw.optional.") and value == "1":
            flags.add(key.rsplit(".", 1)[-1].lower())
    normalised = {_MAC_FLAG_ALIASES.get(f, f) for f in flags}
    info.flags = sorted(f for f in normalised if f in INTERESTING_FLAGS)
    return info


def _ghz_from_model(model: str) -> float | None:
    m = re.search(r"@\s*([\d.]+)\s*GHz", model, re.IGNORECASE)
    return float(m.group(1)) if m else None


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def read_linux(timeout: float) -> CPUInfo:
    info = parse_proc_cpuinfo(_read("/proc/cpuinfo"))
    info.memory_bytes = parse_meminfo(_read("/proc/meminfo"))
    max_khz = _read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").strip()
    if max_khz.isdigit() and not _ghz_from_model(info.model):
        info.max_ghz = int(max_khz) / 1e6
    if not info.model:  # Arm: /proc/cpuinfo has no model name; lscpu knows the part names
        out = run_probe(["lscpu"], timeout, env={**os.environ, "LC_ALL": "C"}) or ""
        m = re.search(r"^Model name:\s*(.+)$", out, re.MULTILINE)
        info.model = m.group(1).strip() if m else ""
        m = re.search(r"^Vendor ID:\s*(.+)$", out, re.MULTILINE)
        if m:
            info.vendor = m.group(1).strip()
    return info


def read_macos(timeout: float) -> CPUInfo:
    keys = ["hw.machine", "machdep.cpu.brand_string", "machdep.cpu.vendor", "hw.packages",
            "hw.physicalcpu", "hw.logicalcpu", "hw.memsize", "hw.cpufrequency_max",
            "machdep.cpu.features", "machdep.cpu.leaf7_features", "hw.optional"]
    # one sysctl per key: an unknown key makes a combined call fail as a whole
    lines = []
    for key in keys:
        out = run_probe(["sysctl", key], timeout)
        if out:
            lines.append(out)
    return parse_sysctl("\n".join(lines))


def read_windows(timeout: float) -> CPUInfo:
    info = CPUInfo(model=platform.processor(), threads=os.cpu_count() or 0)
    cmd = ["powershell", "-NoProfile", "-Command",
           "Get-CimInstance Win32_Processor | Select-Object Name,Manufacturer,NumberOfCores,"
           "MaxClockSpeed | ConvertTo-Json"]
    out = run_probe(cmd, timeout)
    if out:
        import json

        try:
            data = json.loads(out)
        except ValueError:
            data = None
        rows = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        if rows:
            info.sockets = len(rows)
            info.model = str(rows[0].get("Name") or info.model).strip()
            info.vendor = str(rows[0].get("Manufacturer") or "")
            info.cores = sum(int(r.get("NumberOfCores") or 0) for r in rows)
            info.max_ghz = (rows[0].get("MaxClockSpeed") or 0) / 1000.0 or None
    return info


def read_host(timeout: float) -> CPUInfo:
    """Everything we can learn about the host CPU; fields stay empty where a probe failed."""
    system = platform.system()
    if system == "Linux":
        info = read_linux(timeout)
    elif system == "Darwin":
        info = read_macos(timeout)
    elif system == "Windows":
        info = read_windows(timeout)
    else:
        info = CPUInfo()
    info.arch = info.arch or platform.machine().lower()
    info.threads = info.threads or os.cpu_count() or 1
    info.cores = info.cores or info.threads
    return info
