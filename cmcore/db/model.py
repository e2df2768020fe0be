"""The records the database hands out: :class:`Repo` and :class:`Artifact`.

An :class:`Artifact` found through the index does not parse its meta file until
``.meta`` is first read, so listing 10,000 scripts costs no YAML parsing at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cmcore.records import record

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


@record
class Repo:
    """A registered repository: a folder with ``cmr.yaml``/``cmr.json`` (CM) or a root ``meta.yaml`` (MLC)."""

    alias: str
    uid: str
    path: Path  # repo root (holds cmr.yaml / cmr.json, or MLC meta.yaml)
    content_path: Path  # root / meta['prefix'] (where automation folders live)
    meta: dict
    dialect: str  # "cm" (cmr.*) or "mlc" (root meta.yaml)
    origin: str  # "local" | "package:<name>" | "registered"
    priority: int = 0  # from RepoSpec for packages; 0 otherwise

    @property
    def cid(self) -> str:
        """``alias,uid`` as CM prints it."""
        return f"{self.alias},{self.uid}"

    def to_dict(self) -> dict:
        return {
            "alias": self.alias,
            "uid": self.uid,
            "path": str(self.path),
            "content_path": str(self.content_path),
            "dialect": self.dialect,
            "origin": self.origin,
            "priority": self.priority,
            "meta": self.meta,
        }


class Artifact:
    """One artifact folder ``<repo content>/<automation>/<name>/`` and its meta.

    Constructed like the dataclass of docs/internals.md (``path, meta, repo, automation, alias,
    uid, tags, dialect, meta_files``). ``meta`` is the meta after ``_base`` inheritance and
    ``original_meta`` the merged meta files as written; when the artifact came from the index
    both are parsed on first use through ``loader``.
    """

    __slots__ = ("_path", "_path_str", "repo", "automation", "alias", "uid", "tags", "dialect", "_meta_files",
                 "_meta_names", "loader", "meta_value", "original_value", "sort")

    def __init__(
        self,
        path: Path | str,
        meta: dict | None = None,
        repo: Repo | None = None,
        automation: str = "",
        alias: str | None = None,
        uid: str | None = None,
        tags: list[str] | None = None,
        dialect: str = "cm",
        meta_files: list[Path] | None = None,
        *,
        loader: Callable[[Artifact, bool], dict] | None = None,
        original_meta: dict | None = None,
        meta_names: list[str] | None = None,
    ) -> None:
        # Path objects are built on first use: a listing of 10,000 artifacts would
        # otherwise spend most of its time parsing paths nobody looks at.
        self._path: Path | None = None if isinstance(path, str) else Path(path)
        self._path_str = path if isinstance(path, str) else None
        self.meta_value = meta
        self.original_value = original_meta
        self.repo = repo
        self.automation = automation
        self.alias = alias
        self.uid = uid
        self.tags = list(tags or [])
        self.dialect = dialect
        self._meta_files = list(meta_files) if meta_files is not None else None
        self._meta_names = meta_names or []
        # (artifact, resolve_inheritance) -> meta; set by the database
        self.loader = loader
        #: the meta's ``sort`` value, known without parsing when the artifact came from the index
        self.sort = 0

    @property
    def path(self) -> Path:
        """The artifact folder."""
        if self._path is None:
            self._path = Path(self._path_str or "")
        return self._path

    @path.setter
    def path(self, value: Path) -> None:
        self._path, self._path_str = Path(value), None

    @property
    def path_str(self) -> str:
        """The folder as a string (no Path object needed)."""
        return self._path_str if self._path_str is not None else str(self._path)

    @property
    def meta_files(self) -> list[Path]:
        """The meta files in load order (YAML, then JSON)."""
        if self._meta_files is None:
            self._meta_files = [self.path / n for n in self._meta_names]
        return self._meta_files

    @meta_files.setter
    def meta_files(self, value: list[Path]) -> None:
        self._meta_files = list(value)

    def __repr__(self) -> str:
        return f"Artifact({self.automation}:{self.alias or self.uid} at {self.path})"

    @property
    def meta(self) -> dict:
        """The meta after ``_base`` inheritance (parsed on first use)."""
        if self.meta_value is None:
            if self.loader is None:
                self.meta_value = dict(self.original_meta)
            else:
                self.meta_value = self.loader(self, True)
        return self.meta_value

    @meta.setter
    def meta(self, value: dict) -> None:
        self.meta_value = value

    @property
    def original_meta(self) -> dict:
        """The meta files as written (YAML, then JSON shallow-merged over it), before ``_base``."""
        if self.original_value is None:
            if self.loader is None:
                self.original_value = dict(self.meta_value or {})
            else:
                self.original_value = self.loader(self, False)
        return self.original_value

    # CM's Artifact object exposed these names (CM-FORMAT §1.8); scripts use them.
    @property
    def repo_path(self) -> str:
        return str(self.repo.path) if self.repo else ""

    @property
    def repo_meta(self) -> dict:
        return self.repo.meta if self.repo else {}

    @property
    def name(self) -> str:
        """The folder name."""
        return self.path.name

    @property
    def cid(self) -> str:
        """``alias,uid`` (either side may be empty)."""
        return f"{self.alias or ''},{self.uid or ''}"

    def to_dict(self, with_meta: bool = False) -> dict:
        """A JSON-friendly summary (no meta unless asked: that would parse every file)."""
        out: dict[str, Any] = {
            "path": self.path_str,
            "alias": self.alias,
            "uid": self.uid,
            "tags": list(self.tags),
            "automation": self.automation,
            "dialect": self.dialect,
            "repo": self.repo.alias if self.repo else None,
            "repo_uid": self.repo.uid if self.repo else None,
        }
        if with_meta:
            out["meta"] = self.meta
        return out
