"""Reproducibility and authoring verbs of the ``script`` automation (a mixin of ScriptAutomation).

* ``cm replay script cm-lock.json [--strict] [--check]``: drift check, then re-run a lockfile;
* ``cm doc script TAGS|NAME [--output=FILE]`` / ``cm doc script --repo=NAME``: READMEs and catalogues;
* ``cm docker script TAGS [--dockerfile_only] ...`` and ``cm dockerfile script TAGS``: Dockerfiles;
* ``cm lint script [TAGS|NAME|--all] [--repo=NAME]``: validate metas against the published schema;
* ``cm add script NAME --tags=a,b [--template=python|shell]``: a working script from a template.

Each verb is a thin adapter from the CM input dict to a function in :mod:`cmcore.repro`,
:mod:`cmcore.docgen`, :mod:`cmcore.dockergen`, :mod:`cmcore.lint` or :mod:`cmcore.script.templates`.
"""

from __future__ import annotations

from cmcore.errors import GENERIC, CMError

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


class ReproVerbs:
    """Verbs mixed into ``ScriptAutomation``; ``self.session`` is the automation's session."""

    session: Any

    def replay(self, i: dict) -> dict:
        """``cm replay script cm-lock.json [--strict] [--check]``: drift check, then re-run the lock."""
        from cmcore.repro.replay import replay

        path = i.get("artifact") or i.get("file") or i.get("lock")
        if not path or not isinstance(path, str):
            raise CMError("replay needs a lockfile: cm replay script cm-lock.json", GENERIC)
        return replay(self.session, path, i)

    def add(self, i: dict) -> dict:
        """``cm add script NAME --tags=a,b [--template=python|shell]``: a new script that runs as is."""
        return add_script(self, i, super().add)  # type: ignore[misc]

    def dockerfile(self, i: dict) -> dict:
        """``cm dockerfile script TAGS [--docker_os=ubuntu --docker_os_version=24.04 --docker_base_image=]``."""
        return self.docker({**i, "dockerfile_only": True})

    def docker(self, i: dict) -> dict:
        """``cm docker script TAGS [--dockerfile_only] [--docker_*]``: write the Dockerfile, then build and run.

        The Dockerfile goes to ``--dockerfile=FILE`` (else ``--docker_path=DIR`` or
        ``./dockerfiles``). Building needs a Docker engine: without one, one line says so.
        """
        import subprocess
        from pathlib import Path

        from cmcore.dockergen.check import check_dockerfile
        from cmcore.dockergen.generate import default_path, docker_run_command, make_plan, render
        from cmcore.script.flags import is_true
        from cmcore.script.tagquery import build_query
        from cmcore.script.variations import resolve

        q = build_query(i)
        found = self._select_scripts(i)
        if len(found) > 1:
            names = ", ".join(str(a.alias) for a in found[:5])
            raise CMError(f"{len(found)} scripts match ({names}); name one for a Dockerfile", GENERIC)
        art = found[0]
        meta = art.meta or {}
        res = resolve(meta.get("variations") or {}, q.variations, q.excluded,
                      default_variation=meta.get("default_variation"), script=str(art.alias))
        plan = make_plan(self.session, art, i, list(res.names), ",".join(q.words()))
        text = render(plan)
        problems = check_dockerfile(text)
        if problems:  # a generator bug, never the user's input: say where
            raise CMError("generated Dockerfile is malformed: " + "; ".join(problems), GENERIC)
        if i.get("dockerfile"):
            target = Path(str(i["dockerfile"]))
        elif i.get("docker_path"):
            target = Path(str(i["docker_path"])) / default_path(plan).name
        else:
            target = default_path(plan)
        path = _write(target, text, {k: v for k, v in i.items() if k != "out"})
        image = f"cm-{plan.alias}:{plan.os}-{plan.os_version}".lower()
        from cmcore.checkout import source_tree

        context = "." if plan.source == "pypi" else str(source_tree() or "CHECKOUT")
        build = f"docker build -f {path} -t {image} {context}"
        result = {"return": 0, "dockerfile": path, "build_command": build,
                  "run_command": docker_run_command(plan, image), "base_image": plan.base_image}
        if i.get("out") == "con":
            print(path)
        if is_true(i.get("dockerfile_only")):
            return result
        try:
            p = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
            ok, why = p.returncode == 0, (p.stderr.strip().splitlines() or ["docker info failed"])[-1]
        except (OSError, subprocess.SubprocessError) as exc:
            ok, why = False, str(exc)
        if not ok:
            raise CMError(f"no Docker engine here ({why}); the Dockerfile is {path}: build it with `{build}`",
                          GENERIC, dockerfile=path)
        for cmd in (build, docker_run_command(plan, image)):
            self.session.log.info(cmd)
            import shlex

            rc = subprocess.call(shlex.split(cmd))  # the commands are built quoted; no shell needed
            if rc != 0:
                raise CMError(f"`{cmd}` failed with exit code {rc}", 2, dockerfile=path)
        return result

    def lint(self, i: dict) -> dict:
        """``cm lint script [TAGS|NAME|--all] [--repo=NAME]``: schema, variation and dependency checks.

        Prints one line per finding; returns 1 when any error was found (warnings alone pass).
        """
        from cmcore.lint.checks import lint_artifacts

        db = self.session.db
        universe = db.search("script")
        repo = i.get("repo")
        if repo is not None and (not isinstance(repo, str) or not repo):
            raise CMError("--repo needs a repository alias (cm list repo shows them)", GENERIC)
        if repo and not any(r.alias == repo or r.uid == repo for r in db.repos()):
            from cmcore.suggest import did_you_mean

            raise CMError(f'repo "{repo}" is not registered{did_you_mean(repo, [r.alias for r in db.repos()])}', 16)
        if i.get("artifact") or i.get("tags"):
            selected = self._select_scripts(i)
        else:
            selected = universe
        if repo:
            selected = [a for a in selected if a.repo.alias == repo or a.repo.uid == repo]
        reports, seconds = lint_artifacts(selected, universe)
        lines = [line for rep in reports for line in rep.lines()]
        errors = sum(rep.errors for rep in reports)
        warnings = sum(len(rep.findings) for rep in reports) - errors
        summary = (f"{len(reports)} script(s) linted in {seconds:.2f} s: {errors} error(s), "
                   f"{warnings} warning(s)")
        if i.get("out") == "con":
            for line in lines:
                print(line)
        self.session.log.info(summary)
        findings = [{"script": rep.alias, "repo": rep.repo, "level": f.level, "path": f.path, "message": f.message}
                    for rep in reports for f in rep.findings]
        if errors:
            raise CMError(summary, 1, findings=findings, lines=lines, seconds=seconds)
        return {"return": 0, "findings": findings, "lines": lines, "seconds": seconds, "scripts": len(reports),
                "summary": summary}

    def _select_scripts(self, i: dict) -> list:
        """Scripts named by a positional artifact or ``--tags`` (the ``search`` rules); 16 when none."""
        from cmcore.errors import NOT_FOUND
        from cmcore.script.resolve import search
        from cmcore.script.tagquery import build_query

        q = build_query(i)
        found = search(self.session, q)
        if not found:
            what = q.ref or ",".join(q.tags)
            raise CMError(f'no script matches "{what}" (cm find script lists them)', NOT_FOUND)
        return list(found)

    def doc(self, i: dict) -> dict:
        """``cm doc script NAME|TAGS [--output=FILE] [--print]`` or ``cm doc script --repo=NAME``.

        A script's README goes to its folder (``README.md``) unless ``--output`` names a file; for a
        script of a pip-installed collection it goes to ``./README-<alias>.md`` instead;
        a repository catalogue goes to ``--output`` or ``./<repo>-scripts.md``.
        """
        from pathlib import Path

        from cmcore.docgen.catalog import render_catalog
        from cmcore.docgen.script import script_readme

        db = self.session.db
        out = i.get("output")
        if out is not None and (not isinstance(out, str) or not out.strip()):
            raise CMError("--output needs a file name", GENERIC)
        written: list[str] = []
        texts: list[str] = []
        if i.get("repo") and not (i.get("artifact") or i.get("tags")):
            repo = next((r for r in db.repos() if i["repo"] in (r.alias, r.uid)), None)
            if repo is None:
                from cmcore.suggest import did_you_mean

                raise CMError(f'repo "{i["repo"]}" is not registered'
                              f'{did_you_mean(str(i["repo"]), [r.alias for r in db.repos()])}', 16)
            scripts = [a for a in db.search("script") if a.repo.uid == repo.uid]
            text = render_catalog(repo, scripts)
            texts.append(text)
            target = Path(out or f"{repo.alias.replace('/', '_')}-scripts.md")
            written.append(_write(target, text, i))
        else:
            if not (i.get("artifact") or i.get("tags")):
                raise CMError('doc needs a script (cm doc script "get python") or --repo=NAME', GENERIC)
            found = self._select_scripts(i)
            if out and len(found) > 1:
                raise CMError(f"{len(found)} scripts match; --output takes one (name one script)", GENERIC)
            for art in found:
                text = script_readme(self.session, art)
                texts.append(text)
                if out:
                    target = Path(out)
                elif str(getattr(art.repo, "origin", "")).startswith("package:"):
                    # a collection installed with pip is never written into: the README goes here
                    target = Path.cwd() / f"README-{art.alias or art.uid}.md"
                else:
                    target = Path(art.path) / "README.md"
                written.append(_write(target, text, i))
        return {"return": 0, "paths": [w for w in written if w], "text": "\n".join(texts)}


def _write(target: Any, text: str, i: dict) -> str:
    """Write (or with ``--print`` print) a generated document; return the path written."""
    from cmcore.metaio import atomic_write_text
    from cmcore.script.flags import is_true

    if is_true(i.get("print")):
        print(text, end="")
        return ""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, text)
    except OSError as exc:
        raise CMError(f"cannot write {target}: {exc.strerror or exc}", GENERIC) from exc
    if i.get("out") == "con":
        print(target)
    return str(target)


def doc_result(session: Any, i: dict) -> dict:
    """``cm doc result UID [--output=FILE] [--print]``: the Artifact Appendix of a recorded result."""
    from pathlib import Path

    from cmcore.docgen.appendix import render_appendix

    ref = i.get("artifact")
    tags = i.get("tags")
    if not ref and not tags:
        raise CMError("doc needs a result: cm doc result UID (cm show results lists them)", GENERIC)
    found = session.db.search("result", ref or None, tags or None)
    if not found:
        raise CMError(f'result "{ref or tags}" not found (cm show results lists them)', 16)
    if len(found) > 1:
        raise CMError(f'"{ref or tags}" matches {len(found)} results; give a uid', GENERIC)
    art = found[0]
    text = render_appendix(session, art)
    target = Path(i.get("output") or f"artifact-appendix-{art.uid}.md")
    path = _write(target, text, i)
    return {"return": 0, "path": path, "text": text}


def add_script(automation: Any, i: dict, generic_add: Any) -> dict:
    """``cm add script [repo:]NAME --tags=a,b [--template=python|shell] [--json]``."""
    import os
    from pathlib import Path

    from cmcore.script import templates as T

    template = i.get("template")
    if template in (None, True, ""):
        template = "python"
    if not isinstance(template, str) or template not in T.TEMPLATES:
        from cmcore.suggest import did_you_mean

        raise CMError(f'unknown template "{template}"{did_you_mean(str(template), T.TEMPLATES)}; '
                      f"choose {' or '.join(sorted(T.TEMPLATES))}", GENERIC)
    ref = i.get("artifact")
    if not ref or not isinstance(ref, str):
        raise CMError("add needs a name: cm add script NAME --tags=a,b [--template=python|shell]", GENERIC)
    alias = ref.split(":", 1)[-1].split(",", 1)[0]
    tags = i.get("tags") or alias
    meta = T.meta_for(alias, template)
    meta.update(i.get("meta") or {})
    r = generic_add({**i, "tags": tags, "meta": meta, "template": None})
    folder = Path(r["path"])
    try:
        for name, text in T.render(template, alias).items():
            p = folder / name
            p.write_text(text, encoding="utf-8")
            if name.endswith(".sh"):
                p.chmod(0o755)
    except OSError as exc:  # never leave a half-made script behind
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        raise CMError(f"cannot write the script files into {folder}: {exc}", GENERIC) from exc
    r["files"] = sorted(os.listdir(folder))
    return r
