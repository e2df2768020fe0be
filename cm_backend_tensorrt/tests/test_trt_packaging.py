"""cm-backend-tensorrt as a real pip package: installing it is what makes `cmr "get backend
_tensorrt"` know TensorRT; without a GPU it says why in one line; uninstalling removes it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cmcore.testing import make_venv

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_install_use_and_uninstall(tmp_path):
    bindir = make_venv(tmp_path / "venv", str(ROOT / "cm_scripts_mlops"), str(ROOT / "plugins" / "cm-hw-cpu"),
                       str(ROOT / "cm_backend_tensorrt"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CM_OVERRIDE_", "CM_PLUGINS"))}
    env.update(CM_HOME=str(tmp_path / "home"))

    def cm(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(bindir / "cm"), *args], capture_output=True, text=True, env=env,
                              timeout=300, cwd=tmp_path)

    rows = {r["name"]: r for r in json.loads(cm("plugins", "--json").stdout)}
    assert rows["backend-tensorrt"]["distribution"] == "cm-backend-tensorrt"
    assert "cm_backends" in rows["backend-tensorrt"]["hooks"]
    py = str(bindir / "python")
    # no GPU here: the backend is known, and the answer is one line, not a traceback
    r = cm("run", "script", "get backend _tensorrt _cuda", f"--python={py}", "--quiet")
    assert r.returncode == 16 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("cm error: no cuda device")
    subprocess.run([py, "-m", "pip", "uninstall", "-y", "-q", "cm-backend-tensorrt"], check=True, timeout=300)
    assert "backend-tensorrt" not in {r["name"] for r in json.loads(cm("plugins", "--json").stdout)}
    r = cm("run", "script", "get backend _tensorrt", f"--python={py}", "--quiet")
    assert r.returncode == 16
    assert 'no inference backend "tensorrt" is installed; pip install cm-backend-tensorrt' in r.stderr
