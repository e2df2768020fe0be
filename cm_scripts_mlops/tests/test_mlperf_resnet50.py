"""get-ml-model-resnet50 through download-file: a seeded ResNet50-architecture ONNX built here
and served on 127.0.0.1, verified by its real md5/sha256; the real URL and md5 stay the default."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cm_scripts_mlops.mlperf.export import resnet50_seeded
from httpserver import FileServer


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("r50") / "resnet50_v1.onnx"
    resnet50_seeded(path, seed=0)
    return path.read_bytes()


def test_default_is_the_real_mlperf_model() -> None:
    meta = Path(__file__).parents[1] / "cm_scripts_mlops/repo/script/get-ml-model-resnet50/_cm.yaml"
    text = meta.read_text()
    assert "https://zenodo.org/record/4735647/files/resnet50_v1.onnx" in text
    assert "f6a4da60cd5f084d97efc2c1ddb10beb" in text


def test_resnet50_download_verified_and_cached(ok: Any, model_bytes: bytes) -> None:
    md5 = hashlib.md5(model_bytes).hexdigest()
    sha = hashlib.sha256(model_bytes).hexdigest()
    with FileServer({"resnet50_v1.onnx": model_bytes}) as srv:
        env = ok("get,raw,ml-model,resnet50,_onnx,_fp32", url=f"{srv.url}/resnet50_v1.onnx", md5sum=md5, sha256=sha)
        path = Path(env["CM_ML_MODEL_FILE_WITH_PATH"])
        assert path.read_bytes() == model_bytes
        assert env["CM_ML_MODEL_INPUT_NAME"] == "input_tensor:0" and env["CM_ML_MODEL_INPUT_LAYOUT"] == "NCHW"
        assert env["CM_ML_MODEL_LABEL_OFFSET"] == "1" and env["CM_ML_MODEL_MEAN"] == "123.68,116.78,103.94"
        n = len(srv.requests)
        again = ok("get,raw,ml-model,resnet50,_onnx,_fp32", url=f"{srv.url}/resnet50_v1.onnx", md5sum=md5,
                   sha256=sha)
        assert again["CM_ML_MODEL_FILE_WITH_PATH"] == str(path) and len(srv.requests) == n  # cached


def test_resnet50_bad_checksum_is_one_line_and_keeps_nothing(run: Any, model_bytes: bytes, cm_home: Path) -> None:
    with FileServer({"resnet50_v1.onnx": model_bytes}) as srv:
        r = run("get,ml-model-resnet50", url=f"{srv.url}/resnet50_v1.onnx", md5sum="0" * 32)
    assert r["return"] != 0 and "md5" in r["error"] and "\n" not in r["error"]
    assert not list(cm_home.glob("repos/local/cache/*/resnet50_v1.onnx"))


def test_resnet50_local_path(ok: Any, run: Any, model_bytes: bytes, tmp_path: Path) -> None:
    local = tmp_path / "mine.onnx"
    local.write_bytes(model_bytes)
    env = ok("get,ml-model-resnet50", local_path=str(local), md5sum=hashlib.md5(model_bytes).hexdigest())
    assert Path(env["CM_ML_MODEL_FILE_WITH_PATH"]).read_bytes() == model_bytes
    r = run("get,ml-model-resnet50", local_path=str(tmp_path / "missing.onnx"), md5sum="0" * 32)
    assert r["return"] == 16 and "not found" in r["error"]
