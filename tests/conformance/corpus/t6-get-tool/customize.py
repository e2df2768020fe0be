"""CM-FORMAT §7 T6: detection with version constraints (modelled on get-cmake)."""

from cmind import utils


def preprocess(i):
    env = i["env"]
    r = i["automation"].find_artifact(
        {
            "file_name": "t6tool",
            "env": env,
            "os_info": i["os_info"],
            "default_path_env_key": "PATH",
            "detect_version": True,
            "env_path_key": "T6_BIN_WITH_PATH",
            "run_script_input": i["run_script_input"],
            "recursion_spaces": i.get("recursion_spaces", ""),
        }
    )
    if r["return"] > 0:
        if r["return"] == 16:
            return {"return": 16, "error": "t6tool was not found"}
        return r
    return {"return": 0}


def detect_version(i):
    r = i["automation"].parse_version(
        {
            "match_text": r"t6tool ([\d.]+)",
            "group_number": 1,
            "env_key": "T6_VERSION",
            "which_env": i["env"],
        }
    )
    if r["return"] > 0:
        return r
    return {"return": 0, "version": r["version"]}


def postprocess(i):
    r = detect_version(i)
    if r["return"] > 0:
        return r
    # The script runs inside its cache entry: this file must end up there.
    s = utils.save_json("t6-info.json", {"version": r["version"]})
    if s["return"] > 0:
        return s
    return {"return": 0, "version": r["version"]}
