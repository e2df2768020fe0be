"""Write the installed version of CM_GENERIC_PYTHON_PACKAGE_NAME to tmp-ver.out.

Run by run.sh and validate_cache.sh with any Python 3 (stdlib only). The environment that is
asked: CM_PYTHONLIB_TARGET_PYTHON if set, else the running python when it is a venv's, else
the tool-owned venv under the CM home. Nothing is written when the package is missing.
"""

import os
import subprocess
import sys


def tool_home():
    if os.environ.get("CM_HOME"):
        return os.environ["CM_HOME"]
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Application Support/cm")
    return os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "cm")


def target():
    t = os.environ.get("CM_PYTHONLIB_TARGET_PYTHON", "")
    if t and os.path.exists(t):
        return t
    if sys.prefix != sys.base_prefix:
        return sys.executable
    mm = "{}.{}".format(*sys.version_info[:2])
    root = os.path.join(tool_home(), "venv")
    for name in ("default", "default-py" + mm):
        exe = os.path.join(root, name, "Scripts" if os.name == "nt" else "bin", "python")
        cfg = os.path.join(root, name, "pyvenv.cfg")
        if os.path.exists(cfg) and ("= " + mm) in open(cfg).read():
            return exe
    return sys.executable


def main():
    dist = os.environ.get("CM_GENERIC_PYTHON_PACKAGE_NAME", "")
    if os.path.exists("tmp-ver.out"):
        os.remove("tmp-ver.out")
    code = "import sys, importlib.metadata as m; print(m.version(sys.argv[1]))"
    p = subprocess.run([target(), "-c", code, dist], capture_output=True, text=True)
    if p.returncode != 0:
        print(f"{dist} is not installed in {target()}", file=sys.stderr)
        return 1
    with open("tmp-ver.out", "w") as f:
        f.write(p.stdout.strip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
