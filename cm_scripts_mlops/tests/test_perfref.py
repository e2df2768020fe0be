"""The reference figures of the MLPerf benchmark: a measured GEMM peak and argument errors."""

from __future__ import annotations

import json

import pytest
from cm_scripts_mlops.mlperf import perfref


def test_gemm_measures_a_positive_rate() -> None:
    info = perfref.gemm(1, size=128, seconds=0.2)
    assert info["gflops"] > 0 and info["size"] == 128 and info["threads"] == 1


def test_main_prints_json_and_needs_a_model_for_macs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        perfref.main(["macs"])
    assert "macs needs MODEL.onnx" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        perfref.main(["bare", "m.onnx"])
    assert "bare needs DATA.npz" in capsys.readouterr().err


def test_gemm_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert perfref.main(["gemm", "--threads", "1", "--size", "96", "--seconds", "0.1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["gflops"] > 0 and out["size"] == 96
