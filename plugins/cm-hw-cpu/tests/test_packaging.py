"""The hardware plugins as real pip packages in a throwaway venv: installing one is the only
step that extends `cm`, and uninstalling it takes it away again."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cmcore.testing import make_venv

PLUGINS = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pip_install_lists_detects_and_uninstalls(tmp_path):
    bindir = make_venv(tmp_path / "venv", str(PLUGINS / "cm-hw-cpu"), str(PLUGINS / "cm-hw-cuda"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CM_OVERRIDE_", "CM_PLUGINS"))}
    env.update(CM_HOME=str(tmp_path / "home"), CM_OVERRIDE_CUDA="12.4", CM_OVERRIDE_CUDA_DEVICES="2")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)

    def plugin_rows() -> dict:
        r = run(str(bindir / "cm"), "plugins", "--json")
        assert r.returncode == 0, r.stderr
        return {row["name"]: row for row in json.loads(r.stdout)}

    rows = plugin_rows()
    assert rows["hw-cpu"]["distribution"] == "cm-hw-cpu" and rows["hw-cpu"]["error"] == ""
    assert rows["hw-cuda"]["distribution"] == "cm-hw-cuda"
    assert {"cm_detect_devices", "cm_detect", "cm_install"} <= set(rows["hw-cuda"]["hooks"])
    detect = ("from cmcore.session import Session; s = Session(); "
              "print(sorted(d.name for ds in s.pm.hook.cm_detect_devices(session=s) for d in ds))")
    r = run(str(bindir / "python"), "-c", detect)
    assert r.returncode == 0 and r.stdout.strip() == "['cpu:0', 'cuda:0', 'cuda:1']", r.stderr
    r = run(str(bindir / "python"), "-m", "pip", "uninstall", "-y", "-q", "cm-hw-cuda")
    assert r.returncode == 0, r.stderr
    rows = plugin_rows()
    assert "hw-cuda" not in rows and "hw-cpu" in rows
    r = run(str(bindir / "python"), "-c", detect)
    assert r.stdout.strip() == "['cpu:0']"
    assert run(str(bindir / "cm"), "--version").returncode == 0
