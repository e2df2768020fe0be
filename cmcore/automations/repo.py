"""The ``repo`` automation: pull, list, find, where, init/add, rm, info and reindex (CM-FORMAT §1.2).

``cm pull repo URL|PATH`` clones a git URL or a local git repository into
``<home>/repos/<alias>`` (``a@b`` from ``.../a/b(.git)``) or runs ``git pull --ff-only``
if it is already there; a plain local folder with ``cmr.yaml``/``meta.yaml`` is
registered in place. Clones go to a hidden staging folder and are renamed into place
under a per-alias lock, so a killed or concurrent pull never leaves a half clone at the
final path. git runs as a list argv, never through a shell, with prompts disabled.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, ClassVar

from cmcore.automations.generic import GenericActions, _truthy
from cmcore.errors import EXISTS, GENERIC, MALFORMED, NOT_FOUND, CMError
from cmcore.refs import check_name, gen_uid, is_uid, match_ref, parse_ref

REPO_UID = "55c3e27e8a140e48"
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^[^/@:]+@[^/:]+:")  # scheme://... or user@host:path


def is_url(s: str) -> bool:
    return bool(_URL.match(s))


def alias_from_url(url: str) -> str:
    """``https://host/a/b(.git)`` / ``git@host:a/b.git`` / ``/x/a/b`` → ``a@b``."""
    s = url.strip().rstrip("/")
    if s.endswith(".git"):
        s = s[:-4]
    s = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", s)  # scheme and host
    parts = [p for p in re.split(r"[/:\\]", s) if p]
    if not parts:
        raise CMError(f'cannot derive a repo name from "{url}"', MALFORMED)
    return "@".join(parts[-2:]) if len(parts) >= 2 else parts[-1]


def github_url(name: str) -> tuple[str, str]:
    """``owner@name`` → (https URL, alias); a bare ``name`` means ``mlcommons@name``."""
    alias = name if "@" in name else f"mlcommons@{name}"
    if alias == "mlcommons@ck":
        alias = "mlcommons@cm4mlops"  # CM's rewrite: ck's scripts moved there
    owner, repo = alias.split("@", 1)
    return f"https://github.com/{owner}/{repo}", alias


def _git(args: list[str], what: str, cwd: Path | None = None) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    try:
        p = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise CMError("git is not installed (needed to pull repos)", GENERIC) from exc
    if p.returncode != 0:
        lines = [x for x in (p.stderr or p.stdout).strip().splitlines() if x.strip()]
        raise CMError(f"{what} failed: {lines[-1] if lines else f'git exited with {p.returncode}'}", GENERIC)
    return p.stdout.strip()


def _has_marker(path: Path) -> bool:
    return any((path / n).is_file() for n in ("cmr.yaml", "cmr.json", "meta.yaml", "meta.json"))


class RepoAutomation(GenericActions):
    """Artifact repositories: ``pull``, ``search`` (list/find), ``where``, ``init``/``add``, ``delete``, ``info``."""

    name: ClassVar[str] = "repo"
    uid: ClassVar[str] = REPO_UID
    summary: ClassVar[str] = "artifact repositories: pull, list, init, rm"
    not_actions: ClassVar[frozenset[str]] = frozenset({"actions", "move", "copy", "update", "for_folder"})

    # -- listing ------------------------------------------------------------------------
    def _matching(self, i: dict) -> list[Any]:
        ref = str(i.get("artifact") or "")
        repos = self.session.db.repos()
        if not ref:
            return repos
        found = self.session.db.find_repos(ref)
        if not found and "*" not in ref and "?" not in ref:
            # also accept a glob-free substring of the alias, e.g. "cm4mlops" for "mlcommons@cm4mlops"
            a, _u = parse_ref(ref)
            found = [r for r in repos if match_ref(f"*{a}*", "", r.alias, r.uid)] if a else []
        return found

    def search(self, i: dict) -> dict:
        """``cm list repo`` / ``cm find repo [pattern]``: print ``alias,uid = path``."""
        repos = self._matching(i)
        if not repos and self._con(i):
            from cmcore.suggest import did_you_mean

            names = [r.alias for r in self.session.db.repos()]
            ref = str(i.get("artifact") or "")
            return {"return": NOT_FOUND, "error": f'repo "{ref}" not found{did_you_mean(ref, names)}', "list": []}
        if self._con(i):
            self._print("\n".join(f"{r.cid} = {r.path}" for r in repos))
        return {"return": 0, "list": repos, "repos": [r.to_dict() for r in repos],
                "paths": [str(r.path) for r in repos]}

    def _one(self, i: dict) -> Any:
        ref = i.get("artifact")
        if not ref:
            raise CMError("name the repo (alias, uid or path)", GENERIC)
        return self.session.db.get_repo(str(ref))

    def where(self, i: dict) -> dict:
        """``cm where repo X``: the path only."""
        repo = self._one(i)
        if self._con(i):
            self._print(str(repo.path))
        return {"return": 0, "path": str(repo.path), "repo": repo.to_dict()}

    def load(self, i: dict) -> dict:
        """The repo's meta (``cmr.yaml``/``meta.yaml``)."""
        repo = self._one(i)
        if self._con(i):
            import json

            self._print(json.dumps(repo.meta, indent=2, sort_keys=True, default=str))
        return {"return": 0, "path": str(repo.path), "meta": repo.meta, "repo": repo.to_dict()}

    def info(self, i: dict) -> dict:
        """Alias, uid, path, origin and, for a git repo, its URL, branch and commit (``cm show repo``)."""
        repos = self._matching(i) if i.get("artifact") else self.session.db.repos()
        if not repos:
            raise CMError(f'repo "{i.get("artifact")}" not found', NOT_FOUND)
        infos = []
        for r in repos:
            d = r.to_dict()
            if (r.path / ".git").exists():
                for key, args in (("git_url", ["remote", "get-url", "origin"]),
                                  ("branch", ["rev-parse", "--abbrev-ref", "HEAD"]),
                                  ("commit", ["rev-parse", "HEAD"])):
                    try:
                        d[key] = _git(["-C", str(r.path), *args], "git")
                    except CMError:
                        d[key] = ""
            infos.append(d)
            if self._con(i):
                extra = "".join(f"\n  {k}: {d[k]}" for k in ("git_url", "branch", "commit") if d.get(k))
                self._print(f"{r.cid} = {r.path}\n  origin: {r.origin}{extra}")
        return {"return": 0, "list": infos}

    show = info

    # -- creating and registering -------------------------------------------------------
    def init(self, i: dict) -> dict:
        """``cm init repo NAME [--path=DIR] [--prefix=SUB] [--uid=UID]``: write cmr.yaml and register it."""
        name = str(i.get("artifact") or i.get("alias") or "").strip()
        if not name:
            raise CMError("cm init repo needs a name: cm init repo NAME [--path=DIR]", GENERIC)
        check_name(name, "repo")
        uid = str(i.get("uid") or gen_uid()).lower()
        if not is_uid(uid):
            raise CMError(f'invalid uid "{uid}": it must be 16 hex characters', MALFORMED)
        path = Path(str(i["path"])).expanduser().resolve() if i.get("path") else \
            self.session.home / "repos" / name
        prefix = str(i.get("prefix") or "").strip()
        if prefix:
            check_name(prefix, "prefix")
        created_dir = not path.exists()
        wrote_marker = False
        if _has_marker(path):
            from cmcore.db.repos import read_repo_meta

            meta, _d = read_repo_meta(str(path))
            if str(meta.get("alias")) != name:
                raise CMError(f'{path} is already the repo "{meta.get("alias")}"', EXISTS)
        else:
            from cmcore.metaio import write_yaml

            meta = {"alias": name, "uid": uid, "git": False}
            if prefix:
                meta["prefix"] = prefix
            write_yaml(path / "cmr.yaml", meta)
            wrote_marker = True
            if prefix:
                (path / prefix).mkdir(parents=True, exist_ok=True)
        try:
            repo = self.session.db.register_repo(path)
        except CMError:
            if created_dir:
                shutil.rmtree(path, ignore_errors=True)
            elif wrote_marker:
                (path / "cmr.yaml").unlink(missing_ok=True)
            raise
        if self._con(i):
            self._print(f"{repo.cid} = {repo.path}")
        return {"return": 0, "path": str(repo.path), "repo": repo.to_dict(), "list": [repo]}

    def add(self, i: dict) -> dict:
        """``cm add repo NAME``: the same as ``cm init repo``."""
        return self.init(i)

    def reindex(self, i: dict) -> dict:
        """``cm reindex repo``: rebuild the index of every repo."""
        self.session.db.reindex()
        n = len(self.session.db.repos())
        if self._con(i):
            self.session.log.info(f"reindexed {n} repos")
        return {"return": 0, "repos": n}

    def delete(self, i: dict) -> dict:
        """``cm rm repo X [--all] [-f]``: unregister; ``--all`` also deletes the folder."""
        repo = self._one(i)
        wipe = _truthy(i.get("all"))
        if wipe and not self._force(i):
            if not self._con(i):
                raise CMError(f"refusing to delete {repo.path} without force: pass 'force': True (CLI: -f)",
                              GENERIC)
            if not self._confirm(f"Delete the repo folder {repo.path}?"):
                wipe = False
        self.session.db.unregister_repo(str(repo.path), delete=wipe)
        self.session.log.info(("deleted " if wipe else "unregistered ") + f"{repo.cid} = {repo.path}")
        return {"return": 0, "deleted_list": [str(repo.path)], "deleted_files": wipe}

    # -- pulling ------------------------------------------------------------------------
    def pull(self, i: dict) -> dict:
        """``cm pull repo [URL|PATH|owner@name] [--branch=] [--checkout=] [--depth=] [--dir=]``."""
        src = str(i.get("url") or i.get("artifact") or "").strip()
        if not src:
            return self._pull_all(i)
        local = Path(src).expanduser()
        if not is_url(src) and local.is_dir():
            if not (local / ".git").exists():
                repo = self.session.db.register_repo(local)  # a plain folder is used in place
                return self._done(i, repo, "registered")
            src, alias = str(local.resolve()), alias_from_url(str(local.resolve()))
        elif is_url(src) or "/" in src:
            alias = alias_from_url(src)
        else:
            src, alias = github_url(src)
        check_name(alias, "repo")
        sub = str(i.get("dir") or "").strip("/")
        for part in sub.split("/") if sub else []:
            check_name(part, "--dir")
        from cmcore.fsutil import FileLock

        dest = self.session.home / "repos" / alias
        with FileLock(self.session.home / "repos" / f".pull-{alias}.lock", timeout=3600):
            fresh = not dest.exists()
            if fresh:
                self._clone(src, dest, i)
            elif (dest / ".git").exists():
                _git(["-C", str(dest), "pull", "--ff-only"], f"git pull in {dest}")
                if i.get("checkout"):
                    _git(["-C", str(dest), "checkout", str(i["checkout"])], "git checkout")
            target = dest / sub if sub else dest
            try:
                if not _has_marker(target):
                    from cmcore.metaio import write_yaml

                    write_yaml(target / "cmr.yaml", {"alias": alias, "uid": gen_uid(), "git": True})
                repo = self.session.db.register_repo(target)
            except CMError:
                if fresh:
                    shutil.rmtree(dest, ignore_errors=True)  # leave nothing behind a failed pull
                raise
        return self._done(i, repo, "cloned" if fresh else "pulled")

    def _clone(self, src: str, dest: Path, i: dict) -> None:
        args = ["clone"]
        if i.get("branch"):
            args += ["--branch", str(i["branch"])]
        if i.get("depth"):
            if not str(i["depth"]).isdigit():
                raise CMError(f'--depth must be a number, not "{i["depth"]}"', MALFORMED)
            args += ["--depth", str(i["depth"])]
        stage = dest.parent / f".tmp-clone-{gen_uid()}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            _git([*args, "--", src, str(stage)], f"git clone of {src}")
            if i.get("checkout"):
                _git(["-C", str(stage), "checkout", str(i["checkout"])], f"git checkout {i['checkout']}")
            os.rename(stage, dest)
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)

    def _pull_all(self, i: dict) -> dict:
        pulled, errors = [], []
        for repo in self.session.db.repos():
            if repo.origin != "registered" or not (repo.path / ".git").exists():
                continue
            try:
                _git(["-C", str(repo.path), "pull", "--ff-only"], f"git pull in {repo.path}")
                pulled.append(str(repo.path))
                self.session.log.info(f"pulled {repo.cid} = {repo.path}")
            except CMError as exc:
                errors.append(exc.message)
        if errors:
            return {"return": GENERIC, "error": "; ".join(errors), "pulled": pulled}
        return {"return": 0, "pulled": pulled}

    def _done(self, i: dict, repo: Any, what: str) -> dict:
        if self._con(i):
            self.session.log.info(f"{what} {repo.cid} = {repo.path}")
        return {"return": 0, "path": str(repo.path), "repo": repo.to_dict(), "list": [repo]}
