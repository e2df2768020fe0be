"""One ``run`` of a script, in the normative order of CM-FORMAT §3.8, through the hooks.

resolve -> ``cm_detect`` (cache plugin) -> hit: cached env + dynamic deps | miss: reserve
the entry, chdir into it -> deps -> ``cm_run`` (native runner, trylast) -> post_deps ->
publish -> restore the caller's env/state in place -> ``cm_postprocess``.

The cwd is restored in ``finally`` on every path (CM leaves it inside the cache entry on
errors); on an error the caller's env and state are restored too, so a failed run changes
nothing the caller holds.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

from cmcore.errors import GENERIC, NOT_FOUND, CMError
from cmcore.script import cacheuse as C
from cmcore.script import envmodel as E
from cmcore.script.context import Frame, RunContext, run_context
from cmcore.script.deps import call_dep, run_deps
from cmcore.script.depspec import DEP_LISTS
from cmcore.script.flags import RunFlags, is_true
from cmcore.script.resolve import find_script
from cmcore.script.scriptrun import ScriptRun, apply_default_version, build, dialect_of
from cmcore.script.tagquery import build_query
from cmcore.types import Component

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

TMP_FILES = ("tmp-run.sh", "tmp-run.bat", "tmp-env.sh", "tmp-env.bat", "tmp-env-all.sh", "tmp-env-all.bat",
             "tmp-state.json", "tmp-run-state.json", "tmp-run-env.out", "tmp-ver.out", "tmp-run.log")
RUN_USAGE = """usage: cm run script "TAG TAG _VARIATION" [--flags]   (or: cmr "TAGS" [--flags])
  cm run script "TAGS" --help     the script's variations and flags
  --env.K=V --const.K=V --adr.NAME.KEY=V --version[_min|_max]=V
  --quiet -v -s -j --dry-run --print_deps --print_env --fake_run --fake_deps --save_env --dirty --time
  --new --renew --skip_cache --force_cache --only_execute_from_cache --ignore_script_error"""
STALE_FILES = ("tmp-run-env.out", "tmp-run-state.json", "tmp-ver.out")


def run_script(session: Any, i: dict) -> dict:
    """The ``run`` action of the script automation; returns the CM result dict or raises CMError."""
    for k in ("env", "state", "const", "const_state", "adr", "ad"):
        if i.get(k) is not None and not isinstance(i[k], dict):
            raise CMError(f'"{k}" must be a mapping (e.g. --{k}.KEY=VALUE), not {type(i[k]).__name__}', GENERIC)
    env = i.get("env")
    if env is None:
        env = i["env"] = {}
    state = i.get("state")
    if state is None:
        state = i["state"] = {}
    if not i.get("recursion") and os.environ.get("CM_SCRIPT_EXTRA_CMD"):
        _merge_extra_cmd(i, os.environ["CM_SCRIPT_EXTRA_CMD"])
    if not i.get("recursion"):
        _merge_default_cfg(session, i)
    session.redactor.observe(i)  # --gh_token, --env.X_TOKEN, ...: masked in whatever is printed or kept
    flags = RunFlags.from_input(i, env)
    flags.quiet = flags.quiet or is_true(env.get("MLC_QUIET"))
    query = build_query(i)
    saved_env, saved_state = copy.deepcopy(env), copy.deepcopy(state)
    entry_cwd = Path.cwd()
    started = time.monotonic()
    with run_context() as ctx:
        frame: Frame | None = None
        run: ScriptRun | None = None
        try:
            if flags.help and not query.ref and not query.tags:
                text = RUN_USAGE
                if i.get("out") == "con":
                    print(text)
                return {"return": 0, "help": text}
            if not flags.recursion and not os.access(entry_cwd, os.W_OK):
                raise CMError(f"the current directory {entry_cwd} is not writable", GENERIC)
            art = find_script(session, query, quiet=flags.quiet, ctx=ctx,
                              remember=not flags.skip_remembered_selections)
            _check_min_cm_version(art)
            if flags.help:
                from cmcore.script.help import script_help

                return script_help(art, i)
            run = ScriptRun(session=session, artifact=art, dialect=dialect_of(art), inp=i, flags=flags,
                            query=query, env=env, state=state, const=copy.deepcopy(i.get("const") or {}),
                            const_state=copy.deepcopy(i.get("const_state") or {}), entry_cwd=entry_cwd,
                            cwd=entry_cwd)
            run.meta = copy.deepcopy(art.meta or {})
            _merge_local_blocks(run)
            build(run)
            frame = Frame(run.uid or run.alias, run.alias, tuple(sorted(run.variations.names)),
                          run.version_req.version)
            ctx.push(frame)
            if not flags.silent and not flags.dry_run:
                session.log.info(f"{'  ' * (ctx.depth - 1)}* cm run script {run.alias}{_vtext(run)}")
            if flags.dry_run:
                return _dry_run(run, ctx, saved_env, saved_state)
            if flags.repro and not flags.recursion:
                _repro_start(run)
            if is_true(env.get(run.key("RUN_STATE_DOCKER"))):
                docker = run.meta.get("docker") or {}
                if docker.get("run") is False or str(docker.get("run")).lower() in ("no", "false", "off"):
                    E.restore_in_place(env, saved_env, {})
                    E.restore_in_place(state, saved_state, {})
                    return {"return": 0, "env": env, "state": state, "new_env": {}, "new_state": {}, "deps": []}
                if "real_run" in docker and not is_true(docker.get("real_run")):
                    flags.fake_run = True
            used_before = _disk_used(entry_cwd) if flags.space and not flags.recursion else None
            result = _execute(run, ctx, saved_env, saved_state)
            if session.replay is not None and not flags.recursion:
                _replay_verdict(run, result)
            if flags.time and not flags.recursion:
                session.log.info(f"script {run.alias} took {time.monotonic() - started:.3f} s")
            if not flags.recursion:
                _report(run, ctx, entry_cwd, used_before, result)
            return result
        except BaseException:
            if run is not None and run.work_started and not run.cache and not flags.dirty:
                _clean_tmp_files(run)  # a failed or interrupted run leaves the user's folder as it was
            E.restore_in_place(env, saved_env, {})
            E.restore_in_place(state, saved_state, {})
            raise
        finally:
            if frame is not None:
                ctx.pop(frame)
            if Path.cwd() != entry_cwd:
                os.chdir(entry_cwd)


def _check_min_cm_version(art: Any) -> None:
    """A script's ``min_cm_version`` is checked against the cmind API level the compat layer
    gives scripts (``cmind.__version__`` inside a hook), as CM checks it against itself."""
    want = str((art.meta or {}).get("min_cm_version") or "").strip()
    if not want:
        return
    from cmcore.compat.shims import CMIND_API_VERSION
    from cmcore.script.versions import compare

    if compare(CMIND_API_VERSION, want) < 0:
        raise CMError(f"script {art.alias or art.uid} needs CM >= {want}; cmcore provides the CM API of "
                      f"cmind {CMIND_API_VERSION}", GENERIC)


def _disk_used(path: Path) -> int | None:
    import shutil

    try:
        return shutil.disk_usage(path).used
    except OSError:
        return None


def _report(run: ScriptRun, ctx: Any, entry_cwd: Path, used_before: int | None, result: dict) -> None:
    """The top-level reporting flags of CM-FORMAT §3.8 step 14 that come after the result."""
    flags, log = run.flags, run.session.log
    if flags.repro:
        _repro_end(run, ctx, result)
    if flags.print_versions:
        for v in ctx.version_info:
            variations = f" ({v['script_variations']})" if v.get("script_variations") else ""
            log.info(f"{v['script_alias'] or v['script_uid']}{variations}: {v['version'] or 'no version'}")
    if flags.dump_version_info:
        from cmcore.metaio import write_json

        entries = [{v["script_tags"]: {k: v.get(k) for k in ("script_uid", "script_alias", "script_tags",
                                                             "script_variations", "version", "parent")}}
                   for v in ctx.version_info]
        for name in ("cm-run-script-versions.json", "version_info.json"):  # CM writes both, the same
            write_json(entry_cwd / name, entries, sort_keys=False)
            if not flags.silent:
                log.info(f"versions written to {entry_cwd / name}")
    if flags.print_readme:
        path = entry_cwd / "README-cm.md"
        path.write_text(_readme(run, ctx), encoding="utf-8")
        if not flags.silent:
            log.info(f"README written to {path}")
    if used_before is not None:
        after = _disk_used(entry_cwd)
        if after is not None:
            log.info(f"disk space used by this run: {(after - used_before) / 2**20:.1f} MB")
    if flags.pause:
        if _on_terminal(sys.stdin):  # never waits for input that cannot come; the prompt stays off stdout
            sys.stderr.write("Press Enter to continue...")
            sys.stderr.flush()
            sys.stdin.readline()


def _on_terminal(*streams: Any) -> bool:
    try:
        return all(s.isatty() for s in streams)
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def _repro_files(run: ScriptRun) -> tuple[Path, str]:
    """``--repro_dir`` (default ``cm-repro`` in the current folder) and ``--repro_prefix``."""
    d = run.entry_cwd / str(run.inp.get("repro_dir") or "cm-repro")
    return d, str(run.inp.get("repro_prefix") or "cm-run-script")


def _repro_start(run: ScriptRun) -> None:
    """``--repro``, before anything runs: the input (secrets masked) and where it ran."""
    import platform
    from datetime import datetime, timezone

    from cmcore import __version__
    from cmcore.metaio import write_json

    d, prefix = _repro_files(run)
    red = run.session.redactor.observe(run.inp)
    write_json(d / f"{prefix}-input.json", red.data(run.inp))
    write_json(d / f"{prefix}-info.json", {
        "cmcore": __version__, "python": platform.python_version(), "platform": platform.platform(),
        "machine": platform.machine(), "datetime": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cwd": str(run.entry_cwd)})


def _repro_end(run: ScriptRun, ctx: Any, result: dict) -> None:
    """``--repro``, after the run: its output and run state (secrets masked), a README and a
    sample Dockerfile of the same command (``cm docker script`` makes the same one)."""
    from cmcore.metaio import write_json

    d, prefix = _repro_files(run)
    red = run.session.redactor.observe(run.inp)
    write_json(d / f"{prefix}-output.json", red.data(result))
    write_json(d / f"{prefix}-run-state.json", red.data({"version_info": ctx.version_info,
                                                         "deps": list(run.deps_run)}))
    (d / "README.md").write_text(_readme(run, ctx), encoding="utf-8")
    try:
        from cmcore.dockergen.generate import make_plan, render

        inp = {k: v for k, v in run.inp.items() if not k.startswith("repro")}
        plan = make_plan(run.session, run.artifact, inp, list(run.variations.names), ",".join(run.query.words()))
        (d / "Dockerfile").write_text(render(plan), encoding="utf-8")
    except (CMError, OSError, ValueError) as exc:  # the dump must not fail a run that worked
        run.session.log.warning(f"--repro: no sample Dockerfile: {exc}")
    if not run.flags.silent:
        run.session.log.info(f"reproducibility files written to {d}")


def _readme(run: ScriptRun, ctx: Any) -> str:
    """``--print_readme``: how this run was made and what ran, as markdown (secrets masked)."""
    import platform
    import shlex
    from datetime import datetime, timezone

    from cmcore import __version__

    argv = run.inp.get("cmd")
    if isinstance(argv, list) and argv:
        command = "cm " + shlex.join(str(a) for a in argv)
    else:  # called through the API: the query it made
        tags = ",".join([*run.query.tags, *(f"_{v}" for v in run.query.variations)])
        command = "cm run script" + (f" {shlex.quote(run.query.ref)}" if run.query.ref else "") \
            + (f" --tags={shlex.quote(tags)}" if tags else "")
    command = run.session.redactor.observe(run.inp).text(command)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# cm run script {run.alias}", "",
             f"Written by `--print_readme` on {when} by cmcore {__version__} (Python "
             f"{platform.python_version()}, {platform.system()} {platform.machine()}).", "",
             "## Reproduce", "", "```bash", command, "```", "",
             "## Scripts that ran", "", "| script | variations | version | called by |", "|---|---|---|---|"]
    for v in ctx.version_info:
        lines.append(f"| {v['script_alias'] or v['script_uid']} | {v['script_variations'] or ''} | "
                     f"{v['version'] or ''} | {v.get('parent') or ''} |")
    return "\n".join(lines) + "\n"


def _replay_verdict(run: ScriptRun, result: dict) -> None:
    """May this command line be answered from a record next time (:mod:`cmcore.replay`)? Only a
    plain cache hit: no dependency ran, no validator script, nothing else written or timed."""
    rec = run.session.replay
    why = ("not a cache hit" if not result.get("cached") else
           "dependencies ran" if run.deps_run else
           "a validate_cache script" if run.validate is not None else
           "--time" if run.flags.time else
           "--save_env" if run.flags.save_env or run.flags.shell else
           "a reporting flag" if (run.flags.dump_version_info or run.flags.space or run.flags.pause
                                  or run.flags.print_versions or run.flags.print_readme
                                  or run.flags.repro) else
           "--lock" if run.inp.get("lock") else
           "clean_output_files" if run.meta.get("clean_output_files") else "")
    if why:
        rec.refuse(why)
        return
    rec.check_plugins(run.session.pm)
    rec.kind = "run"


def _merge_default_cfg(session: Any, i: dict) -> None:
    """The ``default`` artifact of the ``cfg`` automation, if some repo has one: its
    ``config.script`` holds defaults for every top-level run; flags given win (CM lets the
    cfg override them)."""
    found = session.db.search("cfg", "default")
    if not found:
        return
    conf = (found[0].meta or {}).get("config") or {}
    defaults = conf.get("script") if isinstance(conf, dict) else None
    if isinstance(defaults, dict):
        _merge_under(i, defaults)


def _merge_under(i: dict, defaults: dict) -> None:
    """Add ``defaults`` to the input ``i`` without overriding it: a mapping both have is
    deep-merged in place (the keys ``i`` has win), any other key only fills a gap."""
    for k, v in defaults.items():
        if isinstance(v, dict) and isinstance(i.get(k), dict):
            merged = copy.deepcopy(v)
            E.deep_merge(merged, i[k])
            i[k].clear()
            i[k].update(merged)
        elif k not in i:
            i[k] = copy.deepcopy(v)


def _merge_extra_cmd(i: dict, text: str) -> None:
    """``$CM_SCRIPT_EXTRA_CMD``: more flags, parsed like the command line; given flags win."""
    import shlex

    from cmcore.grammar import parse_cli

    extra = parse_cli(["x", "y", *shlex.split(text)])
    _merge_under(i, {k: v for k, v in extra.items()
                     if k not in ("action", "automation", "cmd", "artifact", "artifacts")})


def _vtext(run: ScriptRun) -> str:
    v = "".join(f" _{n}" for n in run.variations.names)
    return v + (f" (version {run.version_req.version})" if run.version_req.version else "")


def _merge_local_blocks(run: ScriptRun) -> None:
    """A dep's own ``env``/``state``/``const`` blocks, merged after the caller's snapshot."""
    i = run.inp
    run.env.update(copy.deepcopy(i.get("local_env") or {}))
    E.deep_merge(run.state, i.get("local_state") or {})
    run.const.update(copy.deepcopy(i.get("local_const") or {}))
    E.deep_merge(run.const_state, i.get("local_const_state") or {})


def _execute(run: ScriptRun, ctx: RunContext, saved_env: dict, saved_state: dict) -> dict:
    session = run.session
    for f in run.meta.get("clean_output_files") or []:
        p = Path.cwd() / str(f)
        if p.is_file() or p.is_symlink():
            p.unlink()
    C.collect_extra_cache_tags(run)
    run.cache = C.wants_cache(run)
    run.new, run.renew, run.skip_cache = run.flags.new, run.flags.renew, run.flags.skip_cache
    comp = Component(kind="script", name=run.alias, data=run)
    if run.cache:
        run.cache_key = C.make_key(run)
        run.validate = C.make_validator(run, session)
    found = session.pm.hook.cm_detect(component=comp, session=session)
    if found is not None:
        return _from_cache(run, comp, found, saved_env, saved_state)
    if run.flags.only_execute_from_cache:
        raise CMError(f'script "{run.alias}" has no valid cache entry (--only_execute_from_cache)', NOT_FOUND)
    installed = session.pm.hook.cm_install(component=comp, session=session)
    if isinstance(installed, dict):
        run.env.update(installed)
    if not run.cache:
        _execute_here(run, comp)
        return _finish(run, comp, None, saved_env, saved_state)
    from cmcore.cache.store import CacheStore

    store = CacheStore(session)
    with store.reserve(run.cache_key, C.entry_tags(run), run.artifact, run.flags.new, renew=run.flags.renew,
                       version_min=run.version_min, version_max=run.version_max,
                       validate=run.validate) as slot:
        if slot.hit is not None:
            return _from_cache(run, comp, slot.hit, saved_env, saved_state)
        os.chdir(slot.path)
        run.cwd = Path(slot.path)
        if run.flags.renew:
            run.env[run.key("RENEW_CACHE_ENTRY")] = "yes"
        _execute_here(run, comp)
        return _finish(run, comp, slot, saved_env, saved_state)


def _from_cache(run: ScriptRun, comp: Component, found: Any, saved_env: dict, saved_state: dict) -> dict:
    """A hit: dynamic deps and prehook deps, the cached env/state, dynamic posthook and post deps."""
    run_deps(run, "deps", only_dynamic=True)
    run_deps(run, "prehook_deps", only_dynamic=True)
    if hasattr(found, "new_env"):
        C.merge_cached(run, found)
        run.version = str(getattr(found, "version", "") or "")
    elif isinstance(found, dict):  # a plugin's own detection result: env to merge
        run.env.update(found)
    if not run.flags.fake_run:
        run_deps(run, "posthook_deps", only_dynamic=True)
        run_deps(run, "post_deps", only_dynamic=True)
    return _finish(run, comp, None, saved_env, saved_state, cached=found)


def _predeps(run: ScriptRun) -> None:
    """MLC's ``predeps(i)`` hook: before the deps, may change them; meta ``predeps: false`` disables."""
    if run.dialect.name != "mlc" or run.meta.get("predeps") is False or run.flags.fake_run:
        return
    if not (run.path / "customize.py").is_file():
        return
    from cmcore.script.native_runner import _hook, prepare_hooks

    module, _rsi, i = prepare_hooks(run, run.session)
    _hook(run, module, "predeps", i)


def _execute_here(run: ScriptRun, comp: Component) -> None:
    """A miss, or no caching: deps, the hooks' ``cm_run``, post_deps (CM-FORMAT §3.8 step 9)."""
    session = run.session
    for w in run.warnings:
        session.log.warning(f"{run.alias}: {w}")
    apply_default_version(run)
    run.env[run.tmp("CURRENT_SCRIPT_PATH")] = str(run.path)
    _predeps(run)
    run_deps(run, "deps")
    if not run.flags.recursion or run.cache:
        # A nested run without its own cache entry works in its caller's folder, where these
        # files are the caller's live data (a tmp-ver.out its postprocess has yet to read).
        for f in STALE_FILES:
            (Path.cwd() / f).unlink(missing_ok=True)
    pip = run.version_req.pip_string()
    if pip:
        run.env[run.tmp("PIP_VERSION_STRING")] = pip
    run.reapply_const()
    work = Path.cwd()
    run.tmp_before = _tmp_names(work)
    run.work_started = True
    outdir = run.env.get(run.key("OUTDIRNAME"))
    if outdir:
        target = Path(str(outdir)).expanduser()
        target = target if target.is_absolute() else work / target
        target.mkdir(parents=True, exist_ok=True)
        os.chdir(target)
    try:
        r = session.pm.hook.cm_run(component=comp, session=session)
        if run.skipped:
            return
        if isinstance(r, dict) and r:
            for k, v in r.items():  # a plugin took the run over: merge like tmp-run-env.out
                if isinstance(run.env.get(k), list) and not isinstance(v, list):
                    if v not in run.env[k]:
                        run.env[k].append(v)
                else:
                    run.env[k] = v
        if not run.flags.fake_run:
            run_deps(run, "post_deps")
    finally:
        if Path.cwd() != work:
            os.chdir(work)


def _finish(run: ScriptRun, comp: Component, slot: Any, saved_env: dict, saved_state: dict,
            cached: Any = None) -> dict:
    session = run.session
    if run.replacement_result is not None:
        E.restore_in_place(run.env, saved_env, run.replacement_result.get("new_env") or {})
        E.restore_in_place(run.state, saved_state, run.replacement_result.get("new_state") or {})
        return dict(run.replacement_result, env=run.env, state=run.state)
    if cached is None:
        run.version = run.hook_version or str(run.env.get(run.key("DETECTED_VERSION")) or "") \
            or str(run.env.get(run.key("VERSION")) or "")
    run.reapply_const()
    keys = run.flags.force_new_env_keys or run.new_env_keys
    new_env = E.filter_keys(run.env, keys)
    new_state = E.filter_keys(run.state, run.new_state_keys, run.env)
    if run.flags.print_deps:
        new_state["print_deps"] = [f"cm run script --tags={t}" for t in run.deps_run]
    if slot is not None and not run.skipped:
        _publish(run, slot, new_env, new_state)
    if Path.cwd() != run.entry_cwd:
        os.chdir(run.entry_cwd)
    if slot is None and cached is None and run.work_started and not run.flags.dirty:
        _clean_tmp_files(run)
    if run.flags.save_env or (run.flags.shell and not run.flags.recursion):
        _save_env(run, new_env)
    if run.flags.shell and not run.flags.recursion:
        _open_shell(run, new_env)
    E.restore_in_place(run.env, saved_env, new_env)
    E.restore_in_place(run.state, saved_state, new_state)
    from cmcore.script.context import current

    ctx = current()
    if ctx is not None:
        parent = ctx.stack[-2].alias if len(ctx.stack) > 1 else None  # this run's frame is still on top
        ctx.version_info.append({"script_uid": run.uid, "script_alias": run.alias,
                                 "script_tags": ",".join(run.artifact.tags or []),
                                 "script_variations": run.variations.tags_string, "version": run.version,
                                 "parent": parent})
    for key, label in (run.meta.get("print_env_at_the_end") or {}).items():
        if key in new_env and not run.flags.silent:
            session.log.info(f"{label or f'ENV[{key}]'}: {new_env[key]}")
    result: dict[str, Any] = {"return": 0, "env": run.env, "new_env": new_env, "state": run.state,
                              "new_state": new_state, "deps": list(run.deps_run), "version": run.version,
                              "script": {"alias": run.alias, "uid": run.uid, "path": str(run.path),
                                         "variations": list(run.variations.names)}}
    if cached is not None and hasattr(cached, "path"):
        result["cached"] = True
        result["cache_path"] = str(cached.path)
    elif slot is not None:
        result["cached"] = False
        result["cache_path"] = str(slot.path)
    session.pm.hook.cm_postprocess(component=comp, session=session, result=result)
    return result


def _publish(run: ScriptRun, slot: Any, new_env: dict, new_state: dict) -> None:
    from cmcore.script.native import export_lines
    from cmcore.secrets import redact_files, without_secrets

    path = Path(slot.path)
    red = run.session.redactor
    try:
        (path / "tmp-env-all.sh").write_text("\n".join(export_lines(red.data(run.env))) + "\n", encoding="utf-8")
        (path / "tmp-env.sh").write_text("\n".join(export_lines(red.data(new_env))) + "\n", encoding="utf-8")
    except CMError as exc:  # an unexportable value must not lose the result
        run.session.log.debug(f"tmp-env.sh not written: {exc.message}")
    # the wrapper and the script's own outputs stay in the entry for debugging: without secrets
    redact_files(sorted(path.glob("tmp-*")), red)
    dcp = run.env.get(run.key("GET_DEPENDENT_CACHED_PATH"))
    dcp = str(dcp) if dcp and Path(str(dcp)).resolve() != path.resolve() else None
    # secret keys are not kept: on a hit the caller's own (real) value stays in its env
    slot.publish(tags=C.entry_tags(run), version=run.version, new_env=without_secrets(new_env, red),
                 new_state=without_secrets(new_state, red), deps=list(run.deps_run), dependent_cached_path=dcp)


def _tmp_names(folder: Path) -> set[str]:
    try:
        return {n for n in os.listdir(folder) if n.startswith("tmp-")}
    except OSError:
        return set()


def _clean_tmp_files(run: ScriptRun) -> None:
    """Remove the wrapper and data files a non-cached run left in the work folder.

    CM's fixed list, the meta's ``clean_files``, and every ``tmp-*`` file the run created
    (``tmp-run.out`` and friends, by CM's naming convention) but not ones that were there before.
    """
    names = set(TMP_FILES) | {str(f) for f in run.meta.get("clean_files") or []}
    names |= _tmp_names(run.entry_cwd) - run.tmp_before
    # Data files that were already there belong to the caller (a parent's tmp-ver.out, read by
    # its postprocess after its posthook deps ran in the same folder): keep them.
    names -= {f for f in STALE_FILES if f in run.tmp_before}
    for base in {run.entry_cwd, run.cwd}:
        for n in names:
            p = base / n
            try:
                if p.is_file() and not p.is_symlink():
                    p.unlink()
            except OSError:
                pass


def _save_env(run: ScriptRun, new_env: dict) -> None:
    """``--save_env``: ``tmp-env.sh`` with the new_env exports and the script_prefix, in the cwd."""
    from cmcore.script.native import export_lines

    lines = ["#!/bin/bash", ""] + [str(x) for x in run.state.get("script_prefix") or []]
    lines += export_lines(run.session.redactor.data(new_env))
    (run.entry_cwd / "tmp-env.sh").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _open_shell(run: ScriptRun, new_env: dict) -> None:
    """``--shell``: an interactive shell in the current folder with the script's new_env and
    script_prefix applied; it returns when the user leaves it. Without a terminal it says
    so in one line (tmp-env.sh is there to source) instead of waiting for nothing."""
    import shlex
    import subprocess
    import tempfile

    from cmcore.script.native import export_lines

    log = run.session.log
    if not _on_terminal(sys.stdin, sys.stdout):
        log.info(f"--shell: no terminal to open a shell on; source {run.entry_cwd / 'tmp-env.sh'} instead")
        return
    prefix = [str(x) for x in run.state.get("script_prefix") or []]
    if os.name == "nt":
        lines = ["@echo off", *prefix, *export_lines(new_env, "nt"), f'cd /d "{run.entry_cwd}"']
        suffix = ".bat"
    else:
        lines = ['[ -f ~/.bashrc ] && . ~/.bashrc', *prefix, *export_lines(new_env),
                 f"cd {shlex.quote(str(run.entry_cwd))}"]
        suffix = ".sh"
    fd, rcfile = tempfile.mkstemp(prefix="cm-shell-", suffix=suffix)  # 0600: the values are not masked
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    cmd = ([os.environ.get("COMSPEC", "cmd"), "/k", "call", rcfile] if os.name == "nt"
           else ["bash", "--rcfile", rcfile, "-i"])
    log.info(f"opening a shell with the environment of {run.alias}; leave it (exit) to go on")
    try:
        subprocess.call(cmd, cwd=str(run.entry_cwd))
    finally:
        os.unlink(rcfile)


def _dry_run(run: ScriptRun, ctx: RunContext, saved_env: dict, saved_state: dict) -> dict:
    """``--dry-run``: resolve this script and its deps recursively; run nothing, cache nothing."""
    node: dict[str, Any] = {"script": run.alias, "variations": list(run.variations.names),
                            "version": run.version_req.version, "cache": C.wants_cache(
                                _with(run, dry_run=False)), "deps": []}
    from cmcore.script.conditions import enabled

    for lname in DEP_LISTS:
        for dep in run.deps.get(lname) or []:
            if not isinstance(dep, dict) or not dep.get("tags"):
                continue
            if not enabled(dep, run.env):
                node["deps"].append({"list": lname, "tags": dep.get("tags"), "skipped": "conditions"})
                continue
            r = call_dep(run, dep, post=lname == "post_deps", list_name=lname)
            child = dict((r or {}).get("tree") or {})
            child["list"] = lname
            node["deps"].append(child)
    E.restore_in_place(run.env, saved_env, {})
    E.restore_in_place(run.state, saved_state, {})
    if not run.flags.recursion and run.inp.get("out") == "con":
        print("\n".join(tree_lines(node)))
    return {"return": 0, "tree": node, "env": run.env, "state": run.state, "new_env": {}, "new_state": {},
            "deps": list(run.deps_run)}


def _with(run: ScriptRun, **flags: Any) -> ScriptRun:
    f = copy.copy(run.flags)
    for k, v in flags.items():
        setattr(f, k, v)
    r = copy.copy(run)
    r.flags = f
    return r


def tree_lines(node: dict, depth: int = 0) -> list[str]:
    """Text lines of a ``--dry-run`` tree."""
    pad = "  " * depth
    if node.get("skipped"):
        return [f"{pad}- [{node.get('list')}] {node.get('tags')} (skipped: {node['skipped']})"]
    label = node.get("script", "?") + "".join(f" _{v}" for v in node.get("variations") or [])
    if node.get("version"):
        label += f" (version {node['version']})"
    if node.get("cache"):
        label += " [cached]"
    prefix = f"[{node['list']}] " if node.get("list") and depth else ""
    out = [f"{pad}{'- ' if depth else ''}{prefix}{label}"]
    for child in node.get("deps") or []:
        out.extend(tree_lines(child, depth + 1))
    return out
