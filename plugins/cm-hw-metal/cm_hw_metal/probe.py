"""Probing the Apple-silicon GPU: ``sysctl`` for the chip and memory, ``system_profiler`` for
the GPU core count and Metal family; each with a timeout."""

from __future__ import annotations

import json

from cmcore.hwprobe import run_probe

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def is_apple_silicon(system: str | None = None, machine: str | None = None) -> bool:
    """macOS on an arm64 Mac (Intel Macs are not covered by this plugin)."""
    import platform

    return (system or platform.system()) == "Darwin" and (machine or platform.machine()).lower() == "arm64"


def parse_displays(text: str) -> dict[str, Any]:
    """GPU cores, Metal family and chip name from ``system_profiler SPDisplaysDataType -json``."""
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    gpus = data.get("SPDisplaysDataType") if isinstance(data, dict) else None
    if not isinstance(gpus, list) or not gpus or not isinstance(gpus[0], dict):
        return {}
    gpu = gpus[0]
    out: dict[str, Any] = {}
    cores = str(gpu.get("sppci_cores", "")).strip()
    if cores.isdigit():
        out["gpu_cores"] = int(cores)
    family = str(gpu.get("spdisplays_mtlgpufamilysupport", ""))
    if family:
        out["metal_family"] = family.replace("spdisplays_", "").replace("metal", "Metal ").strip()
    if gpu.get("sppci_model"):
        out["gpu_model"] = str(gpu["sppci_model"])
    return out


def query(timeout: float) -> dict[str, Any]:
    """Chip, memory, macOS version and GPU details; missing pieces are left out."""
    import platform

    out: dict[str, Any] = {"macos_version": platform.mac_ver()[0] or None}
    chip = run_probe(["sysctl", "-n", "machdep.cpu.brand_string"], timeout)
    if chip:
        out["chip"] = chip.strip()
    mem = run_probe(["sysctl", "-n", "hw.memsize"], timeout)
    if mem and mem.strip().isdigit():
        out["memory_bytes"] = int(mem.strip())
    displays = run_probe(["system_profiler", "SPDisplaysDataType", "-json"], timeout)
    if displays:
        out.update(parse_displays(displays))
    return out
