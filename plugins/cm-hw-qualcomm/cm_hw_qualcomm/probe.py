"""Probing Qualcomm AI hardware and SDKs.

* Cloud AI accelerator cards: ``qaic-util -q`` (Platform SDK, default
  ``/opt/qti-aic/tools/qaic-util``; ``CM_QAIC_UTIL`` points elsewhere), run with a timeout.
* Snapdragon NPUs (Hexagon HTP) on the device itself: the FastRPC device nodes on
  Linux/Android, or a Snapdragon processor on Windows on Arm.
* The QNN / QAIRT SDK named by ``QNN_SDK_ROOT`` or ``QAIRT_SDK_ROOT``: version, the HTP
  libraries it ships (``lib/<target>/libQnnHtp.so``) and the Hexagon architectures
  (``lib/hexagon-v73`` ...).
"""

from __future__ import annotations

import re
from pathlib import Path

from cmcore.hwprobe import run_probe

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

DEFAULT_QAIC_UTIL = "/opt/qti-aic/tools/qaic-util"
FASTRPC_NODES = ("/dev/fastrpc-cdsp", "/dev/fastrpc-cdsp-secure", "/dev/adsprpc-smd")


def parse_qaic_util(text: str) -> list[dict[str, str]]:
    """Parse ``qaic-util -q``: a ``QID <n>`` header per card, then ``Key:Value`` lines.

    Keys are lowercased with spaces kept (``"dram total"``); unknown keys are kept as is, so
    a newer Platform SDK that adds fields does not break the parser.
    """
    cards: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in text.splitlines():
        head = re.match(r"^\s*QID\s+(\d+)\s*$", line)
        if head:
            current = {"qid": head.group(1)}
            cards.append(current)
            continue
        if current is not None and ":" in line:
            k, _, v = line.partition(":")
            current[k.strip().lower()] = v.strip()
    return cards


def memory_bytes(text: str | None) -> int | None:
    """``"32505856 KB"`` -> bytes (KB, MB, GB; a bare number is KB as qaic-util prints)."""
    m = re.match(r"^\s*(\d+)\s*([KMG]?B)?", text or "", re.IGNORECASE)
    if not m:
        return None
    scale = {"KB": 2**10, "MB": 2**20, "GB": 2**30, "B": 1}.get((m.group(2) or "KB").upper(), 2**10)
    return int(m.group(1)) * scale


def query_cloud_ai(tool: str, timeout: float) -> list[dict[str, str]]:
    """Cloud AI cards reported by ``qaic-util``; [] when the tool is absent, fails or hangs."""
    if not Path(tool).exists():
        return []
    out = run_probe([tool, "-q"], timeout)
    return parse_qaic_util(out) if out else []


def sdk_info(root: str | None) -> dict[str, Any] | None:
    """Version, HTP targets and Hexagon architectures of a QNN/QAIRT SDK folder."""
    if not root:
        return None
    path = Path(root).expanduser()
    if not path.is_dir():
        return None
    version = ""
    for meta in ("sdk.yaml", "QNN_SDK_VERSION", "version.txt"):
        f = path / meta
        if f.is_file():
            m = re.search(r"(\d+\.\d+\.\d+(?:\.\d+)?)", f.read_text(errors="replace"))
            if m:
                version = m.group(1)
                break
    if not version:  # SDKs unpack into a folder named after the version, e.g. qairt/2.28.0.241029
        m = re.search(r"(\d+\.\d+\.\d+(?:\.\d+)?)", path.name)
        version = m.group(1) if m else ""
    lib = path / "lib"
    targets = sorted(p.parent.name for pat in ("*/libQnnHtp.so", "*/QnnHtp.dll") for p in lib.glob(pat))
    hexagon = sorted(p.name.split("-", 1)[1] for p in lib.glob("hexagon-v*") if p.is_dir())
    return {"root": str(path), "version": version, "htp_targets": targets, "hexagon_archs": hexagon}


def on_device_htp(system: str | None = None, machine: str | None = None,
                  processor: str | None = None, nodes: tuple[str, ...] = FASTRPC_NODES) -> bool:
    """Is this machine itself a Snapdragon with a Hexagon NPU?"""
    import platform

    system = system or platform.system()
    if system == "Windows":
        machine = (machine or platform.machine()).lower()
        processor = processor if processor is not None else platform.processor()
        return machine == "arm64" and "snapdragon" in processor.lower()
    return any(Path(n).exists() for n in nodes)
