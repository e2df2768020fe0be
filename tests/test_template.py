"""The plugin template renders into a project that installs with pip and extends `cm`."""

from __future__ import annotations

import json
import os
import subprocess

from cmcore.testing import make_venv


def test_new_plugin_renders_completely(cm_cli, tmp_path):
    r = cm_cli("new-plugin", "demo-npu", "--dest", str(tmp_path), "--description", "Demo NPU support")
    assert r.exit_code == 0, r.stderr
    root = tmp_path / "cm-demo-npu"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == ["README.md", "cm_demo_npu/__init__.py", "cm_demo_npu/plugin.py", "pyproject.toml",
                     "tests/test_plugin.py"]
    for f in root.rglob("*"):
        if f.is_file():
            assert "{{" not in f.read_text(), f
    assert 'demo-npu = "cm_demo_npu.plugin"' in (root / "pyproject.toml").read_text()
    again = cm_cli("new-plugin", "demo-npu", "--dest", str(tmp_path))
    assert again.exit_code == 8 and "already exists" in again.stderr


def test_new_plugin_rejects_bad_names(cm_cli, tmp_path):
    r = cm_cli("new-plugin", "../evil", "--dest", str(tmp_path))
    assert r.exit_code == 4 and "lowercase" in r.stderr


def test_rendered_plugin_installs_and_is_seen(cm_cli, tmp_path):
    cm_cli("new-plugin", "demo-npu", "--dest", str(tmp_path))
    plugin = tmp_path / "cm-demo-npu"
    bindir = make_venv(tmp_path / "venv", "pytest", "-e", str(plugin))
    env = {**os.environ, "CM_HOME": str(tmp_path / "home")}
    env.pop("CM_PLUGINS", None)

    def cm(*args):
        return subprocess.run([str(bindir / "cm"), *args], capture_output=True, text=True, env=env, timeout=120)

    rows = {r["name"]: r for r in json.loads(cm("plugins", "--json").stdout)}
    assert rows["demo-npu"]["distribution"] == "cm-demo-npu"
    assert "cm_automations" in rows["demo-npu"]["hooks"]
    hello = cm("hello", "demo-npu", "ann", "--json")
    assert hello.returncode == 0 and json.loads(hello.stdout)["greeting"] == "hello ann"
    info = cm("demo-npu-info")
    assert info.returncode == 0 and "uses CM home" in info.stdout
    # the plugin's own tests pass with the cmcore.testing fixtures
    t = subprocess.run([str(bindir / "python"), "-m", "pytest", "-q", str(plugin / "tests")],
                       capture_output=True, text=True, env=env, cwd=plugin, timeout=300)
    assert t.returncode == 0, t.stdout + t.stderr
    # uninstalling removes it
    subprocess.run([str(bindir / "python"), "-m", "pip", "uninstall", "-y", "-q", "cm-demo-npu"], check=True,
                   timeout=120)
    rows = {r["name"] for r in json.loads(cm("plugins", "--json").stdout)}
    assert "demo-npu" not in rows
    assert cm("hello", "demo-npu").returncode == 4
