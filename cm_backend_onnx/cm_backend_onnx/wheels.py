"""Which onnxruntime wheel fits the detected hardware, and the pip commands that install it."""

from __future__ import annotations

import platform
import shlex

from cmcore.types import Device, InstallPlan

# every onnxruntime flavour installs the same `onnxruntime` module, so only one may be present
FLAVOURS = ("onnxruntime", "onnxruntime-gpu", "onnxruntime-qnn", "onnxruntime-directml", "onnxruntime-openvino")


def choose_wheel(device: Device, system: str | None = None) -> tuple[str, str]:
    """``(pip requirement, why)`` for the onnxruntime flavour that drives ``device``."""
    system = system or platform.system()
    if device.kind == "cuda":
        if system == "Darwin":
            return "onnxruntime", "there is no CUDA build of onnxruntime for macOS; using the CPU wheel"
        major = (device.runtime_version or "").split(".")[0]
        if major.isdigit() and int(major) < 12:
            # since 1.19 the PyPI onnxruntime-gpu wheels are built for CUDA 12
            return "onnxruntime-gpu<1.19", f"the driver supports CUDA {device.runtime_version}; " \
                "onnxruntime-gpu 1.19 and later need CUDA 12"
        return "onnxruntime-gpu", "CUDA and TensorRT execution providers (CUDA 12+ builds on PyPI)"
    if device.kind == "qualcomm":
        return "onnxruntime-qnn", "QNN execution provider (uses the QNN libraries of the QAIRT SDK)"
    if device.kind == "metal":
        return "onnxruntime", "the macOS arm64 wheel includes the CoreML execution provider"
    return "onnxruntime", "CPU execution provider"


def install_plan(device: Device, python: str, system: str | None = None) -> InstallPlan:
    """Commands that put the right flavour into the environment of ``python``.

    The other flavours are removed first: they share the ``onnxruntime`` module, and pip
    would otherwise leave two of them fighting over it. ``automatic=True``: these are Python
    packages going into a tool-owned environment, not drivers.
    """
    requirement, why = choose_wheel(device, system)
    py = shlex.quote(python)
    others = " ".join(f for f in FLAVOURS if f != requirement.split("<")[0])
    commands = (
        f"{py} -m pip uninstall -y {others}",
        f"{py} -m pip install --upgrade {shlex.quote(requirement)} onnx numpy",
    )
    return InstallPlan("onnxruntime", commands, automatic=True, note=f"{requirement}: {why}")
