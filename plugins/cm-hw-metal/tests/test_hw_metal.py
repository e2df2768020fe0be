"""cm-hw-metal: Apple-silicon detection logic, system_profiler parsing, overrides."""

from __future__ import annotations

import json
import platform

import pytest
from cm_hw_metal import plugin, probe

from cmcore.types import Component, InstallPlan

DISPLAYS = {"SPDisplaysDataType": [{
    "_name": "Apple M2 Pro", "sppci_model": "Apple M2 Pro", "sppci_cores": "19",
    "spdisplays_mtlgpufamilysupport": "spdisplays_metal3", "sppci_vendor": "sppci_vendor_Apple",
}]}


def test_parse_system_profiler():
    info = probe.parse_displays(json.dumps(DISPLAYS))
    assert info == {"gpu_cores": 19, "metal_family": "Metal 3", "gpu_model": "Apple M2 Pro"}
    assert probe.parse_displays("not json") == {} and probe.parse_displays("{}") == {}
    assert probe.parse_displays('{"SPDisplaysDataType": []}') == {}


def test_apple_silicon_rule():
    assert probe.is_apple_silicon("Darwin", "arm64") is True
    assert probe.is_apple_silicon("Darwin", "x86_64") is False  # Intel Mac
    assert probe.is_apple_silicon("Linux", "arm64") is False


def test_probe_elsewhere_is_empty(bare_session, fake_devices):
    fake_devices(metal=None)
    assert plugin.probe_devices(bare_session, "Linux", "x86_64") == []
    if not probe.is_apple_silicon():
        assert plugin.detect(bare_session) == []


def test_live_probe_on_a_mac(bare_session, fake_devices):
    fake_devices(metal=None)
    if not probe.is_apple_silicon():
        pytest.skip("not a Mac with Apple silicon (the non-Mac path is test_probe_elsewhere_is_empty)")
    [d] = plugin.detect(bare_session)
    assert d.model.startswith("Apple") and d.runtime_version == platform.mac_ver()[0]


def test_override(bare_session, fake_devices, monkeypatch):
    fake_devices(metal="14.4")
    monkeypatch.setenv("CM_OVERRIDE_METAL_CHIP", "Apple M3 Max")
    monkeypatch.setenv("CM_OVERRIDE_METAL_GPU_CORES", "40")
    monkeypatch.setenv("CM_OVERRIDE_METAL_MEMORY_GB", "128")
    [d] = plugin.detect(bare_session)
    assert (d.kind, d.name, d.vendor, d.model, d.runtime_version, d.source) == (
        "metal", "metal:0", "Apple", "Apple M3 Max", "14.4", "override")
    assert d.memory_bytes == 128 * 2**30 and d.capabilities["gpu_cores"] == 40
    assert d.capabilities["unified_memory"] is True
    assert plugin.cm_detect(Component("device", "metal"), bare_session)[0]["model"] == "Apple M3 Max"
    fake_devices(metal="")
    assert plugin.detect(bare_session) == []


def test_install_plan(bare_session):
    plan = plugin.cm_install(Component("device", "metal"), bare_session)
    assert isinstance(plan, InstallPlan) and plan.automatic is False
    if not probe.is_apple_silicon():
        assert plan.commands == () and "Apple silicon" in plan.note
    assert plugin.cm_install(Component("device", "cpu"), bare_session) is None
