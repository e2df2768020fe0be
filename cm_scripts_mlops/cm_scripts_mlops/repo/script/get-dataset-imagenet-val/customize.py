"""get-dataset-imagenet-val: check a user's local folder and labels file; export where they are."""

import os


def preprocess(i):
    from cm_scripts_mlops.mlperf.datasets import read_val_map

    env = i["env"]
    path = str(env.get("CM_DATASET_IMAGENET_PATH") or "").strip()
    if not path:
        return {"return": 1, "error": "get-dataset-imagenet-val needs --path=<folder with the validation images> "
                                      "(the images are not downloaded)"}
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.isdir(path):
        return {"return": 16, "error": f"imagenet folder {path} not found"}
    labels = str(env.get("CM_DATASET_IMAGENET_VAL_LABELS_FILE") or "").strip() or os.path.join(path, "val_map.txt")
    labels = os.path.abspath(os.path.expanduser(labels))
    if not os.path.isfile(labels):
        return {"return": 16, "error": f"labels file {labels} not found (use --labels=<val_map.txt>)"}
    try:
        entries = read_val_map(labels, path)
    except ValueError as e:
        return {"return": 1, "error": str(e)}
    env["CM_DATASET_PATH"] = path
    env["CM_DATASET_IMAGENET_PATH"] = path
    env["CM_DATASET_VAL_MAP_FILE"] = labels
    env["CM_DATASET_SIZE"] = str(len(entries))
    env["CM_DATASET_NAME"] = "imagenet"
    return {"return": 0}
