"""Top-k ImageNet labels of one image, run in the tool-owned environment::

    python -m cm_scripts_mlops.mlperf.classify MODEL_INFO.json IMAGE [--top 5] [--threads N]

MODEL_INFO is get-ml-model's ``model_info.json`` (file, input name, layout, size, mean, std,
``labels`` file, ``label_offset``). Prints one JSON line: ``{"top": [{"class", "label",
"probability"}, ...], ...}`` with ImageNet-1k class numbers (the offset of 1001-class models
removed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def probabilities(outputs: list[Any], classes: int) -> Any:
    """The [classes] probability vector from a model's outputs (softmax applied if needed)."""
    import numpy as np

    cands = [np.asarray(o, dtype=np.float64).reshape(-1) for o in outputs
             if np.asarray(o).dtype.kind == "f" and np.asarray(o).size == classes]
    if not cands:
        raise ValueError(f"the model has no output of {classes} scores")
    # a softmax output (MLPerf's ResNet50 has one beside ArgMax) is used as it is
    for v in cands:
        if v.min() >= 0 and abs(v.sum() - 1.0) < 1e-3:
            return v
    v = cands[0]
    e = np.exp(v - v.max())
    return e / e.sum()


def classify(info: dict, image: Path, top: int = 5, threads: int = 0) -> dict:
    import numpy as np
    import onnxruntime as ort

    from cm_scripts_mlops.mlperf.images import load_image

    x = load_image(image, int(info["image_size"]), int(info["resize"])).astype(np.float32)
    x = (x - np.asarray(info["mean"], np.float32)) / np.asarray(info["std"], np.float32)
    x = x.transpose(2, 0, 1)[None] if info.get("layout", "NCHW") == "NCHW" else x[None]
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(info["file"]), opts, providers=["CPUExecutionProvider"])
    outs = sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(x)})
    classes = int(info.get("classes") or 1000)
    prob = probabilities(outs, classes)
    offset = int(info.get("label_offset") or 0)
    names = Path(info["labels"]).read_text().splitlines() if info.get("labels") else []
    order = [int(k) for k in np.argsort(-prob)[:top]]
    return {"image": str(image), "model": info.get("name", ""), "precision": info.get("precision", "fp32"),
            "top": [{"class": k - offset, "label": names[k] if k < len(names) else str(k - offset),
                     "probability": round(float(prob[k]), 6)} for k in order]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="classify")
    ap.add_argument("model_info")
    ap.add_argument("image")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    try:
        info = json.loads(Path(a.model_info).read_text())
        out = classify(info, Path(a.image), a.top, a.threads)
    except (OSError, ValueError) as exc:  # Pillow's "cannot identify image file" is an OSError
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
