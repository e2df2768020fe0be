"""ONNX Runtime running a real MLP on the CPU: every option, int8, batch sizes, bad input."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from cmcore.errors import CMError


@pytest.mark.parametrize("n", [1, 4, 32])
def test_fp32_matches_numpy_for_batch_sizes(backend, cpu, mlp, n):
    handle = backend.load(str(mlp.path), cpu, {})
    x = mlp.batch(n)
    [y] = handle.predict(x)
    assert y.shape == (n, 4)
    np.testing.assert_allclose(y, mlp.reference(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("options", [
    {"intra_op_threads": 1},
    {"intra_op_threads": 2, "inter_op_threads": 1},
    {"graph_optimization_level": "disable"},
    {"graph_optimization_level": "basic"},
    {"graph_optimization_level": "extended"},
    {"graph_optimization_level": 99},
    {"execution_mode": "parallel", "inter_op_threads": 2},
    {"log_severity": 4},
])
def test_every_option_is_applied_and_results_stay_exact(backend, cpu, mlp, options):
    handle = backend.load(str(mlp.path), cpu, options)
    so = handle.session.get_session_options()
    if "intra_op_threads" in options:
        assert so.intra_op_num_threads == options["intra_op_threads"]
    if "inter_op_threads" in options:
        assert so.inter_op_num_threads == options["inter_op_threads"]
    if "graph_optimization_level" in options:
        import onnxruntime as ort

        want = {"disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                99: ort.GraphOptimizationLevel.ORT_ENABLE_ALL}[options["graph_optimization_level"]]
        assert so.graph_optimization_level == want
    if options.get("execution_mode") == "parallel":
        import onnxruntime as ort

        assert so.execution_mode == ort.ExecutionMode.ORT_PARALLEL
    x = mlp.batch(8)
    np.testing.assert_allclose(handle.predict(x)[0], mlp.reference(x), rtol=1e-5, atol=1e-5)
    report = backend.postprocess(handle)
    assert report["providers_used"] == ["CPUExecutionProvider"] and report["fallback_reason"] == ""
    for k, v in options.items():
        assert report["options"][k] == ({99: "all"}.get(v, v) if k == "graph_optimization_level" else v)


def _close_enough(y, ref):
    # INT8 error scales with the output's magnitude; 10% of the range allows for 8-bit weights and
    # activations (per-tensor scales) and still catches a wrong graph (off by ~100%)
    return float(np.max(np.abs(y - ref))) <= 0.10 * float(np.max(np.abs(ref)))


def test_dynamic_int8_quantisation(backend, cpu, mlp, tmp_path):
    handle = backend.load(str(mlp.path), cpu, {"precision": "int8", "cache_dir": str(tmp_path / "q")})
    ops = {n.op_type for n in onnx.load(str(handle.run_path)).graph.node}
    assert ops & {"MatMulInteger", "DynamicQuantizeMatMul", "DynamicQuantizeLinear"}, ops
    x = mlp.batch(16)
    y = handle.predict(x)[0]
    assert _close_enough(y, mlp.reference(x)) and not np.allclose(y, mlp.reference(x), atol=1e-6)
    mtime = handle.run_path.stat().st_mtime_ns
    again = backend.load(str(mlp.path), cpu, {"precision": "int8", "cache_dir": str(tmp_path / "q")})
    assert again.run_path == handle.run_path and again.run_path.stat().st_mtime_ns == mtime  # reused
    report = backend.postprocess(again)
    assert report["quantized_model"] == str(handle.run_path) and report["options"]["precision"] == "int8"


def test_static_int8_quantisation_with_calibration(backend, cpu, mlp, tmp_path):
    calib = [{"X": mlp.batch(8, seed=s)} for s in range(10, 18)]
    handle = backend.load(str(mlp.path), cpu, {"precision": "int8", "quantization": "static",
                                                "calibration_data": calib, "cache_dir": str(tmp_path)})
    ops = [n.op_type for n in onnx.load(str(handle.run_path)).graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    x = mlp.batch(8, seed=99)
    assert _close_enough(handle.predict(x)[0], mlp.reference(x))
    assert backend.postprocess(handle)["options"]["calibration_batches"] == 8


def test_run_reports_latency(backend, cpu, mlp):
    handle = backend.load(str(mlp.path), cpu, {"intra_op_threads": 1})
    batches = [mlp.batch(n, seed=n) for n in (1, 2, 4, 8)]
    stats = backend.run(handle, batches, warmup=2)
    assert stats["batches"] == 4 and stats["samples"] == 15 and stats["warmup_batches"] == 2
    assert 0 < stats["min_ms"] <= stats["p50_ms"] <= stats["p90_ms"] <= stats["p99_ms"] <= stats["max_ms"]
    assert stats["samples_per_s"] > 0
    assert backend.postprocess(handle)["latency"] == stats
    with pytest.raises(CMError, match="at least one batch"):
        backend.run(handle, [])


def test_input_forms(backend, cpu, mlp):
    handle = backend.load(str(mlp.path), cpu, {})
    x = mlp.batch(3)
    ref = mlp.reference(x)
    for batch in (x, [x], (x,), {"X": x}, x.astype(np.float64)):
        np.testing.assert_allclose(handle.predict(batch)[0], ref, rtol=1e-5, atol=1e-5)
    assert handle.inputs == [("X", ["N", 8], "tensor(float)")] and handle.outputs == ["Y"]


@pytest.mark.parametrize(("batch", "message"), [
    ({"x": np.zeros((1, 8), np.float32)}, "do not match"),
    ([np.zeros((1, 8), np.float32)] * 2, "2 arrays given"),
    (np.zeros((1, 5), np.float32), "inference failed"),
])
def test_bad_batches_are_one_line_errors(backend, cpu, mlp, batch, message):
    handle = backend.load(str(mlp.path), cpu, {})
    with pytest.raises(CMError, match=message) as err:
        handle.predict(batch)
    assert err.value.code == 1 and "\n" not in err.value.message


@pytest.mark.parametrize(("options", "message"), [
    ({"intra_threads": 2}, 'did you mean "intra_op_threads"'),
    ({"graph_optimization_level": "max"}, "not one of disable, basic"),
    ({"intra_op_threads": -1}, "whole number"),
    ({"inter_op_threads": True}, "whole number"),
    ({"execution_mode": "paralel"}, 'did you mean "parallel"'),
    ({"precision": "fp64"}, "not one of fp32, int8"),
    ({"precision": "int8", "quantization": "static"}, "needs calibration_data"),
    ({"providers": "CPUExecutionProvider"}, "list of execution provider names"),
])
def test_bad_options(backend, cpu, mlp, options, message):
    with pytest.raises(CMError, match=message) as err:
        backend.load(str(mlp.path), cpu, options)
    assert err.value.code == 1


def test_missing_and_corrupt_models(backend, cpu, tmp_path):
    with pytest.raises(CMError) as err:
        backend.load(str(tmp_path / "nope.onnx"), cpu, {})
    assert err.value.code == 16
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf")
    with pytest.raises(CMError, match="cannot load bad.onnx") as err:
        backend.load(str(bad), cpu, {})
    assert err.value.code == 1 and "\n" not in err.value.message


def test_explicit_providers_option(backend, cpu, mlp):
    handle = backend.load(str(mlp.path), cpu, {"providers": ["CUDAExecutionProvider", "CPUExecutionProvider"]})
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        assert handle.providers_used == ["CPUExecutionProvider"]
        assert "onnxruntime-gpu" in handle.fallback_reason
