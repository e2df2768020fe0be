"""The any-model input plan on its own (no LoadGen, no subprocess): batch and symbolic dims, conflicts."""

from __future__ import annotations

import pytest
from cm_scripts_mlops.mlperf.anymodel import model_identity, parse_shapes, plan_inputs, qsl_size

from cmcore.errors import CMError

SIG = [{"name": "ids", "dtype": "int64", "shape": ["N", "seq"], "int_high": 50},
       {"name": "mask", "dtype": "bool", "shape": ["N", "seq"], "int_high": 100}]


def test_defaults_batch_and_symbolic_dims() -> None:
    plan = plan_inputs(SIG, "", 8)
    assert [i["shape"] for i in plan.inputs] == [[8, 1], [8, 1]] and plan.batch == 8 and not plan.fixed_batch
    assert plan.defaulted == ["ids[1]=seq", "mask[1]=seq"]
    assert "ids[1]=seq" in plan.notice() and "\n" not in plan.notice()
    assert plan.used() == "ids:8x1,mask:8x1" and plan.declared() == "ids:int64[N,seq];mask:bool[N,seq]"


def test_input_shapes_set_the_batch_and_dims() -> None:
    plan = plan_inputs(SIG, "ids:2x128, mask:2x64", None)
    assert plan.batch == 2 and plan.defaulted == [] and plan.used() == "ids:2x128,mask:2x64"


def test_a_fixed_batch_comes_from_the_model() -> None:
    plan = plan_inputs([{"name": "x", "dtype": "float32", "shape": [4, 3, None]}], "", None)
    assert plan.batch == 4 and plan.fixed_batch and plan.defaulted == ["x[2]=?"]
    with pytest.raises(CMError, match="--batch_size=2 but input 'x' needs batch 4"):
        plan_inputs([{"name": "x", "dtype": "float32", "shape": [4, 3]}], "", 2)


@pytest.mark.parametrize("text,needle", [
    ("ids", "is not NAME:DxDx"),
    ("ids:0x4", "at least 1"),
    ("ids:1x4,ids:1x4", "given twice"),
    ("ids:1x4x4", "has 2 dimensions"),
    ("idz:1x4", "did you mean"),
    ("ids:2x4,mask:3x4", "different batch sizes"),
])
def test_bad_shapes_are_one_line(text: str, needle: str) -> None:
    with pytest.raises(CMError) as e:
        plan_inputs(SIG, text, None)
    assert needle in e.value.message and "\n" not in e.value.message


def test_scalar_input_and_qsl_size(tmp_path) -> None:
    with pytest.raises(CMError, match="a batch dimension is needed"):
        plan_inputs([{"name": "t", "dtype": "float32", "shape": []}], "", None)
    big = plan_inputs([{"name": "x", "dtype": "float32", "shape": ["N", 3, 1024, 1024]}], "", 2)
    assert qsl_size(big, None) == 256 // 12 and qsl_size(big, 1) == 2  # 12 MiB a sample; at least a batch
    assert parse_shapes("") == {}
    f = tmp_path / "My Model.v2.onnx"
    f.write_bytes(b"abc")
    ident = model_identity(f)
    assert ident["file"] == "My Model.v2.onnx" and ident["conf_name"] == "my-model-v2"
    assert ident["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
