"""The generic database actions every automation has (CM-FORMAT §1.8).

``GenericActions`` turns the CM input dict into calls on ``session.db``: ``search``
(``find``/``ls``/``list``), ``load``, ``add``, ``update``, ``delete`` (``rm``), ``move``
(``mv``/``ren``/``rename``), ``copy`` (``cp``) and ``info``. The ``script`` and ``cache``
automations subclass it; each action is a small method built on overridable helpers
(``_find``, ``_not_found``, ``_confirm``), so a subclass can change one step.

Differences from CM, on purpose:

* ``delete`` from Python without ``force`` returns an error that says to pass
  ``force``; CM deleted nothing and reported success.
* ``delete`` with neither an artifact nor tags is refused (CM's ``cm rm cache -f`` wiped
  everything); ``'*'`` deletes all explicitly.
* ``search`` from the console (``out='con'``) with no match returns 16 with did-you-mean
  hints for names and tags; from Python it returns 0 and an empty ``list`` as CM did.
"""

from __future__ import annotations

import json
import sys

from cmcore.automations.base import Automation
from cmcore.errors import GENERIC, MALFORMED, NOT_FOUND, CMError

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from cmcore.db import Artifact
    from cmcore.session import Session


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() not in ("", "0", "no", "false", "off")
    return bool(v)


class GenericActions(Automation):
    """An automation with the generic DB actions; its artifacts live in folder ``self.folder``."""

    #: meta format ``add`` writes unless ``--yaml``/``--json`` is given
    add_format: ClassVar[str] = "json"
    not_actions: ClassVar[frozenset[str]] = Automation.not_actions | {"for_folder"}

    def __init__(self, session: Session, folder: str | None = None) -> None:
        super().__init__(session)
        #: the automation alias, which is also its folder name inside a repo
        self.folder = folder or self.name
        if not self.folder:
            raise CMError("an automation needs a name (its folder in a repo)", GENERIC)

    @classmethod
    def for_folder(cls, session: Session, folder: str) -> GenericActions:
        """Generic actions for an automation known only by its folder name (``cm find foo``)."""
        return cls(session, folder)

    # -- helpers (overridable) ----------------------------------------------------------
    @staticmethod
    def _con(i: dict) -> bool:
        return i.get("out") == "con"

    @staticmethod
    def _force(i: dict) -> bool:
        return _truthy(i.get("force")) or _truthy(i.get("f"))

    @staticmethod
    def _refs(i: dict) -> list[str]:
        """The artifact and any further positionals, as strings."""
        refs = []
        if i.get("artifact"):
            refs.append(str(i["artifact"]))
        refs += [str(a) for a in (i.get("artifacts") or []) if a]
        return refs

    def _search_args(self, i: dict) -> dict:
        return {"repo": i.get("repo") or None, "ignore_inheritance": _truthy(i.get("ignore_inheritance"))}

    def _find(self, i: dict, refs: list[str] | None = None, tags: Any = None) -> list[Artifact]:
        """Artifacts matching the given refs (each one a search) and tags, without duplicates."""
        db = self.session.db
        tags = i.get("tags") if tags is None else tags
        out: list[Artifact] = []
        seen: set[str] = set()
        todo: list[str | None] = list(refs if refs is not None else self._refs(i)) or [None]
        for ref in todo:
            for a in db.search(self.folder, ref, tags, **self._search_args(i)):
                if a.path_str not in seen:
                    seen.add(a.path_str)
                    out.append(a)
        return out

    def _not_found(self, i: dict, refs: list[str] | None = None) -> CMError:
        refs = self._refs(i) if refs is None else refs
        msg = self.session.db.not_found_message(self.folder, refs[0] if refs else None, i.get("tags"))
        return CMError(msg, NOT_FOUND)

    def _confirm(self, question: str) -> bool:
        """Ask on the console; anything but y/yes (or no console) means no."""
        sys.stderr.write(f"{question} [y/N] ")
        sys.stderr.flush()
        try:
            answer = sys.stdin.readline()
        except (OSError, ValueError):
            return False
        return answer.strip().lower() in ("y", "yes")

    @staticmethod
    def _print(text: str) -> None:
        sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))
        sys.stdout.flush()

    def _cid(self, art: Artifact) -> str:
        return f"{self.folder},{self.uid}::{art.alias or ''},{art.uid or ''}"

    # -- actions ------------------------------------------------------------------------
    def search(self, i: dict) -> dict:
        """Find artifacts by name (alias, uid, glob, ``repo:name``) and/or ``--tags=a,b,-c``.

        Returns ``list`` (Artifact objects), ``paths`` and ``artifacts`` (plain dicts).
        """
        found = self._find(i)
        if not found and self._con(i):
            return self._not_found(i).to_dict() | {"list": [], "paths": [], "artifacts": []}
        if self._con(i) and found:
            self._print("\n".join(a.path_str for a in found))
        return {"return": 0, "list": found, "paths": [a.path_str for a in found],
                "artifacts": [a.to_dict() for a in found]}

    def load(self, i: dict) -> dict:
        """Load one artifact: ``path``, ``meta`` (after ``_base``), ``original_meta``, ``artifact``."""
        refs = self._refs(i)
        try:
            art = self.session.db.load(self.folder, refs[0] if refs else None, i.get("tags"),
                                       **self._search_args(i))
        except CMError as exc:
            if exc.code == NOT_FOUND:
                raise self._not_found(i) from exc
            raise
        if self._con(i):
            if _truthy(i.get("yaml")):
                from cmcore.metaio import dump_yaml

                self._print(dump_yaml(art.meta))
            else:
                self._print(json.dumps(art.meta, indent=2, sort_keys=True, ensure_ascii=False, default=str))
        return {"return": 0, "path": art.path_str, "meta": art.meta, "original_meta": art.original_meta,
                "artifact": art}

    def _meta_input(self, i: dict) -> dict:
        meta = i.get("meta") or {}
        if not isinstance(meta, dict):
            raise CMError("meta must be a mapping (e.g. --meta.key=value or @meta.yaml)", MALFORMED)
        return dict(meta)

    def _add_format(self, i: dict) -> str:
        if _truthy(i.get("yaml")):
            return "yaml"
        if _truthy(i.get("json")) or _truthy(i.get("j")):
            return "json"
        return self.add_format

    def add(self, i: dict) -> dict:
        """Create ``[repo:]alias`` (in ``local`` unless a repo is named) with ``--tags`` and ``--meta.*``."""
        tags = i.get("tags") or i.get("new_tags")
        art = self.session.db.add(self.folder, i.get("artifact") or None, repo=i.get("repo") or None,
                                  meta=self._meta_input(i), tags=tags, uid=i.get("uid") or None,
                                  fmt=self._add_format(i))
        if self._con(i):
            self._print(art.path_str)
        return {"return": 0, "path": art.path_str, "meta": art.meta, "artifact": art,
                "list": [art]}

    def update(self, i: dict) -> dict:
        """Merge ``--meta.*`` and ``--tags`` into matching artifacts; add the artifact if none matches."""
        refs = self._refs(i)
        search_tags = i.get("search_tags")
        if not refs and not search_tags:
            raise CMError("update needs an artifact name or --search_tags", GENERIC)
        found = self._find(i, refs, search_tags or "")
        patch = self._meta_input(i)
        if i.get("tags"):
            patch["tags"] = i["tags"]
        if not found:
            if not refs or any(c in refs[0] for c in "*?"):
                raise self._not_found(i, refs)
            return self.add({**i, "artifact": refs[0], "artifacts": [], "tags": i.get("tags")})
        if len(found) > 1 and not self._force(i):
            raise CMError(f"{len(found)} {self.folder} artifacts match; pass --force (-f) to update them all",
                          GENERIC, paths=[a.path_str for a in found])
        db = self.session.db
        done = [db.update(a, patch, replace=_truthy(i.get("replace")),
                          replace_lists=_truthy(i.get("replace_lists"))) for a in found]
        if self._con(i):
            self._print("\n".join(a.path_str for a in done))
        return {"return": 0, "list": done, "paths": [a.path_str for a in done]}

    def delete(self, i: dict) -> dict:
        """Delete matching artifacts; ``-f``/``--force`` skips the question (required from Python)."""
        refs = self._refs(i)
        if not refs and not i.get("tags"):
            raise CMError(f"give the {self.folder} artifact(s) to delete, '*' for all of them, or --tags", GENERIC)
        found = self._find(i, refs)
        if not found:
            raise self._not_found(i, refs)
        force = self._force(i)
        if not force and not self._con(i):
            raise CMError(f"refusing to delete {len(found)} {self.folder} artifact(s) without force: "
                          "pass 'force': True (CLI: -f)", GENERIC, paths=[a.path_str for a in found])
        deleted = []
        for a in found:
            if not force and not self._confirm(f"Delete {a.path}?"):
                continue
            self.session.db.delete(a)
            self.session.log.info(f"deleted {a.path}")
            deleted.append(a.path_str)
        return {"return": 0, "deleted_list": deleted}

    def _src_dst(self, i: dict, verb: str) -> tuple[Artifact, str]:
        refs = self._refs(i)
        if len(refs) < 2:
            raise CMError(f"{verb} needs two names: cm {verb} {self.folder} FROM [repo:]TO", GENERIC)
        found = self._find(i, refs[:1])
        if not found:
            raise self._not_found(i, refs[:1])
        if len(found) > 1:
            raise CMError(f'"{refs[0]}" matches {len(found)} {self.folder} artifacts; be more specific', GENERIC)
        return found[0], refs[1]

    def move(self, i: dict) -> dict:
        """Rename an artifact, or move it to another repo with ``repo:name``."""
        art, dst = self._src_dst(i, "mv")
        new = self.session.db.move(art, dst)
        if self._con(i):
            self._print(str(new.path))
        return {"return": 0, "list": [new], "path": str(new.path)}

    def copy(self, i: dict) -> dict:
        """Copy an artifact to ``[repo:]name`` with a new uid (``--new_tags`` adds tags)."""
        art, dst = self._src_dst(i, "cp")
        db = self.session.db
        new = db.copy(art, dst)
        if i.get("new_tags"):
            new = db.update(new, {"tags": i["new_tags"]})
        if self._con(i):
            self._print(str(new.path))
        return {"return": 0, "list": [new], "path": str(new.path)}

    def info(self, i: dict) -> dict:
        """Print the CID ``automation,uid::alias,uid``, the path and the files of matching artifacts."""
        found = self._find(i)
        if not found:
            raise self._not_found(i)
        infos = []
        for a in found:
            files = sorted(p.name for p in a.path.iterdir()) if a.path.is_dir() else []
            infos.append({"cid": self._cid(a), "path": a.path_str, "files": files})
            if self._con(i):
                self._print(f"CID: {self._cid(a)}\nPath: {a.path}\nFiles: {', '.join(files)}\n")
        return {"return": 0, "list": found, "info": infos}
