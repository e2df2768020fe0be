import sys
from pathlib import Path

pytest_plugins = ["cmcore.testing"]

# Let the tests import the local helper modules (httpserver, e2e helpers) by name.
sys.path.insert(0, str(Path(__file__).parent))

import os  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No CM_* variables from the outer shell, and a fresh work folder as the cwd."""
    for k in list(os.environ):
        if k.startswith(("CM_", "MLC_")) and k != "CM_HOME":
            monkeypatch.delenv(k, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def run(cm_session: Any, clean_env: Path):
    """``run("detect,os", quiet=True, ...)`` → the result dict of ``cm run script``."""

    def call(tags: str, **kw: Any) -> dict:
        kw.setdefault("quiet", True)
        return cm_session.access({"action": "run", "automation": "script", "tags": tags, **kw})

    return call


@pytest.fixture
def ok(run):
    """Like ``run`` but asserts success and returns ``new_env``."""

    def call(tags: str, **kw: Any) -> dict:
        r = run(tags, **kw)
        assert r["return"] == 0, r.get("error")
        return r["new_env"]

    return call
