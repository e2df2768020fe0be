"""detect-os: OS type, flavor, version, architecture, package manager (CM_HOST_OS_*)."""

import os
import platform


def preprocess(i):
    from cm_scripts_mlops.lib import osinfo

    env = i["env"]
    env["CM_HOST_OS_TYPE"] = osinfo.os_type()
    env["CM_HOST_OS_BITS"] = osinfo.os_bits()
    env["CM_HOST_PYTHON_BITS"] = osinfo.python_bits()
    return {"return": 0}


def postprocess(i):
    from cm_scripts_mlops.lib import osinfo

    env, state = i["env"], i["state"]
    os_type = env.get("CM_HOST_OS_TYPE") or osinfo.os_type()

    # run.sh wrote `uname -m` and `uname -a` to tmp-run.out (absent on Windows).
    machine, uname_all = platform.machine(), " ".join(platform.uname())
    if os.path.isfile("tmp-run.out"):
        with open("tmp-run.out") as f:
            lines = [ln.strip() for ln in f.read().splitlines()]
        if lines and lines[0]:
            machine = lines[0]
        if len(lines) > 1 and lines[1]:
            uname_all = lines[1]
    state["os_uname_machine"] = machine
    state["os_uname_all"] = uname_all
    env["CM_HOST_OS_MACHINE"] = machine
    env.setdefault("CM_HOST_PLATFORM_FLAVOR", machine)
    if os_type == "windows":
        env.setdefault("CM_HOST_OS_FLAVOR", "windows")
        env.setdefault("CM_HOST_OS_VERSION", platform.version())
        env.setdefault("CM_HOST_OS_KERNEL_VERSION", platform.release())

    env["CM_HOST_SYSTEM_NAME"] = platform.node()
    env.update(osinfo.package_manager_env(env.get("CM_HOST_OS_FLAVOR", ""), env.get("CM_HOST_OS_FLAVOR_LIKE", "")))
    if os_type == "linux":
        libs = osinfo.default_library_paths()
        if libs:
            env["+CM_HOST_OS_DEFAULT_LIBRARY_PATH"] = libs
    # The original computed this and did not export it (CM-FORMAT §8 flaw 16); it is exported here.
    env["CM_RUN_INSIDE_DOCKER"] = "yes" if osinfo.inside_container() else "no"
    return {"return": 0}
