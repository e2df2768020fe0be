"""extract-file: members escaping the target folder, and links pointing outside it, are refused."""

import os


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail, from_error, is_true

    from cmcore.transfer.extract import ExtractError, extract, top_level_entries

    env = i["env"]
    archive = env.get("CM_EXTRACT_FILEPATH") or env.get("CM_INPUT", "")
    if not archive:
        return fail("nothing to extract: give --input=ARCHIVE or the _path.ARCHIVE variation", 16)
    archive = os.path.abspath(archive)
    target = os.path.abspath(env.get("CM_EXTRACT_PATH") or os.getcwd())
    if env.get("CM_EXTRACT_TO_FOLDER"):
        target = os.path.join(target, env["CM_EXTRACT_TO_FOLDER"])
    fmt = env.get("CM_EXTRACT_FORMAT") or None
    for flag, forced in (("CM_EXTRACT_UNZIP", "zip"), ("CM_EXTRACT_UNTAR", "tar"), ("CM_EXTRACT_GZIP", "gz")):
        if is_true(env.get(flag)):
            fmt = forced
    print(f"extracting {archive} into {target}")
    try:
        names = extract(archive, target, fmt=fmt)
    except ExtractError as e:
        return from_error(e)
    top = top_level_entries(names)
    env["CM_EXTRACT_EXTRACTED_PATH"] = target
    if len(top) == 1:
        env["CM_EXTRACT_EXTRACTED_TOP_LEVEL"] = os.path.join(target, top[0])
    if len(names) == 1:
        env["CM_EXTRACT_EXTRACTED_FILENAME"] = names[0]
    if is_true(env.get("CM_EXTRACT_REMOVE_EXTRACTED")):
        os.remove(archive)
    if env.get("CM_EXTRACT_FINAL_ENV_NAME"):
        env[env["CM_EXTRACT_FINAL_ENV_NAME"]] = target
    env["CM_GET_DEPENDENT_CACHED_PATH"] = target
    return {"return": 0}
