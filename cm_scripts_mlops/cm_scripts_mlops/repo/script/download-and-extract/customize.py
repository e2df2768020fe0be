"""download-and-extract: the prehook downloads, the posthook extracts (with _extract)."""


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail, is_true

    env, meta, inp = i["env"], i["meta"], i["input"]
    if not (env.get("CM_DAE_URL") or env.get("CM_DOWNLOAD_LOCAL_FILE_PATH")):
        return fail("nothing to download: give --url=URL, _url.URL or --local_path=FILE", 16)
    if env.get("CM_DOWNLOAD_LOCAL_FILE_PATH") and not env.get("CM_DAE_URL"):
        # A local file needs no URL; keep the download dep from asking for one.
        for dep in meta.get("prehook_deps", []):
            dep.pop("update_tags_from_env_with_prefix", None)
    if is_true(inp.get("force_cache")):
        # Cache the download and the extraction too, under the same extra tags.
        extra = inp.get("extra_cache_tags", "")
        for key in ("prehook_deps", "posthook_deps"):
            for dep in meta.get(key, []):
                dep["force_cache"] = True
                if extra:
                    dep["extra_cache_tags"] = extra
    return {"return": 0}


def postprocess(i):
    env = i["env"]
    extracted = env.get("CM_EXTRACT_EXTRACTED_PATH", "")
    downloaded = env.get("CM_DOWNLOAD_DOWNLOADED_PATH", "")
    result = extracted if (extracted and env.get("CM_DAE_EXTRACT_DOWNLOADED") == "yes") else downloaded
    env["CM_DAE_FINAL_PATH"] = result
    if env.get("CM_DAE_FINAL_ENV_NAME"):
        env[env["CM_DAE_FINAL_ENV_NAME"]] = result
    env["CM_GET_DEPENDENT_CACHED_PATH"] = result
    return {"return": 0}
