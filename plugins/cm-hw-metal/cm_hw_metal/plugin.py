"""cm-hw-metal: the GPU of an Apple-silicon Mac as a CM device (``metal:0``).

The device's ``runtime_version`` is the macOS version (Metal ships with the OS); its memory is
the unified memory the GPU shares with the CPU. ``CM_OVERRIDE_METAL=14.4`` (a macOS version)
forces the device present; refine with ``CM_OVERRIDE_METAL_CHIP``, ``_GPU_CORES``,
``_MEMORY_GB``. ``CM_OVERRIDE_METAL=`` (empty) forces "absent".
"""

from __future__ import annotations

from cm_hw_metal import probe
from cmcore import hookimpl
from cmcore import hwprobe as _probe
from cmcore.types import Component, Device, InstallPlan

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

KIND = "metal"


def make_device(info: dict[str, Any], source: str) -> Device:
    caps: dict[str, Any] = {"unified_memory": True, "neural_engine": True}
    for key in ("gpu_cores", "metal_family"):
        if info.get(key):
            caps[key] = info[key]
    return Device(kind=KIND, name="metal:0", vendor="Apple", model=info.get("chip") or info.get("gpu_model", ""),
                  index=0, memory_bytes=info.get("memory_bytes"), runtime_version=info.get("macos_version"),
                  capabilities=caps, source=source)


def _from_override(session: Any, version: str) -> list[Device]:
    x = _probe.override_extras(session, KIND)
    info = {"macos_version": version, "chip": x.get("chip", "Apple M2"),
            "gpu_cores": _probe.to_int(x.get("gpu_cores"), 10),
            "memory_bytes": int(_probe.to_float(x.get("memory_gb"), 16.0) * 2**30), "metal_family": "Metal 3"}
    return [make_device(info, "override")]


def probe_devices(session: Any, system: str | None = None, machine: str | None = None) -> list[Device]:
    """Probe (uncached); [] anywhere but macOS on Apple silicon; never raises."""
    if not probe.is_apple_silicon(system, machine):
        return []
    return [make_device(probe.query(_probe.probe_timeout(session)), "probe")]


def detect(session: Any) -> list[Device]:
    """The Metal device, honouring ``CM_OVERRIDE_METAL``; cached per session; never raises."""
    return _probe.detect_devices(session, KIND, _from_override, "", lambda: probe_devices(session))


@hookimpl
def cm_detect_devices(session: Any) -> list[Device]:
    return detect(session)


@hookimpl
def cm_detect(component: Component, session: Any) -> list[dict] | None:
    """For ``Component(kind="device", name="metal")``: the device as a dict, or None."""
    return _probe.device_component(component, session, KIND, detect)


@hookimpl
def cm_install(component: Component, session: Any) -> InstallPlan | None:
    """Metal comes with macOS; only the command-line tools may be missing."""
    if component.kind != "device" or component.name != KIND:
        return None
    if probe.is_apple_silicon():
        return InstallPlan(KIND, ("xcode-select --install",), automatic=False,
                           note="Metal ships with macOS; the command-line tools add the Metal compiler")
    return InstallPlan(KIND, (), automatic=False, note="Metal needs a Mac with Apple silicon (arm64)")
