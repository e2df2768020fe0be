"""Probing NVIDIA GPUs: ``nvidia-smi`` and the driver library ``libcuda``, each in a subprocess.

``nvidia-smi`` gives the kernel driver version, names, memory and PCI ids; a tiny
``python -c`` that loads ``libcuda`` with ctypes adds what nvidia-smi does not print in CSV
(the CUDA version the driver supports, SM count, clocks). Either one alone is enough to
report a device. Both run with a timeout: a hung driver makes the device "absent".
"""

from __future__ import annotations

import json
import os
import sys

from cmcore.hwprobe import run_probe, run_probe_status

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

SMI_FIELDS = ("index", "name", "uuid", "memory.total", "driver_version", "compute_cap", "pci.bus_id")

# Runs in a child interpreter so that a crashing or hanging driver cannot hurt the caller.
LIBCUDA_SCRIPT = r"""
import ctypes, json, sys
lib = None
for n in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
    try:
        lib = ctypes.CDLL(n)
        break
    except OSError:
        pass
if lib is None:
    print(json.dumps({"error": "libcuda not found"})); sys.exit(0)
rc = lib.cuInit(0)
if rc != 0:
    print(json.dumps({"error": "cuInit failed with CUresult %d" % rc})); sys.exit(0)
ver = ctypes.c_int(0); lib.cuDriverGetVersion(ctypes.byref(ver))
count = ctypes.c_int(0); lib.cuDeviceGetCount(ctypes.byref(count))
devs = []
for i in range(count.value):
    d = ctypes.c_int(0)
    if lib.cuDeviceGet(ctypes.byref(d), i) != 0:
        continue
    name = ctypes.create_string_buffer(256); lib.cuDeviceGetName(name, 256, d)
    mem = ctypes.c_size_t(0); lib.cuDeviceTotalMem_v2(ctypes.byref(mem), d)
    def attr(code):
        x = ctypes.c_int(0); lib.cuDeviceGetAttribute(ctypes.byref(x), code, d); return x.value
    raw = (ctypes.c_ubyte * 16)()
    uuid = ""
    if hasattr(lib, "cuDeviceGetUuid") and lib.cuDeviceGetUuid(raw, d) == 0:
        h = bytes(raw).hex()
        uuid = "GPU-%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
    devs.append({"index": i, "name": name.value.decode(errors="replace"), "memory_bytes": mem.value,
                 "cc": "%d.%d" % (attr(75), attr(76)), "sm_count": attr(16),
                 "clock_mhz": attr(13) // 1000, "memory_clock_mhz": attr(36) // 1000,
                 "memory_bus_width": attr(37), "uuid": uuid})
print(json.dumps({"driver_cuda_version": ver.value, "devices": devs}))
"""


def smi_command(fields: tuple[str, ...] = SMI_FIELDS) -> list[str]:
    return ["nvidia-smi", f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"]


def parse_smi_csv(text: str, fields: tuple[str, ...] = SMI_FIELDS) -> list[dict[str, Any]]:
    """Parse ``nvidia-smi --query-gpu=... --format=csv,noheader,nounits`` output.

    Memory is in MiB (``nounits``); ``[N/A]`` and ``[Not Supported]`` become None. Lines with
    the wrong number of columns (warnings some drivers print) are skipped.
    """
    rows = []
    for line in text.splitlines():
        cols = [c.strip() for c in line.split(",")]
        if len(cols) != len(fields):
            continue
        row: dict[str, Any] = {}
        for key, value in zip(fields, cols, strict=True):
            row[key] = None if (not value or value.startswith("[")) else value
        if row.get("index") is None or not str(row["index"]).isdigit():
            continue
        rows.append(row)
    return rows


def query_smi(timeout: float) -> list[dict[str, Any]] | None:
    """Rows from nvidia-smi, or None when it is absent, fails or hangs."""
    status, out, _err = run_probe_status(smi_command(), timeout)
    if status in ("timeout", "missing"):
        return None  # a hung driver is not asked twice
    if status == "failed":
        # drivers older than 510 do not know compute_cap: ask again without it
        fields = tuple(f for f in SMI_FIELDS if f != "compute_cap")
        retry = run_probe(smi_command(fields), timeout)
        return None if retry is None else parse_smi_csv(retry, fields)
    return parse_smi_csv(out)


def query_libcuda(timeout: float) -> dict[str, Any] | None:
    """What libcuda reports, or None when it is absent, fails or hangs."""
    env = dict(os.environ)
    env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"  # the order nvidia-smi uses, so indices agree
    out = run_probe([sys.executable, "-c", LIBCUDA_SCRIPT], timeout, env=env)
    if not out:
        return None
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return None if not isinstance(data, dict) or "error" in data else data


def cuda_version_string(driver_cuda_version: int | None) -> str | None:
    """``12040`` -> ``"12.4"`` (the encoding of cuDriverGetVersion)."""
    if not driver_cuda_version:
        return None
    return f"{driver_cuda_version // 1000}.{(driver_cuda_version % 1000) // 10}"
