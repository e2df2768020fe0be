"""cm-backend-tensorrt on a machine without TensorRT: the "not available" paths, options,
install plans, the engine cache and the hooks. GPU runs are in test_trt_gpu.py."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from cm_backend_tensorrt.backend import normalise, tensorrt_wheel

from cm_backend_tensorrt import engine as engines
from cm_backend_tensorrt import plugin, probe
from cmcore.errors import CMError
from cmcore.types import Backend, Component, Device, InstallPlan


def gpu(**kw) -> Device:
    caps = kw.pop("capabilities", {"compute_capability": "9.0"})
    return Device(kind="cuda", name="cuda:0", model=kw.pop("model", "NVIDIA H100 80GB HBM3"),
                  runtime_version=kw.pop("runtime_version", "12.4"), capabilities=caps, **kw)


def trt_importable() -> bool:
    return "tensorrt" in probe.probe()


def test_real_probe_never_raises_and_reports_shape():
    found = probe.probe()
    assert "tensorrt" in found or "tensorrt_error" in found
    assert isinstance(found["cuda_python"], bool) and isinstance(found["torch"], bool)
    assert probe.probe("/no/such/python")["error"].startswith("cannot run /no/such/python")


def test_detect_without_tensorrt(cm_session, fake_devices, backend):
    if trt_importable():
        pytest.skip("TensorRT is installed here")
    fake_devices(cuda="12.4")
    found = backend.detect(cm_session)
    assert found["available"] is False and found["devices"] == []
    assert found["reason"].startswith("not available: ")
    assert "tensorrt" in found["reason"] and sys.executable in found["reason"]
    assert plugin.cm_detect(Component("backend", "tensorrt"), cm_session) is None


@pytest.mark.parametrize(("found", "gpus", "expect"), [
    ({"tensorrt_error": "ModuleNotFoundError"}, [gpu()], "tensorrt Python package is not installed"),
    ({"tensorrt_error": "x", "libnvinfer": 100300}, [gpu()], "libnvinfer 10.3.0 is installed"),
    ({"tensorrt": "10.3.0", "cuda_python": True}, [], "no CUDA device was detected"),
    ({"tensorrt": "10.3.0", "cuda_python": False, "torch": False}, [gpu()], "neither cuda-python nor torch"),
    ({"error": "probing TensorRT in py took longer than 120s"}, [gpu()], "took longer"),
    ({"tensorrt": "10.3.0", "cuda_python": False, "torch": True}, [gpu()], ""),
])
def test_availability_reasons(found, gpus, expect):
    ok, reason = probe.availability(found, gpus, "py")
    assert ok is (expect == "") and expect in reason


def test_lib_version_encodings():
    assert probe.lib_version(100300) == "10.3.0"
    assert probe.lib_version(110401) == "11.4.1"
    assert probe.lib_version(8601) == "8.6.1"
    assert probe.lib_version(None) is None


def test_load_says_not_available_instead_of_a_traceback(backend, mlp):
    if trt_importable():
        pytest.skip("TensorRT is installed here")
    with pytest.raises(CMError, match=r"^TensorRT backend not available: the tensorrt Python module") as err:
        backend.load(str(mlp.path), gpu(), {"precision": "fp16"})
    assert err.value.code == 1 and "pip install tensorrt-cu12" in err.value.message


def test_load_rejects_non_cuda_devices_and_missing_models(backend, mlp, tmp_path):
    with pytest.raises(CMError, match="runs only on NVIDIA CUDA GPUs, not metal:0"):
        backend.load(str(mlp.path), Device(kind="metal", name="metal:0"), {})
    with pytest.raises(CMError) as err:
        backend.load(str(tmp_path / "nope.onnx"), gpu(), {})
    assert err.value.code == 16


@pytest.mark.parametrize(("options", "message"), [
    ({"precison": "fp16"}, 'did you mean "precision"'),
    ({"precision": "bf8"}, "not one of fp32, fp16, int8"),
    ({"max_batch": 0}, "whole number >= 1"),
    ({"workspace_gb": -1}, "must be > 0"),
    ({"memory": "cupy"}, "not one of cuda-python, torch"),
])
def test_bad_options(backend, mlp, options, message):
    with pytest.raises(CMError, match=message):
        backend.load(str(mlp.path), gpu(), options)


def test_option_defaults():
    opts = normalise({"max_batch": 8})
    assert opts["opt_batch"] == 8 and opts["precision"] == "fp32"
    assert normalise({"max_batch": 8, "opt_batch": 32})["opt_batch"] == 8


def test_engine_cache_key_covers_everything_that_changes_an_engine():
    base = dict(model_bytes=b"model", trt_version="10.3.0", device=gpu(),
                settings={"precision": "fp16", "max_batch": 64})
    key = engines.cache_key(**base)
    assert key == engines.cache_key(**base)
    variants = [
        {**base, "model_bytes": b"model2"},
        {**base, "trt_version": "10.4.0"},
        {**base, "device": gpu(model="NVIDIA A100-SXM4-80GB")},
        {**base, "device": gpu(capabilities={"compute_capability": "8.0"})},
        {**base, "settings": {"precision": "fp32", "max_batch": 64}},
        {**base, "settings": {"precision": "fp16", "max_batch": 32}},
        {**base, "settings": {"precision": "fp16", "max_batch": 64,
                              "calibration_data": [{"X": np.ones((2, 8), np.float32)}]}},
    ]
    keys = {engines.cache_key(**v) for v in variants}
    assert key not in keys and len(keys) == len(variants)


def test_engine_cache_store_is_atomic_and_readable(tmp_path):
    folder = engines.cache_folder(str(tmp_path / "engines"))
    assert engines.load_cached(folder, "k") is None
    path = engines.store(folder, "k", b"\x00engine-bytes", {"gpu": "H100"})
    assert path.read_bytes() == b"\x00engine-bytes" and engines.load_cached(folder, "k") == b"\x00engine-bytes"
    assert (folder / "k.json").read_text().count("H100") == 1
    assert not list(folder.glob("*.tmp"))


@pytest.mark.parametrize(("cuda", "wheel"), [("11.8", "tensorrt-cu11"), ("12.4", "tensorrt-cu12"),
                                             ("13.0", "tensorrt-cu13"), (None, "tensorrt-cu12")])
def test_wheel_for_the_driver(cuda, wheel):
    assert tensorrt_wheel(gpu(runtime_version=cuda)) == wheel


def test_install_plans(backend, cm_session):
    plan = backend.install(cm_session, gpu(runtime_version="13.0"), python="/v/bin/python")
    assert isinstance(plan, InstallPlan) and plan.automatic is True
    assert plan.commands == ("/v/bin/python -m pip install --upgrade tensorrt-cu13 'cuda-python>=13,<14' onnx numpy",)
    none = backend.install(cm_session, Device(kind="cpu", name="cpu:0"))
    assert none.commands == () and none.note.startswith("not available: TensorRT runs only on NVIDIA")


def test_hooks(cm_session, fake_devices):
    specs = cm_session.pm.registered_records("cm_backends")
    obj = specs["tensorrt"].factory()
    assert isinstance(obj, Backend) and obj.name == "tensorrt"
    fake_devices(cuda="12.4")
    plan = plugin.cm_install(Component("backend", "tensorrt"), cm_session)
    assert "tensorrt-cu12" in plan.commands[0]
    fake_devices(cuda="")
    plan = plugin.cm_install(Component("backend", "tensorrt"), cm_session)
    assert plan.commands == () and "not available" in plan.note
    assert plugin.cm_install(Component("backend", "onnxruntime"), cm_session) is None
