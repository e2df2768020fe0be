"""The harness on image models and int8: the seeded ResNet50 (by --model_local_path) on the
preprocessed scikit-image photos and on an ImageNet-shaped folder, digits int8 against fp32
(accuracy drop at most 1 point), and, slow, EfficientNet-Lite0 with real weights (fp32, int8)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cm_scripts_mlops.mlperf.export import resnet50_seeded
from homes import isolated_home_session
from test_mlperf_images import make_imagenet_folder


@pytest.fixture(scope="module")
def hsession(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from isolated_home_session(tmp_path_factory, "harness-home")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("r50") / "resnet50_v1.onnx"
    resnet50_seeded(path, seed=0)
    return {"model_local_path": str(path), "model_md5sum": hashlib.md5(path.read_bytes()).hexdigest()}


def app(session: Any, **kw: Any) -> tuple[dict, dict]:
    r = session.access({"action": "run", "automation": "script", "tags": "app,mlperf,inference,_onnxruntime,_cpu",
                        "quiet": True, **kw})
    assert r["return"] == 0, r.get("error")
    env = r["new_env"]
    return env, json.loads(Path(env["CM_MLPERF_RESULT_JSON"]).read_text())


def test_digits_int8_within_one_point_of_fp32(hsession: Any) -> None:
    _, fp32 = app(hsession, model="digits", scenario="Offline", mode="accuracy", batch_size=32)
    env, int8 = app(hsession, model="digits", scenario="Offline", mode="accuracy", batch_size=32, precision="int8")
    assert int8["precision"] == "int8" and int8["accuracy_total"] == fp32["accuracy_total"] == 540
    assert fp32["accuracy"] - int8["accuracy"] <= 0.01, (fp32["accuracy"], int8["accuracy"])
    inputs = json.loads((Path(env["CM_MLPERF_RESULT_PATH"]) / "inputs.json").read_text())
    model = Path(inputs["model_file"])
    assert model.name == "model_int8.onnx"
    info = json.loads((model.parent / "model_info.json").read_text())
    assert info["precision"] == "int8" and "dynamic" in info["quantization"]


def test_seeded_resnet50_offline_on_the_photos(hsession: Any, seeded: dict) -> None:
    env, res = app(hsession, model="resnet50", scenario="Offline", mode="performance", test_query_count=12,
                   batch_size=2, threads=2, **seeded)
    assert res["validity"] == "VALID", res
    assert res["model"] == "resnet50" and res["dataset"] == "skimage-photos" and res["dataset_size"] == 6
    assert res["samples_per_second"] > 0 and res["threads"] == 2 and res["batch"] == 2
    # Offline is one query of at least 12 samples, run in batches of 2 (plus the warm-up call)
    assert res["inference_calls"] >= 12 // 2
    assert float(env["CM_MLPERF_SAMPLES_PER_SECOND"]) == pytest.approx(res["samples_per_second"])
    # accuracy mode runs every photo; only the labelled ones are scored (seeded weights: any value)
    _, acc = app(hsession, model="resnet50", scenario="Offline", mode="accuracy", batch_size=3, **seeded)
    assert acc["accuracy_total"] == 3 and acc["accuracy_unlabelled"] == 3
    assert 0.0 <= acc["accuracy"] <= 1.0


def test_seeded_resnet50_on_an_imagenet_folder(hsession: Any, seeded: dict, tmp_path: Path) -> None:
    folder = make_imagenet_folder(tmp_path / "val")
    _, acc = app(hsession, model="resnet50", scenario="SingleStream", mode="accuracy",
                 imagenet_path=str(folder), **seeded)
    assert acc["dataset"] == "imagenet" and acc["dataset_size"] == 4
    assert acc["accuracy_total"] == 4 and acc["accuracy_unlabelled"] == 0


def test_bad_imagenet_folder_is_one_line(hsession: Any, seeded: dict, tmp_path: Path) -> None:
    r = hsession.access({"action": "run", "automation": "script", "tags": "app,mlperf,inference", "quiet": True,
                         "model": "resnet50", "imagenet_path": str(tmp_path / "missing"), **seeded})
    assert r["return"] != 0 and "not found" in r["error"] and "\n" not in r["error"]


@pytest.mark.slow
def test_efficientnet_lite0_through_the_harness(hsession: Any) -> None:
    _, perf = app(hsession, model="efficientnet-lite0", scenario="Offline", mode="performance",
                  test_query_count=24, batch_size=6)
    assert perf["validity"] == "VALID" and perf["samples_per_second"] > 0
    _, acc = app(hsession, model="efficientnet-lite0", scenario="Offline", mode="accuracy")
    # the cat, the espresso and the rocket: all three labelled photos right with real weights
    assert acc["accuracy_total"] == 3 and acc["accuracy_good"] == 3, acc
    _, acc8 = app(hsession, model="efficientnet-lite0", scenario="Offline", mode="accuracy", precision="int8")
    assert acc8["precision"] == "int8" and acc8["accuracy_good"] >= 2, acc8
