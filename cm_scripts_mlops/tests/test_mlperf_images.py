"""Image datasets and preprocessing: scikit-image's bundled photos, a user's ImageNet-shaped folder
(made here with numpy + Pillow), and get-preprocessed-dataset keyed in the cache by its parameters.
The tool-owned venv of one CM home is shared by these tests (the first one pays for the installs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from homes import isolated_home_session
from PIL import Image


@pytest.fixture(scope="module")
def img_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from isolated_home_session(tmp_path_factory, "images-home")


def run(session: Any, tags: str, **kw: Any) -> dict:
    return session.access({"action": "run", "automation": "script", "tags": tags, "quiet": True, **kw})


def ok(session: Any, tags: str, **kw: Any) -> dict:
    r = run(session, tags, **kw)
    assert r["return"] == 0, r.get("error")
    return r["new_env"]


def make_imagenet_folder(root: Path, seed: int = 0) -> Path:
    """Four images of ImageNet val's naming (JPEG and PNG, sizes and modes that differ) and val_map.txt."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    spec = [("ILSVRC2012_val_00000001.JPEG", (500, 375), "RGB", 65), ("ILSVRC2012_val_00000002.JPEG", (333, 500), "RGB", 970),
            ("ILSVRC2012_val_00000003.png", (256, 256), "L", 230), ("ILSVRC2012_val_00000004.png", (640, 480), "RGBA", 809)]
    lines = []
    for name, (w, h), mode, label in spec:
        chans = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
        arr = rng.integers(0, 256, size=(h, w, chans), dtype=np.uint8)
        img = Image.fromarray(arr[:, :, 0] if chans == 1 else arr, mode)
        img.save(root / name, format="JPEG" if name.endswith("JPEG") else "PNG")
        lines.append(f"{name} {label}")
    (root / "val_map.txt").write_text("\n".join(lines) + "\n")
    return root


def test_skimage_photos_are_real_files_with_labels(img_session: Any) -> None:
    env = ok(img_session, "get,dataset,skimage-photos")
    images = Path(env["CM_DATASET_PATH"])
    rows = dict(line.split() for line in Path(env["CM_DATASET_VAL_MAP_FILE"]).read_text().splitlines())
    assert rows["chelsea.png"] == "282" and rows["coffee.png"] == "967" and rows["astronaut.png"] == "-1"
    with Image.open(images / "chelsea.png") as im:
        assert im.size == (451, 300)  # the real photo, not a stand-in
    assert int(env["CM_DATASET_SIZE"]) == len(rows) >= 6


def test_preprocessing_for_a_model_and_layouts_agree(img_session: Any) -> None:
    env = ok(img_session, "get,preprocessed,dataset,_skimage-photos,_for.efficientnet-lite0")
    data = np.load(env["CM_DATASET_DATA_FILE"])
    x, y = data["x"], data["y"]
    assert x.shape == (6, 3, 224, 224) and x.dtype == np.float32 and env["CM_DATASET_LAYOUT"] == "NCHW"
    assert x.min() >= -127 / 128 - 1e-6 and x.max() <= 1.0 + 1e-6  # (pixel - 127) / 128
    names = Path(env["CM_DATASET_NAMES_FILE"]).read_text().split()
    assert y[names.index("chelsea.png")] == 282
    assert [int(v) for v in Path(env["CM_DATASET_LABELS_FILE"]).read_text().split()] == y.tolist()
    assert env["CM_DATASET_LABELLED"] == "3"

    raw = ok(img_session, "get,preprocessed,dataset,_skimage-photos,_NHWC,_uint8,_for.efficientnet-lite0")
    u8 = np.load(raw["CM_DATASET_DATA_FILE"])["x"]
    assert u8.shape == (6, 224, 224, 3) and u8.dtype == np.uint8
    # the same pixels: normalising the raw NHWC crop gives the NCHW float input
    np.testing.assert_allclose(((u8.astype(np.float32) - 127) / 128).transpose(0, 3, 1, 2), x, atol=1e-6)
    # the grey camera photo became three equal channels
    cam = names.index("camera.png")
    assert (u8[cam, :, :, 0] == u8[cam, :, :, 2]).all()
    assert raw["CM_DATASET_PREPROCESSED_PATH"] != env["CM_DATASET_PREPROCESSED_PATH"]


def test_preprocessing_is_cached_by_its_parameters(img_session: Any) -> None:
    a = ok(img_session, "get,preprocessed,dataset,_skimage-photos,_size.64,_for.resnet50")
    b = ok(img_session, "get,preprocessed,dataset,_skimage-photos,_for.resnet50,_size.64")
    c = ok(img_session, "get,preprocessed,dataset,_skimage-photos,_size.96,_for.resnet50")
    assert a["CM_DATASET_DATA_FILE"] == b["CM_DATASET_DATA_FILE"] != c["CM_DATASET_DATA_FILE"]
    xa, xc = np.load(a["CM_DATASET_DATA_FILE"])["x"], np.load(c["CM_DATASET_DATA_FILE"])["x"]
    assert xa.shape == (6, 3, 64, 64) and xc.shape == (6, 3, 96, 96)
    assert "resize=73" in a["CM_DATASET_PREPROCESS_PARAMS"]  # the model's 224/256 crop ratio kept
    assert "std=[1.0, 1.0, 1.0]" in a["CM_DATASET_PREPROCESS_PARAMS"]  # MLPerf ResNet50: mean only


def test_imagenet_val_from_a_local_folder(img_session: Any, tmp_path: Path) -> None:
    folder = make_imagenet_folder(tmp_path / "val")
    env = ok(img_session, "get,dataset,imagenet,val", path=str(folder))
    assert env["CM_DATASET_SIZE"] == "4" and env["CM_DATASET_VAL_MAP_FILE"] == str(folder / "val_map.txt")
    pre = ok(img_session, "get,preprocessed,dataset,_imagenet,_for.resnet50", imagenet_path=str(folder))
    data = np.load(pre["CM_DATASET_DATA_FILE"])
    assert data["x"].shape == (4, 3, 224, 224) and data["y"].tolist() == [65, 970, 230, 809]
    assert pre["CM_DATASET_NAME"] == "imagenet"
    # pixel - MLPerf's mean, nothing else: the red channel spans 0..255 shifted by 123.68
    assert data["x"][:, 0].min() >= -123.68 - 1e-3 and data["x"][:, 0].max() <= 255 - 123.68 + 1e-3
    # another folder (labels elsewhere, only 2 of them) is another cache entry
    other = make_imagenet_folder(tmp_path / "val2", seed=1)
    labels = tmp_path / "two.txt"
    labels.write_text("ILSVRC2012_val_00000002.JPEG 1\nILSVRC2012_val_00000003.png 2\n")
    pre2 = ok(img_session, "get,preprocessed,dataset,_imagenet,_for.resnet50", imagenet_path=str(other),
              imagenet_labels=str(labels))
    assert pre2["CM_DATASET_DATA_FILE"] != pre["CM_DATASET_DATA_FILE"]
    assert np.load(pre2["CM_DATASET_DATA_FILE"])["y"].tolist() == [1, 2]


@pytest.mark.parametrize("val_map,needle", [
    ("ILSVRC2012_val_00000001.JPEG\n", "expected '<image name> <class>'"),
    ("ILSVRC2012_val_00000001.JPEG cat\n", "class 'cat' is not an integer"),
    ("ILSVRC2012_val_00000001.JPEG 1000\n", "outside 0..999"),
    ("ILSVRC2012_val_00000009.JPEG 1\n", "image ILSVRC2012_val_00000009.JPEG not found"),
    ("../secret.JPEG 1\n", "not a file name inside the images folder"),
    ("", "lists no images"),
])
def test_bad_labels_files_are_one_line(img_session: Any, tmp_path: Path, val_map: str, needle: str) -> None:
    folder = make_imagenet_folder(tmp_path / "val")
    (folder / "val_map.txt").write_text(val_map)
    r = run(img_session, "get,dataset,imagenet,val", path=str(folder))
    assert r["return"] != 0 and needle in r["error"] and "\n" not in r["error"]
    r = run(img_session, "get,preprocessed,dataset,_imagenet", imagenet_path=str(folder))
    assert r["return"] != 0 and needle in r["error"] and "\n" not in r["error"]


def test_bad_inputs_are_one_line_and_cache_nothing(img_session: Any, tmp_path: Path) -> None:
    def entries() -> list[Path]:  # what a refused run must not leave: a preprocessed data file
        return sorted((Path(img_session.home) / "repos").glob("local/cache/*/data.npz"))

    before = entries()
    cases = [
        ("get,dataset,imagenet,val", {}, "needs --path"),
        ("get,dataset,imagenet,val", {"path": str(tmp_path / "nope")}, "not found"),
        ("get,preprocessed,dataset,_skimage-photos,_for.digits", {}, "unknown image model 'digits'"),
        ("get,preprocessed,dataset,_skimage-photos,_size.x", {}, "_size.# must be an integer"),
        ("get,preprocessed,dataset,_skimage-photos,_size.300,_resize.256", {}, "smaller than the crop"),
        ("get,preprocessed,dataset,_skimage-photos", {"std": "0"}, "--std must not be 0"),
        ("get,preprocessed,dataset,_skimage-photos", {"mean": "1,2"}, "1 or 3 comma-separated"),
    ]
    (tmp_path / "empty").mkdir()
    cases.append(("get,dataset,imagenet,val", {"path": str(tmp_path / "empty")}, "val_map.txt not found"))
    for tags, kw, needle in cases:
        r = run(img_session, tags, **kw)
        assert r["return"] != 0 and needle in r["error"] and "\n" not in r["error"], (tags, r.get("error"))
    assert entries() == before
