"""TensorRT on a real NVIDIA GPU (``pytest -m gpu cm_backend_tensorrt/tests``). Needs
``tensorrt-cu12`` (or -cu13) and ``cuda-python`` or ``torch``; skips with the reason otherwise."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.gpu


@pytest.fixture
def gpu(cm_session, fake_devices):
    if shutil.which("nvidia-smi") is None:
        pytest.skip("no nvidia-smi on PATH: no NVIDIA GPU here")
    fake_devices(cuda=None)
    from cm_backend_tensorrt.backend import all_devices

    found = [d for d in all_devices(cm_session) if d.kind == "cuda"]
    if not found:
        pytest.skip("nvidia-smi is present but cm-hw-cuda found no GPU (is cm-hw-cuda installed?)")
    return found[0]


@pytest.mark.parametrize("memory", ["cuda-python", "torch"])
def test_gpu_buffers_round_trip(gpu, memory):
    """The buffer layer alone (no TensorRT needed): host -> device -> host is exact."""
    from cm_backend_tensorrt.cudamem import CudaPythonMemory, TorchMemory

    impl = CudaPythonMemory if memory == "cuda-python" else TorchMemory
    try:
        mem = impl(gpu.index)
    except ImportError as exc:
        pytest.skip(f"{memory} is not installed: {exc}")
    src = np.arange(1000, dtype=np.float32).reshape(10, 100)
    ptr = mem.alloc(src.nbytes)
    mem.to_device(ptr, src)
    mem.synchronize()
    back = np.empty_like(src)
    mem.to_host(back, ptr)
    np.testing.assert_array_equal(back, src)
    assert isinstance(mem.stream_handle, int)
    mem.free(ptr)
    mem.close()


def test_build_cache_and_run_engines(cm_session, backend, mlp, gpu, tmp_path):
    found = backend.detect(cm_session)
    if not found["available"]:
        pytest.skip(found["reason"])
    opts = {"cache_dir": str(tmp_path / "engines"), "max_batch": 64}
    h32 = backend.load(str(mlp.path), gpu, {**opts, "precision": "fp32"})
    assert h32.cache_hit is False and h32.cache_path.is_file()
    for n in (1, 7, 64):
        x = mlp.batch(n)
        np.testing.assert_allclose(h32.predict(x)[0], mlp.reference(x), rtol=1e-3, atol=1e-3)
    again = backend.load(str(mlp.path), gpu, {**opts, "precision": "fp32"})
    assert again.cache_hit is True and again.cache_path == h32.cache_path
    h16 = backend.load(str(mlp.path), gpu, {**opts, "precision": "fp16"})
    assert h16.cache_path != h32.cache_path
    x = mlp.batch(32)
    ref = mlp.reference(x)
    assert np.max(np.abs(h16.predict(x)[0] - ref)) <= 0.02 * np.max(np.abs(ref))
    stats = backend.run(h16, [mlp.batch(64, seed=s) for s in range(4)], warmup=2)
    assert stats["samples"] == 256
    report = backend.postprocess(h16)
    assert report["engine_version"] == found["version"] and report["options"]["precision"] == "fp16"
    with pytest.raises(Exception, match="outside the engine's profile"):
        h32.predict(mlp.batch(65))


def test_int8_with_calibration(cm_session, backend, mlp, gpu, tmp_path):
    found = backend.detect(cm_session)
    if not found["available"]:
        pytest.skip(found["reason"])
    from cmcore.errors import CMError

    calib = [{"X": mlp.batch(16, seed=s)} for s in range(8)]
    try:
        h8 = backend.load(str(mlp.path), gpu, {"precision": "int8", "calibration_data": calib, "max_batch": 16,
                                               "cache_dir": str(tmp_path)})
    except CMError as exc:
        if "no INT8 calibrator" in exc.message or "no int8 builder flag" in exc.message:
            pytest.skip(exc.message)
        raise
    x = mlp.batch(16, seed=100)
    ref = mlp.reference(x)
    assert np.max(np.abs(h8.predict(x)[0] - ref)) <= 0.15 * np.max(np.abs(ref))
