"""The built-in ``cm_run`` for scripts (registered ``trylast`` by ``cmcore.builtin.native``).

Order (CM-FORMAT §3.8 step 9.9-9.12): ``preprocess`` (unless a fake run; ``skip``,
``script``, ``version``, ``add_extra_cache_tags`` honoured), ``prehook_deps`` (even on a
fake run), then, unless a fake run: ``env_key_mappings``, the native script,
``posthook_deps``, ``postprocess``. Everything works on the live ``ScriptRun``; the
return value ``{}`` means "done, nothing more to merge".
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from cmcore.errors import SCRIPT_FAILED, CMError
from cmcore.script.context import current
from cmcore.script.deps import run_deps
from cmcore.script.envmodel import deep_merge

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def hook_input(run: Any, session: Any, rsi: dict) -> dict:
    """The ``i`` dict every customize hook receives (CM-FORMAT §3.10)."""
    ctx = current()
    return {
        "env": run.env,
        "state": run.state,
        "const": run.const,
        "const_state": run.const_state,
        "meta": run.meta,
        "input": run.inp,
        "automation": session.automation("script"),  # the object itself, not a deep copy (flaw 17)
        "artifact": run.artifact,
        "customize": run.meta.get("customize") or {},
        "os_info": rsi.get("os_info") or {},
        "recursion_spaces": "  " * (ctx.depth if ctx else 0),
        "script_tags": list(run.query.tags),
        "variation_tags": list(run.variations.names),
        "run_script_input": rsi,
        "ad": run.inp.get("ad") or {},
        "adr": run.adr,
        "run_state": rsi.get("run_state") or {},
    }


def prepare_hooks(run: Any, session: Any) -> tuple[Any, dict, dict]:
    """Load customize.py once for this run and build ``run_script_input`` and the hook input."""
    from cmcore.script.customize_api import build_run_script_input, load_customize

    ctx = current()
    module = load_customize(run.path, run.dialect)
    rsi = build_run_script_input(
        script_path=run.path, env=run.env, state=run.state, meta=run.meta, dialect=run.dialect,
        script_name=run.script_name or "run", const=run.const, const_state=run.const_state,
        recursion=run.flags.recursion, recursion_spaces="  " * (ctx.depth if ctx else 0),
        run_state={"deps": run.deps_run, "version_info": ctx.version_info if ctx else [],
                   "fake_deps": run.flags.fake_deps},
        silent=run.flags.silent, artifact=run.artifact,
    )
    return module, rsi, hook_input(run, session, rsi)


def _hook(run: Any, module: Any, name: str, i: dict) -> dict:
    from cmcore.script.customize_api import call_hook

    r = call_hook(module, name, i, run.dialect)
    if r is None:
        return {}
    if r.get("return", 0):
        raise CMError(str(r.get("error", f"{name}() failed")), int(r["return"]))
    return r


def _take_hook_outputs(run: Any, r: dict) -> None:
    if r.get("version"):
        run.hook_version = str(r["version"])
    extra = r.get("add_extra_cache_tags")
    if extra:
        items = extra.split(",") if isinstance(extra, str) else [str(x) for x in extra]
        for t in items:
            t = t.strip()
            if t and t not in run.extra_cache_tags:
                run.extra_cache_tags.append(t)


def run_component(component: Any, session: Any) -> dict:
    """Run a script's customize hooks, deps around the native script, and the native script."""
    run = component.data
    module, rsi, i = prepare_hooks(run, session)
    if not run.flags.fake_run:
        run.reapply_const()
        r = _hook(run, module, "preprocess", i)
        if r.get("skip"):
            run.skipped = True
            if isinstance(r.get("script"), dict):
                run.replacement_result = _run_instead(run, session, r["script"])
            return {}
        _take_hook_outputs(run, r)
    if run.flags.print_env:
        session.log.info(json.dumps(session.redactor.data(run.env), indent=2, sort_keys=True, default=str))
    run_deps(run, "prehook_deps")
    if run.flags.fake_run:
        return {}
    for old, new in (run.meta.get("env_key_mappings") or {}).items():
        for k in [k for k in run.env if k.startswith(old)]:
            run.env[new + k[len(old):]] = run.env[k]
    run.reapply_const()
    run_native(run, session, rsi)
    run_deps(run, "posthook_deps")
    run.reapply_const()
    r = _hook(run, module, "postprocess", i)
    _take_hook_outputs(run, r)
    return {}


def _run_instead(run: Any, session: Any, script: dict) -> dict:
    """``preprocess`` returned ``skip`` with ``script``: run that one with the same env/state/const."""
    import copy

    i = dict(copy.deepcopy({k: v for k, v in script.items() if k not in ("env", "state")}))
    i.update({"action": "run", "automation": "script", "env": run.env, "state": run.state,
              "const": copy.deepcopy(run.const), "const_state": copy.deepcopy(run.const_state),
              "recursion": True, "add_deps_recursive": copy.deepcopy(run.adr)})
    r = session.access(i)
    if r.get("return", 0):
        raise CMError(str(r.get("error")), int(r["return"]))
    return r


def run_native(run: Any, session: Any, rsi: dict) -> None:
    """Select and run the native script (if any); merge its env/state outputs; fail with code 2."""
    from cmcore.script.native import run_native_script, select_native_script

    name = str(rsi.get("script_name") or run.script_name or "run")
    explicit = name != "run" or bool(run.script_name)
    path = select_native_script(run.path, name, run.env, run.dialect, explicit=explicit)
    if path is None:
        return
    res = run_native_script(path, env=run.env, state=run.state, cwd=Path.cwd(), dialect=run.dialect,
                            silent=run.flags.silent, log=session.log, redactor=session.redactor)
    run.native_result = res
    if res.returncode != 0:
        log_path = _keep_log(session, run, res.log_path)
        for f in run.meta.get("print_files_if_script_error") or []:
            p = Path.cwd() / str(f)
            if p.is_file():
                session.log.warning(f"{p}:\n{p.read_text(errors='replace')}")
        how = f"killed by signal {-res.returncode}" if res.returncode < 0 else f"exit code {res.returncode}"
        msg = f'script "{run.alias}" failed ({how}): {path}' + (f"; log: {log_path}" if log_path else "")
        if run.flags.ignore_script_error:
            session.log.warning(msg + " (ignored: --ignore_script_error)")
        else:
            raise CMError(msg, SCRIPT_FAILED, script_path=str(path), log_path=str(log_path or ""),
                          returncode=res.returncode)
    for k, v in (res.env_out or {}).items():
        cur = run.env.get(k)
        if isinstance(cur, list):
            if v not in cur:
                cur.append(v)
        else:
            run.env[k] = v
    deep_merge(run.state, res.state_out or {})


def _keep_log(session: Any, run: Any, log_path: Path | None) -> Path | None:
    """Copy a failed run's log under ``<home>/logs`` (the work folder's tmp files get cleaned)."""
    if log_path is None or not Path(log_path).is_file():
        return None
    dest_dir = Path(session.home) / "logs"
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / f"{run.alias}-{time.strftime('%Y%m%d-%H%M%S')}-{id(run) % 10000:04d}.log"
        import shutil

        shutil.copyfile(log_path, dest)
        return dest
    except OSError:
        return Path(log_path)
