"""What the harness and the apps need to know about each model (no heavy imports)."""

from __future__ import annotations

from typing import Any

METADATA: dict[str, dict[str, Any]] = {
    "digits": {
        "name": "digits", "task": "image-classification", "input_name": "input", "input_shape": [64],
        "layout": "NC", "dtype": "float32", "classes": 10, "label_offset": 0,
        "normalisation": "pixel / 16", "dataset": "digits",
        # the accuracy target a submission must reach (the checker's post mode)
        "accuracy_target": 0.97,
    },
    "efficientnet-lite0": {
        "name": "efficientnet-lite0", "task": "image-classification", "input_name": "input",
        "input_shape": [3, 224, 224], "layout": "NCHW", "dtype": "float32", "classes": 1000, "label_offset": 0,
        "image_size": 224, "resize": 256, "mean": [127.0, 127.0, 127.0], "std": [128.0, 128.0, 128.0],
        "normalisation": "(pixel - 127) / 128", "dataset": "imagenet", "accuracy_target": 0.74,
    },
    "resnet50": {
        "name": "resnet50", "task": "image-classification", "input_name": "input_tensor:0",
        "input_shape": [3, 224, 224], "layout": "NCHW", "dtype": "float32", "classes": 1001, "label_offset": 1,
        "image_size": 224, "resize": 256, "mean": [123.68, 116.78, 103.94], "std": [1.0, 1.0, 1.0],
        "normalisation": "pixel - mean (MLPerf ResNet50 v1.5)", "dataset": "imagenet",
        # 99% of the fp32 reference 76.46% (MLPerf's rule)
        "accuracy_target": 0.99 * 0.7646,
    },
}


def names() -> list[str]:
    return sorted(METADATA)


def env_keys(meta: dict[str, Any]) -> dict[str, str]:
    """CM_ML_MODEL_* keys for a model's metadata."""
    env = {
        "CM_ML_MODEL_FILE_WITH_PATH": str(meta.get("file", "")),
        "CM_ML_MODEL_NAME": str(meta["name"]),
        "CM_ML_MODEL_INPUT_NAME": str(meta.get("input_name", "")),
        "CM_ML_MODEL_INPUT_SHAPE": ",".join(str(x) for x in meta.get("input_shape", [])),
        "CM_ML_MODEL_INPUT_LAYOUT": str(meta.get("layout", "")),
        "CM_ML_MODEL_INPUT_DATA_TYPE": str(meta.get("dtype", "")),
        "CM_ML_MODEL_CLASSES": str(meta.get("classes", "")),
        "CM_ML_MODEL_LABEL_OFFSET": str(meta.get("label_offset", 0)),
        "CM_ML_MODEL_NORMALISATION": str(meta.get("normalisation", "")),
        "CM_ML_MODEL_PRECISION": str(meta.get("precision", "fp32")),
        "CM_ML_MODEL_ACCURACY_TARGET": str(meta.get("accuracy_target", "")),
    }
    if "image_size" in meta:
        env["CM_ML_MODEL_IMAGE_SIZE"] = str(meta["image_size"])
        env["CM_ML_MODEL_RESIZE"] = str(meta["resize"])
        env["CM_ML_MODEL_MEAN"] = ",".join(f"{x:g}" for x in meta["mean"])
        env["CM_ML_MODEL_STD"] = ",".join(f"{x:g}" for x in meta["std"])
    if meta.get("labels"):
        env["CM_ML_MODEL_LABELS_FILE"] = str(meta["labels"])
    if "accuracy" in meta:
        env["CM_ML_MODEL_ACCURACY"] = str(meta["accuracy"])
    return env
