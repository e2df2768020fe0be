"""get-git-repo: clone into <cache entry>/<folder>; `CM_GIT_*` are local keys, so the results
are re-exported as CM_GIT_REPO_*."""

import os
import re


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail

    env = i["env"]
    url = str(env.get("CM_GIT_URL", "")).strip()
    if not url:
        return fail("no repository: give _repo.URL or --env.CM_GIT_URL=URL", 16)
    folder = str(env.get("CM_GIT_CHECKOUT_FOLDER") or "repo")
    if os.path.isabs(folder) or ".." in folder.replace("\\", "/").split("/"):
        return fail(f"bad --folder {folder!r}: give a folder name, not a path", 1)
    branch = env.get("CM_GIT_BRANCH") or env.get("CM_GIT_CHECKOUT") or ""
    env["CM_GIT_CHECKOUT"] = branch
    # A sha may be anywhere in the history; a tag needs the tags: neither works with --depth.
    if env.get("CM_GIT_SHA") or env.get("CM_GIT_CHECKOUT_TAG") or env.get("CM_GIT_PR_TO_APPLY"):
        env["CM_GIT_DEPTH"] = ""
    depth = str(env.get("CM_GIT_DEPTH", "")).strip()
    if depth and not re.fullmatch(r"(--depth[ =])?\d+", depth):
        return fail(f"bad --depth {depth!r}: give a number or '--depth N'", 1)
    if depth.isdigit():
        depth = f"--depth {depth}"
    if depth and os.path.isdir(url):
        url = "file://" + os.path.abspath(url)  # git ignores --depth for plain local paths
    env["CM_GIT_URL_FOR_CLONE"] = url
    env["CM_GIT_DEPTH"] = depth
    env["CM_GIT_CHECKOUT_PATH"] = os.path.join(os.getcwd(), folder)
    return {"return": 0}


def postprocess(i):
    env = i["env"]
    path = env["CM_GIT_CHECKOUT_PATH"]
    if not os.path.isdir(os.path.join(path, ".git")):
        return {"return": 2, "error": f"git clone of {env.get('CM_GIT_URL')} produced no checkout in {path}"}
    env["CM_GIT_REPO_CHECKOUT_PATH"] = path
    env["CM_GIT_REPO_URL"] = env.get("CM_GIT_URL", "")
    env["CM_GIT_REPO_CHECKOUT"] = env.get("CM_GIT_CHECKOUT", "")
    env["CM_GIT_REPO_SHA"] = env.get("CM_GIT_SHA", "")
    env["CM_GIT_REPO_TAG"] = env.get("CM_GIT_CHECKOUT_TAG", "")
    env["CM_GIT_REPO_CHECKOUT_FOLDER"] = os.path.basename(path)
    if env.get("CM_GIT_ENV_KEY"):
        env[f"CM_GIT_REPO_{env['CM_GIT_ENV_KEY'].upper()}_CHECKOUT_PATH"] = path
    if env.get("CM_GIT_CHECKOUT_PATH_ENV_NAME"):
        env[env["CM_GIT_CHECKOUT_PATH_ENV_NAME"]] = path
    env["CM_GET_DEPENDENT_CACHED_PATH"] = path
    return {"return": 0}
