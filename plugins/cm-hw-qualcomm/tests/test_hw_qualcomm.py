"""cm-hw-qualcomm: qaic-util parsing, a fake qaic-util (good and hung), SDK folders,
on-device HTP detection and overrides."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cm_hw_qualcomm import plugin, probe

from cmcore.types import Component, InstallPlan

QAIC_Q = """
QID 0
\tStatus:Ready
\tPCI Address:0000:01:00.0
\tHW Version:0.2.0.0
\tFW Version:1.12.2
\tNSP Total:16
\tNSP Free:16
\tDram Total:33554432 KB
\tSKU Type:PCIe Pro

QID 1
\tStatus:Ready
\tPCI Address:0000:02:00.0
\tFW Version:1.12.2
\tNSP Total:14
\tDram Total:16777216 KB
"""


def fake_tool(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@pytest.fixture
def env(monkeypatch, fake_devices):
    fake_devices(qualcomm=None)
    for k in ("QNN_SDK_ROOT", "QAIRT_SDK_ROOT", "CM_QAIC_UTIL"):
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def make_sdk(root: Path) -> Path:
    (root / "lib" / "x86_64-linux-clang").mkdir(parents=True)
    (root / "lib" / "x86_64-linux-clang" / "libQnnHtp.so").write_bytes(b"\x7fELF")
    (root / "lib" / "aarch64-android").mkdir(parents=True)
    (root / "lib" / "aarch64-android" / "libQnnHtp.so").write_bytes(b"\x7fELF")
    for arch in ("v68", "v73", "v75"):
        (root / "lib" / f"hexagon-{arch}").mkdir()
    return root


def test_parse_qaic_util():
    cards = probe.parse_qaic_util(QAIC_Q)
    assert [c["qid"] for c in cards] == ["0", "1"]
    assert cards[0]["nsp total"] == "16" and cards[0]["sku type"] == "PCIe Pro"
    assert probe.memory_bytes(cards[0]["dram total"]) == 32 * 2**30
    assert probe.memory_bytes("2 GB") == 2 * 2**30 and probe.memory_bytes("n/a") is None
    assert probe.parse_qaic_util("no cards here") == []


def test_fake_qaic_util_gives_cloud_ai_devices(bare_session, env, tmp_path):
    tool = fake_tool(tmp_path / "qaic-util", f'[ "$1" = "-q" ] || exit 2\ncat <<"END"\n{QAIC_Q}\nEND\n')
    env.setenv("CM_QAIC_UTIL", str(tool))
    env.setenv("QAIRT_SDK_ROOT", str(make_sdk(tmp_path / "qairt" / "2.28.0.241029")))
    devices = plugin.detect(bare_session)
    assert [d.name for d in devices] == ["qualcomm:0", "qualcomm:1"]
    d = devices[0]
    assert (d.vendor, d.model, d.driver_version, d.runtime_version) == (
        "Qualcomm", "Cloud AI 100 PCIe Pro", "1.12.2", "2.28.0.241029")
    assert d.memory_bytes == 32 * 2**30 and d.capabilities["nsp_cores"] == 16
    assert d.capabilities["product"] == "cloud-ai" and d.capabilities["sdk"]["hexagon_archs"] == ["v68", "v73", "v75"]


def test_hung_qaic_util_is_absent(bare_session, env, tmp_path):
    env.setenv("CM_QAIC_UTIL", str(fake_tool(tmp_path / "qaic-util", "sleep 60\n")))
    env.setenv("CM_HW_PROBE_TIMEOUT", "1")
    assert probe.query_cloud_ai(str(tmp_path / "qaic-util"), 1.0) == []
    assert plugin.probe_devices(bare_session) == [] or probe.on_device_htp()


def test_sdk_info(tmp_path):
    sdk = probe.sdk_info(str(make_sdk(tmp_path / "2.31.0.250130")))
    assert sdk and sdk["version"] == "2.31.0.250130"
    assert sdk["htp_targets"] == ["aarch64-android", "x86_64-linux-clang"]
    (tmp_path / "named" / "lib").mkdir(parents=True)
    (tmp_path / "named" / "sdk.yaml").write_text("name: qairt\nversion: 2.28.0.241029\n")
    assert probe.sdk_info(str(tmp_path / "named"))["version"] == "2.28.0.241029"
    assert probe.sdk_info(str(tmp_path / "missing")) is None and probe.sdk_info(None) is None


def test_sdk_alone_is_not_a_device(bare_session, env, tmp_path):
    env.setenv("QNN_SDK_ROOT", str(make_sdk(tmp_path / "2.28.0")))
    env.setenv("CM_QAIC_UTIL", str(tmp_path / "no-such-tool"))
    if probe.on_device_htp():
        pytest.skip("this machine is a Snapdragon")
    assert plugin.detect(bare_session) == []


def test_on_device_htp(tmp_path):
    node = tmp_path / "fastrpc-cdsp"
    assert probe.on_device_htp("Linux", nodes=(str(node),)) is False
    node.write_text("")
    assert probe.on_device_htp("Linux", nodes=(str(node),)) is True
    assert probe.on_device_htp("Windows", "ARM64", "Snapdragon(R) X Elite - X1E78100") is True
    assert probe.on_device_htp("Windows", "AMD64", "Intel64 Family 6") is False


def test_override(bare_session, env):
    env.setenv("CM_OVERRIDE_QUALCOMM", "2.28")
    env.setenv("CM_OVERRIDE_QUALCOMM_HTP_ARCH", "v75")
    [d] = plugin.detect(bare_session)
    assert (d.kind, d.runtime_version, d.source) == ("qualcomm", "2.28", "override")
    assert d.capabilities["htp"] is True and d.capabilities["htp_arch"] == "v75"
    env.setenv("CM_OVERRIDE_QUALCOMM_PRODUCT", "cloud-ai")
    env.setenv("CM_OVERRIDE_QUALCOMM_DEVICES", "4")
    devices = plugin.detect(bare_session)
    assert len(devices) == 4 and devices[3].model == "Cloud AI 100" and devices[3].capabilities["htp"] is False
    env.setenv("CM_OVERRIDE_QUALCOMM", "")
    assert plugin.detect(bare_session) == []
    assert plugin.cm_detect(Component("device", "qualcomm"), bare_session) is None


def test_install_plan_is_manual(bare_session):
    plan = plugin.cm_install(Component("device", "qualcomm"), bare_session)
    assert isinstance(plan, InstallPlan) and plan.automatic is False
    assert any("QAIRT_SDK_ROOT" in c for c in plan.commands)
    assert plugin.cm_install(Component("device", "cuda"), bare_session) is None
