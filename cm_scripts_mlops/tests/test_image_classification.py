"""app-image-classification-onnx-py: the seeded ResNet50 (served by --model_local_path, labels then
meaningless: the output's shape and format are checked) and, slow, EfficientNet-Lite0 with its
real ImageNet weights on scikit-image's photos (the cat is a cat)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cm_scripts_mlops.mlperf.datasets import CAT_CLASSES
from cm_scripts_mlops.mlperf.export import resnet50_seeded
from homes import isolated_home_session
from PIL import Image

TAGS = "app,image-classification,onnx,python"
LINE = re.compile(r"^  [1-5]\. (\d\.\d{4})  +(-?\d+)  (\S.*)$")


@pytest.fixture(scope="module")
def cls_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from isolated_home_session(tmp_path_factory, "imgcls-home")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path = tmp_path_factory.mktemp("r50") / "resnet50_v1.onnx"
    resnet50_seeded(path, seed=0)
    return {"model_local_path": str(path), "model_md5sum": hashlib.md5(path.read_bytes()).hexdigest()}


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(3)
    path = tmp_path_factory.mktemp("img") / "noise.jpg"
    Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(path)
    return path


def app(session: Any, **kw: Any) -> dict:
    return session.access({"action": "run", "automation": "script", "tags": TAGS, "quiet": True, **kw})


def parse_lines(out: str) -> list[tuple[float, int, str]]:
    return [(float(m[1]), int(m[2]), m[3]) for m in (LINE.match(ln) for ln in out.splitlines()) if m]


def test_seeded_resnet50_prints_a_top5(cls_session: Any, seeded: dict, photo: Path, capsys: Any) -> None:
    r = app(cls_session, input=str(photo), model="resnet50", **seeded)
    assert r["return"] == 0, r.get("error")
    out = capsys.readouterr().out
    assert f"resnet50 (fp32) on {photo}:" in out
    rows = parse_lines(out)
    assert len(rows) == 5
    probs = [p for p, _, _ in rows]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-3
    assert all(-1 <= c < 1000 for _, c, _ in rows)  # 1001 classes, the background one is -1
    names = Path(cls_session.home).glob("repos/local/cache/*/labels.txt")
    table = next(iter(names)).read_text().splitlines()
    assert len(table) == 1001 and table[0] == "background" and table[282].startswith("tabby")
    assert all(label == table[c + 1] for _, c, label in rows)  # the label is the class's name
    env = r["new_env"]
    assert env["CM_APP_IMAGE_CLASSIFICATION_TOP_CLASSES"] == ",".join(str(c) for _, c, _ in rows)
    assert env["CM_APP_IMAGE_CLASSIFICATION_TOP1_CLASS"] == str(rows[0][1])
    assert not (Path.cwd() / "pypath").exists()  # nothing left in the user's folder
    # the same image again: the model is cached, the answer is the same
    again = app(cls_session, input=str(photo), model="resnet50", top=3, **seeded)
    assert again["return"] == 0
    assert parse_lines(capsys.readouterr().out) == rows[:3]


def test_bad_inputs_are_one_line(cls_session: Any, seeded: dict, tmp_path: Path, photo: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    cases = [({}, "no image: use --input=IMAGE"),
             ({"input": str(tmp_path / "none.png")}, "not found"),
             ({"input": str(photo), "model": "vgg"}, "unknown model 'vgg'"),
             ({"input": str(photo), "model": "resnet50", "top": "0", **seeded}, "--top must be a positive integer"),
             ({"input": str(photo), "precision": "fp8"}, "unknown precision 'fp8'"),
             ({"input": str(text), "model": "resnet50", **seeded}, "cannot identify image file"),
             ({"input": str(photo), "model": "resnet50", "model_local_path": seeded["model_local_path"],
               "model_md5sum": "0" * 32}, "md5")]
    for kw, needle in cases:
        r = app(cls_session, **kw)
        assert r["return"] != 0 and needle in r["error"] and "\n" not in r["error"], (kw, r.get("error"))


@pytest.mark.slow
def test_efficientnet_lite0_knows_the_cat_and_the_coffee(cls_session: Any, capsys: Any) -> None:
    ds = cls_session.access({"action": "run", "automation": "script", "tags": "get,dataset,skimage-photos",
                             "quiet": True})
    assert ds["return"] == 0, ds.get("error")
    images = Path(ds["new_env"]["CM_DATASET_PATH"])
    capsys.readouterr()
    r = app(cls_session, input=str(images / "chelsea.png"))  # EfficientNet-Lite0 is the default
    assert r["return"] == 0, r.get("error")
    rows = parse_lines(capsys.readouterr().out)
    assert rows[0][1] in CAT_CLASSES, rows
    assert sum(p for p, c, _ in rows if c in CAT_CLASSES) > 0.8  # the top-5 is mostly cats
    r = app(cls_session, input=str(images / "coffee.png"), model="efficientnet-lite0")
    rows = parse_lines(capsys.readouterr().out)
    assert rows[0][1] == 967 and rows[0][2].startswith("espresso"), rows
