"""cm-hw-cuda: NVIDIA GPUs as CM devices.

``cm_detect_devices`` yields one :class:`~cmcore.types.Device` per visible GPU (``cuda:0``,
``cuda:1``...): name, memory, driver version (``driver_version``), the CUDA version the driver
supports (``runtime_version``), compute capability, SM count and an FP32 peak estimate.

``CM_OVERRIDE_CUDA=12.4`` forces GPUs present without probing; refine with
``CM_OVERRIDE_CUDA_DEVICES`` (count), ``_CC`` (``9.0``), ``_MEMORY_GB``, ``_NAME``, ``_DRIVER``,
``_SMS``. ``CM_OVERRIDE_CUDA=`` (empty) forces "no GPU". ``CUDA_VISIBLE_DEVICES`` is honoured.
"""

from __future__ import annotations

from cm_hw_cuda import probe
from cm_hw_cuda.install import driver_plan
from cmcore import hookimpl
from cmcore import hwprobe as _probe
from cmcore.types import Component, Device, InstallPlan

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

KIND = "cuda"

# FP32 lanes per SM by compute capability major.minor (NVIDIA's published per-architecture figures).
FP32_LANES_PER_SM = {"6.0": 64, "6.1": 128, "7.0": 64, "7.2": 64, "7.5": 64, "8.0": 64, "8.6": 128,
                     "8.7": 128, "8.9": 128, "9.0": 128, "10.0": 128, "10.3": 128, "12.0": 128}


def precisions(cc: str | None) -> list[str]:
    """Tensor precisions the architecture runs natively (by compute capability)."""
    try:
        major, minor = (int(x) for x in (cc or "0.0").split(".")[:2])
    except ValueError:
        return ["fp32"]
    v = major * 10 + minor
    out = ["fp32"]
    for name, min_cc in (("fp16", 53), ("int8", 61), ("tf32", 80), ("bf16", 80), ("fp8", 89), ("fp4", 100)):
        if v >= min_cc:
            out.append(name)
    return out


def _device(index: int, name: str, memory_bytes: int | None, driver: str | None, cuda: str | None,
            cc: str | None, source: str, **extra: Any) -> Device:
    caps: dict[str, Any] = {"compute_capability": cc, "precisions": precisions(cc)}
    caps.update({k: v for k, v in extra.items() if v not in (None, "")})
    sms, clock = caps.get("sm_count"), caps.get("clock_mhz")
    lanes = FP32_LANES_PER_SM.get(cc or "")
    if sms and clock and lanes:
        caps["peak_fp32_flops"] = float(sms) * lanes * 2 * float(clock) * 1e6
    return Device(kind=KIND, name=f"cuda:{index}", vendor="NVIDIA", model=name, index=index,
                  memory_bytes=memory_bytes, driver_version=driver, runtime_version=cuda,
                  capabilities=caps, source=source)


def _from_override(session: Any, version: str) -> list[Device]:
    x = _probe.override_extras(session, KIND)
    count = max(0, _probe.to_int(x.get("devices"), 1))
    cc = x.get("cc", "8.0")
    mem = int(_probe.to_float(x.get("memory_gb"), 16.0) * 2**30)
    name = x.get("name", f"Override CUDA GPU (cc {cc})")
    return [_device(i, name, mem, x.get("driver", "override"), version, cc, "override",
                    sm_count=_probe.to_int(x.get("sms"), 0) or None) for i in range(count)]


def _visible(devices: list[Device], visible: str | None) -> list[Device]:
    """Apply ``CUDA_VISIBLE_DEVICES`` (indices or ``GPU-`` uuid prefixes) to probed devices."""
    if visible is None:
        return devices
    wanted = [v.strip() for v in visible.split(",") if v.strip()]
    out = []
    for w in wanted:
        if w.startswith("-"):
            break  # CUDA stops at the first invalid id
        for d in devices:
            uuid = str(d.capabilities.get("uuid") or "")
            if (w.isdigit() and d.index == int(w)) or (uuid and w.startswith("GPU-") and uuid.startswith(w)):
                out.append(d)
    return out


def probe_devices(session: Any, use_smi: bool = True, use_libcuda: bool = True) -> list[Device]:
    """Probe for GPUs (uncached); never raises. Each source can be switched off (tests do)."""
    timeout = _probe.probe_timeout(session)
    smi = probe.query_smi(timeout) if use_smi else None
    lib = probe.query_libcuda(timeout) if use_libcuda else None
    cuda = probe.cuda_version_string((lib or {}).get("driver_cuda_version"))
    lib_devs = {d["index"]: d for d in (lib or {}).get("devices", [])}
    by_uuid = {d.get("uuid"): d for d in lib_devs.values() if d.get("uuid")}
    devices: list[Device] = []
    if smi:
        for row in smi:
            idx = int(row["index"])
            extra = by_uuid.get(row.get("uuid")) or lib_devs.get(idx) or {}
            mem_mib = _probe.to_int(row.get("memory.total"), 0)
            devices.append(_device(
                idx, row.get("name") or extra.get("name", ""),
                mem_mib * 2**20 if mem_mib else extra.get("memory_bytes"),
                row.get("driver_version"), cuda, row.get("compute_cap") or extra.get("cc"),
                "probe", uuid=row.get("uuid") or extra.get("uuid"), pci_bus_id=row.get("pci.bus_id"),
                sm_count=extra.get("sm_count"), clock_mhz=extra.get("clock_mhz"),
                memory_bus_width=extra.get("memory_bus_width"),
                probe="nvidia-smi+libcuda" if extra else "nvidia-smi"))
        devices = _visible(devices, _probe.env_get(session, "CUDA_VISIBLE_DEVICES"))
    elif lib_devs:  # libcuda applies CUDA_VISIBLE_DEVICES itself
        for d in lib_devs.values():
            devices.append(_device(d["index"], d["name"], d["memory_bytes"], None, cuda, d["cc"], "probe",
                                   uuid=d.get("uuid"), sm_count=d.get("sm_count"),
                                   clock_mhz=d.get("clock_mhz"), memory_bus_width=d.get("memory_bus_width"),
                                   probe="libcuda"))
    return devices


def detect(session: Any) -> list[Device]:
    """The GPUs of this machine, honouring ``CM_OVERRIDE_CUDA``; cached per session; never raises."""
    return _probe.detect_devices(session, KIND, _from_override, str(_probe.env_get(session, "CUDA_VISIBLE_DEVICES")),
                                 lambda: probe_devices(session))


@hookimpl
def cm_detect_devices(session: Any) -> list[Device]:
    return detect(session)


@hookimpl
def cm_detect(component: Component, session: Any) -> list[dict] | None:
    """For ``Component(kind="device", name="cuda")``: the GPUs as dicts, or None when absent."""
    return _probe.device_component(component, session, KIND, detect)


@hookimpl
def cm_install(component: Component, session: Any) -> InstallPlan | None:
    """The driver install commands for this OS, for a person to run (``automatic=False``)."""
    if component.kind != "device" or component.name != KIND:
        return None
    return driver_plan()
