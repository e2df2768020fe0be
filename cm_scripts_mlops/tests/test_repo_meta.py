"""The bundled repo: plugin registration, metas, native scripts, package data, READMEs."""

from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path

import cm_scripts_mlops.plugin as plugin
import pytest
import tomllib
import yaml

from cm_scripts_mlops import docgen

REPO = Path(plugin.__file__).resolve().parent / "repo"
DIST = REPO.parent.parent
SCRIPTS = sorted(p.parent for p in REPO.glob("script/*/_cm.yaml"))
EXPECTED = {
    "detect-os", "detect-cpu", "get-sys-utils-cm", "get-generic-sys-util", "get-python3",
    "install-python-venv", "get-generic-python-lib", "download-file", "extract-file",
    "download-and-extract", "get-git-repo", "pull-git-repo", "get-cuda", "get-cudnn", "get-tensorrt",
    "get-compiler", "get-gcc", "get-llvm", "compile-program", "print-hello-world", "print-any-text",
}


def load(d: Path) -> dict:
    return yaml.safe_load((d / "_cm.yaml").read_text())


def test_plugin_registers_the_bundled_repo():
    specs = plugin.cm_repos()
    assert [s.name for s in specs] == ["mlops"]
    root = Path(specs[0].path)
    meta = yaml.safe_load((root / "cmr.yaml").read_text())
    assert meta["alias"] == "mlcommons@cm-scripts-mlops"
    assert re.fullmatch(r"[0-9a-f]{16}", meta["uid"])


def test_entry_point_is_declared():
    pp = tomllib.loads((DIST / "pyproject.toml").read_text())
    assert pp["project"]["name"] == "cm-scripts-mlops"
    assert pp["project"]["entry-points"]["cm"] == {"mlops": "cm_scripts_mlops.plugin"}
    assert any(d.startswith("cmcore") for d in pp["project"]["dependencies"])


def test_every_expected_script_is_there():
    # the core set must be there; other scripts (MLPerf, platform) may be added beside it
    missing = EXPECTED - {d.name for d in SCRIPTS}
    assert not missing, f"missing scripts: {sorted(missing)}"


@pytest.mark.parametrize("d", SCRIPTS, ids=lambda d: d.name)
def test_meta_is_well_formed(d):
    meta = load(d)
    assert meta["alias"] == d.name
    assert re.fullmatch(r"[0-9a-f]{16}", meta["uid"])
    assert meta["automation_alias"] == "script" and meta["automation_uid"] == "5b4e0237da074764"
    assert meta["tags"] and all(isinstance(t, str) and "," not in t for t in meta["tags"])
    for name, frag in (meta.get("variations") or {}).items():
        assert "," not in name or all(p in meta["variations"] for p in name.split(","))
        assert isinstance(frag, dict), name
    for groupless in ("deps", "prehook_deps", "posthook_deps", "post_deps"):
        for dep in meta.get(groupless) or []:
            assert dep.get("tags"), f"{d.name}: a dep without tags"
    if meta.get("input_mapping"):
        assert all(re.fullmatch(r"[A-Z0-9_]+", v) for v in meta["input_mapping"].values())


def test_uids_are_unique():
    uids = [load(d)["uid"] for d in SCRIPTS]
    assert len(uids) == len(set(uids))


@pytest.mark.parametrize("d", SCRIPTS, ids=lambda d: d.name)
def test_native_scripts_parse_and_customize_compiles(d):
    for sh in d.glob("*.sh"):
        assert sh.stat().st_mode & 0o111, f"{sh} is not executable"
        r = subprocess.run(["bash", "-n", str(sh)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    for py in d.glob("*.py"):
        compile(py.read_text(), str(py), "exec")
        # Old-style imports would need the compat layer; these scripts use the package instead.
        assert "import cmind" not in py.read_text() and "from cmind" not in py.read_text()


def test_package_data_globs_cover_every_repo_file():
    pp = tomllib.loads((DIST / "pyproject.toml").read_text())
    globs = pp["tool"]["setuptools"]["package-data"]["cm_scripts_mlops"]
    pkg = REPO.parent
    for f in REPO.rglob("*"):
        if f.is_file() and "__pycache__" not in f.parts:
            rel = str(f.relative_to(pkg))
            assert any(fnmatch.fnmatch(rel, g) and rel.count("/") == g.count("/") for g in globs), rel


def test_readmes_are_generated_and_current():
    assert docgen.main(["--check"]) == 0
    text = (REPO / "script" / "get-git-repo" / "README.md").read_text()
    assert "`_branch.<value>`" in text and "group `checkout`" in text
    assert "`--pull` → `env.CM_GIT_REPO_PULL`" in text
    assert "env `<<<CM_GIT_CHECKOUT_PATH_ENV_NAME>>>`" in text


def test_docgen_writes_and_reports(tmp_path, capsys):
    d = tmp_path / "script" / "x"
    d.mkdir(parents=True)
    (d / "_cm.yaml").write_text("alias: x\nuid: '0123456789abcdef'\ntags: [x, y]\n"
                                "variations: {a: {group: g, default: true}, b: {group: g}}\n")
    assert docgen.main(["--check", str(tmp_path)]) == 1
    assert docgen.main([str(tmp_path)]) == 0
    assert "`_a` (default)" in (d / "README.md").read_text()
    assert docgen.main(["--check", str(tmp_path)]) == 0
    (d / "_cm.yaml").write_text("tags: [x\n")
    assert docgen.main([str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err
