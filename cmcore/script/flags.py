"""Run flags (CM-FORMAT §3.13) parsed once, with real boolean parsing.

CM uses Python truthiness for most flags, so ``--quiet=no`` *is* quiet and ``--new=false``
*is* new (flaw 4). Here every boolean flag goes through :func:`is_true`: ``no``, ``off``,
``false``, ``0`` and the empty string are false.
"""

from __future__ import annotations

from cmcore.records import field, record

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

_FALSE = frozenset({"", "no", "off", "false", "0", "n", "none"})
_TRUE = frozenset({"yes", "on", "true", "1", "y"})


def is_true(value: Any) -> bool:
    """``True``/``'yes'``/``'on'``/``'true'``/``'1'`` (any case) and other non-false strings are true."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    return bool(value)


def is_false_word(value: Any) -> bool:
    """True for the words CM conditions treat as "off": no/off/false/0 and the empty string."""
    return str(value).strip().lower() in ("no", "off", "false", "0", "")


def is_true_word(value: Any) -> bool:
    return str(value).strip().lower() in _TRUE


def _flag(i: dict, *names: str) -> bool:
    return any(is_true(i.get(n)) for n in names)


@record
class RunFlags:
    """The switches of one ``run`` call, parsed from its input dict."""

    quiet: bool = False
    verbose: bool = False
    silent: bool = False
    json: bool = False
    print_deps: bool = False
    print_env: bool = False
    fake_run: bool = False
    fake_deps: bool = False
    save_env: bool = False
    shell: bool = False
    dirty: bool = False
    time: bool = False
    ignore_script_error: bool = False
    new: bool = False
    renew: bool = False
    skip_cache: bool = False
    force_cache: bool = False
    only_execute_from_cache: bool = False
    dry_run: bool = False
    help: bool = False
    recursion: bool = False
    skip_remembered_selections: bool = False
    print_versions: bool = False
    print_readme: bool = False
    repro: bool = False
    dump_version_info: bool = False
    space: bool = False
    pause: bool = False
    force_new_env_keys: list[str] = field(default_factory=list)

    @classmethod
    def from_input(cls, i: dict, env: dict | None = None, prefix: str = "CM_") -> RunFlags:
        """Parse the flags of a run input; ``env`` supplies ``<PREFIX>QUIET``-style switches."""
        env = env or {}
        fnek = i.get("force_new_env_keys") or []
        if isinstance(fnek, str):
            fnek = [k.strip() for k in fnek.split(",") if k.strip()]
        return cls(
            quiet=_flag(i, "quiet") or is_true(env.get(f"{prefix}QUIET")),
            verbose=_flag(i, "v", "verbose"),
            silent=_flag(i, "s", "silent"),
            json=_flag(i, "j", "json"),
            print_deps=_flag(i, "print_deps"),
            print_env=_flag(i, "print_env"),
            fake_run=_flag(i, "fake_run", "prepare"),
            fake_deps=_flag(i, "fake_deps"),
            save_env=_flag(i, "save_env"),
            shell=_flag(i, "shell"),
            dirty=_flag(i, "dirty"),
            time=_flag(i, "time"),
            ignore_script_error=_flag(i, "ignore_script_error"),
            new=_flag(i, "new"),
            renew=_flag(i, "renew"),
            skip_cache=_flag(i, "skip_cache"),
            force_cache=_flag(i, "force_cache"),
            only_execute_from_cache=_flag(i, "only_execute_from_cache"),
            dry_run=_flag(i, "dry_run"),
            help=_flag(i, "help", "h"),
            recursion=_flag(i, "recursion"),
            skip_remembered_selections=_flag(i, "skip_remembered_selections"),
            print_versions=_flag(i, "print_versions"),
            print_readme=_flag(i, "print_readme"),
            repro=_flag(i, "repro"),
            dump_version_info=_flag(i, "dump_version_info"),
            space=_flag(i, "space"),
            pause=_flag(i, "pause"),
            force_new_env_keys=list(fnek),
        )
