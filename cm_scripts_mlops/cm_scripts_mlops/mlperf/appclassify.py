"""app-image-classification-onnx-py (``cm`` process side): check the inputs, get the model through
get-ml-model, run :mod:`.classify` in the tool-owned python, print and export the top-k."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cm_scripts_mlops.mlperf.scriptlib import run_json, tool_python
from cmcore.errors import GENERIC, NOT_FOUND, CMError

MODELS = ("efficientnet-lite0", "resnet50")


def check_inputs(env: dict) -> dict[str, Any]:
    """The app's parameters, checked (one-line CMError)."""
    image = str(env.get("CM_APP_IMAGE_CLASSIFICATION_INPUT") or "").strip()
    if not image:
        raise CMError("no image: use --input=IMAGE", GENERIC)
    image = os.path.abspath(os.path.expanduser(image))
    if not os.path.isfile(image):
        raise CMError(f"image {image} not found", NOT_FOUND)
    model = str(env.get("CM_APP_IMAGE_CLASSIFICATION_MODEL") or "efficientnet-lite0").strip().lower()
    if model not in MODELS:
        raise CMError(f"unknown model {model!r}: use one of {', '.join(MODELS)}", GENERIC)
    precision = str(env.get("CM_APP_IMAGE_CLASSIFICATION_PRECISION") or "fp32").strip().lower()
    if precision not in ("fp32", "int8"):
        raise CMError(f"unknown precision {precision!r}: use fp32 or int8", GENERIC)
    out: dict[str, Any] = {"image": image, "model": model, "precision": precision}
    for key, flag, default in (("TOP", "--top", 5), ("THREADS", "--threads", 0)):
        v = str(env.get(f"CM_APP_IMAGE_CLASSIFICATION_{key}") or default).strip()
        if not v.isdigit() or (key == "TOP" and int(v) < 1):
            raise CMError(f"{flag} must be a {'positive' if key == 'TOP' else 'non-negative'} integer, not {v!r}",
                          GENERIC)
        out[key.lower()] = int(v)
    return out


def format_top(res: dict) -> str:
    """The lines the app prints: ``rank. probability class label``."""
    lines = [f"{res['model']} ({res['precision']}) on {res['image']}:"]
    for k, t in enumerate(res["top"], 1):
        lines.append(f"  {k}. {t['probability']:.4f}  {t['class']:4d}  {t['label']}")
    return "\n".join(lines)


def model_source(env: dict, prefix: str = "CM_APP_IMAGE_CLASSIFICATION_MODEL_") -> dict[str, str]:
    """get-ml-model's --url/--local_path/--md5sum/--sha256 from the app's --model_* flags."""
    return {flag: str(env[prefix + key]) for flag, key in (("url", "URL"), ("local_path", "LOCAL_PATH"),
                                                           ("md5sum", "MD5"), ("sha256", "SHA256"))
            if env.get(prefix + key)}


def run(session: Any, env: dict) -> dict[str, str]:
    p = check_inputs(env)
    r = session.access({"action": "run", "automation": "script", "quiet": True,
                        "tags": f"get,ml-model,_{p['model']},_onnx,_{p['precision']}", **model_source(env)})
    if r["return"]:
        raise CMError(f"get-ml-model {p['model']}: {r.get('error', '')}", r["return"])
    info_file = r["new_env"]["CM_ML_MODEL_INFO_FILE"]
    # the subprocess's folder (its PYTHONPATH shim lives there): not the user's cwd
    work = Path(session.home) / "tmp" / "image-classification"
    work.mkdir(parents=True, exist_ok=True)
    res = run_json(tool_python(env), "cm_scripts_mlops.mlperf.classify",
                   [info_file, p["image"], "--top", str(p["top"]), "--threads", str(p["threads"])], work,
                   what="classifying the image")
    print(format_top(res))
    top1 = res["top"][0]
    return {"CM_APP_IMAGE_CLASSIFICATION_TOP1_CLASS": str(top1["class"]),
            "CM_APP_IMAGE_CLASSIFICATION_TOP1_LABEL": str(top1["label"]),
            "CM_APP_IMAGE_CLASSIFICATION_TOP1_PROBABILITY": str(top1["probability"]),
            "CM_APP_IMAGE_CLASSIFICATION_TOP_CLASSES": ",".join(str(t["class"]) for t in res["top"]),
            "CM_APP_IMAGE_CLASSIFICATION_RESULT_JSON": json.dumps(res["top"])}
