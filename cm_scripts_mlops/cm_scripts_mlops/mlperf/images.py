"""Image datasets and preprocessing, run in the tool-owned environment (numpy, Pillow)::

    python -m cm_scripts_mlops.mlperf.images skimage-photos OUT_DIR
    python -m cm_scripts_mlops.mlperf.images preprocess VAL_MAP IMAGES_DIR OUT.npz \\
        --size 224 --resize 256 --mean 127,127,127 --std 128,128,128 --layout NCHW --dtype float32

``skimage-photos`` copies the photos that ship inside scikit-image (no download: they are
files of the wheel) into OUT_DIR and writes ``val_map.txt`` (``name label``, -1 where the photo
shows no ImageNet class). ``preprocess`` reads the images a val_map names, resizes the
shorter side to ``resize`` (bilinear), crops the centre ``size`` x ``size``, normalises
``(pixel - mean) / std`` per RGB channel, lays it out NCHW or NHWC and stores ``x`` and ``y``
in an .npz (``labels.txt`` and ``names.txt`` beside it, for the ``cm`` process).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from cm_scripts_mlops.mlperf.datasets import SKIMAGE_PHOTOS, read_val_map

DTYPES = ("float32", "float16", "uint8")
LAYOUTS = ("NCHW", "NHWC")


def skimage_photos(out: Path) -> dict:
    """Copy the bundled photos and write their val_map.txt."""
    import skimage

    src = Path(skimage.__file__).parent / "data"
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, label in SKIMAGE_PHOTOS.items():
        if not (src / name).is_file():
            raise SystemExit(f"scikit-image {skimage.__version__} does not ship {name} in {src}")
        shutil.copyfile(src / name, out / name)
        lines.append(f"{name} {label}")
    (out / "val_map.txt").write_text("\n".join(lines) + "\n")
    return {"count": len(lines), "skimage_version": skimage.__version__, "path": str(out)}


def load_image(path: Path, size: int, resize: int) -> Any:
    """RGB uint8 array [size, size, 3]: shorter side to ``resize``, then the centre crop."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        img = im.convert("RGB")  # grey and RGBA photos become 3-channel RGB
    w, h = img.size
    scale = max(resize, size) / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    img = img.resize((nw, nh), Image.Resampling.BILINEAR)
    left, top = (nw - size) // 2, (nh - size) // 2
    return np.asarray(img.crop((left, top, left + size, top + size)), dtype=np.uint8)


def preprocess(val_map: Path, images: Path, out: Path, *, size: int, resize: int, mean: list[float],
               std: list[float], layout: str, dtype: str, count: int = 0) -> dict:
    import numpy as np

    entries = read_val_map(val_map, images)
    if count:
        entries = entries[:count]
    x = np.empty((len(entries), size, size, 3), dtype=np.uint8)
    for k, (name, _) in enumerate(entries):
        try:
            x[k] = load_image(images / name, size, resize)
        except OSError as exc:  # Pillow's UnidentifiedImageError is one too
            raise ValueError(f"cannot read image {images / name}: {exc}") from None
    if dtype == "uint8":
        arr: Any = x  # raw pixels: the model (or its first layer) normalises
    else:
        arr = (x.astype(np.float32) - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
        arr = arr.astype(dtype)
    if layout == "NCHW":
        arr = arr.transpose(0, 3, 1, 2)
    arr = np.ascontiguousarray(arr)
    y = np.asarray([lab for _, lab in entries], dtype=np.int64)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        np.savez(f, x=arr, y=y)
    (out.parent / "labels.txt").write_text("".join(f"{int(v)}\n" for v in y))
    (out.parent / "names.txt").write_text("".join(f"{n}\n" for n, _ in entries))
    return {"count": len(entries), "shape": list(arr.shape[1:]), "dtype": dtype, "layout": layout,
            "labelled": int((y >= 0).sum())}


def _floats(text: str) -> list[float]:
    vals = [float(v) for v in text.split(",") if v.strip()]
    if len(vals) == 1:
        vals *= 3
    if len(vals) != 3:
        raise argparse.ArgumentTypeError(f"need 1 or 3 comma-separated numbers, not {text!r}")
    return vals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="images")
    sub = ap.add_subparsers(dest="what", required=True)
    sp = sub.add_parser("skimage-photos")
    sp.add_argument("out")
    pp = sub.add_parser("preprocess")
    pp.add_argument("val_map")
    pp.add_argument("images")
    pp.add_argument("out")
    pp.add_argument("--size", type=int, default=224)
    pp.add_argument("--resize", type=int, default=256)
    pp.add_argument("--mean", type=_floats, default=[0.0, 0.0, 0.0])
    pp.add_argument("--std", type=_floats, default=[1.0, 1.0, 1.0])
    pp.add_argument("--layout", choices=LAYOUTS, default="NCHW")
    pp.add_argument("--dtype", choices=DTYPES, default="float32")
    pp.add_argument("--count", type=int, default=0)
    a = ap.parse_args(argv)
    try:
        if a.what == "skimage-photos":
            info = skimage_photos(Path(a.out))
        else:
            info = preprocess(Path(a.val_map), Path(a.images), Path(a.out), size=a.size, resize=a.resize,
                              mean=a.mean, std=a.std, layout=a.layout, dtype=a.dtype, count=a.count)
    except ValueError as exc:  # a bad val_map or image: one line for the parent
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
