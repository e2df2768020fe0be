"""The artifact database (CM-FORMAT §1): repos, artifacts, references, tags, the index.

``session.db`` is a :class:`Database`; see docs/internals.md for the interface.
"""

from __future__ import annotations

from cmcore.db.database import Database
from cmcore.db.model import Artifact, Repo

__all__ = ["Database", "Repo", "Artifact"]
