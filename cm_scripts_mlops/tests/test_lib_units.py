"""Unit tests of the helpers in cm_scripts_mlops.lib (no engine needed)."""

from __future__ import annotations

import os
import sys

import pytest
from cm_scripts_mlops.lib import common, compilers, cpuinfo, cuda, osinfo, pyenv, sysutil

LSCPU = """Architecture:            x86_64
CPU(s):                  16
On-line CPU(s) list:     0-15
Vendor ID:               GenuineIntel
Model name:              Intel(R) Xeon(R) Platinum 8480+
CPU family:              6
Thread(s) per core:      2
Core(s) per socket:      4
Socket(s):               2
CPU max MHz:             3800.0000
L1d cache:               384 KiB (8 instances)
L3 cache:                105 MiB (1 instance)
NUMA node(s):            2
Stepping:                8
Flags:                   fpu sse4_2 avx2
"""


def test_parse_lscpu_maps_keys_and_derives_cores():
    env = cpuinfo.parse_lscpu(LSCPU)
    assert env["CM_HOST_CPU_TOTAL_CORES"] == "16"
    assert env["CM_HOST_CPU_SOCKETS"] == "2"
    assert env["CM_HOST_CPU_MODEL_NAME"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert env["CM_HOST_CPU_L1D_CACHE_SIZE"].startswith("384 KiB")
    assert env["CM_CPUINFO_Stepping"] == "8"
    assert "CM_CPUINFO_Flags" not in env
    cores = cpuinfo.core_counts(env)
    assert cores == {"CM_HOST_CPU_TOTAL_LOGICAL_CORES": "16", "CM_HOST_CPU_TOTAL_PHYSICAL_CORES": "8"}
    assert cpuinfo.parse_lscpu("Socket(s): -\n")["CM_HOST_CPU_SOCKETS"] == "1"


def test_isa_flags_x86_and_arm():
    x86 = cpuinfo.cpu_flags("processor: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni amx_tile\n")
    env = cpuinfo.isa_env(x86)
    assert env["CM_HOST_CPU_FLAGS_AVX2"] == "yes" and env["CM_HOST_CPU_FLAGS_AVX512_VNNI"] == "yes"
    assert env["CM_HOST_CPU_FLAGS_AMX"] == "yes" and env["CM_HOST_CPU_FLAGS_NEON"] == "no"
    arm = cpuinfo.isa_env(cpuinfo.cpu_flags("Features\t: fp asimd sve\n"))
    assert arm["CM_HOST_CPU_FLAGS_NEON"] == "yes" and arm["CM_HOST_CPU_FLAGS_SVE"] == "yes"
    assert arm["CM_HOST_CPU_FLAGS_LIST"] == "NEON,SVE"


def test_capacity_and_units():
    assert cpuinfo.human_bytes(24 * 1024**3) == "24G"
    assert cpuinfo.human_bytes(1536 * 1024**2) == "1.5G"
    assert cpuinfo.memory_bytes("MemTotal:       1024 kB\n") == 1024 * 1024
    env = cpuinfo.capacity_env("/")
    assert int(env["CM_HOST_DISK_CAPACITY_BYTES"]) > 0


@pytest.mark.parametrize("flavor,like,pm", [
    ("ubuntu", "debian", "apt"), ("debian", "", "apt"), ("rhel", "fedora", "dnf"), ("amzn", "", "yum"),
    ("macos", "", "brew"), ("sles", "", "zypper"), ("arch", "", "pacman"), ("windows", "", "choco"),
    ("mydistro", "ubuntu debian", "apt"), ("unknown", "", ""),
])
def test_package_manager_table(flavor, like, pm):
    assert osinfo.package_manager(flavor, like) == pm
    env = osinfo.package_manager_env(flavor, like)
    assert env.get("CM_HOST_OS_PACKAGE_MANAGER", "") == pm
    if pm == "apt":
        assert env["CM_HOST_OS_PACKAGE_MANAGER_INSTALL_CMD"] == "DEBIAN_FRONTEND=noninteractive apt-get install -y"


def test_os_release_and_ld_parsing(tmp_path):
    rel = osinfo.parse_os_release('ID=ubuntu\nVERSION_ID="22.04"\n# c\nID_LIKE=debian\n')
    assert rel == {"ID": "ubuntu", "VERSION_ID": "22.04", "ID_LIKE": "debian"}
    ld = 'SEARCH_DIR("=/usr/local/lib64"); SEARCH_DIR("=/lib64"); SEARCH_DIR("/usr/x")'
    assert osinfo.parse_ld_search_dirs(ld) == ["/usr/local/lib64", "/lib64", "/usr/x"]
    assert not osinfo.inside_container(str(tmp_path))
    (tmp_path / ".dockerenv").write_text("")
    assert osinfo.inside_container(str(tmp_path))


def test_install_plan_never_waits_on_a_password():
    root = sysutil.plan_install("apt", ["cmake"], root=True, sudo_ok=lambda: False)
    assert root.argv == ["apt-get", "install", "-y", "cmake"]
    sudo = sysutil.plan_install("dnf", ["cmake"], root=False, sudo_ok=lambda: True)
    assert sudo.argv == ["sudo", "-n", "dnf", "install", "-y", "cmake"]
    none = sysutil.plan_install("apt", ["cmake"], root=False, sudo_ok=lambda: False)
    assert none.argv is None and none.user_command == "sudo apt-get install -y cmake"
    ok, msg = sysutil.run_install("apt", ["cmake"], plan=none)
    assert not ok and msg == ("cannot install cmake: not root, and sudo needs a password (or is missing); "
                              "run: sudo apt-get install -y cmake")
    assert sysutil.plan_install("nosuch", ["x"]).reason.startswith("unknown package manager")
    assert sysutil.plan_install("brew", ["x"], root=False, sudo_ok=lambda: False).argv == ["brew", "install", "x"]


def test_versions():
    assert common.compare_versions("3.9", "3.9.0") == 0
    assert common.compare_versions("3.10", "3.9") == 1
    assert common.compare_versions("12.4", "12.10") == -1
    env = {"CM_VERSION_MIN": "3.8", "CM_VERSION_MAX": "3.12"}
    assert common.version_ok("3.11.2", env) is None
    assert "below the minimum" in common.version_ok("3.7", env)
    assert "above the maximum" in common.version_ok("3.13", env)
    assert "not the requested" in common.version_ok("3.11", {"CM_VERSION": "3.12"})
    assert common.split_version("3.12") == ("3", "12", "0")
    assert common.split_version("3") == ("3", "0", "0")
    assert common.env_name("onnxruntime-gpu") == "ONNXRUNTIME_GPU"
    assert common.is_true("Yes") and not common.is_true("no") and not common.is_true(None)


def test_run_capture_never_raises():
    assert common.run_capture(["/nonexistent/tool"])[0] == 127
    code, out = common.run_capture([sys.executable, "-c", "print('hi')"])
    assert code == 0 and out.strip() == "hi"


def test_pip_version_spec():
    assert pyenv.pip_version_spec({"CM_VERSION": "1.2"}) == "==1.2"
    assert pyenv.pip_version_spec({"CM_VERSION_MIN": "1", "CM_VERSION_MAX": "2"}) == ">=1,<=2"
    assert pyenv.pip_version_spec({"CM_TMP_PIP_VERSION_STRING": "<3"}) == "<3"
    assert pyenv.pip_version_spec({}) == ""
    cmd = pyenv.install_command("/v/bin/python", "six==1.16", use_uv=False)
    assert cmd[:4] == ["/v/bin/python", "-m", "pip", "install"] and "six==1.16" in cmd


def test_venv_detection(tmp_path):
    (tmp_path / "v" / "bin").mkdir(parents=True)
    (tmp_path / "v" / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.11.7\n")
    assert pyenv.is_venv_python(tmp_path / "v" / "bin" / "python")
    assert not pyenv.is_venv_python("/usr/bin/python3")
    assert pyenv._venv_major_minor(tmp_path / "v") == "3.11"
    assert pyenv.installed_version(sys.executable, "pytest")
    assert pyenv.installed_version(sys.executable, "no-such-dist-xyz") is None


def test_cuda_helpers(tmp_path):
    root = tmp_path / "cuda-12.4"
    (root / "bin").mkdir(parents=True)
    (root / "include").mkdir()
    (root / "include" / "cuda_runtime.h").write_text("")
    (root / "lib64").mkdir()
    real = root / "lib64" / "libcudart.so.12.4.127"
    real.write_text("")
    os.symlink(real.name, root / "lib64" / "libcudart.so")
    assert cuda.soname_version(str(root / "lib64" / "libcudart.so")) == "12.4.127"
    assert cuda.find_library(["libcudart.so"], [str(tmp_path), str(root / "lib64")]).endswith("libcudart.so")
    wrapper = tmp_path / "wrapbin" / "nvcc"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {root}/bin/nvcc "$@"\n')
    assert cuda.cuda_home_from_nvcc(str(wrapper)) == str(root)
    assert cuda.lib_dir(str(root)) == str(root / "lib64")
    hdr = tmp_path / "cudnn_version.h"
    hdr.write_text("#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 1\n#define CUDNN_PATCHLEVEL 0\n")
    assert cuda.header_version(str(hdr), "CUDNN_") == "9.1.0"
    assert cuda.header_version(str(tmp_path / "none.h"), "CUDNN_") == ""


def test_compiler_version_parsing():
    assert compilers.parse_version("gcc (Debian 12.2.0-14) 12.2.0\n", "GCC") == "12.2.0"
    assert compilers.parse_version("Ubuntu clang version 18.1.3 (1ubuntu1)\n", "LLVM") == "18.1.3"
    assert compilers.parse_version("Apple clang version 15.0.0 (clang-1500)\n", "LLVM") == "15.0.0"
    env = compilers.compiler_env("GCC", "/usr/bin/gcc", "/usr/bin/g++", "12.2.0")
    assert env["CM_C_COMPILER_BIN"] == "gcc" and env["CM_CXX_COMPILER_WITH_PATH"] == "/usr/bin/g++"
    assert env["+PATH"] == ["/usr/bin"]


def test_local_versions_satisfy_a_public_request():
    from cm_scripts_mlops.lib.common import version_ok

    assert version_ok("2.13.0+cpu", {"CM_VERSION": "2.13.0"}) is None
    assert version_ok("2.13.0+cpu", {"CM_VERSION": "2.13.0+cpu"}) is None
    assert version_ok("2.13.0+cu121", {"CM_VERSION": "2.13.0+cpu"}) is not None
    assert version_ok("2.13.0+cpu", {"CM_VERSION_MIN": "2.13", "CM_VERSION_MAX": "2.13.0"}) is None
    assert version_ok("2.12.1+cpu", {"CM_VERSION_MIN": "2.13"}) is not None
