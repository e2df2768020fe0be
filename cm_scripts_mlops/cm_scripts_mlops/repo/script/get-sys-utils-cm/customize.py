"""get-sys-utils-cm: the base tools (git, wget, curl, zip, unzip, tar, xz, bzip2, patch, make).

Only what is missing is installed, only as root or with ``sudo -n``: nothing ever waits on a
password or prompts. When something cannot be installed, one warning line gives the exact
command and the run goes on (most scripts need only a few of these tools).
"""

import shutil

# command → package, per package manager ("" = the command's own name).
TOOLS = {
    "git": {}, "wget": {}, "curl": {}, "zip": {}, "unzip": {}, "tar": {}, "patch": {}, "make": {},
    "xz": {"apt": "xz-utils"}, "bzip2": {}, "gzip": {},
}


def preprocess(i):
    from cm_scripts_mlops.lib import sysutil
    from cm_scripts_mlops.lib.common import is_true

    env = i["env"]
    if is_true(env.get("CM_SKIP_SYS_UTILS")) or env.get("CM_HOST_OS_TYPE") == "windows":
        return {"return": 0}
    manager = env.get("CM_HOST_OS_PACKAGE_MANAGER", "")
    missing = [t for t in TOOLS if not shutil.which(t)]
    env["CM_SYS_UTILS_MISSING"] = ",".join(missing)
    if not missing:
        return {"return": 0}
    if not manager:
        print(f"WARNING: missing system tools {', '.join(missing)} and no known package manager")
        return {"return": 0}
    packages = [TOOLS[t].get(manager) or t for t in missing]
    ok, msg = sysutil.run_install(manager, packages)
    if not ok:
        print(f"WARNING: {msg}")
    env["CM_SYS_UTILS_MISSING"] = ",".join(t for t in TOOLS if not shutil.which(t))
    return {"return": 0}
