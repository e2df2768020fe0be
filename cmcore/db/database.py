"""The artifact database: repos, lookups through the index, and lock-protected writes.

``session.db`` is a :class:`Database`. Reads go through :class:`~cmcore.db.index.Index`
(never stale, see there); writes create folders through a hidden staging folder and a
rename, so no reader ever sees half an artifact, and they hold a per-artifact lock while
they read-modify-write a meta file. See docs/internals.md for the interface.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cmcore.db import metafiles
from cmcore.db.index import Index, Row, env_disables_index
from cmcore.db.metacache import ParsedMetaCache
from cmcore.db.model import Artifact, Repo
from cmcore.db.repos import RepoRegistry
from cmcore.digest import sha1
from cmcore.errors import EXISTS, GENERIC, MALFORMED, NOT_FOUND, CMError
from cmcore.refs import check_name, gen_uid, is_uid, match_ref, parse_ref, parse_tags, split_repo_ref
from cmcore.shardfile import candidate_rows as _candidates
from cmcore.shardfile import tags_ok as _tags_ok

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

MAX_INHERITANCE = 10


class Database:
    """Repos and artifacts of one session (``session.db``)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.home = Path(session.home)
        self.index_root = self.home / "index"
        enabled = not env_disables_index(getattr(session, "env", {}) or {})
        self._warned: set[str] = session.cache.setdefault("db.warned", set())
        self.index = Index(self.index_root, enabled=enabled, warn=self.warn_once)
        self.registry = RepoRegistry(session, self.index_root, cache_metas=enabled, warn=self.warn_once)
        self.metas = ParsedMetaCache(self.index_root / "meta", enabled=enabled)

    def warn_once(self, msg: str) -> None:
        """One warning line per message per session (a CLI process is one session)."""
        if msg not in self._warned:
            self._warned.add(msg)
            self.session.log.warning(msg)

    # -- repos --------------------------------------------------------------------------
    def repos(self) -> list[Repo]:
        """Search order: local, package repos (``cm_repos`` hook), then repos.json."""
        return self.registry.all()

    def local_repo(self) -> Repo:
        """``<home>/repos/local``, created on first use."""
        return self.repos()[0]

    def find_repos(self, ref: str) -> list[Repo]:
        """Repos matching ``ref`` (alias, uid, ``alias,uid``, glob or path)."""
        return self.registry.find(ref)

    def get_repo(self, ref: str) -> Repo:
        """Exactly one repo for ``ref``: 16 if none, 1 if several."""
        found = self.find_repos(ref)
        if not found:
            from cmcore.suggest import did_you_mean

            names = [r.alias for r in self.repos()]
            raise CMError(f'repo "{ref}" not found{did_you_mean(ref, names)}', NOT_FOUND)
        if len(found) > 1:
            raise CMError(f'"{ref}" matches {len(found)} repos: ' + ", ".join(r.alias for r in found), GENERIC)
        return found[0]

    def register_repo(self, path: Path) -> Repo:
        """Add a repo folder to repos.json; 8 if its alias or uid is already registered elsewhere."""
        return self.registry.register(Path(path))

    def unregister_repo(self, ref: str, *, delete: bool = False) -> Repo:
        """Remove a repo from repos.json (and its folder with ``delete``)."""
        repo = self.get_repo(ref)
        self.registry.unregister(repo)
        for folder in self._automation_folders(repo):
            self.index.drop(folder)
        if delete:
            import shutil

            shutil.rmtree(repo.path, ignore_errors=True)
        return repo

    def reindex(self) -> None:
        """Forget the index and rebuild it for every automation folder of every repo."""
        self.index.clear()
        self.registry.invalidate()
        for repo in self.repos():
            for folder in self._automation_folders(repo):
                self.index.rows(folder)

    def _automation_folders(self, repo: Repo) -> list[str]:
        try:
            return sorted(e.path for e in os.scandir(repo.content_path)
                          if e.is_dir() and not e.name.startswith("."))
        except OSError:
            return []

    # -- reading ------------------------------------------------------------------------
    def automation_folder(self, automation: str) -> str:
        """The folder name of an automation given as alias, uid or ``alias,uid``."""
        alias, uid = parse_ref(automation)
        if alias:
            return alias
        spec = self.session.find_automation_spec(uid) if uid else None
        if spec is None:
            raise CMError(f'automation "{automation}" not found', 4)
        return str(spec.name)

    def _select_repos(self, repo_ref: str | None) -> list[Repo]:
        if repo_ref is None:
            return self.repos()
        if repo_ref == "":
            raise CMError('an empty repo name before ":"', MALFORMED)
        found = self.find_repos(repo_ref)
        if not found:
            self.get_repo(repo_ref)  # raises "not found" with suggestions
        return found

    def _artifact(self, repo: Repo, automation: str, folder: str, row: Row, meta: dict | None) -> Artifact:
        art = Artifact(folder + os.sep + row.name, None, repo, automation, row.alias or None, row.uid or None,
                       row.tags, row.dialect, None, loader=self._load_meta, original_meta=meta,
                       meta_names=row.files)
        art.sort = row.sort
        return art

    def search(self, automation: str, ref: str | None = None, tags: str | list[str] | None = None, *,
               repo: str | None = None, ignore_inheritance: bool = False) -> list[Artifact]:
        """Artifacts of ``automation`` matching ``ref`` (alias, uid, glob, ``repo:artifact``) and tags."""
        auto = self.automation_folder(automation)
        repo_ref, art_ref = split_repo_ref(ref)
        if repo_ref is None:
            repo_ref = repo
        if "." in (repo_ref, art_ref):
            repo_ref, art_ref = self._from_cwd(auto, repo_ref, art_ref)
        alias, uid = parse_ref(art_ref)
        yes, no = parse_tags(tags)
        out: list[Artifact] = []
        self._searched: dict[str, Any] = {}  # the shards this search read, for its did-you-mean hints
        for r in self._select_repos(repo_ref):
            folder = str(r.content_path / auto)
            shard, metas = self.index.rows(folder)
            self._searched[folder] = shard
            rec = getattr(self.session, "replay", None)
            if rec is not None:  # cmcore.replay: the folders this answer depends on
                rec.folder(folder, shard, r.priority)
            c = shard.cols
            names, aliases, uids, tagcol = c["name"], c["alias"], c["uid"], c["tags"]
            files, bases, errors = c["files"], c["has_base"], c["error"]
            for k in _candidates(tagcol, bases, errors, yes, ignore_inheritance):
                if errors[k]:
                    self.warn_once(f"skipping {errors[k]}")
                    continue
                if not files[k]:
                    continue  # a folder without meta (e.g. a cache entry being made)
                if (alias or uid) and not (
                    match_ref(alias, uid, aliases[k], uids[k])
                    or (alias and not uid and match_ref(alias, "", names[k], None))
                ):
                    continue
                if bases[k] and not ignore_inheritance:
                    # inherited tags count: resolve _base (rare, so parsing here is fine)
                    art = self._artifact(r, auto, folder, shard.row(k), metas.get(names[k]))
                    try:
                        art.tags = metafiles.tags_of(art.meta)
                    except CMError as exc:
                        if yes or no:
                            self.warn_once(f"skipping {art.path}: {exc.message}")
                            continue
                        art.meta_value = None  # asked by name: the error shows when .meta is read
                    if (yes or no) and not _tags_ok(art.tags, yes, no):
                        continue
                    out.append(art)
                elif not (yes or no) or _tags_ok(tagcol[k], yes, no):
                    out.append(self._artifact(r, auto, folder, shard.row(k), metas.get(names[k])))
        return out

    def _repo_around(self, path: Path) -> Repo | None:
        path = path.resolve()
        for r in self.repos():
            root = r.path.resolve()
            if path == root or root in path.parents:
                return r
        return None

    def _from_cwd(self, auto: str, repo_ref: str | None, art_ref: str) -> tuple[str | None, str]:
        """``.`` is the artifact (or, before ``:``, the repo) around the current folder (CM-FORMAT §1.5)."""
        cwd = Path.cwd()
        if art_ref == ".":
            for p in (cwd, *cwd.parents):
                if p.parent.name == auto and metafiles.present_meta_files(str(p))[1]:
                    art_ref = p.name
                    if repo_ref in (None, "."):
                        around = self._repo_around(p)
                        repo_ref = around.uid if around else repo_ref
                    break
            else:
                raise CMError(f"no {auto} artifact around the current folder {cwd}", NOT_FOUND)
        if repo_ref == ".":
            around = self._repo_around(cwd)
            if around is None:
                raise CMError(f"the current folder {cwd} is not inside a registered repo", NOT_FOUND)
            repo_ref = around.uid
        return repo_ref, art_ref

    def load(self, automation: str, ref: str | None = None, tags: str | list[str] | None = None, *,
             repo: str | None = None, ignore_inheritance: bool = False) -> Artifact:
        """Exactly one artifact: :class:`CMError` 16 if none (with suggestions), 1 if several."""
        found = self.search(automation, ref, tags, repo=repo, ignore_inheritance=ignore_inheritance)
        if not found:
            raise CMError(self.not_found_message(automation, ref, tags), NOT_FOUND)
        if len(found) > 1:
            raise CMError(
                f"{len(found)} {automation} artifacts match; be more specific: "
                + ", ".join(a.alias or a.uid or a.name for a in found[:10]),
                GENERIC, paths=[a.path_str for a in found],
            )
        art = found[0]
        if ignore_inheritance:
            art.meta = art.original_meta
        return art

    def not_found_message(self, automation: str, ref: str | None, tags: str | list[str] | None) -> str:
        """``script artifact "x" not found; did you mean ...`` with hints for names and tags."""
        from cmcore.suggest import close_matches, did_you_mean

        auto = self.automation_folder(automation)
        names: set[str] = set()
        known_tags: set[str] = set()
        searched = getattr(self, "_searched", {})  # the search that found nothing just read these
        for r in self.repos():
            folder = str(r.content_path / auto)
            shard = searched.get(folder)
            if shard is None:
                shard = self.index.rows(folder)[0]
                rec = getattr(self.session, "replay", None)
                if rec is not None:
                    rec.folder(folder, shard)
            c = shard.cols
            for k, name in enumerate(c["name"]):
                if c["files"][k] and not c["error"][k]:
                    names.update(x for x in (c["alias"][k], name) if x)
                    known_tags.update(c["tags"][k])
        _repo_ref, art_ref = split_repo_ref(ref)
        alias, _uid = parse_ref(art_ref)
        t = (tags if isinstance(tags, str) else ",".join(tags)) if tags else ""
        if art_ref or _repo_ref:
            msg = f'{auto} artifact "{ref}"' + (f' with tags "{t}"' if t else "") + " not found"
        elif t:
            msg = f'no {auto} artifact has the tags "{t}"'
        else:
            msg = f"no {auto} artifacts found"
        if alias and "*" not in alias and "?" not in alias:
            msg += did_you_mean(alias, names)
        yes, _no = parse_tags(tags)
        for tag in yes:
            if tag not in known_tags:
                m = close_matches(tag, known_tags)
                msg += f'; unknown tag "{tag}"' + (
                    (": did you mean " + " or ".join(f'"{x}"' for x in m) + "?") if m else "")
        return msg

    def _load_meta(self, art: Artifact, resolve: bool) -> dict:
        if art.original_value is None:
            # the files present now (not the indexed list), so a new overlay file counts
            _dialect, names = metafiles.present_meta_files(art.path_str)
            art.original_value = self.metas.read(art.path_str, names)
        if not resolve:
            return art.original_value
        return self._inherit(art.original_value, art.automation, 0)

    def _inherit(self, meta: dict, automation: str, depth: int) -> dict:
        bases = meta.get("_base")
        if not bases:
            return dict(meta)
        if depth >= MAX_INHERITANCE:
            raise CMError(f"_base inheritance is deeper than {MAX_INHERITANCE} levels (a cycle?)", EXISTS)
        merged: dict = {}
        for ref in [bases] if isinstance(bases, str) else list(bases):
            auto, _, name = str(ref).rpartition("::")
            base = self.load(auto or automation, name, ignore_inheritance=True)
            merged = metafiles.merge_inherited(merged, self._inherit(base.original_meta, auto or automation,
                                                                     depth + 1))
        return metafiles.merge_inherited(merged, {k: v for k, v in meta.items() if k != "_base"})

    # -- writing ------------------------------------------------------------------------
    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        from cmcore.fsutil import FileLock

        key = sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:20]
        with FileLock(self.index_root / "locks" / f"art-{key}.lock", timeout=120):
            yield

    def add(self, automation: str, alias: str | None = None, *, repo: str | None = None,
            meta: dict | None = None, tags: list[str] | None = None, uid: str | None = None,
            fmt: str = "json") -> Artifact:
        """Create ``<repo>/<automation>/<alias or uid>/`` with its meta; 8 if it exists."""
        from cmcore.db.writes import add_artifact

        return add_artifact(self, automation, alias, repo=repo, meta=meta, tags=tags, uid=uid, fmt=fmt)

    def update(self, artifact: Artifact, patch: dict, *, replace: bool = False,
               replace_lists: bool = False) -> Artifact:
        """Merge ``patch`` into the meta (lists appended; ``-tag`` removes a tag) and write it back."""
        from cmcore.db.writes import update_artifact

        with self._locked(artifact.path):
            return update_artifact(self, artifact, patch, replace=replace, replace_lists=replace_lists)

    def delete(self, artifact: Artifact) -> None:
        """Remove the artifact folder (renamed away first, so no reader sees it half-deleted)."""
        with self._locked(artifact.path):
            trash = artifact.path.parent / f".deleting-{gen_uid()}"
            try:
                os.rename(artifact.path, trash)
            except FileNotFoundError as exc:
                raise CMError(f"{artifact.path} no longer exists", NOT_FOUND) from exc
            import shutil

            shutil.rmtree(trash, ignore_errors=True)

    def move(self, artifact: Artifact, new_ref: str) -> Artifact:
        """Rename (and/or move to another repo with ``repo:name``); 1 if the target exists."""
        from cmcore.db.writes import move_artifact

        with self._locked(artifact.path):
            return move_artifact(self, artifact, new_ref)

    def copy(self, artifact: Artifact, new_ref: str) -> Artifact:
        """Copy to ``[repo:]name`` with a new uid; 8 if the target exists."""
        from cmcore.db.writes import copy_artifact

        return copy_artifact(self, artifact, new_ref)

    def target(self, new_ref: str | None, default_repo: Repo) -> tuple[Repo, str, str, str]:
        """``[repo:]alias[,uid]`` → (repo, folder name, alias, uid) for a new artifact."""
        repo_ref, name = split_repo_ref(new_ref)
        repo = self.get_repo(repo_ref) if repo_ref else default_repo
        alias, uid = parse_ref(name)
        if name and not alias and not uid:
            raise CMError(f'invalid artifact name "{name}"', MALFORMED)
        if "," in (name or "") and not uid:
            raise CMError(f'invalid artifact name "{name}": "alias,uid" needs a 16-hex uid', MALFORMED)
        if alias:
            check_name(alias)
        if uid and not is_uid(uid):
            raise CMError(f'invalid uid "{uid}": it must be 16 hex characters', MALFORMED)
        return repo, alias or uid, alias, uid
