"""The commands that install an NVIDIA driver, for a person to run (never run silently)."""

from __future__ import annotations

from pathlib import Path

from cmcore.types import InstallPlan

REPO = "https://developer.download.nvidia.com/compute/cuda/repos"


def os_release(text: str | None = None) -> dict[str, str]:
    """``/etc/os-release`` as a dict (empty when it cannot be read)."""
    if text is None:
        try:
            text = Path("/etc/os-release").read_text()
        except OSError:
            return {}
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep:
            out[k.strip()] = v.strip().strip('"')
    return out


def driver_plan(system: str | None = None, machine: str | None = None,
                release: dict[str, str] | None = None) -> InstallPlan:
    """An InstallPlan for the NVIDIA driver on this OS (``automatic=False``)."""
    import platform

    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    if system != "Linux":
        where = "https://www.nvidia.com/Download/index.aspx" if system == "Windows" else ""
        note = (f"install the NVIDIA driver for Windows from {where}" if where
                else f"NVIDIA CUDA drivers are not available for {system}")
        return InstallPlan("cuda", (), automatic=False, note=note)
    rel = os_release() if release is None else release
    ident, version = rel.get("ID", ""), rel.get("VERSION_ID", "")
    arch = "sbsa" if machine in ("aarch64", "arm64") else "x86_64"
    if ident in ("ubuntu", "debian") and version:
        distro = f"{ident}{version.replace('.', '')}"
        cmds: tuple[str, ...] = (
            f"wget {REPO}/{distro}/{arch}/cuda-keyring_1.1-1_all.deb",
            "sudo dpkg -i cuda-keyring_1.1-1_all.deb",
            "sudo apt-get update",
            "sudo apt-get install -y cuda-drivers",
            "sudo reboot",
        )
    elif ident in ("rhel", "rocky", "almalinux", "centos") and version:
        distro = f"rhel{version.split('.')[0]}"
        cmds = (
            f"sudo dnf config-manager --add-repo {REPO}/{distro}/{arch}/cuda-{distro}.repo",
            "sudo dnf install -y cuda-drivers",
            "sudo reboot",
        )
    else:
        return InstallPlan("cuda", (), automatic=False,
                           note=f"no recipe for {ident or 'this Linux'} {version}: see "
                                "https://docs.nvidia.com/cuda/cuda-installation-guide-linux/")
    return InstallPlan("cuda", cmds, automatic=False,
                       note="installs the NVIDIA driver from NVIDIA's repository; needs root and a reboot")
