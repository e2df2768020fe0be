"""The ``cm`` and ``cmr`` commands.

Two front ends share one session:

* the **CM grammar** (``cm ACTION AUTOMATION [ARTIFACT...] [--flags] [@in.json] [-- cmd]``)
  is parsed by :mod:`cmcore.grammar` and never imports typer, so ``cm find`` and
  ``cm run`` start fast;
* **management commands** (``cm plugins``, ``cm --version``, ``cm --help`` and commands
  added by plugins through ``cm_commands``) are a typer app, built only when needed.

Every expected error is one line ``cm error: ...`` on stderr and the CM return code as the
exit status; a traceback only with ``-v``. Machine-readable output (``--json``/``-j``)
goes to stdout, logs to stderr.
"""

from __future__ import annotations

import os
import sys

from cmcore.log import DEBUG, INFO, Logger

TYPE_CHECKING = False  # no `typing` import: a replayed command (cmcore.replay) must start fast
if TYPE_CHECKING:
    from typing import Any

BUILTIN_COMMANDS = ("plugins", "new-plugin", "gui")
_HELP_FLAGS = ("-h", "--help")


def _extract_plugin_blocks(argv: list[str]) -> tuple[list[str], list[str]]:
    """Remove ``-p no:NAME`` / ``-pno:NAME`` pairs; return (blocked names, rest)."""
    blocked: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest.extend(argv[i:])
            break
        if a == "-p" and i + 1 < len(argv) and argv[i + 1].startswith("no:"):
            blocked.append(argv[i + 1][3:])
            i += 2
            continue
        if a.startswith("-pno:"):
            blocked.append(a[5:])
            i += 1
            continue
        rest.append(a)
        i += 1
    return blocked, rest


def _is_verbose(argv: list[str]) -> bool:
    head = argv[: argv.index("--")] if "--" in argv else argv
    return any(a in ("-v", "--v", "--verbose", "-verbose") for a in head)


def _jsonable(obj: Any) -> Any:
    """Drop what JSON cannot hold (objects), keep paths as strings."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items() if _is_plain(v)}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj if _is_plain(v)]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def _is_plain(v: Any) -> bool:
    return isinstance(v, (dict, list, tuple, str, int, float, bool, type(None), os.PathLike))


def print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(_jsonable(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _error_line(msg: str) -> None:
    first = str(msg).strip()
    sys.stderr.write(f"cm error: {first}\n")
    sys.stderr.flush()


def run_grammar(session: Any, argv: list[str]) -> int:
    """Run one CM-grammar command line; return the exit status."""
    from cmcore.grammar import parse_cli

    inp = parse_cli(argv)
    want_json = bool(inp.get("json") or inp.get("j") or inp.get("out") == "json")
    # With --json, stdout carries only the JSON document; actions print nothing there.
    inp.setdefault("out", "json" if want_json else "con")
    r = session.access(inp)
    red = session.redactor.observe(inp)  # secrets never reach stdout or the error line
    if want_json:
        print_json(red.data(r))
    code = int(r.get("return", 0) or 0)
    if code:
        _error_line(red.text(str(r.get("error", "unknown error"))))
        return max(1, min(code, 255))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cm``."""
    return _ending(_main(list(sys.argv[1:] if argv is None else argv), process=argv is None), argv is None)


def _ending(rc: int, process: bool) -> int:
    if process:
        # The process ends next. Its objects (an index of 10,000 artifacts is ~100,000 of them)
        # need no cycle search at shutdown: freezing them saves ~10 ms of a `cm find`, while
        # everything that exit does (atexit, flushing, finalizers) still runs.
        import gc

        gc.freeze()
    return rc


def _main(args: list[str], process: bool) -> int:
    """``process``: this is the ``cm``/``cmr`` process itself (not a caller of :func:`main`), so a
    repeated read-only command may be answered from its record (:mod:`cmcore.replay`)."""
    recorder = None
    if process:
        from cmcore import replay

        try:
            rc = replay.try_replay(args)
            if rc is None:
                rc = replay.try_find_template(args)
        except KeyboardInterrupt:
            _error_line("interrupted (Ctrl-C); nothing was left half-written")
            return 130
        if rc is not None:
            return rc
        recorder = replay.start(args)
    if recorder is None:
        return _run(args, None)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = recorder.out, recorder.err  # type: ignore[assignment]
    try:
        rc = _run(args, recorder)
    finally:
        sys.stdout, sys.stderr = saved
    try:
        recorder.commit(rc)
    except Exception:  # noqa: BLE001 - a record that cannot be written never fails the command
        pass
    return rc


def _run(args: list[str], recorder: Any) -> int:
    blocked, args = _extract_plugin_blocks(args)
    verbose = _is_verbose(args)
    from cmcore.session import Session, set_default

    session = Session(blocked_plugins=tuple(blocked), logger=Logger(DEBUG if verbose else INFO))
    session.replay = recorder
    set_default(session)
    try:
        if args and args[0] in ("--version", "-V") and len(args) == 1:
            print(version_text(session))
            if recorder is not None:  # the plugin list depends on the installed code alone
                recorder.kind = "about"
            return 0
        if (not args or (args[0] in _HELP_FLAGS and len(args) == 1)) and not _third_party_commands(session):
            print(help_text(session))
            if recorder is not None and args:
                recorder.kind = "about"
            return 0
        if _wants_typer(session, args):
            return run_typer(session, args)
        return run_grammar(session, args)
    except KeyboardInterrupt:
        _error_line("interrupted (Ctrl-C); nothing was left half-written")
        return 130
    except Exception as exc:  # an expected error never gets here; this is a bug report
        from cmcore.errors import CMError

        if isinstance(exc, CMError):
            _error_line(exc.message)
            return max(1, min(exc.code, 255))
        if verbose:
            import traceback

            traceback.print_exc()
        _error_line(f"internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)")
        return 1
    finally:
        set_default(None)


def version_text(session: Any) -> str:
    """``cm --version``: the core version and every installed plugin (no typer import)."""
    from cmcore import __version__
    from cmcore.plugins import plugin_rows

    lines = [f"cmcore {__version__}"]
    for row in plugin_rows(session, include_builtin=False):
        state = f"  (failed: {row['error'].splitlines()[0]})" if row["error"] else ""
        lines.append(f"  plugin {row['name']}: {row['distribution']} {row['version']}{state}")
    return "\n".join(lines)


def help_text(session: Any) -> str:
    """``cm --help`` when no plugin adds commands: the same content as the typer help, faster."""
    from cmcore.api import USAGE

    lines = [
        "Collective Mind: portable, reproducible automation for ML systems.",
        "",
        f"usage: {USAGE}",
        "  e.g. cm run script \"detect os\" -j ; cmr \"get python3\" ; cm find script --tags=get",
        "",
        "automations:",
    ]
    for spec in sorted(session.automation_specs().values(), key=lambda s: s.name):
        lines.append(f"  {spec.name:<12} {spec.summary}")
    lines += [
        "",
        "commands:",
        "  plugins      list the installed plugins (--all, --json)",
        "  new-plugin   create a plugin project from the template",
        "  gui          a local web GUI: scripts, runs, results, submissions (needs cmcore[gui])",
        "",
        "options: --version, -v (verbose, tracebacks), -p no:NAME (block a plugin), --json",
    ]
    return "\n".join(lines)


def main_run_script(argv: list[str] | None = None) -> int:
    """Entry point of ``cmr``: ``cmr ARGS`` is ``cm run script ARGS``."""
    args = list(sys.argv[1:] if argv is None else argv)
    return _ending(_main(["run", "script", *args], process=argv is None), argv is None)


def _third_party_commands(session: Any) -> bool:
    """Does a plugin other than the built-ins add management commands? (Then ``cm --help``
    needs typer to list them; otherwise the built-in list is known without it.)"""
    from cmcore.plugins import BUILTIN_PLUGINS

    return any(impl.plugin_name not in BUILTIN_PLUGINS for impl in session.pm.hook.cm_commands.get_hookimpls())


def _wants_typer(session: Any, args: list[str]) -> bool:
    if not args:
        return True
    first = args[0]
    if first in _HELP_FLAGS or first in ("--version", "-V") or first in BUILTIN_COMMANDS:
        return True
    from cmcore.api import CORE_VERBS

    if first in CORE_VERBS:
        return False
    if len(args) >= 2 and not args[1].startswith(("-", "@")):
        if session.find_automation_spec(args[1]) is not None:
            return False
    # Not CM grammar with a known automation: a plugin command, or an error the grammar reports.
    return first in plugin_command_names(session)


def plugin_command_names(session: Any) -> set[str]:
    app = build_app(session)
    return {_command_name(c) for c in app.registered_commands} | {
        g.name or "" for g in app.registered_groups
    }


def _command_name(cmd: Any) -> str:
    if cmd.name:
        return str(cmd.name)
    fn = cmd.callback
    return fn.__name__.replace("_", "-") if fn else ""


def build_app(session: Any) -> Any:
    """Build the typer app: built-in management commands plus every plugin's ``cm_commands``."""
    cached = session.cache.get("typer_app")
    if cached is not None:
        return cached
    import typer

    from cmcore.commands import register_builtin_commands
    from cmcore.plugins import BUILTIN_PLUGINS

    app = typer.Typer(
        add_completion=False,
        rich_markup_mode=None,
        help="Collective Mind: portable, reproducible automation for ML systems.\n\n"
        "CM grammar: cm ACTION AUTOMATION [ARTIFACT...] [--flags] [@input.yaml] [-- cmd]\n"
        "e.g. cm run script \"detect os\" -j ; cmr \"get python3\" ; cm find script --tags=get",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    register_builtin_commands(app, session)
    reserved = {_command_name(c) for c in app.registered_commands} | set(BUILTIN_COMMANDS)
    for impl in reversed(session.pm.hook.cm_commands.get_hookimpls()):
        before_cmds = len(app.registered_commands)
        before_groups = len(app.registered_groups)
        try:
            args = {k: v for k, v in {"app": app, "session": session}.items() if k in impl.argnames}
            impl.function(**args)
        except Exception as exc:
            session.log.warning(f"plugin {impl.plugin_name!r} failed to add commands: {exc}")
            del app.registered_commands[before_cmds:]
            del app.registered_groups[before_groups:]
            continue
        added = app.registered_commands[before_cmds:]
        builtin = impl.plugin_name in BUILTIN_PLUGINS
        for cmd in list(added):
            name = _command_name(cmd)
            if name in reserved and not (builtin and name in BUILTIN_COMMANDS):
                session.log.warning(
                    f"plugin {impl.plugin_name!r} tried to override the built-in command {name!r}; ignored"
                )
                app.registered_commands.remove(cmd)
            else:
                reserved.add(name)
    session.cache["typer_app"] = app
    return app


def run_typer(session: Any, args: list[str]) -> int:
    app = build_app(session)
    try:
        app(args=args, prog_name="cm", standalone_mode=False)
    except SystemExit as exc:  # typer/click exit
        return int(exc.code or 0)
    except Exception as exc:
        from cmcore.errors import CMError

        if isinstance(exc, CMError):
            raise
        # click usage errors carry their own message
        show = getattr(exc, "format_message", None)
        if callable(show):
            _error_line(str(show()))
            return int(getattr(exc, "exit_code", 2) or 2)
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
