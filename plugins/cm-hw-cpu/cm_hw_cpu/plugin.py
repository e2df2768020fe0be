"""cm-hw-cpu: the host CPU as a CM device.

``cm_detect_devices`` yields one :class:`~cmcore.types.Device` (``cpu:0``) describing the whole
host: model, vendor, cores, threads, sockets, ISA flags, memory and an estimated peak
throughput (see :mod:`cm_hw_cpu.flops`). ``CM_OVERRIDE_CPU`` replaces the probe: a value is
taken as the model name (``CM_OVERRIDE_CPU_CORES``, ``_THREADS``, ``_SOCKETS``, ``_GHZ``,
``_ISA`` (comma list), ``_MEMORY_GB``, ``_VENDOR`` refine it); an empty value means "no CPU
device" (useful to test the other device plugins alone).
"""

from __future__ import annotations

from cmcore import hookimpl
from cmcore import hwprobe as _probe
from cmcore.types import Component, Device, InstallPlan

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

    from cm_hw_cpu import cpuinfo  # imported inside the hooks: loading the plugin stays cheap

KIND = "cpu"


def _device_from_info(info: cpuinfo.CPUInfo, source: str) -> Device:
    caps: dict[str, Any] = {
        "arch": info.arch,
        "sockets": info.sockets,
        "cores": info.cores,
        "threads": info.threads,
        "max_ghz": round(info.max_ghz, 3) if info.max_ghz else None,
        "isa": list(info.flags),
    }
    from cm_hw_cpu import flops

    caps.update(flops.estimate(info.cores, info.max_ghz, info.flags, info.vendor, info.family))
    return Device(kind=KIND, name="cpu:0", vendor=info.vendor, model=info.model, index=0,
                  memory_bytes=info.memory_bytes, capabilities=caps, source=source)


def _from_override(session: Any, value: str) -> Device:
    x = _probe.override_extras(session, KIND)
    threads = _probe.to_int(x.get("threads"), 0)
    cores = _probe.to_int(x.get("cores"), threads or 8)
    mem_gb = _probe.to_float(x.get("memory_gb"), 16.0)
    isa = [f.strip().lower() for f in x.get("isa", "avx2,fma").split(",") if f.strip()]
    from cm_hw_cpu import cpuinfo

    info = cpuinfo.CPUInfo(
        arch=x.get("arch", "x86_64"), vendor=x.get("vendor", "GenuineIntel"), model=value,
        sockets=_probe.to_int(x.get("sockets"), 1), cores=cores, threads=threads or cores,
        max_ghz=_probe.to_float(x.get("ghz"), 3.0), memory_bytes=int(mem_gb * 2**30), flags=isa,
    )
    return _device_from_info(info, "override")


def detect(session: Any) -> list[Device]:
    """The CPU device(s) of this host, honouring ``CM_OVERRIDE_CPU``; never raises."""

    def probe() -> list[Device]:
        from cm_hw_cpu import cpuinfo

        return [_device_from_info(cpuinfo.read_host(_probe.probe_timeout(session)), "probe")]

    return _probe.detect_devices(session, KIND, lambda s, v: [_from_override(s, v)], "", probe)


@hookimpl
def cm_detect_devices(session: Any) -> list[Device]:
    return detect(session)


@hookimpl
def cm_detect(component: Component, session: Any) -> list[dict] | None:
    """For ``Component(kind="device", name="cpu")``: the CPU records as dicts, or None."""
    return _probe.device_component(component, session, KIND, detect)


@hookimpl
def cm_install(component: Component, session: Any) -> InstallPlan | None:
    """A CPU cannot be installed; say so instead of leaving the lifecycle without an answer."""
    if component.kind != "device" or component.name != KIND:
        return None
    return InstallPlan(KIND, (), automatic=False,
                       note="no CPU was detected (CM_OVERRIDE_CPU is empty?); nothing can be installed")
