"""Real, unmodified cm4mlops scripts run on this engine.

The `cmx4mlops` wheel on PyPI carries the cm4mlops script collection (CM dialect:
`_cm.yaml`, `customize.py` doing `from cmind import utils`, `run.sh`). The test downloads
it from the registry, registers its repo in a temporary CM home and runs the scripts the
rest of the ecosystem depends on most, checking the env keys CM users script against.
Our own collection is kept out (no entry points), so only the original scripts answer.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cmcore.session import Session
from cmcore.testing import register_repo_path

WHEEL = "cmx4mlops==1.0.1"


@pytest.fixture(scope="module")
def cm4mlops_repo(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cmx4mlops")
    p = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(d), WHEEL],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    (wheel,) = d.glob("cmx4mlops-*.whl")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(d / "unpacked", [n for n in z.namelist() if n.startswith("cmx4mlops/")])
    repo = d / "unpacked" / "cmx4mlops"
    assert (repo / "cmr.yaml").exists() and (repo / "repo" / "script" / "detect-os").is_dir()
    return repo


@pytest.fixture
def session(cm4mlops_repo, tmp_path, monkeypatch):
    home = tmp_path / "home"
    register_repo_path(home, cm4mlops_repo)
    monkeypatch.chdir(tmp_path)
    s = Session(home=home, load_entry_points=False)
    return s


def run(session, tags, **flags):
    r = session.access({"action": "run", "automation": "script", "tags": tags, "quiet": True, **flags})
    assert r["return"] == 0, r.get("error")
    return r


def test_print_hello_world_env_precedence(session):
    r = run(session, "print,hello-world")
    assert r["new_env"]["CM_ENV_TEST1"] == "TEST1"  # default_env
    assert r["new_env"]["CM_ENV_TEST2"] == "TEST2"  # meta env
    r = run(session, "print,hello-world", test1="from-flag", env={"CM_ENV_TEST2": "from-user"})
    assert r["new_env"]["CM_ENV_TEST1"] == "from-flag"  # input_mapping
    assert r["new_env"]["CM_ENV_TEST2"] == "TEST2"  # meta env beats --env (CM semantics)


def test_print_hello_world_dynamic_variation(session, capfd):
    run(session, "print,hello-world,_text.Bonjour,_skip_print_env")
    out = capfd.readouterr()
    text = out.out + out.err
    assert "HELLO WORLD!" in text and "Bonjour" in text and "CM_ENV_TEST1 =" not in text


def test_detect_os(session):
    r = run(session, "detect,os")
    env = r["new_env"]
    assert env["CM_HOST_OS_TYPE"] == "linux"
    assert env["CM_HOST_PLATFORM_FLAVOR"] == platform.machine()
    flavor = ""
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("ID="):
            flavor = line.split("=", 1)[1].strip().strip('"').lower()
    assert env["CM_HOST_OS_FLAVOR"] == flavor
    assert isinstance(env.get("+CM_HOST_OS_DEFAULT_LIBRARY_PATH"), list)
    assert r["new_state"]["os_uname_machine"] == platform.machine()


@pytest.mark.skipif(shutil.which("lscpu") is None, reason="detect-cpu needs lscpu on Linux")
def test_detect_cpu(session):
    env = run(session, "detect,cpu")["new_env"]
    import os

    assert int(env["CM_HOST_CPU_TOTAL_LOGICAL_CORES"]) == os.cpu_count()
    assert env["CM_HOST_CPU_ARCHITECTURE"] == platform.machine()


def test_get_python3_is_found_and_cached(session):
    first = run(session, "get,python3")["new_env"]
    exe = Path(first["CM_PYTHON_BIN_WITH_PATH"])
    assert exe.exists()
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout
    assert first["CM_PYTHON_VERSION"] in out
    second = run(session, "get,python3")["new_env"]
    assert second["CM_PYTHON_BIN_WITH_PATH"] == first["CM_PYTHON_BIN_WITH_PATH"]
    entries = session.access({"action": "search", "automation": "cache", "tags": "get,python3"})
    assert entries["return"] == 0 and len(entries["list"]) == 1
