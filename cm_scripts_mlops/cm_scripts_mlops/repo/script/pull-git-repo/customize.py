"""pull-git-repo: `git pull` in CM_GIT_CHECKOUT_PATH."""

import os


def preprocess(i):
    from cm_scripts_mlops.lib.common import fail

    env = i["env"]
    path = env.get("CM_GIT_CHECKOUT_PATH") or env.get("CM_GIT_REPO_CHECKOUT_PATH", "")
    if not path or not os.path.isdir(os.path.join(path, ".git")):
        return fail(f"not a git checkout: {path or '(no path; give --path=DIR)'}", 16)
    env["CM_GIT_CHECKOUT_PATH"] = path
    return {"return": 0}
