"""get-ml-model-resnet50: download-file (md5/sha256 verified) into the cache entry, or --local_path."""

import os


def preprocess(i):
    from cm_scripts_mlops.mlperf import models

    from cmcore.session import current

    env = i["env"]
    if env.get("CM_ML_MODEL_PRECISION") == "int8":
        return {"return": 1, "error": "resnet50 int8: use get,ml-model,_resnet50,_int8 (ONNX Runtime quantisation)"}
    args = {"action": "run", "automation": "script", "tags": "download,file", "quiet": True,
            "download_path": os.getcwd(), "output_file": "resnet50_v1.onnx"}
    if env.get("CM_ML_MODEL_RESNET50_LOCAL_PATH"):
        args["local_path"] = env["CM_ML_MODEL_RESNET50_LOCAL_PATH"]
    else:
        args["url"] = env["CM_ML_MODEL_RESNET50_URL"]
    if env.get("CM_ML_MODEL_RESNET50_MD5"):
        args["md5sum"] = env["CM_ML_MODEL_RESNET50_MD5"]
    if env.get("CM_ML_MODEL_RESNET50_SHA256"):
        args["sha256"] = env["CM_ML_MODEL_RESNET50_SHA256"]
    r = current().access(args)
    if r["return"]:
        return {"return": r["return"], "error": f"resnet50: {r.get('error', '')}"}
    meta = dict(models.METADATA["resnet50"], file=r["new_env"]["CM_DOWNLOAD_DOWNLOADED_PATH"], precision="fp32")
    env.update(models.env_keys(meta))
    env["CM_ML_MODEL_RESNET50_FILE_WITH_PATH"] = meta["file"]
    env["CM_ML_MODEL_STARTING_WEIGHTS_FILENAME"] = env.get("CM_ML_MODEL_RESNET50_URL", "")
    return {"return": 0}
