"""The GUI's web application (Starlette): a JSON API and one page that uses it.

Routes (all JSON unless noted)::

    GET  /                         the page (HTML)
    GET  /api/scripts?tags=a,b     scripts: alias, tags, variations, flags
    POST /api/command              {tags, variations, flags} -> the cmr command line
    POST /api/runs                 {tags, variations, flags} -> a background run (job)
    POST /api/submission           {submission_dir, division, submitter, short_runs_ok} -> a job
    GET  /api/runs, /api/runs/{id} jobs and their progress (log tail); POST /api/runs/{id}/cancel
    GET  /api/results?tags=&official=yes|no|only   results table rows
    GET  /api/compare?uid=UID      a local result beside official results of similar systems

The server listens on 127.0.0.1 only. Requests that change something need the page's
token in ``X-CM-Token`` (a custom header, so another web site cannot post here), and the
``Host`` must be this machine (no DNS rebinding).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from cmcore.errors import GENERIC, CMError
from cmcore.gui.jobs import JobManager, display

if TYPE_CHECKING:  # pragma: no cover
    from cmcore.session import Session

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
MAX_SCRIPTS = 300


def script_rows(session: Session, tags: str = "") -> list[dict[str, Any]]:
    """Scripts matching ``tags`` (all when empty) with their variations and flags."""
    tag_list = [t.strip() for t in tags.replace(" ", ",").split(",") if t.strip() and not t.startswith("_")]
    rows = []
    for art in session.db.search("script", tags=tag_list or None)[:MAX_SCRIPTS]:
        meta = art.meta
        desc = meta.get("input_description") or {}
        flags = []
        for flag, env_key in sorted((meta.get("input_mapping") or {}).items()):
            d = desc.get(flag) if isinstance(desc, dict) else None
            text = d.get("desc", "") if isinstance(d, dict) else str(d or "")
            flags.append({"name": flag, "env": str(env_key), "desc": text})
        variations = sorted(v for v in (meta.get("variations") or {}) if isinstance(v, str))
        rows.append({"alias": art.alias or "", "uid": art.uid or "", "name": meta.get("name", ""),
                     "tags": list(art.tags), "variations": variations, "flags": flags,
                     "category": meta.get("category", "")})
    rows.sort(key=lambda r: r["alias"])
    return rows


def build_args(data: dict[str, Any]) -> list[str]:
    """``cm`` arguments of a script run from the page's form (a list: no shell ever sees it)."""
    raw = data.get("tags") or []
    if isinstance(raw, str):
        raw = raw.replace(" ", ",").split(",")
    # a tag with a space cannot be written in a space-separated tag string (its words are tags too)
    tags = [str(t).strip() for t in raw if str(t).strip() and " " not in str(t).strip()]
    alias = str(data.get("alias") or "").strip()
    variations = [str(v).strip().lstrip("_") for v in data.get("variations") or [] if str(v).strip()]
    if alias and (not variations or alias in tags):
        tags = [alias]  # the shortest command: an alias alone, or an alias that is also a tag
    if not tags:
        raise CMError("choose a script (its tags) first", GENERIC)
    words = tags + [f"_{v}" for v in variations]
    args = ["run", "script", " ".join(words)]
    flags = data.get("flags") or {}
    if not isinstance(flags, dict):
        raise CMError("flags must be an object of name: value", GENERIC)
    for name, value in flags.items():
        name = str(name).strip().lstrip("-")
        if not name or not all(c.isalnum() or c in "_.-" for c in name):
            raise CMError(f"bad flag name {name!r}", GENERIC)
        if value is None or str(value) == "":
            continue
        args.append(f"--{name}" if value is True else f"--{name}={value}")
    return args


def result_rows(session: Session, tags: str = "", official: str = "yes") -> list[dict[str, Any]]:
    """Rows of recorded results (newest last); ``official`` = yes (both), no, or only."""
    from cmcore.results.store import load_result

    tag_list = [t.strip() for t in tags.split(",") if t.strip()]
    if official == "only":
        tag_list.append("official")
    rows = []
    for art in session.db.search("result", tags=tag_list or None):
        is_official = "official" in art.tags
        if official == "no" and is_official:
            continue
        rows.append({"uid": art.uid or art.path.name, "official": is_official, **load_result(art)})
    rows.sort(key=lambda r: (r["official"], str(r.get("recorded_at", ""))))
    return rows


def create_app(session: Session, *, token: str | None = None, jobs: JobManager | None = None) -> Any:
    """The Starlette application; ``app.state.token`` is what the page sends back."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    from cmcore.gui.page import render_page
    from cmcore.results import table

    token = token or secrets.token_urlsafe(24)
    jobs = jobs or JobManager(session.home)

    def err(msg: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": msg}, status_code=status)

    def host_ok(request: Request) -> bool:
        host = (request.headers.get("host") or "").rsplit(":", 1)[0]
        return host in LOCAL_HOSTS

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            raise CMError("the request body must be JSON", GENERIC) from None
        if not isinstance(data, dict):
            raise CMError("the request body must be a JSON object", GENERIC)
        return data

    def guarded(handler: Any, write: bool = False) -> Any:
        async def wrapped(request: Request) -> Response:
            if not host_ok(request):
                return err("this GUI answers only on 127.0.0.1", 403)
            if write and request.headers.get("x-cm-token") != token:
                return err("missing or wrong X-CM-Token (reload the page)", 403)
            try:
                return await handler(request)
            except CMError as exc:
                return err(exc.message, 404 if exc.code == 16 else 400)
        return wrapped

    async def index(request: Request) -> Response:
        return HTMLResponse(render_page(token))

    async def scripts(request: Request) -> Response:
        return JSONResponse({"scripts": script_rows(session, request.query_params.get("tags", ""))})

    async def command(request: Request) -> Response:
        args = build_args(await body(request))
        return JSONResponse({"args": args, "command": display(args)})

    async def start_run(request: Request) -> Response:
        args = build_args(await body(request))
        job = jobs.start(display(args), [args])
        return JSONResponse(job.to_dict(), status_code=201)

    async def submission(request: Request) -> Response:
        data = await body(request)
        out = str(data.get("submission_dir") or "").strip()
        if not out:
            raise CMError("give the submission folder", GENERIC)
        division = str(data.get("division") or "closed")
        submitter = str(data.get("submitter") or "cm")
        if division not in ("closed", "open"):
            raise CMError("division must be closed or open", GENERIC)
        gen = ["run", "script", "generate mlperf-inference-submission", f"--submission_dir={out}",
               f"--division={division}", f"--submitter={submitter}"]
        if data.get("result_tags"):
            gen.append(f"--result_tags={data['result_tags']}")
        check = ["run", "script", "run mlperf-inference-submission-checker",
                 f"--submission_dir={out}/{division}/{submitter}", f"--division={division}",
                 f"--submitter={submitter}"]
        if data.get("short_runs_ok"):
            check.append("--short_runs_ok=yes")
        job = jobs.start(f"submission {out}", [gen, check])
        return JSONResponse(job.to_dict(), status_code=201)

    async def runs(request: Request) -> Response:
        return JSONResponse({"runs": jobs.list()})

    async def run_status(request: Request) -> Response:
        job = jobs.get(request.path_params["jid"])
        if job is None:
            return err("no such run", 404)
        return JSONResponse(job.to_dict())

    async def cancel(request: Request) -> Response:
        return JSONResponse({"cancelled": jobs.cancel(request.path_params["jid"])})

    async def results(request: Request) -> Response:
        q = request.query_params
        rows = result_rows(session, q.get("tags", ""), q.get("official", "yes"))
        cols = table.columns([r for r in rows if not r["official"]] or rows)
        if any(r["official"] for r in rows):
            cols = [*cols, *[c for c in ("submitter", "system", "accelerator") if c not in cols]]
        return JSONResponse({"results": rows, "columns": ["official", *cols]})

    async def compare(request: Request) -> Response:
        from cmcore.ecosystem.similar import beside, load_local

        uid = request.query_params.get("uid", "")
        if not uid:
            raise CMError("choose a local result to compare", GENERIC)
        return JSONResponse(beside(session, load_local(session, uid)))

    routes = [
        Route("/", guarded(index)),
        Route("/api/scripts", guarded(scripts)),
        Route("/api/command", guarded(command, True), methods=["POST"]),
        Route("/api/runs", guarded(runs)),
        Route("/api/runs", guarded(start_run, True), methods=["POST"]),
        Route("/api/runs/{jid}", guarded(run_status)),
        Route("/api/runs/{jid}/cancel", guarded(cancel, True), methods=["POST"]),
        Route("/api/submission", guarded(submission, True), methods=["POST"]),
        Route("/api/results", guarded(results)),
        Route("/api/compare", guarded(compare)),
    ]
    app = Starlette(routes=routes)
    app.state.token = token
    app.state.jobs = jobs
    return app


def serve(session: Session, port: int = 8765, *, open_browser: bool = False) -> None:
    """Run the GUI on 127.0.0.1:``port`` until Ctrl-C."""
    try:
        import uvicorn
    except ImportError:
        raise CMError("the GUI needs starlette and uvicorn: pip install 'cmcore[gui]'", GENERIC) from None
    app = create_app(session)
    url = f"http://127.0.0.1:{port}/"
    session.log.info(f"CM GUI on {url} (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
