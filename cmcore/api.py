"""``access(i)``: the one code path behind the CLI, the Python API and nested calls.

Steps: parse a string/argv into the input dict (CM grammar), handle the core verbs that
need no automation (``uid``, ``version``, ``help``), find the automation, normalise the
verb (``ls``/``list``/``find`` → ``search``, ``rm`` → ``delete``, ...), call it, and turn
:class:`CMError` into the ``{'return': code, 'error': msg}`` dict.
"""

from __future__ import annotations

from cmcore.errors import GENERIC, NOT_FOUND_AUTOMATION, CMError

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

    from cmcore.session import Session

VERB_SUBSTITUTIONS = {
    "ls": "search",
    "list": "search",
    "find": "search",
    "rm": "delete",
    "mv": "move",
    "ren": "move",
    "rename": "move",
    "cp": "copy",
}

CORE_VERBS = ("uid", "version", "help")

USAGE = "cm {action} {automation} {artifact(s)} {--flags} @input.yaml @input.json [-- cmd]"


def normalise_action(action: str, automation_obj: Any = None) -> str:
    a = action.replace("-", "_")
    a = VERB_SUBSTITUTIONS.get(a, a)
    subs = getattr(automation_obj, "action_substitutions", None) or {}
    return subs.get(a, a)


def dispatch(session: Session, i: dict | str | list) -> dict:
    try:
        return _dispatch(session, i)
    except CMError as exc:
        return exc.to_dict()


def _dispatch(session: Session, i: dict | str | list) -> dict:
    from cmcore.grammar import parse_cli

    inp: dict = parse_cli(i) if isinstance(i, (str, list)) else dict(i)
    action = inp.get("action")
    automation = inp.get("automation")
    if not action:
        if inp.get("version"):
            return _core_version(session, inp)
        raise CMError(f"no action given; usage: {USAGE}", GENERIC)
    action = str(action)
    if action in CORE_VERBS and not automation:
        return {"uid": _core_uid, "version": _core_version, "help": _core_help}[action](session, inp)
    if not automation:
        raise CMError(f'action "{action}" needs an automation; usage: {USAGE}', GENERIC)
    if isinstance(automation, dict):  # e.g. `--automation.x=1` by mistake
        raise CMError("the automation must be a name", GENERIC)
    obj = session.automation(str(automation))
    verb = normalise_action(action, obj)
    method = _find_action(obj, verb)
    if method is None:
        from cmcore.suggest import did_you_mean

        spec = session.find_automation_spec(str(automation))
        label = f"{spec.name},{spec.uid}" if spec else str(automation)
        raise CMError(
            f'action "{action}" not found in automation "{label}"{did_you_mean(verb, list_actions(obj))}',
            NOT_FOUND_AUTOMATION,
        )
    inp["action"] = verb
    r = method(inp)
    if not isinstance(r, dict) or "return" not in r:
        raise CMError(f"action {verb} returned {type(r).__name__}, not a CM return dict", GENERIC)
    return r


def list_actions(obj: Any) -> list[str]:
    """Public methods of an automation object are its verbs (CM-FORMAT §1.3)."""
    names = getattr(obj, "actions", None)
    if callable(names):
        return list(names())
    return sorted(n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n)))


def _find_action(obj: Any, verb: str) -> Any:
    if verb.startswith("_") or verb not in list_actions(obj):
        return None
    return getattr(obj, verb, None)


def _core_uid(session: Session, inp: dict) -> dict:
    from cmcore.refs import gen_uid

    uid = gen_uid()
    if inp.get("out") == "con":
        print(uid)
    return {"return": 0, "uid": uid}


def _core_version(session: Session, inp: dict) -> dict:
    from cmcore import __version__

    if inp.get("out") == "con":
        print(f"cmcore {__version__}")
    return {"return": 0, "version": __version__}


def _core_help(session: Session, inp: dict) -> dict:
    lines = [f"usage: {USAGE}", "", "automations:"]
    for spec in sorted(session.automation_specs().values(), key=lambda s: s.name):
        lines.append(f"  {spec.name:<12} {spec.summary}")
    text = "\n".join(lines)
    if inp.get("out") == "con":
        print(text)
    return {"return": 0, "help": text}
