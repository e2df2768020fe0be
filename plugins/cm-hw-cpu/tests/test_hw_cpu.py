"""cm-hw-cpu: parsing real-world CPU descriptions, the live probe, overrides and the hooks."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest
from cm_hw_cpu import cpuinfo, flops, plugin

from cmcore.types import Component, Device, InstallPlan

XEON_2S = "\n\n".join(
    f"""processor\t: {p}
vendor_id\t: GenuineIntel
cpu family\t: 6
model name\t: Intel(R) Xeon(R) Platinum 8480+ @ 2.00GHz
cpu MHz\t\t: 3800.000
physical id\t: {p // 4}
core id\t\t: {(p % 4) // 2}
cpu cores\t: 2
flags\t\t: fpu sse4_2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8"""
    for p in range(8)
)

GRAVITON = """processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp sve i8mm bf16
CPU implementer\t: 0x41
CPU architecture: 8

processor\t: 1
Features\t: fp asimd asimddp sve i8mm bf16
CPU implementer\t: 0x41
"""

MAC_M2 = """hw.machine: arm64
machdep.cpu.brand_string: Apple M2 Pro
hw.packages: 1
hw.physicalcpu: 12
hw.logicalcpu: 12
hw.memsize: 34359738368
hw.optional.neon: 1
hw.optional.arm.FEAT_BF16: 1
hw.optional.arm.FEAT_I8MM: 0
hw.optional.arm.FEAT_DotProd: 1
"""


def test_parse_two_socket_xeon():
    info = cpuinfo.parse_proc_cpuinfo(XEON_2S)
    assert (info.vendor, info.sockets, info.cores, info.threads) == ("GenuineIntel", 2, 4, 8)
    assert info.max_ghz == 2.0  # the nominal clock in the model name wins over a turbo MHz reading
    assert {"amx_bf16", "amx_int8", "avx512_vnni", "avx512f"} <= set(info.flags)
    assert "fpu" not in info.flags  # only the features that matter for inference are kept


def test_parse_arm_cpuinfo_without_model_name():
    info = cpuinfo.parse_proc_cpuinfo(GRAVITON)
    assert info.vendor == "ARM" and info.threads == 2 and info.cores == 2
    assert {"asimd", "asimddp", "sve", "i8mm", "bf16"} <= set(info.flags)


def test_parse_sysctl_apple_silicon():
    info = cpuinfo.parse_sysctl(MAC_M2)
    assert (info.model, info.vendor, info.cores, info.memory_bytes) == ("Apple M2 Pro", "Apple", 12, 32 * 2**30)
    assert set(info.flags) == {"asimd", "bf16", "asimddp"}  # FEAT_I8MM is 0: not present


def test_meminfo():
    assert cpuinfo.parse_meminfo("MemTotal:       16384 kB\nMemFree: 1 kB\n") == 16384 * 1024
    assert cpuinfo.parse_meminfo("garbage") is None


@pytest.mark.parametrize(
    ("flags", "vendor", "family", "per_cycle"),
    [
        (["avx512f", "avx2", "fma"], "GenuineIntel", 6, 64),
        (["avx512f", "avx2", "fma"], "AuthenticAMD", 25, 32),  # Zen 4 double-pumps AVX-512
        (["avx512f", "avx2", "fma"], "AuthenticAMD", 26, 64),  # Zen 5 has full-width units
        (["avx2", "fma"], "AuthenticAMD", 23, 32),
        (["avx"], "GenuineIntel", 6, 16),
        (["sse4_2"], "GenuineIntel", 6, 8),
        (["asimd"], "ARM", None, 16),
        ([], "", None, 2),
    ],
)
def test_flops_per_cycle_by_isa(flags, vendor, family, per_cycle):
    assert flops.fp32_flops_per_cycle(flags, vendor, family) == per_cycle


def test_flops_estimate_numbers():
    est = flops.estimate(56, 2.0, ["avx512f", "avx512_vnni", "amx_bf16", "amx_int8"], "GenuineIntel", 6)
    assert est["peak_fp32_flops"] == pytest.approx(56 * 2.0e9 * 64)
    assert est["peak_int8_ops"] == pytest.approx(56 * 2.0e9 * 64 * 4)  # VNNI: 4x the FP32 rate
    assert est["peak_bf16_amx_flops"] == pytest.approx(56 * 2.0e9 * 1024)
    unknown_clock = flops.estimate(4, None, ["avx2", "fma"])
    assert unknown_clock["peak_fp32_flops"] is None and unknown_clock["fp32_flops_per_cycle_per_core"] == 32


def test_live_probe_describes_this_host(bare_session, fake_devices):
    fake_devices(cpu=None)
    devices = plugin.detect(bare_session)
    assert len(devices) == 1
    cpu = devices[0]
    assert isinstance(cpu, Device) and (cpu.kind, cpu.name, cpu.source) == ("cpu", "cpu:0", "probe")
    caps = cpu.capabilities
    assert caps["threads"] == os.cpu_count()
    assert 1 <= caps["cores"] <= caps["threads"]
    assert caps["arch"] == platform.machine().lower()
    if Path("/proc/cpuinfo").exists():
        text = Path("/proc/cpuinfo").read_text()
        host_flags = set(text.split())
        assert set(caps["isa"]) <= host_flags and cpu.memory_bytes and cpu.memory_bytes > 2**20
        if caps["max_ghz"]:
            assert caps["peak_fp32_flops"] == pytest.approx(
                caps["cores"] * caps["max_ghz"] * 1e9 * caps["fp32_flops_per_cycle_per_core"], rel=1e-3)


def test_probe_is_cached_per_session(bare_session, fake_devices):
    fake_devices(cpu=None)
    first = plugin.detect(bare_session)
    assert plugin.detect(bare_session) is first
    assert any(k.startswith("cm-hw-cpu:") for k in bare_session.cache)


def test_override_forces_a_described_cpu(bare_session, fake_devices, monkeypatch):
    fake_devices(cpu="Intel Xeon Platinum 8480+")
    monkeypatch.setenv("CM_OVERRIDE_CPU_CORES", "56")
    monkeypatch.setenv("CM_OVERRIDE_CPU_SOCKETS", "2")
    monkeypatch.setenv("CM_OVERRIDE_CPU_ISA", "avx512f,amx_bf16")
    monkeypatch.setenv("CM_OVERRIDE_CPU_GHZ", "2.0")
    monkeypatch.setenv("CM_OVERRIDE_CPU_MEMORY_GB", "512")
    [cpu] = plugin.detect(bare_session)
    assert (cpu.model, cpu.source, cpu.memory_bytes) == ("Intel Xeon Platinum 8480+", "override", 512 * 2**30)
    assert cpu.capabilities["cores"] == 56 and cpu.capabilities["threads"] == 56
    assert cpu.capabilities["peak_fp32_flops"] == pytest.approx(56 * 2.0e9 * 64)
    monkeypatch.setenv("CM_OVERRIDE_CPU_CORES", "not-a-number")  # bad values fall back, never crash
    [cpu] = plugin.detect(bare_session)
    assert cpu.capabilities["cores"] == 8


def test_empty_override_means_absent(bare_session, fake_devices):
    fake_devices(cpu="")
    assert plugin.detect(bare_session) == []
    assert plugin.cm_detect(Component("device", "cpu"), bare_session) is None
    plan = plugin.cm_install(Component("device", "cpu"), bare_session)
    assert isinstance(plan, InstallPlan) and plan.automatic is False and plan.commands == ()


def test_hooks_through_installed_entry_point(cm_session, fake_devices):
    """The plugin is found through its `cm` entry point, like any pip-installed plugin."""
    fake_devices(cpu="Test CPU")
    assert cm_session.pm.get_plugin("hw-cpu") is not None
    found = [d for ds in cm_session.pm.hook.cm_detect_devices(session=cm_session) for d in ds]
    assert [d.name for d in found if d.kind == "cpu"] == ["cpu:0"]
    res = cm_session.pm.hook.cm_detect(component=Component("device", "cpu"), session=cm_session)
    assert res[0]["model"] == "Test CPU"
    assert plugin.cm_detect(Component("script", "cpu"), cm_session) is None  # other kinds: not ours
