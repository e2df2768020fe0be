"""get-python3, install-python-venv and get-generic-python-lib end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def fake_python(folder: Path, version_line: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / "python3"
    exe.write_text(f'#!/bin/sh\necho "{version_line}"\n')
    exe.chmod(0o755)
    return exe


def test_get_python3_on_this_machine(ok):
    env = ok("get,python3")
    exe = env["CM_PYTHON_BIN_WITH_PATH"]
    real = subprocess.run([exe, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                          capture_output=True, text=True).stdout.strip()
    assert env["CM_PYTHON_VERSION"] == real
    major, minor, patch = real.split(".")
    assert (env["CM_PYTHON_MAJOR_VERSION"], env["CM_PYTHON_MINOR_VERSION"], env["CM_PYTHON_PATCH_VERSION"]) == \
        (major, minor, patch)
    assert env["CM_PYTHON_BIN"] == Path(exe).name and env["CM_PYTHON_BIN_PATH"] == str(Path(exe).parent)
    assert env["CM_PYTHON_CACHE_TAGS"].startswith(f"version-{real},")


def test_get_python3_two_part_version_via_path(ok, tmp_path):
    d = tmp_path / "fakebin"
    exe = fake_python(d, "Python 3.12")
    env = ok("get,python3", path=str(d))
    assert env["CM_PYTHON_BIN_WITH_PATH"] == str(exe)
    assert env["CM_PYTHON_VERSION"] == "3.12" and env["CM_PYTHON_PATCH_VERSION"] == "0"  # flaw 16 fixed


def test_get_python3_version_constraints(ok, run, tmp_path):
    d1, d2 = tmp_path / "a", tmp_path / "b"
    fake_python(d1, "Python 3.8.10")
    new = fake_python(d2, "Python 3.13.1")
    env = ok("get,python3", path=f"{d1}:{d2}", version_min="3.10")
    assert env["CM_PYTHON_BIN_WITH_PATH"] == str(new)
    r = run("get,python3", path=str(d1), version_min="3.10")
    assert r["return"] == 16 and "no python3 >=3.10 found" in r["error"]


def test_get_python3_custom_path_and_missing(ok, run, tmp_path):
    exe = fake_python(tmp_path / "c", "Python 3.11.4")
    env = ok(f"get,python3,_custom-path.{exe}")
    assert env["CM_PYTHON_VERSION"] == "3.11.4"
    r = run(f"get,python3,_custom-path.{tmp_path}/none/python3")
    assert r["return"] == 16 and "not an executable file" in r["error"]


def test_venv_and_generic_python_lib_from_pypi(ok, run, cm_home, clean_env):
    """Real installs from PyPI, never into the user's interpreter."""
    user_python = sys.executable
    before = subprocess.run([user_python, "-m", "pip", "freeze"], capture_output=True, text=True).stdout

    # 1. No venv selected: the package goes into the tool-owned venv under the CM home.
    env = ok("get,generic-python-lib,_package.six", version_max="1.17.0")
    tool_py = Path(env["CM_PYTHON_BIN_WITH_PATH"])
    assert tool_py.is_relative_to(cm_home / "venv")
    assert env["CM_SIX_VERSION"] and env["CM_PYTHONLIB_SIX_CACHE_TAGS"] == f"version-{env['CM_SIX_VERSION']}"
    assert subprocess.run([str(tool_py), "-c", "import six"]).returncode == 0

    # 2. Cached: the second request is served from the cache entry (validated, still installed).
    again = ok("get,generic-python-lib,_package.six", version_max="1.17.0")
    assert again["CM_SIX_VERSION"] == env["CM_SIX_VERSION"]

    # 3. A package removed underneath invalidates the entry (validate_cache.sh) and is reinstalled.
    subprocess.run([str(tool_py), "-m", "pip", "uninstall", "-y", "-q", "six"], check=True)
    again = ok("get,generic-python-lib,_package.six", version_max="1.17.0")
    assert subprocess.run([str(tool_py), "-c", "import six"]).returncode == 0

    # 4. A user venv (install-python-venv) is where packages go once it is selected.
    venv_env = ok("install,python-venv", name="myenv")
    venv_py = Path(venv_env["CM_PYTHON_BIN_WITH_PATH"])
    assert venv_env["CM_VIRTUAL_ENV_PATH"].endswith("myenv") and venv_py.is_relative_to(venv_env["CM_VIRTUAL_ENV_PATH"])
    env = ok("get,generic-python-lib,_package.tomli", env={"CM_PYTHON_BIN_WITH_PATH": str(venv_py)})
    assert env["CM_PYTHON_BIN_WITH_PATH"] == str(venv_py) and env["CM_TOMLI_VERSION"]
    assert subprocess.run([str(venv_py), "-c", "import tomli"]).returncode == 0

    after = subprocess.run([user_python, "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    assert after == before  # the user's interpreter is untouched


def test_generic_python_lib_errors(run):
    r = run("get,generic-python-lib")
    assert r["return"] == 16 and "_package.NAME" in r["error"]


@pytest.mark.slow
def test_generic_python_lib_named_variation_numpy(ok):
    env = ok("get,generic-python-lib,_numpy")
    assert env["CM_NUMPY_VERSION"]
