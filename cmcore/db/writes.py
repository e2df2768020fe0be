"""The write side of the database: add, update, move and copy.

New folders are built under a hidden staging name in the same parent and then renamed
into place, so another process either sees the whole artifact or nothing; the index skips
dot-folders. ``update`` rewrites every meta file the artifact has (CM wrote a ``_cm.json``
overlay even for YAML-only artifacts; we keep the artifact's own format instead).
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmcore.db import metafiles
from cmcore.db.model import Artifact, Repo
from cmcore.errors import EXISTS, GENERIC, MALFORMED, NOT_FOUND, CMError
from cmcore.refs import gen_uid, is_uid, split_repo_ref

if TYPE_CHECKING:  # pragma: no cover
    from cmcore.db.database import Database

IDENTITY_KEYS = ("alias", "uid", "automation_alias", "automation_uid")


def artifact_at(db: Database, repo: Repo, automation: str, path: Path) -> Artifact:
    """Read an artifact folder directly (not through the index)."""
    dialect, names = metafiles.present_meta_files(str(path))
    if not names:
        raise CMError(f"{path} has no meta file", NOT_FOUND)
    meta = metafiles.read_meta(str(path), names)
    alias = meta.get("alias") or (None if is_uid(path.name) else path.name)
    uid = meta.get("uid") or (path.name if is_uid(path.name) else None)
    art = Artifact(path, None, repo, automation, str(alias) if alias else None,
                   str(uid).lower() if uid else None, metafiles.tags_of(meta), dialect,
                   [path / n for n in names], loader=db._load_meta, original_meta=meta)
    try:
        art.sort = int(meta.get("sort") or 0)
    except (TypeError, ValueError):
        pass
    return art


def _meta_name(dialect: str, fmt: str) -> str:
    stem = "_cm" if dialect == "cm" else "meta"
    return stem + (".yaml" if str(fmt).lower() in ("yaml", "yml") else ".json")


def add_artifact(db: Database, automation: str, alias: str | None, *, repo: str | None, meta: dict | None,
                 tags: Any, uid: str | None, fmt: str) -> Artifact:
    auto = db.automation_folder(automation)
    repo_ref, name = split_repo_ref(alias) if alias else (None, "")
    if repo_ref is None:
        repo_ref = repo
    default = db.get_repo(repo_ref) if repo_ref else db.local_repo()
    target, _folder, a, u = db.target(name or None, default)
    if uid:
        if not is_uid(uid):
            raise CMError(f'invalid uid "{uid}": it must be 16 hex characters', MALFORMED)
        u = uid.lower()
    u = u or gen_uid()
    folder = a or u
    parent = target.content_path / auto
    dest = parent / folder
    if dest.exists():
        raise CMError(f'{auto} artifact "{folder}" already exists in repo "{target.alias}": {dest}', EXISTS)
    cols = db.index.rows(str(parent))[0].cols
    if u in cols["uid"]:
        other = parent / cols["name"][cols["uid"].index(u)]
        raise CMError(f"an {auto} artifact with uid {u} already exists: {other}", EXISTS)
    extra = dict(meta or {})
    m: dict = {}
    if a:
        m["alias"] = a
    m["uid"] = u
    m["automation_alias"] = auto
    spec = db.session.find_automation_spec(auto)
    if spec is not None:
        m["automation_uid"] = spec.uid
    m["tags"] = metafiles.clean_tags(metafiles.tags_of(extra) + metafiles.clean_tags(tags))
    for k, v in extra.items():
        if k not in ("alias", "uid", "tags"):
            m[k] = v
    fname = _meta_name(target.dialect, fmt)
    parent.mkdir(parents=True, exist_ok=True)
    stage = parent / f".tmp-add-{gen_uid()}"
    stage.mkdir()
    try:
        metafiles.write_meta_file(stage / fname, m)
        os.rename(stage, dest)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if dest.exists():
            raise CMError(f'{auto} artifact "{folder}" already exists in repo "{target.alias}": {dest}',
                          EXISTS) from exc
        raise CMError(f"cannot create {dest}: {exc}", GENERIC) from exc
    return Artifact(dest, None, target, auto, a or None, u, list(m["tags"]), target.dialect, [dest / fname],
                    loader=db._load_meta, original_meta=m)


def _split_tags(tags: Any) -> tuple[list[str], list[str]]:
    items = tags.split(",") if isinstance(tags, str) else [str(t) for t in (tags or [])]
    items = [t.strip() for t in items if t.strip()]
    return [t for t in items if not t.startswith("-")], [t[1:] for t in items if t.startswith("-")]


def update_artifact(db: Database, art: Artifact, patch: dict, *, replace: bool, replace_lists: bool) -> Artifact:
    path = art.path
    if not path.is_dir():
        raise CMError(f"{path} no longer exists", NOT_FOUND)
    dialect, names = metafiles.present_meta_files(str(path))
    current = metafiles.read_meta(str(path), names) if names else {}
    patch = dict(patch or {})
    ptags = patch.pop("tags", None)
    if replace:
        new = {k: current[k] for k in IDENTITY_KEYS if k in current}
        new.update({k: v for k, v in patch.items() if k not in ("alias", "uid")})
        base_tags: list[str] = []
    else:
        new = metafiles.merge_update(current, {k: v for k, v in patch.items() if k not in ("alias", "uid")},
                                     replace_lists)
        base_tags = [] if (replace_lists and ptags is not None) else metafiles.tags_of(current)
    if ptags is not None or replace:
        add, remove = _split_tags(ptags)
        new["tags"] = [t for t in metafiles.clean_tags(base_tags + add) if t not in remove]
    if not names:
        names = [_meta_name(art.dialect or dialect, "json")]
    for n in names:
        metafiles.write_meta_file(path / n, new)
    return artifact_at(db, art.repo or db.local_repo(), art.automation, path)


def move_artifact(db: Database, art: Artifact, new_ref: str) -> Artifact:
    if not new_ref:
        raise CMError("move needs the new name: cm mv AUTOMATION OLD [repo:]NEW", GENERIC)
    repo, folder, a, u = db.target(new_ref, art.repo or db.local_repo())
    dest = repo.content_path / art.automation / folder
    if dest.exists() and dest.resolve() != art.path.resolve():
        raise CMError(f'the target {art.automation} artifact "{folder}" already exists: {dest}', GENERIC)
    if not art.path.is_dir():
        raise CMError(f"{art.path} no longer exists", NOT_FOUND)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(art.path, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise CMError(f"cannot move {art.path} to {dest}: {exc}", GENERIC) from exc
        stage = dest.parent / f".tmp-mv-{gen_uid()}"
        shutil.copytree(art.path, stage, symlinks=True)
        os.rename(stage, dest)
        shutil.rmtree(art.path, ignore_errors=True)
    _dialect, names = metafiles.present_meta_files(str(dest))
    for n in names:
        metafiles.patch_identity(dest / n, a or None, u or None)
    return artifact_at(db, repo, art.automation, dest)


def copy_artifact(db: Database, art: Artifact, new_ref: str) -> Artifact:
    if not new_ref:
        raise CMError("copy needs the new name: cm cp AUTOMATION FROM [repo:]TO", GENERIC)
    repo, _folder, a, u = db.target(new_ref, art.repo or db.local_repo())
    u = u or gen_uid()  # a copy always gets a new uid
    folder = a or u
    dest = repo.content_path / art.automation / folder
    if dest.exists():
        raise CMError(f'the target {art.automation} artifact "{folder}" already exists: {dest}', EXISTS)
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = dest.parent / f".tmp-cp-{gen_uid()}"
    try:
        shutil.copytree(art.path, stage, symlinks=True)
        _dialect, names = metafiles.present_meta_files(str(stage))
        for n in names:
            metafiles.patch_identity(stage / n, a or None, u)
        os.rename(stage, dest)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        code = EXISTS if dest.exists() else GENERIC
        raise CMError(f"cannot copy {art.path} to {dest}: {exc}", code) from exc
    return artifact_at(db, repo, art.automation, dest)
