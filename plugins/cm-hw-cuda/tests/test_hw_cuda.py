"""cm-hw-cuda: nvidia-smi parsing, fake nvidia-smi binaries on PATH (good, hung, broken, old),
overrides, CUDA_VISIBLE_DEVICES, driver install plans, and a real-GPU check."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from cm_hw_cuda import install, plugin, probe

from cmcore.types import Component, InstallPlan

H100_CSV = (
    "0, NVIDIA H100 80GB HBM3, GPU-1b2c3d4e-0000-1111-2222-333344445555, 81559, 550.54.15, 9.0, 00000000:19:00.0\n"
    "1, NVIDIA H100 80GB HBM3, GPU-aa2c3d4e-0000-1111-2222-333344445555, 81559, 550.54.15, 9.0, 00000000:3B:00.0\n"
)


def write_fake_smi(bin_dir: Path, body: str) -> Path:
    """A real executable named nvidia-smi; ``body`` is the shell code after the shebang."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    smi = bin_dir / "nvidia-smi"
    smi.write_text("#!/bin/sh\n" + body)
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    return smi


@pytest.fixture
def fake_smi_path(tmp_path, monkeypatch, fake_devices):
    """Put a fake nvidia-smi first on PATH; returns a function that writes its script."""
    fake_devices(cuda=None)
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return lambda body: write_fake_smi(bin_dir, body)


def test_parse_csv_handles_na_and_noise():
    text = "WARNING: infoROM is corrupted at gpu 0000:19:00.0\n" + H100_CSV.splitlines()[0] + "\n" \
        "2, Tesla K80, [N/A], 11441, 470.82.01, [Not Supported], 00000000:05:00.0\n"
    rows = probe.parse_smi_csv(text)
    assert [r["index"] for r in rows] == ["0", "2"]
    assert rows[0]["name"] == "NVIDIA H100 80GB HBM3" and rows[0]["compute_cap"] == "9.0"
    assert rows[1]["uuid"] is None and rows[1]["compute_cap"] is None


def test_fake_nvidia_smi_gives_parsed_devices(bare_session, fake_smi_path):
    fake_smi_path(f'case "$*" in *--query-gpu=*) printf "%s" "{H100_CSV}";; *) exit 3;; esac\n')
    devices = plugin.probe_devices(bare_session, use_libcuda=False)
    assert [d.name for d in devices] == ["cuda:0", "cuda:1"]
    d = devices[0]
    assert (d.kind, d.vendor, d.model, d.driver_version, d.source) == (
        "cuda", "NVIDIA", "NVIDIA H100 80GB HBM3", "550.54.15", "probe")
    assert d.memory_bytes == 81559 * 2**20
    assert d.capabilities["compute_capability"] == "9.0"
    assert d.capabilities["pci_bus_id"] == "00000000:19:00.0"
    assert "fp8" in d.capabilities["precisions"] and "fp4" not in d.capabilities["precisions"]
    # through detect() and the hook as well (libcuda, if this machine has one, only adds fields)
    names = {x.model for x in plugin.cm_detect_devices(bare_session)}
    assert "NVIDIA H100 80GB HBM3" in names


def test_cuda_visible_devices_filters_probed_gpus(bare_session, fake_smi_path, monkeypatch):
    fake_smi_path(f'printf "%s" "{H100_CSV}"\n')
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert [d.index for d in plugin.detect(bare_session)] == [1]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-aa2c")
    assert [d.index for d in plugin.detect(bare_session)] == [1]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert plugin.detect(bare_session) == []


def test_hung_nvidia_smi_is_absent_not_a_hang(bare_session, fake_smi_path, monkeypatch):
    smi = fake_smi_path('echo call >> "$0.calls"; sleep 60\n')
    monkeypatch.setenv("CM_HW_PROBE_TIMEOUT", "1")
    assert probe.query_smi(1.0) is None
    assert Path(f"{smi}.calls").read_text().count("call") == 1  # a hung driver is not asked twice
    devices = plugin.detect(bare_session)  # returns (after the timeout), does not raise
    assert all(d.capabilities.get("probe") == "libcuda" for d in devices)


@pytest.mark.parametrize("body", [
    'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver." >&2; exit 9\n',
    "echo 'this is not csv at all'\n",
    "kill -SEGV $$\n",
])
def test_broken_nvidia_smi_is_absent(bare_session, fake_smi_path, body):
    fake_smi_path(body)
    assert plugin.probe_devices(bare_session, use_libcuda=False) == []


def test_old_driver_without_compute_cap_field(bare_session, fake_smi_path):
    # drivers before 510 reject the compute_cap field; the probe asks again without it
    fake_smi_path(
        'case "$*" in *compute_cap*) echo "Field \\"compute_cap\\" is not a valid field" >&2; exit 2;; esac\n'
        'printf "0, Tesla V100-SXM2-16GB, GPU-00000000-0000-0000-0000-000000000001, 16160, 470.82.01, '
        '00000000:00:1E.0\\n"\n')
    [d] = plugin.probe_devices(bare_session, use_libcuda=False)
    assert d.model == "Tesla V100-SXM2-16GB" and d.driver_version == "470.82.01"
    assert d.capabilities["compute_capability"] is None


def test_override_forces_gpus_without_probing(bare_session, fake_smi_path, fake_devices, monkeypatch):
    smi = fake_smi_path("touch \"$0.ran\"; exit 1\n")
    fake_devices(cuda="12.4")
    monkeypatch.setenv("CM_OVERRIDE_CUDA_DEVICES", "2")
    monkeypatch.setenv("CM_OVERRIDE_CUDA_CC", "9.0")
    monkeypatch.setenv("CM_OVERRIDE_CUDA_MEMORY_GB", "80")
    monkeypatch.setenv("CM_OVERRIDE_CUDA_NAME", "NVIDIA H100 80GB HBM3")
    devices = plugin.detect(bare_session)
    assert [d.name for d in devices] == ["cuda:0", "cuda:1"]
    assert {(d.runtime_version, d.memory_bytes, d.source) for d in devices} == {("12.4", 80 * 2**30, "override")}
    assert devices[0].capabilities["compute_capability"] == "9.0"
    assert not Path(f"{smi}.ran").exists()  # an override never runs the probe
    fake_devices(cuda="")
    assert plugin.detect(bare_session) == []
    assert plugin.cm_detect(Component("device", "cuda"), bare_session) is None


def test_default_override_values_are_plausible(bare_session, fake_devices):
    fake_devices(cuda="11.8")
    [d] = plugin.detect(bare_session)
    assert d.runtime_version == "11.8" and d.capabilities["compute_capability"] == "8.0"
    assert d.memory_bytes == 16 * 2**30 and "bf16" in d.capabilities["precisions"]


def test_helpers():
    assert probe.cuda_version_string(12040) == "12.4"
    assert probe.cuda_version_string(13000) == "13.0"
    assert probe.cuda_version_string(None) is None
    assert plugin.precisions("7.5") == ["fp32", "fp16", "int8"]
    assert plugin.precisions("garbage") == ["fp32"]
    d = plugin._device(0, "x", None, None, None, "9.0", "probe", sm_count=132, clock_mhz=1980)
    assert d.capabilities["peak_fp32_flops"] == pytest.approx(132 * 128 * 2 * 1980e6)


def test_libcuda_probe_runs_in_a_subprocess_and_never_raises():
    data = probe.query_libcuda(30.0)
    if shutil.which("nvidia-smi") is None and data is not None:
        pytest.skip("a libcuda without nvidia-smi: nothing to compare against")
    if data is not None:  # a machine with a driver: the shape the plugin relies on
        assert data["driver_cuda_version"] > 0 and isinstance(data["devices"], list)


@pytest.mark.parametrize(("release", "machine", "expect"), [
    ({"ID": "ubuntu", "VERSION_ID": "22.04"}, "x86_64", "/ubuntu2204/x86_64/cuda-keyring"),
    ({"ID": "debian", "VERSION_ID": "12"}, "aarch64", "/debian12/sbsa/cuda-keyring"),
    ({"ID": "rocky", "VERSION_ID": "9.3"}, "x86_64", "/rhel9/x86_64/cuda-rhel9.repo"),
])
def test_driver_plans(release, machine, expect):
    plan = install.driver_plan("Linux", machine, release)
    assert plan.automatic is False and any(expect in c for c in plan.commands)
    assert any("cuda-drivers" in c for c in plan.commands)


def test_driver_plan_without_recipe():
    assert install.driver_plan("Linux", "x86_64", {"ID": "arch"}).commands == ()
    assert "not available" in install.driver_plan("Darwin", "arm64", {}).note
    assert install.os_release('ID=ubuntu\nVERSION_ID="24.04"\n') == {"ID": "ubuntu", "VERSION_ID": "24.04"}


def test_install_hook_only_answers_for_cuda_devices(bare_session):
    plan = plugin.cm_install(Component("device", "cuda"), bare_session)
    assert isinstance(plan, InstallPlan) and plan.automatic is False and plan.component == "cuda"
    assert plugin.cm_install(Component("device", "metal"), bare_session) is None
    assert plugin.cm_install(Component("backend", "cuda"), bare_session) is None


@pytest.mark.gpu
def test_real_gpu_is_detected(bare_session, fake_devices):
    if shutil.which("nvidia-smi") is None:
        pytest.skip("no nvidia-smi on PATH: no NVIDIA GPU here")
    fake_devices(cuda=None)
    devices = plugin.detect(bare_session)
    assert devices, "nvidia-smi is present but no GPU was detected"
    d = devices[0]
    assert d.model and d.driver_version and d.memory_bytes and d.memory_bytes > 2**30
    assert d.runtime_version and d.capabilities["compute_capability"]
    if d.capabilities.get("probe") == "nvidia-smi+libcuda":
        assert d.capabilities["sm_count"] > 0 and d.capabilities["peak_fp32_flops"] > 0
