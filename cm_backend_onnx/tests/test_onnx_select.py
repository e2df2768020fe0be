"""Execution-provider selection for every device kind, detection, wheel choice and the hooks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from cm_backend_onnx.quantize import dynamic_weight_type

from cm_backend_onnx import plugin, providers, wheels
from cmcore.types import Backend, Component, Device, InstallPlan

CPU, CUDA, TRT, QNN, COREML = (providers.CPU_EP, providers.CUDA_EP, providers.TENSORRT_EP,
                               providers.QNN_EP, providers.COREML_EP)


def dev(kind: str, index: int = 0, **kw) -> Device:
    return Device(kind=kind, name=f"{kind}:{index}", index=index, **kw)


def test_cpu_gets_the_cpu_ep():
    choice = providers.select_providers(dev("cpu"), [CPU])
    assert choice.names == [CPU] and choice.fallback_reason == ""


def test_cuda_with_gpu_build():
    choice = providers.select_providers(dev("cuda", 1), [TRT, CUDA, CPU])
    assert choice.providers == [(CUDA, {"device_id": 1}), (CPU, {})] and choice.fallback_reason == ""


def test_cuda_with_tensorrt_ep_first():
    choice = providers.select_providers(dev("cuda", 0), [TRT, CUDA, CPU], tensorrt=True, trt_cache_dir="/c")
    assert choice.names == [TRT, CUDA, CPU]
    assert choice.providers[0][1] == {"device_id": 0, "trt_engine_cache_enable": True,
                                      "trt_engine_cache_path": "/c"}


def test_cuda_tensorrt_missing_falls_back_to_cuda_with_reason():
    choice = providers.select_providers(dev("cuda"), [CUDA, CPU], tensorrt=True)
    assert choice.names == [CUDA, CPU]
    assert "TensorrtExecutionProvider is not in this onnxruntime build" in choice.fallback_reason
    assert "running on CUDAExecutionProvider" in choice.fallback_reason


def test_cuda_on_cpu_only_build_falls_back_to_cpu():
    choice = providers.select_providers(dev("cuda"), [CPU])
    assert choice.names == [CPU] and choice.requested == [CUDA, CPU]
    assert "onnxruntime-gpu" in choice.fallback_reason and "running on CPUExecutionProvider" in choice.fallback_reason


@pytest.mark.parametrize(("system", "lib"), [("Windows", "QnnHtp.dll"), ("Linux", "libQnnHtp.so")])
def test_qualcomm_gets_qnn_htp(system, lib):
    choice = providers.select_providers(dev("qualcomm"), [QNN, CPU], system=system)
    assert choice.providers == [(QNN, {"backend_path": lib}), (CPU, {})]
    assert "onnxruntime-qnn" in providers.select_providers(dev("qualcomm"), [CPU]).fallback_reason


def test_metal_gets_coreml():
    assert providers.select_providers(dev("metal"), [COREML, CPU]).names == [COREML, CPU]
    assert "CoreML" in providers.select_providers(dev("metal"), [CPU]).fallback_reason


def test_explicit_providers_and_unknown_kinds():
    choice = providers.select_providers(dev("cpu"), [CUDA, CPU], explicit=[CUDA, CPU])
    assert choice.names == [CUDA, CPU]
    assert providers.select_providers(dev("cpu"), [CPU], explicit=["NoSuchEP"]).names == [CPU]
    with pytest.raises(ValueError, match="rocm"):
        providers.select_providers(dev("rocm"), [CPU])


def test_cuda_override_device_runs_on_cpu_with_recorded_reason(cm_session, fake_devices, backend, mlp):
    """A CUDA device from cm-hw-cuda (forced by override) on a CPU-only onnxruntime build."""
    import onnxruntime as ort

    if CUDA in ort.get_available_providers():
        pytest.skip("this onnxruntime has the CUDA EP: the fallback path is not reachable")
    fake_devices(cuda="12.4")
    from cm_backend_onnx.backend import all_devices

    [gpu] = [d for d in all_devices(cm_session) if d.kind == "cuda"]
    handle = backend.load(str(mlp.path), gpu, {})
    x = mlp.batch(4)
    np.testing.assert_allclose(handle.predict(x)[0], mlp.reference(x), rtol=1e-5, atol=1e-5)
    report = backend.postprocess(handle)
    assert report["device"] == "cuda:0" and report["providers_used"] == [CPU]
    assert report["providers_requested"] == [CUDA, CPU] and "onnxruntime-gpu" in report["fallback_reason"]


def test_detect_reports_engine_and_drivable_devices(cm_session, fake_devices, backend):
    import onnxruntime as ort

    fake_devices(cpu="Test CPU", cuda="12.4", metal="14.4", qualcomm="")
    found = backend.detect(cm_session)
    assert found["available"] is True and found["version"] == ort.__version__
    assert found["providers"] == ort.get_available_providers() and found["reason"] == ""
    assert "cpu:0" in found["devices"]
    if CUDA not in found["providers"]:
        assert "onnxruntime-gpu" in found["undrivable"]["cuda:0"]
    if COREML not in found["providers"]:
        assert "metal:0" in found["undrivable"]


def test_detect_in_an_interpreter_without_onnxruntime(cm_session, backend, tmp_path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True)
    python = str(tmp_path / "bare" / "bin" / "python")
    found = backend.detect(cm_session, python=python)
    assert found["available"] is False and found["devices"] == []
    assert "onnxruntime is not importable" in found["reason"] and python in found["reason"]
    missing = backend.detect(cm_session, python=str(tmp_path / "no-python"))
    assert missing["available"] is False and "cannot run" in missing["reason"]


@pytest.mark.parametrize(("device", "system", "requirement"), [
    (dev("cpu"), "Linux", "onnxruntime"),
    (dev("cuda", runtime_version="12.4"), "Linux", "onnxruntime-gpu"),
    (dev("cuda", runtime_version="13.0"), "Windows", "onnxruntime-gpu"),
    (dev("cuda", runtime_version="11.8"), "Linux", "onnxruntime-gpu<1.19"),
    (dev("cuda", runtime_version="12.4"), "Darwin", "onnxruntime"),
    (dev("qualcomm"), "Windows", "onnxruntime-qnn"),
    (dev("metal"), "Darwin", "onnxruntime"),
])
def test_wheel_choice(device, system, requirement):
    assert wheels.choose_wheel(device, system)[0] == requirement


def test_install_plan_quotes_python_and_removes_other_flavours(backend, cm_session):
    plan = backend.install(cm_session, dev("cuda", runtime_version="12.4"), python="/opt/my env/bin/python")
    assert isinstance(plan, InstallPlan) and plan.automatic is True and plan.component == "onnxruntime"
    uninstall, install = plan.commands
    assert uninstall.startswith("'/opt/my env/bin/python' -m pip uninstall -y onnxruntime ")
    assert "onnxruntime-gpu" not in uninstall.split() and "onnxruntime-qnn" in uninstall.split()
    assert install == "'/opt/my env/bin/python' -m pip install --upgrade onnxruntime-gpu onnx numpy"


def test_int8_weight_choice():
    assert dynamic_weight_type("auto", ["avx2", "fma"], "x86_64") == "u8"  # avoids u8s8 saturation
    assert dynamic_weight_type("auto", ["avx2", "avx512_vnni"], "x86_64") == "s8"
    assert dynamic_weight_type("auto", None, "aarch64") == "s8"
    assert dynamic_weight_type("s8", ["avx2"], "x86_64") == "s8"


def test_registration_and_lifecycle_hooks(cm_session, fake_devices):
    specs = cm_session.pm.registered_records("cm_backends")
    assert "onnxruntime" in specs
    obj = specs["onnxruntime"].factory()
    assert isinstance(obj, Backend) and obj.name == "onnxruntime"
    found = cm_session.pm.hook.cm_detect(component=Component("backend", "onnxruntime"), session=cm_session)
    assert found["available"] is True
    fake_devices(cuda="12.4")
    plan = plugin.cm_install(Component("backend", "onnxruntime"), cm_session)
    assert "onnxruntime-gpu" in plan.commands[-1]  # the best device present decides
    plan = plugin.cm_install(Component("backend", "onnxruntime", {"device": "cpu:0"}), cm_session)
    assert plan.commands[-1].endswith("install --upgrade onnxruntime onnx numpy")
    assert plugin.cm_detect(Component("backend", "tensorrt"), cm_session) is None
    assert plugin.cm_install(Component("device", "onnxruntime"), cm_session) is None


def test_loading_plugins_imports_no_engine():
    """Building the plugin manager (what `cm --help` does) must not import any vendor engine."""
    code = ("import sys; from cmcore.plugins import get_plugin_manager; pm = get_plugin_manager(); "
            "assert pm.get_plugin('backend-onnx') is not None, pm.warnings; "
            "print(sorted(m for m in ('onnxruntime', 'onnx', 'tensorrt', 'numpy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
