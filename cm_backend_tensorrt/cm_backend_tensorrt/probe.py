"""Is TensorRT usable here? Asked in a child interpreter, so that importing TensorRT's large
native libraries (or a broken install of them) never touches the calling process."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from cmcore.types import Device

PROBE_SCRIPT = r"""
import ctypes, importlib.util, json
out = {}
try:
    import tensorrt
    out["tensorrt"] = tensorrt.__version__
except Exception as exc:
    out["tensorrt_error"] = "%s: %s" % (type(exc).__name__, exc)
def has(mod):
    try:
        return importlib.util.find_spec(mod) is not None
    except Exception:
        return False
out["cuda_python"] = has("cuda.bindings") or has("cuda.cudart")
out["torch"] = has("torch")
for name in ("libnvinfer.so.11", "libnvinfer.so.10", "libnvinfer.so.8", "libnvinfer.so", "nvinfer.dll"):
    try:
        out["libnvinfer"] = int(ctypes.CDLL(name).getInferLibVersion())
        break
    except (OSError, AttributeError):
        pass
print(json.dumps(out))
"""


def probe(python: str | None = None, timeout: float = 120.0) -> dict[str, Any]:
    """What the interpreter ``python`` (default: this one) has: TensorRT, cuda-python, torch."""
    exe = python or sys.executable
    try:
        p = subprocess.run([exe, "-c", PROBE_SCRIPT], capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"error": f"probing TensorRT in {exe} took longer than {timeout:.0f}s"}
    except OSError as exc:
        return {"error": f"cannot run {exe}: {exc}"}
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"probing TensorRT in {exe} failed: {(p.stderr.strip().splitlines() or ['?'])[-1]}"}


def lib_version(code: int | None) -> str | None:
    """``getInferLibVersion()`` as a string: 100300 -> 10.3.0 (TensorRT 10+), 8601 -> 8.6.1."""
    if not code:
        return None
    if code >= 10000:
        return f"{code // 10000}.{(code // 100) % 100}.{code % 100}"
    return f"{code // 1000}.{(code // 100) % 10}.{code % 100}"


def availability(found: dict[str, Any], devices: list[Device], python: str) -> tuple[bool, str]:
    """``(available, reason)`` from a :func:`probe` result and the CUDA devices present."""
    if "error" in found:
        return False, found["error"]
    if "tensorrt" not in found:
        lib = lib_version(found.get("libnvinfer"))
        if lib:
            return False, (f"libnvinfer {lib} is installed but the tensorrt Python module is not importable "
                           f"in {python} (pip install tensorrt-cu12=={lib}.*)")
        return False, f"the tensorrt Python package is not installed in {python} (pip install tensorrt-cu12)"
    if not any(d.kind == "cuda" for d in devices):
        return False, (f"TensorRT {found['tensorrt']} is installed but no CUDA device was detected "
                       "(is cm-hw-cuda installed and the NVIDIA driver working?)")
    if not (found.get("cuda_python") or found.get("torch")):
        return False, f"neither cuda-python nor torch is importable in {python} (pip install cuda-python)"
    return True, ""
