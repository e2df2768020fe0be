"""cm-hw-qualcomm: Qualcomm AI accelerators as CM devices.

Devices are hardware only: each Cloud AI card (``qualcomm:0``...), or the Snapdragon's own
Hexagon NPU. A QNN/QAIRT SDK found through ``QNN_SDK_ROOT``/``QAIRT_SDK_ROOT`` is attached to
those devices (``runtime_version`` and ``capabilities["sdk"]``) but is not a device by itself:
an x86 host with the SDK only emulates the HTP.

``CM_OVERRIDE_QUALCOMM=2.28`` (an SDK version) forces a device present; refine with
``CM_OVERRIDE_QUALCOMM_PRODUCT`` (``snapdragon`` or ``cloud-ai``), ``_DEVICES``, ``_HTP_ARCH``
(``v73``), ``_MEMORY_GB``. ``CM_OVERRIDE_QUALCOMM=`` (empty) forces "absent".
"""

from __future__ import annotations

from cm_hw_qualcomm import probe
from cmcore import hookimpl
from cmcore import hwprobe as _probe
from cmcore.types import Component, Device, InstallPlan

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

KIND = "qualcomm"


def _from_override(session: Any, version: str) -> list[Device]:
    x = _probe.override_extras(session, KIND)
    product = x.get("product", "snapdragon")
    count = max(0, _probe.to_int(x.get("devices"), 1))
    mem = int(_probe.to_float(x.get("memory_gb"), 16.0) * 2**30)
    model = "Cloud AI 100" if product == "cloud-ai" else "Snapdragon Hexagon NPU"
    caps = {"product": product, "htp": product != "cloud-ai", "htp_arch": x.get("htp_arch", "v73"),
            "sdk": {"version": version}}
    return [Device(kind=KIND, name=f"qualcomm:{i}", vendor="Qualcomm", model=model, index=i,
                   memory_bytes=mem, runtime_version=version, capabilities=caps, source="override")
            for i in range(count)]


def probe_devices(session: Any) -> list[Device]:
    """Probe Cloud AI cards, an on-device HTP and the SDK (uncached); never raises."""
    timeout = _probe.probe_timeout(session)
    tool = _probe.env_get(session, "CM_QAIC_UTIL") or probe.DEFAULT_QAIC_UTIL
    sdk = probe.sdk_info(_probe.env_get(session, "QAIRT_SDK_ROOT") or _probe.env_get(session, "QNN_SDK_ROOT"))
    sdk_version = sdk["version"] if sdk else None
    devices: list[Device] = []
    for i, card in enumerate(probe.query_cloud_ai(tool, timeout)):
        caps: dict[str, Any] = {"product": "cloud-ai", "htp": False, "status": card.get("status"),
                                "pci_address": card.get("pci address"), "sku": card.get("sku type"),
                                "nsp_cores": _probe.to_int(card.get("nsp total"), 0) or None, "sdk": sdk}
        devices.append(Device(kind=KIND, name=f"qualcomm:{i}", vendor="Qualcomm",
                              model=" ".join(x for x in ("Cloud AI 100", card.get("sku type")) if x),
                              index=i, memory_bytes=probe.memory_bytes(card.get("dram total")),
                              driver_version=card.get("fw version"), runtime_version=sdk_version,
                              capabilities={k: v for k, v in caps.items() if v is not None}, source="probe"))
    if not devices and probe.on_device_htp():
        archs = (sdk or {}).get("hexagon_archs") or []
        caps = {"product": "snapdragon", "htp": True, "sdk": sdk}
        if archs:
            caps["hexagon_archs_in_sdk"] = archs
        devices.append(Device(kind=KIND, name="qualcomm:0", vendor="Qualcomm", model="Snapdragon Hexagon NPU",
                              runtime_version=sdk_version, capabilities=caps, source="probe"))
    return devices


def detect(session: Any) -> list[Device]:
    """Qualcomm devices, honouring ``CM_OVERRIDE_QUALCOMM``; cached per session; never raises."""
    probe_key = "|".join(str(_probe.env_get(session, k)) for k in ("CM_QAIC_UTIL", "QAIRT_SDK_ROOT", "QNN_SDK_ROOT"))
    return _probe.detect_devices(session, KIND, _from_override, probe_key, lambda: probe_devices(session))


@hookimpl
def cm_detect_devices(session: Any) -> list[Device]:
    return detect(session)


@hookimpl
def cm_detect(component: Component, session: Any) -> list[dict] | None:
    """For ``Component(kind="device", name="qualcomm")``: the devices as dicts, or None."""
    return _probe.device_component(component, session, KIND, detect)


@hookimpl
def cm_install(component: Component, session: Any) -> InstallPlan | None:
    """What to install by hand: the QAIRT SDK (behind a Qualcomm login) or the Cloud AI Platform SDK."""
    if component.kind != "device" or component.name != KIND:
        return None
    return InstallPlan(KIND, (
        "# Snapdragon: download the Qualcomm AI Runtime (QAIRT) SDK from https://qpm.qualcomm.com "
        "(Qualcomm ID required), unzip it, then:",
        "export QAIRT_SDK_ROOT=/opt/qcom/aistack/qairt/<version>",
        "# Cloud AI 100: install the Platform SDK from the card vendor, then:",
        "sudo ./install.sh   # in the unpacked qaic-platform-sdk folder; provides /opt/qti-aic/tools/qaic-util",
    ), automatic=False, note="Qualcomm SDKs need a Qualcomm account; nothing is downloaded automatically")
