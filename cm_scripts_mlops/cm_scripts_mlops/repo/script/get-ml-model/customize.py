"""get-ml-model: make (digits, efficientnet-lite0) or take (resnet50) an ONNX model, quantise
it for ``_int8``, and export its metadata (``model_info.json`` and CM_ML_MODEL_* keys)."""

import json
import os


def _resnet50(env):
    """get-ml-model-resnet50 with our --url/--local_path/--md5sum/--sha256 as its flags."""
    from cmcore.errors import CMError
    from cmcore.session import current

    args = {"action": "run", "automation": "script", "tags": "get,ml-model-resnet50,_onnx,_fp32", "quiet": True}
    for flag, key in (("url", "URL"), ("local_path", "LOCAL_PATH"), ("md5sum", "MD5"), ("sha256", "SHA256")):
        if env.get(f"CM_ML_MODEL_SOURCE_{key}"):
            args[flag] = env[f"CM_ML_MODEL_SOURCE_{key}"]
    r = current().access(args)
    if r["return"]:
        raise CMError(r.get("error", "get-ml-model-resnet50 failed"), r["return"])
    path = r["new_env"].get("CM_ML_MODEL_RESNET50_FILE_WITH_PATH", "")
    if not path or not os.path.isfile(path):
        raise CMError("get-ml-model-resnet50 exported no model file", 16)
    return path


def _calibration(name):
    """The calibration images: scikit-image's photos preprocessed for the model (a small real set;
    they are also the sanity set's images, so int8 accuracy on it is optimistic)."""
    from cmcore.errors import CMError
    from cmcore.session import current

    r = current().access({"action": "run", "automation": "script", "quiet": True,
                          "tags": f"get,preprocessed,dataset,_skimage-photos,_for.{name}"})
    if r["return"]:
        raise CMError(f"calibration images: {r.get('error', '')}", r["return"])
    return r["new_env"]["CM_DATASET_DATA_FILE"]


def preprocess(i):
    from cm_scripts_mlops.mlperf import models
    from cm_scripts_mlops.mlperf.scriptlib import fail, run_json, tool_python

    from cmcore.errors import CMError

    env = i["env"]
    name = env.get("CM_ML_MODEL_NAME", "digits")
    here = os.getcwd()
    try:
        py = tool_python(env)
        meta = dict(models.METADATA[name])
        if name == "digits":
            path = os.path.join(here, "model.onnx")
            info = run_json(py, "cm_scripts_mlops.mlperf.digits",
                            ["model", path, "--seed", str(env.get("CM_ML_MODEL_SEED", "0"))], here,
                            what="training the digits MLP")
            meta["accuracy"] = info["accuracy"]
        elif name == "efficientnet-lite0":
            path = os.path.join(here, "model.onnx")
            info = run_json(py, "cm_scripts_mlops.mlperf.export", ["efficientnet-lite0", path], here,
                            what="exporting EfficientNet-Lite0 to ONNX")
            meta.update(info)
        else:
            path = _resnet50(env)
        if name != "digits":
            lab = os.path.join(here, "labels.txt")
            run_json(py, "cm_scripts_mlops.mlperf.export", ["labels", lab, "--offset", str(meta["label_offset"])],
                     here, what="writing the ImageNet class names")
            meta["labels"] = lab
        if env.get("CM_ML_MODEL_PRECISION") == "int8":
            q = os.path.join(here, "model_int8.onnx")
            if name == "digits":  # an MLP: dynamic quantisation (int8 weights, activations at run time)
                info = run_json(py, "cm_scripts_mlops.mlperf.export", ["quantize", path, q], here,
                                what="quantising the model to int8")
            else:  # a CNN: static QDQ with activation ranges from calibration images
                info = run_json(py, "cm_scripts_mlops.mlperf.export",
                                ["quantize-static", path, q, _calibration(name)], here,
                                what="quantising the model to int8")
            meta["quantization"] = info.get("method", "")
            path = q
    except CMError as e:
        return fail(e)
    meta["precision"] = env.get("CM_ML_MODEL_PRECISION", "fp32")
    meta["file"] = path
    with open(os.path.join(here, "model_info.json"), "w") as f:
        json.dump(meta, f, indent=2)
    env.update(models.env_keys(meta))
    env["CM_ML_MODEL_INFO_FILE"] = os.path.join(here, "model_info.json")
    return {"return": 0}
