"""`cmr "detect device"` and `cmr "get backend ..."` reach the hardware and backend plugins."""

from __future__ import annotations

import sys

import pytest

import cmcore


def run(tags, **kw):
    return cmcore.access({"action": "run", "automation": "script", "tags": tags, "quiet": True, **kw})


def test_detect_device_lists_the_cpu(cm_session):
    r = run("detect,device")
    assert r["return"] == 0, r.get("error")
    env = r["new_env"]
    assert "cpu" in env["CM_DEVICE_KINDS"].split(",")
    assert int(env["CM_DEVICE_CPU_COUNT"]) >= 1
    cpu = [d for d in r["new_state"]["devices"] if d["kind"] == "cpu"][0]
    assert cpu["capabilities"]["cores"] >= 1


def test_detect_device_with_overrides(cm_session, fake_devices):
    fake_devices(cuda="12.4", cuda_devices="2", metal="")
    r = run("detect,device,_cuda")
    assert r["return"] == 0, r.get("error")
    assert r["new_env"]["CM_DEVICE_CUDA_COUNT"] == "2"
    assert r["new_env"]["CM_DEVICE_CUDA_RUNTIME_VERSION"] == "12.4"
    assert {d["kind"] for d in r["new_state"]["devices"]} == {"cuda"}
    assert "CM_DETECT_DEVICE_KIND" not in r["new_env"]


def test_absent_kind_is_one_line(cm_session, fake_devices):
    fake_devices(metal="")
    r = run("detect,device,_metal")
    assert r["return"] == 16 and "no metal device" in r["error"] and "\n" not in r["error"]


def test_get_backend_onnxruntime_on_cpu(cm_session):
    r = run("get,backend,_onnxruntime", python=sys.executable)
    assert r["return"] == 0, r.get("error")
    env = r["new_env"]
    import onnxruntime

    assert env["CM_BACKEND_VERSION"] == onnxruntime.__version__
    assert "cpu:0" in env["CM_BACKEND_DEVICES"].split(",")
    assert "CPUExecutionProvider" in env["CM_BACKEND_PROVIDERS"]


def test_cpu_build_cannot_drive_cuda_without_install(cm_session, fake_devices):
    fake_devices(cuda="12.4")
    r = run("get,backend,_onnxruntime,_cuda", python=sys.executable, install="no")
    assert r["return"] == 16 and "onnxruntime-gpu" in r["error"]


def test_unknown_engine_and_missing_device(cm_session, fake_devices):
    r = run("get,backend,_engine.openvinox", python=sys.executable)
    assert r["return"] == 16 and 'no inference backend "openvinox"' in r["error"]
    fake_devices(cuda="")
    r = run("get,backend,_tensorrt,_cuda", python=sys.executable)
    assert r["return"] == 16 and "no cuda device" in r["error"]


@pytest.mark.slow
def test_installs_onnxruntime_into_the_tool_owned_venv(cm_session):
    r = run("get,backend,_onnxruntime")
    assert r["return"] == 0, r.get("error")
    py = r["new_env"]["CM_BACKEND_PYTHON"]
    assert py.startswith(str(cm_session.home)) and r["new_env"]["CM_BACKEND_VERSION"]
