"""Which ONNX Runtime execution providers (EPs) serve which CM device, and the fallback rule.

Pure functions of a :class:`~cmcore.types.Device` and the list of EPs the installed
onnxruntime build offers, so the selection is tested for every device kind on any machine.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from typing import Any

from cmcore.types import Device

CPU_EP = "CPUExecutionProvider"
CUDA_EP = "CUDAExecutionProvider"
TENSORRT_EP = "TensorrtExecutionProvider"
QNN_EP = "QNNExecutionProvider"
COREML_EP = "CoreMLExecutionProvider"

# the EP that makes a device kind worth using; the package that brings it
PRIMARY_EP = {"cpu": CPU_EP, "cuda": CUDA_EP, "qualcomm": QNN_EP, "metal": COREML_EP}
EP_PACKAGE = {CUDA_EP: "onnxruntime-gpu", TENSORRT_EP: "onnxruntime-gpu", QNN_EP: "onnxruntime-qnn",
              COREML_EP: "onnxruntime (macOS arm64 wheel)", CPU_EP: "onnxruntime"}

ProviderEntry = tuple[str, dict[str, Any]]


@dataclass
class ProviderChoice:
    """The EPs to ask onnxruntime for, in priority order, and why any were dropped."""

    providers: list[ProviderEntry]
    requested: list[str]
    fallback_reason: str = ""
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.providers]


def qnn_backend_library(system: str | None = None) -> str:
    """The QNN HTP backend library name the QNN EP loads on this OS."""
    return "QnnHtp.dll" if (system or platform.system()) == "Windows" else "libQnnHtp.so"


def wanted_providers(device: Device, *, tensorrt: bool = False, trt_cache_dir: str | None = None,
                     system: str | None = None) -> list[ProviderEntry]:
    """The EPs we would like for ``device``, best first, always ending with the CPU EP."""
    kind = device.kind
    out: list[ProviderEntry] = []
    if kind == "cuda":
        if tensorrt:
            trt_opts: dict[str, Any] = {"device_id": device.index}
            if trt_cache_dir:
                trt_opts.update(trt_engine_cache_enable=True, trt_engine_cache_path=trt_cache_dir)
            out.append((TENSORRT_EP, trt_opts))
        out.append((CUDA_EP, {"device_id": device.index}))
    elif kind == "qualcomm":
        out.append((QNN_EP, {"backend_path": qnn_backend_library(system)}))
    elif kind == "metal":
        out.append((COREML_EP, {}))
    elif kind != "cpu":
        raise ValueError(f"onnxruntime has no execution provider for device kind {kind!r}")
    out.append((CPU_EP, {}))
    return out


def select_providers(device: Device, available: list[str], *, tensorrt: bool = False,
                     trt_cache_dir: str | None = None, explicit: list[str] | None = None,
                     system: str | None = None) -> ProviderChoice:
    """Keep the wanted EPs that ``available`` offers; record why the others were dropped.

    ``explicit`` (the ``providers`` option) replaces the device-based choice, with the same
    availability check. The CPU EP is always there, so a model always runs somewhere; when the
    device's own EP is missing the choice says so in ``fallback_reason``.
    """
    if explicit:
        wanted: list[ProviderEntry] = [(p, {}) for p in explicit]
    else:
        wanted = wanted_providers(device, tensorrt=tensorrt, trt_cache_dir=trt_cache_dir, system=system)
    kept: list[ProviderEntry] = []
    dropped: dict[str, str] = {}
    for name, opts in wanted:
        if name in available:
            kept.append((name, opts))
        else:
            pkg = EP_PACKAGE.get(name, "a build of onnxruntime that has it")
            dropped[name] = f"{name} is not in this onnxruntime build (it comes with {pkg})"
    if not kept:
        kept = [(CPU_EP, {})]
    reason = ""
    primary = wanted[0][0]
    if primary not in {n for n, _ in kept}:
        reason = f"{dropped[primary]}; running on {kept[0][0]} instead"
    return ProviderChoice(providers=kept, requested=[n for n, _ in wanted], fallback_reason=reason,
                          dropped=dropped)
