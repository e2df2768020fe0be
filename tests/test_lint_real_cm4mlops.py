"""Lint over the real cm4mlops collection (the cmx4mlops wheel from PyPI): fast, and it finds
the typos known to be in it. Slow only because of the download."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cmcore.session import Session
from cmcore.testing import register_repo_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cm4mlops(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cmx4mlops")
    p = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(d), "cmx4mlops==1.0.1"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    (wheel,) = d.glob("cmx4mlops-*.whl")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(d / "u", [n for n in z.namelist() if n.startswith("cmx4mlops/")])
    return d / "u" / "cmx4mlops"


def test_lint_cm4mlops_finds_the_known_typos(cm4mlops, tmp_path):
    home = tmp_path / "home"
    register_repo_path(home, cm4mlops)
    s = Session(home=home, load_entry_points=False)
    r = s.access({"action": "lint", "automation": "script", "repo": "cmx4mlops"})
    assert r["return"] == 1
    text = "\n".join(r["lines"])
    for typo, fix in (("alis", "alias"), ("force-cache", "force_cache"), ("default-variations", "default_variations"),
                      ("updats_tags_from_env_with_prefix", "update_tags_from_env_with_prefix"),
                      ("update_tags_from_env_with_prefix1", "update_tags_from_env_with_prefix")):
        assert f'{typo}: unknown key (did you mean "{fix}"?)' in text, typo
    assert "resolves to no script" in text and "is not a defined variation" in text
