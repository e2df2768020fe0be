"""get-dataset-digits: data.npz (x float32 [N, 64] in [0, 1], y int64) and labels.txt."""

import os


def preprocess(i):
    from cm_scripts_mlops.mlperf.scriptlib import fail, run_json, tool_python

    from cmcore.errors import CMError

    env = i["env"]
    split = env.get("CM_DATASET_SPLIT", "test")
    here = os.getcwd()
    data = os.path.join(here, "data.npz")
    try:
        info = run_json(tool_python(env), "cm_scripts_mlops.mlperf.digits",
                        ["dataset", data, "--split", split], here, what="making the digits dataset")
    except CMError as e:
        return fail(e)
    env["CM_DATASET_PATH"] = here
    env["CM_DATASET_DATA_FILE"] = data
    env["CM_DATASET_LABELS_FILE"] = os.path.join(here, "labels.txt")
    env["CM_DATASET_SIZE"] = str(info["count"])
    env["CM_DATASET_NAME"] = "digits"
    return {"return": 0}
