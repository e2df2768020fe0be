"""get-generic-sys-util: detect one OS utility; install it when missing, never waiting on a password.

Installation runs as root or through ``sudo -n``. When neither is possible, the error is one
line with the exact command to run. ``--ignore_missing`` / ``--fail_safe`` turn that into a
warning and ``CM_SYS_UTIL_<NAME>_INSTALLED=no``.
"""

import re
import shlex
import shutil


def preprocess(i):
    from cm_scripts_mlops.lib import sysutil
    from cm_scripts_mlops.lib.common import env_name, fail, is_true, run_capture

    env, state = i["env"], i["state"]
    name = env.get("CM_SYS_UTIL_NAME", "")
    if not name:
        known = sorted(k for k in i["meta"].get("variations", {}) if k not in ("detect", "install", "package.#"))
        return fail("no utility selected: add one variation, e.g. _cmake, or _package.NAME (known: "
                    + ", ".join("_" + k for k in known) + ")", 16)
    key = env_name(name)
    manager = env.get("CM_HOST_OS_PACKAGE_MANAGER", "")
    table = state.get("sys_util_packages", {}).get(name, {})
    package = table.get(manager, env.get("CM_SYS_UTIL_PACKAGE", name)) if table else env.get("CM_SYS_UTIL_PACKAGE", name)
    check = env.get("CM_SYS_UTIL_CHECK_CMD", "")
    tolerate = is_true(env.get("CM_GENERIC_SYS_UTIL_IGNORE_MISSING_PACKAGE")) or is_true(env.get("CM_TMP_FAIL_SAFE"))
    force = env.get("CM_GENERIC_SYS_UTIL_MODE") == "install" or is_true(env.get("CM_GENERIC_SYS_UTIL_FORCE_INSTALL"))

    def found():
        if check:
            return shutil.which(check)
        return manager and package and sysutil.package_installed(manager, package)

    if table and manager in table and not package:
        print(f"{name} is not needed (no package) on {manager} systems")
        env[f"CM_SYS_UTIL_{key}_INSTALLED"] = "yes"
        return {"return": 0}

    if force or not found():
        problem = ""
        if not manager:
            problem = (f"{name} is missing and this OS has no known package manager "
                       f"(CM_HOST_OS_FLAVOR={env.get('CM_HOST_OS_FLAVOR', '?')}); install {package} yourself")
        else:
            plan = sysutil.plan_install(manager, [package])
            ok, msg = sysutil.run_install(manager, [package], plan=plan)
            if not ok:
                problem = msg
                # A failed install is only tolerated with --fail_safe; "cannot" with either flag.
                if plan.argv is not None and not is_true(env.get("CM_TMP_FAIL_SAFE")):
                    tolerate = False
        if problem:
            if tolerate:
                print(f"WARNING: {problem}")
                env[f"CM_SYS_UTIL_{key}_INSTALLED"] = "no"
                return {"return": 0}
            return fail(problem, 2 if "failed" in problem else 16)
        if not found():
            msg = f"{package} was installed but {check or package} is still not found"
            if tolerate:
                print(f"WARNING: {msg}")
                env[f"CM_SYS_UTIL_{key}_INSTALLED"] = "no"
                return {"return": 0}
            return fail(msg, 16)

    env[f"CM_SYS_UTIL_{key}_INSTALLED"] = "yes"
    if check:
        env[f"CM_SYS_UTIL_{key}_PATH"] = shutil.which(check) or ""
    vcmd, vre = env.get("CM_SYS_UTIL_VERSION_CMD", ""), env.get("CM_SYS_UTIL_VERSION_RE", "")
    if vcmd and vre:
        _, out = run_capture(shlex.split(vcmd), timeout=30)
        m = re.search(vre, out)
        if m:
            env[f"CM_SYS_UTIL_{key}_VERSION"] = m.group(1)
            env["CM_SYS_UTIL_VERSION_ENV_KEY"] = f"CM_{key}_VERSION"
            env[f"CM_{key}_VERSION"] = m.group(1)
            return {"return": 0, "version": m.group(1)}
    return {"return": 0}
