"""Built-in observer plugin: records every script run of a workflow started with ``--lock=FILE``.

* ``cm_detect`` (tryfirst, always returns None, so it never answers for a component) notices a
  top-level run whose input has ``lock`` and opens a collector on the workflow's
  :class:`cmcore.script.context.RunContext`, which nested runs share. The engine calls
  ``cm_detect`` before any dependency runs.
* ``cm_postprocess`` sees each finished script run (a dependency before its caller) and
  appends a record; the top-level run writes the lock.

Runs without ``--lock`` cost one attribute lookup per hook.
"""

from __future__ import annotations

from cmcore import hookimpl

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

_ATTR = "_repro_lock"  # the collector, kept on the workflow's RunContext


def _ctx() -> Any:
    from cmcore.script.context import current

    return current()


@hookimpl(tryfirst=True)
def cm_detect(component: Any, session: Any) -> None:
    if getattr(component, "kind", "") != "script":
        return None
    run = component.data
    ctx = _ctx()
    if ctx is None or run.flags.recursion or not run.inp.get("lock"):
        return None
    if getattr(ctx, _ATTR, None) is None:
        setattr(ctx, _ATTR, {"records": [], "memo": {}, "top": id(run)})
    return None


@hookimpl
def cm_postprocess(component: Any, session: Any, result: Any) -> None:
    if getattr(component, "kind", "") != "script" or not isinstance(result, dict):
        return
    ctx = _ctx()
    col = getattr(ctx, _ATTR, None) if ctx is not None else None
    if col is None:
        return
    from cmcore.repro.lockfile import build_lock, script_record, write_lock

    run = component.data
    rec = script_record(run, result, col["memo"])
    rec["depth"] = max(0, ctx.depth - 1)
    rec["order"] = len(col["records"])
    col["records"].append(rec)
    if id(run) != col["top"]:
        return
    setattr(ctx, _ATTR, None)
    lock_path = run.inp.get("lock")
    if lock_path is True or not str(lock_path).strip():
        lock_path = "cm-lock.json"
    lock = build_lock(session, col["records"], run, result, col["memo"])
    path = write_lock(str(lock_path), lock)
    result["lock_path"] = str(path)
    if not run.flags.silent:
        session.log.info(f"lockfile written: {path} ({len(col['records'])} script runs)")
