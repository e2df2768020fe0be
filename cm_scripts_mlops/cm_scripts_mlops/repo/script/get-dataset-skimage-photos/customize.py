"""get-dataset-skimage-photos: copy scikit-image's bundled photos into the cache entry."""

import os


def preprocess(i):
    from cm_scripts_mlops.mlperf.scriptlib import fail, run_json, tool_python

    from cmcore.errors import CMError

    env = i["env"]
    here = os.getcwd()
    images = os.path.join(here, "images")
    try:
        info = run_json(tool_python(env), "cm_scripts_mlops.mlperf.images", ["skimage-photos", images], here,
                        what="copying the scikit-image photos")
    except CMError as e:
        return fail(e)
    env["CM_DATASET_PATH"] = images
    env["CM_DATASET_VAL_MAP_FILE"] = os.path.join(images, "val_map.txt")
    env["CM_DATASET_SIZE"] = str(info["count"])
    env["CM_DATASET_NAME"] = "skimage-photos"
    return {"return": 0, "version": info.get("skimage_version", "")}
