"""get-cuda, get-cudnn and get-tensorrt: fake toolkits on --path everywhere, and the real
thing on a machine with an NVIDIA GPU (tests marked ``gpu``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def fake_cuda(root: Path, version: str = "12.4", build: str = "131") -> Path:
    """A toolkit tree whose nvcc prints what the real one does."""
    (root / "bin").mkdir(parents=True)
    (root / "include").mkdir()
    (root / "include" / "cuda_runtime.h").write_text("/* fake */\n")
    (root / "lib64").mkdir()
    (root / "lib64" / f"libcudart.so.{version}.{build}").write_text("")
    os.symlink(f"libcudart.so.{version}.{build}", root / "lib64" / "libcudart.so")
    nvcc = root / "bin" / "nvcc"
    nvcc.write_text("#!/bin/sh\necho 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
                    f"echo 'Cuda compilation tools, release {version}, V{version}.{build}'\n")
    nvcc.chmod(0o755)
    return nvcc


def test_get_cuda_with_a_fake_nvcc(ok, tmp_path):
    nvcc = fake_cuda(tmp_path / "cuda-12.4")
    env = ok("get,cuda", path=str(nvcc.parent))
    root = tmp_path / "cuda-12.4"
    assert env["CM_NVCC_BIN_WITH_PATH"] == str(nvcc)
    assert env["CM_CUDA_VERSION"] == "12.4" and env["CM_CUDA_VERSION_STRING"] == "cu124"
    assert env["CUDA_HOME"] == env["CUDA_PATH"] == str(root)
    assert env["+PATH"][0] == str(root / "bin")
    assert str(root / "include") in env["+C_INCLUDE_PATH"]
    assert str(root / "lib64") in env["+LD_LIBRARY_PATH"]
    assert f"-L{root / 'lib64'}" in env["+ LDFLAGS"]


def test_get_cuda_version_constraints_and_absence(run, tmp_path):
    nvcc = fake_cuda(tmp_path / "cuda-11.8", "11.8", "89")
    r = run("get,cuda", path=str(nvcc.parent), version_min="12.0")
    assert r["return"] == 16 and "CUDA toolkit not found" in r["error"]
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run("get,cuda", path=str(empty))
    assert r["return"] == 16 and "\n" not in r["error"] and "--path" in r["error"]


def test_get_cuda_lib_only(ok, tmp_path):
    fake_cuda(tmp_path / "cuda-12.4")
    env = ok("get,cuda,_lib-only", path=str(tmp_path / "cuda-12.4" / "lib64"))
    assert env["CM_CUDA_VERSION"] == "12.4.131"
    assert env["CUDA_HOME"] == str(tmp_path / "cuda-12.4")


def test_get_cudnn_from_header(ok, run, tmp_path):
    root = tmp_path / "cudnn"
    (root / "lib").mkdir(parents=True)
    (root / "include").mkdir()
    (root / "lib" / "libcudnn.so.9").write_text("")
    (root / "include" / "cudnn_version.h").write_text(
        "#define CUDNN_MAJOR 9\n#define CUDNN_MINOR 3\n#define CUDNN_PATCHLEVEL 0\n")
    env = ok("get,cudnn", path=str(root / "lib"))
    assert env["CM_CUDNN_VERSION"] == "9.3.0"
    assert env["CM_CUDA_PATH_INCLUDE_CUDNN"] == str(root / "include")
    r = run("get,cudnn", path=str(tmp_path))
    assert r["return"] == 16 and "cuDNN not found" in r["error"]


def test_get_tensorrt_with_a_fake_libnvinfer(ok, run, tmp_path):
    root = tmp_path / "TensorRT-10.3.0"
    (root / "lib").mkdir(parents=True)
    (root / "include").mkdir()
    (root / "lib" / "libnvinfer.so.10.3.0").write_text("")
    os.symlink("libnvinfer.so.10.3.0", root / "lib" / "libnvinfer.so")
    (root / "include" / "NvInferVersion.h").write_text(
        "#define NV_TENSORRT_MAJOR 10\n#define NV_TENSORRT_MINOR 3\n#define NV_TENSORRT_PATCH 0\n")
    env = ok("get,tensorrt", path=str(root / "lib"))
    assert env["CM_TENSORRT_VERSION"] == "10.3.0" and env["CM_TENSORRT_SOURCE"] == "lib"
    assert env["CM_TENSORRT_LIB_PATH"] == str(root / "lib")
    r = run("get,tensorrt", path=str(root / "lib"), version_min="11")
    assert r["return"] == 16 and "below the minimum" in r["error"]


def test_get_tensorrt_absent_is_one_line(run, tmp_path):
    (tmp_path / "none").mkdir()
    r = run("get,tensorrt,_lib", path=str(tmp_path / "none"))
    assert r["return"] == 16 and "TensorRT not found" in r["error"] and "\n" not in r["error"]


def _gpu_reason() -> str | None:
    smi = shutil.which("nvidia-smi")
    if not smi:
        return "no nvidia-smi on PATH"
    try:
        r = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        return f"nvidia-smi failed: {e}"
    if r.returncode != 0 or "GPU" not in r.stdout:
        return "nvidia-smi lists no GPU"
    return None


needs_gpu = pytest.mark.skipif(_gpu_reason() is not None, reason=str(_gpu_reason()))


@pytest.mark.gpu
@needs_gpu
def test_real_cuda_toolkit(ok):
    if not (shutil.which("nvcc") or list(Path("/usr/local").glob("cuda*/bin/nvcc"))):
        pytest.skip("no CUDA toolkit (nvcc) installed")
    env = ok("get,cuda")
    out = subprocess.run([env["CM_NVCC_BIN_WITH_PATH"], "--version"], capture_output=True, text=True).stdout
    assert f"release {env['CM_CUDA_VERSION']}" in out
    assert Path(env["CUDA_HOME"], "include", "cuda_runtime.h").is_file()


@pytest.mark.gpu
@needs_gpu
def test_real_cuda_compiles_and_runs_a_kernel(ok, clean_env):
    if not (shutil.which("nvcc") or list(Path("/usr/local").glob("cuda*/bin/nvcc"))):
        pytest.skip("no CUDA toolkit (nvcc) installed")
    env = ok("get,cuda")
    src = clean_env / "k.cu"
    src.write_text('#include <cstdio>\n__global__ void k(int *x){*x = 42;}\n'
                   'int main(){int *d,h=0;cudaMalloc(&d,4);k<<<1,1>>>(d);'
                   'cudaMemcpy(&h,d,4,cudaMemcpyDeviceToHost);printf("%d\\n",h);return h==42?0:1;}\n')
    subprocess.run([env["CM_NVCC_BIN_WITH_PATH"], str(src), "-o", str(clean_env / "k")], check=True)
    assert subprocess.run([str(clean_env / "k")], capture_output=True, text=True).stdout.strip() == "42"
