"""Fixtures of the CM-FORMAT §7 conformance suite (helpers: ``conformance_kit``).

``dialect`` runs every test in the CM and the MLC dialect; ``corpus`` installs the T1–T10
scripts of ``corpus/`` into a fresh CM home in that dialect (see ``conformance_kit``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance_kit import Corpus, write_corpus_repo

from cmcore.script.dialect import CM, MLC, Dialect
from cmcore.testing import CLIRunner, register_repo_path


@pytest.fixture(params=["cm", "mlc"])
def dialect(request: pytest.FixtureRequest) -> Dialect:
    return CM if request.param == "cm" else MLC


@pytest.fixture
def corpus(
    dialect: Dialect, cm_home: Path, cm_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Corpus]:
    # The engine must not see this machine's CM/MLC settings or build flags.
    for k in list(os.environ):
        if (k.startswith(("CM_", "MLC_")) and k != "CM_HOME") or k in ("LDFLAGS",):
            monkeypatch.delenv(k, raising=False)
    state = tmp_path / "state"
    state.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    repo = write_corpus_repo(tmp_path / "corpus-repo", dialect, state)
    register_repo_path(cm_home, repo)
    monkeypatch.chdir(work)
    yield Corpus(dialect, cm_home, repo, state, work, CLIRunner(cm_home))
