"""get-preprocessed-dataset: the parameters (from ``_for.<model>``, then the explicit variations and
flags) and the preprocessing run in the tool-owned python."""

import os


def preprocess(i):
    from cm_scripts_mlops.mlperf.preprocessing import parameters
    from cm_scripts_mlops.mlperf.scriptlib import fail, run_json, tool_python

    from cmcore.errors import CMError

    env = i["env"]
    here = os.getcwd()
    try:
        p = parameters(env)
        src = env.get("CM_DATASET_PATH", "")
        val_map = env.get("CM_DATASET_VAL_MAP_FILE", "")
        if not src or not val_map:
            raise CMError("the original dataset dependency exported no images (CM_DATASET_PATH, "
                          "CM_DATASET_VAL_MAP_FILE)", 16)
        data = os.path.join(here, "data.npz")
        args = ["preprocess", val_map, src, data, "--size", str(p["size"]), "--resize", str(p["resize"]),
                "--mean", ",".join(f"{v:g}" for v in p["mean"]), "--std", ",".join(f"{v:g}" for v in p["std"]),
                "--layout", p["layout"], "--dtype", p["dtype"], "--count", str(p["count"])]
        info = run_json(tool_python(env), "cm_scripts_mlops.mlperf.images", args, here,
                        what="preprocessing the images")
    except CMError as e:
        return fail(e)
    env["CM_DATASET_PREPROCESSED_PATH"] = here
    env["CM_DATASET_DATA_FILE"] = data
    env["CM_DATASET_LABELS_FILE"] = os.path.join(here, "labels.txt")
    env["CM_DATASET_NAMES_FILE"] = os.path.join(here, "names.txt")
    env["CM_DATASET_SIZE"] = str(info["count"])
    env["CM_DATASET_LABELLED"] = str(info["labelled"])
    env["CM_DATASET_NAME"] = env.get("CM_DATASET_PREPROCESS_SOURCE", "")
    env["CM_DATASET_LAYOUT"] = p["layout"]
    env["CM_DATASET_DATA_TYPE"] = p["dtype"]
    env["CM_DATASET_INPUT_SHAPE"] = ",".join(str(v) for v in info["shape"])
    env["CM_DATASET_PREPROCESS_PARAMS"] = ";".join(f"{k}={v}" for k, v in sorted(p.items()))
    return {"return": 0}
