"""Any ONNX model, no data set, through the MLPerf harness: real LoadGen and real onnxruntime in the
tool-owned venv of one CM home shared by these tests (the first test pays for the installs).
The models are built here with onnx.helper: an MLP with a dynamic batch, two inputs of different
dtypes (an embedding Gather + MatMul), and a symbolic non-batch dimension."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from homes import isolated_home_session
from onnx import TensorProto, helper, numpy_helper

from cmcore import hookimpl
from cmcore.types import SinkSpec

TAGS = "app,mlperf,inference,_onnxruntime,_cpu"


@pytest.fixture(scope="session")
def any_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One CM home (and tool-owned venv) for all tests of this module."""
    yield from isolated_home_session(tmp_path_factory, "anymodel-home")


@pytest.fixture
def cm_session(any_session: Any) -> Any:
    """cmcore.testing's cm_register registers into this module's shared session."""
    return any_session


def _save(model: onnx.ModelProto, path: Path) -> Path:
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _init(name: str, shape: tuple[int, ...], seed: int) -> onnx.TensorProto:
    return numpy_helper.from_array(np.random.default_rng(seed).standard_normal(shape).astype(np.float32), name)


def _model(nodes: list, inputs: list, outputs: list, inits: list, name: str) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cm-tests")


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("models")
    f32, i64 = TensorProto.FLOAT, TensorProto.INT64
    mlp = _model([helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Add", ["h", "b1"], ["hb"]),
                  helper.make_node("Relu", ["hb"], ["r"]), helper.make_node("MatMul", ["r", "w2"], ["y"])],
                 [helper.make_tensor_value_info("x", f32, ["N", 16])],
                 [helper.make_tensor_value_info("y", f32, ["N", 4])],
                 [_init("w1", (16, 32), 1), _init("b1", (32,), 2), _init("w2", (32, 4), 3)], "mlp")
    # ids index a 50-row table: random ids must stay below 50
    two = _model([helper.make_node("Gather", ["table", "ids"], ["emb"]),
                  helper.make_node("ReduceMean", ["emb"], ["pooled"], axes=[1], keepdims=0),
                  helper.make_node("Add", ["pooled", "feat"], ["h"]),
                  helper.make_node("MatMul", ["h", "w"], ["y"])],
                 [helper.make_tensor_value_info("ids", i64, ["N", 6]),
                  helper.make_tensor_value_info("feat", f32, ["N", 8])],
                 [helper.make_tensor_value_info("y", f32, ["N", 3])],
                 [_init("table", (50, 8), 4), _init("w", (8, 3), 5)], "two_inputs")
    seq = _model([helper.make_node("MatMul", ["x", "w"], ["h"]),
                  helper.make_node("ReduceSum", ["h", "axes"], ["y"], keepdims=0)],
                 [helper.make_tensor_value_info("x", f32, ["batch", "seq", 8])],
                 [helper.make_tensor_value_info("y", f32, ["batch", 4])],
                 [_init("w", (8, 4), 6), numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")], "seq")
    fixed = _model([helper.make_node("MatMul", ["x", "w"], ["y"])],
                   [helper.make_tensor_value_info("x", f32, [2, 16])],
                   [helper.make_tensor_value_info("y", f32, [2, 4])], [_init("w", (16, 4), 7)], "fixed")
    return {"mlp": _save(mlp, d / "mlp.onnx"), "two": _save(two, d / "two inputs.onnx"),
            "seq": _save(seq, d / "seq.onnx"), "fixed": _save(fixed, d / "fixed-batch.onnx")}


def app(session: Any, tags: str = TAGS, **kw: Any) -> dict:
    return session.access({"action": "run", "automation": "script", "tags": tags, "quiet": True, **kw})


def ok_app(session: Any, **kw: Any) -> tuple[dict, dict]:
    r = app(session, **kw)
    assert r["return"] == 0, r.get("error")
    env = r["new_env"]
    return env, json.loads(Path(env["CM_MLPERF_RESULT_JSON"]).read_text())


def _results(session: Any) -> int:
    return len(session.access({"action": "show", "automation": "results"})["results"])


EXPECTED = {
    "mlp": [{"name": "x", "dtype": "float32", "model_shape": ["N", 16], "shape": [1, 16]}],
    "two": [{"name": "ids", "dtype": "int64", "model_shape": ["N", 6], "shape": [1, 6]},
            {"name": "feat", "dtype": "float32", "model_shape": ["N", 8], "shape": [1, 8]}],
    "seq": [{"name": "x", "dtype": "float32", "model_shape": ["batch", "seq", 8], "shape": [1, 1, 8]}],
}


SIGNATURE = {"mlp": "x:float32[N,16]", "two": "ids:int64[N,6];feat:float32[N,8]", "seq": "x:float32[batch,seq,8]"}


@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
@pytest.mark.parametrize("which", ["mlp", "two", "seq"])
def test_any_model_performance(any_session: Any, models: dict, which: str, scenario: str, capsys: Any) -> None:
    path = models[which]
    env, res = ok_app(any_session, model_path=str(path), scenario=scenario, mode="performance",
                      test_query_count=64, qsl_size=32)
    assert res["validity"] == "VALID" or res["invalid_reason"], res
    assert res["samples_per_second"] > 0 and res["query_count"] >= 1
    # result.json is flat: the declared signature and the shapes used; inputs.json has the whole record
    assert res["input_signature"] == SIGNATURE[which]
    assert res["input_shapes"] == ",".join(f"{i['name']}:{'x'.join(map(str, i['shape']))}" for i in EXPECTED[which])
    assert res["model"] == path.name and res["model_path"] == str(path)
    assert res["model_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert res["accuracy"] is None and res["accuracy_note"] == "no data set"
    assert res["dataset"] == "synthetic" and res["dataset_size"] == 32 and res["sample_count"] == 32
    assert res["backend"] == "onnxruntime" and res["mode"] == "performance" and res["scenario"] == scenario
    assert "CM_MLPERF_ACCURACY" not in env and env["CM_MLPERF_VALIDITY"] == res["validity"]
    out = capsys.readouterr().out
    if which == "seq":
        assert res["defaulted_dims"] == "x[1]=seq"
        notices = [ln for ln in out.splitlines() if ln.startswith("notice:")]
        assert len(notices) == 1 and "x[1]=seq" in notices[0]
    else:
        assert res["defaulted_dims"] == "" and "notice:" not in out
    # the artifact is found by the model's tags, with its inputs
    rpath = Path(env["CM_MLPERF_RESULT_PATH"])
    inputs = json.loads((rpath / "inputs.json").read_text())
    assert inputs["input_signature"] == EXPECTED[which]
    assert inputs["model_sha256"] == res["model_sha256"] and inputs["CM_MLPERF_MODEL_PATH"] == str(path)
    assert (rpath / "logs" / "mlperf_log_detail.txt").is_file()
    rows = any_session.access({"action": "show", "automation": "results",
                               "tags": f"any-model,{scenario.lower()}"})["results"]
    assert any(r["uid"] == env["CM_MLPERF_RESULT_UID"] for r in rows)


def test_input_shapes_override_and_batch(any_session: Any, models: dict) -> None:
    _, res = ok_app(any_session, model_path=str(models["seq"]), scenario="Offline", test_query_count=40,
                    input_shapes="x:4x16x8", qsl_size=16)
    assert res["input_shapes"] == "x:4x16x8" and res["defaulted_dims"] == "" and res["batch"] == 4
    # batches of 4 are real: a quarter as many backend calls as samples (LoadGen issues at least 40)
    assert res["samples_completed"] >= 40 and res["inference_calls"] == -(-res["samples_completed"] // 4)
    # a model whose batch is fixed at 2: batch 2 is taken from it, short batches are padded
    _, res = ok_app(any_session, model_path=str(models["fixed"]), scenario="SingleStream", test_query_count=20)
    assert res["batch"] == 2 and res["input_shapes"] == "x:2x16" and res["samples_per_second"] > 0


def test_int_inputs_stay_inside_the_embedding_table(any_session: Any, models: dict) -> None:
    # --batch_size 8 with ids in [0, 50): an index of 50..99 would make the Gather fail
    _, res = ok_app(any_session, model_path=str(models["two"]), scenario="Offline", test_query_count=80,
                    batch_size=8, seed=3)
    assert res["batch"] == 8 and res["seed"] == 3
    assert res["input_shapes"] == "ids:8x6,feat:8x8"


@pytest.mark.parametrize("kw,needle", [
    ({"mode": "accuracy"}, "--mode=accuracy needs a data set"),
    ({"model": "digits"}, "not both"),
    ({"input_shapes": "nosuch:1x16"}, "the model has no input 'nosuch'"),
    ({"input_shapes": "x:1x17"}, "dimension 1 is fixed at 16 by the model, not 17"),
    ({"input_shapes": "x:1xabc"}, "dimensions must be integers"),
    ({"input_shapes": "x:2x16", "batch_size": 4}, "--batch_size=4 but input 'x' needs batch 2"),
    ({"model_path": "/no/such/model.onnx"}, "model file /no/such/model.onnx not found"),
])
def test_bad_any_model_inputs_are_one_line(any_session: Any, models: dict, kw: dict, needle: str) -> None:
    before = _results(any_session)
    r = app(any_session, **{"model_path": str(models["mlp"]), "test_query_count": 10, **kw})
    assert r["return"] != 0 and needle in r["error"] and "\n" not in r["error"], r.get("error")
    assert _results(any_session) == before


def test_not_an_onnx_model_is_one_line(any_session: Any, tmp_path: Path) -> None:
    bad = tmp_path / "notes.onnx"
    bad.write_text("this is not a protobuf\n" * 20)
    before = _results(any_session)
    r = app(any_session, model_path=str(bad), test_query_count=10)
    assert r["return"] != 0 and "\n" not in r["error"]
    assert "onnx cannot load notes.onnx" in r["error"] and "is it an ONNX model?" in r["error"]
    assert _results(any_session) == before
    r = app(any_session, input_shapes="x:1x16", test_query_count=10)
    assert r["return"] != 0 and "--input_shapes is for --model_path models" in r["error"]


def test_tensorrt_backend_without_a_gpu_says_why(any_session: Any, models: dict) -> None:
    before = _results(any_session)
    r = app(any_session, tags="app,mlperf,inference,_tensorrt,_cpu", model_path=str(models["mlp"]),
            test_query_count=10)
    assert r["return"] != 0 and "\n" not in r["error"]
    assert "TensorRT backend not available" in r["error"], r["error"]
    assert _results(any_session) == before


class _ListSink:
    def __init__(self, got: list) -> None:
        self.got = got

    def record(self, art: Any, result: dict) -> str:
        self.got.append((str(art.uid), dict(result)))
        return f"list:{art.uid}"


class _SinkPlugin:
    def __init__(self) -> None:
        self.got: list = []

    @hookimpl
    def cm_result_sinks(self) -> list[SinkSpec]:
        return [SinkSpec("test-list-sink", lambda session: _ListSink(self.got), "collects results in a list")]


def test_sink_flag_sends_the_result(any_session: Any, cm_register: Any, models: dict) -> None:
    plugin = _SinkPlugin()
    cm_register(plugin, name="anymodel-test-sink")
    env, res = ok_app(any_session, model="digits", scenario="Offline", test_query_count=50,
                      sink="test-list-sink")
    assert [uid for uid, _ in plugin.got] == [env["CM_MLPERF_RESULT_UID"]]
    sent = plugin.got[0][1]
    assert sent["model"] == "digits" and sent["samples_per_second"] == res["samples_per_second"]
    # an any-model run too; a run without --sink sends nothing
    env2, _ = ok_app(any_session, model_path=str(models["mlp"]), test_query_count=20, sink="test-list-sink")
    assert plugin.got[-1][0] == env2["CM_MLPERF_RESULT_UID"] and plugin.got[-1][1]["model"] == "mlp.onnx"
    ok_app(any_session, model_path=str(models["mlp"]), test_query_count=20)
    assert len(plugin.got) == 2


def test_sweep_passes_sink_to_each_harness_run(any_session: Any, cm_register: Any) -> None:
    plugin = _SinkPlugin()
    cm_register(plugin, name="anymodel-test-sink-sweep")
    r = any_session.access({"action": "run", "automation": "script", "tags": "explore,mlperf,inference",
                            "quiet": True, "model": "digits", "threads": "1", "batch": "1", "precision": "fp32",
                            "backends": "onnxruntime", "devices": "cpu", "test_query_count": "40",
                            "sink": "test-list-sink"})
    assert r["return"] == 0, r.get("error")
    modes = sorted(res.get("mode") for _, res in plugin.got if res.get("scenario"))
    assert modes == ["accuracy", "performance"]  # the one point's two harness runs
    assert "CM_RESULT_SINKS" not in any_session.env and "CM_RESULT_SINKS" not in os.environ
