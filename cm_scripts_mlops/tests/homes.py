"""A fresh CM home shared by the tests of one module (the MLPerf tests install into its venv once)."""

from __future__ import annotations

import os

import pytest


def isolated_home_session(tmp_path_factory: pytest.TempPathFactory, name: str):
    """Generator for a session/module fixture: one fresh CM home (and its tool-owned venv)
    shared by the tests that use it, no CM_*/MLC_* variables from the outer shell, the cwd a
    work folder inside the home. Use as ``yield from isolated_home_session(factory, "x-home")``."""
    from cmcore.session import Session, set_default

    home = tmp_path_factory.mktemp(name)
    mp = pytest.MonkeyPatch()
    mp.setenv("CM_HOME", str(home))
    for k in list(os.environ):
        if k.startswith(("CM_", "MLC_")) and k != "CM_HOME":
            mp.delenv(k, raising=False)
    (home / "work").mkdir()
    mp.chdir(home / "work")
    s = Session(home=home)
    set_default(s)
    yield s
    set_default(None)
    mp.undo()
