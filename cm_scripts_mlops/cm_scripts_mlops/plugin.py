"""The ``cm`` plugin of cm-scripts-mlops: registers the bundled script repository."""

from __future__ import annotations

from pathlib import Path

from cmcore import hookimpl
from cmcore.types import RepoSpec

REPO_NAME = "mlops"
REPO_PATH = Path(__file__).resolve().parent / "repo"


@hookimpl
def cm_repos() -> list[RepoSpec]:
    """The bundled repo ``mlcommons@cm-scripts-mlops``, used in place (never copied)."""
    return [RepoSpec(REPO_NAME, str(REPO_PATH))]
