"""The MLP through the CUDA execution provider on a real NVIDIA GPU (run by hand on a GPU box:
``pytest -m gpu cm_backend_onnx/tests``). Needs ``onnxruntime-gpu`` in the environment."""

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
    from cm_backend_onnx.backend import all_devices

    found = [d for d in all_devices(cm_session) if d.kind == "cuda"]
    if not found:
        pytest.skip("nvidia-smi is present but cm-hw-cuda found no GPU (is cm-hw-cuda installed?)")
    return found[0]


def test_mlp_on_cuda_ep(backend, mlp, gpu):
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip(f"onnxruntime {ort.__version__} has no CUDA EP: pip install onnxruntime-gpu")
    handle = backend.load(str(mlp.path), gpu, {})
    report = backend.postprocess(handle)
    if report["providers_used"][0] != "CUDAExecutionProvider":
        pytest.fail(f"CUDA EP did not start: {report['fallback_reason']}")
    for n in (1, 64, 1024):
        x = mlp.batch(n)
        np.testing.assert_allclose(handle.predict(x)[0], mlp.reference(x), rtol=1e-3, atol=1e-3)
    stats = backend.run(handle, [mlp.batch(256, seed=s) for s in range(5)], warmup=3)
    assert stats["samples"] == 1280 and stats["samples_per_s"] > 0
