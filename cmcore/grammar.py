"""The CM command-line grammar (CM-FORMAT §2.1), without typer or argparse.

``parse_cli(['run', 'script', '--tags=get,python', '--env.X=1', '--', 'a'])`` gives
``{'action': 'run', 'automation': 'script', 'tags': 'get,python', 'env': {'X': '1'},
'unparsed_cmd': ['a'], 'cmd': [...]}``. Values stay strings; ``--flag`` is True,
``--flag-`` is False, ``--k,=a,b`` is a list, ``--a.b.c=v`` nests, ``@file.json|yaml`` is
shallow-merged where it appears.
"""

from __future__ import annotations

from cmcore.errors import MALFORMED, CMError

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def split_cmd(cmd: str | list[str]) -> list[str]:
    if isinstance(cmd, str):
        import shlex

        try:
            return shlex.split(cmd)
        except ValueError as exc:
            raise CMError(f"cannot split the command line: {exc}", MALFORMED) from exc
    return list(cmd)


def _set_flag(out: dict, key: str, value: Any) -> None:
    if "." in key:
        parts = key.split(".")
        head = parts[0].replace("-", "_")
        if not head or any(p == "" for p in parts[1:]):
            raise CMError(f"malformed flag --{key}", MALFORMED)
        node = out.setdefault(head, {})
        if not isinstance(node, dict):
            node = out[head] = {}
        for p in parts[1:-1]:
            nxt = node.setdefault(p, {})
            if not isinstance(nxt, dict):
                nxt = node[p] = {}
            node = nxt
        node[parts[-1]] = value
    else:
        out[key.replace("-", "_")] = value


def _load_input_file(path: str) -> dict:
    from pathlib import Path  # here: the find template (cmcore.replay) parses without pathlib

    from cmcore.metaio import load_data_file

    p = Path(path)
    if p.suffix.lower() not in (".json", ".yaml", ".yml"):
        raise CMError(f"input file @{path} must end with .json or .yaml", MALFORMED)
    data = load_data_file(p)
    if not isinstance(data, dict):
        raise CMError(f"input file @{path} must hold a mapping", MALFORMED)
    return data


def parse_cli(cmd: str | list[str]) -> dict:
    """Parse a CM command line (list or string) into the CM input dict."""
    argv = split_cmd(cmd)
    out: dict[str, Any] = {}
    idx = 0
    for key in ("action", "automation"):
        if idx < len(argv) and argv[idx] and not argv[idx].startswith(("-", "@")):
            out[key] = argv[idx]
            idx += 1
        else:
            break
    positionals: list[str] = []
    while idx < len(argv):
        a = argv[idx]
        idx += 1
        if a == "--":
            out["unparsed_cmd"] = argv[idx:]
            break
        if a.startswith("@") and len(a) > 1:
            out.update(_load_input_file(a[1:]))
            continue
        if not a.startswith("-") or a == "-":
            positionals.append(a)
            continue
        body = a[2:] if a.startswith("--") else a[1:]
        if "=" in body:
            key, value = body.split("=", 1)
            value_any: Any = value.strip()
            if key.endswith(","):
                key = key[:-1]
                value_any = [v.strip() for v in value.split(",")] if value.strip() else []
        else:
            key = body
            value_any = True
            if key.endswith("-") and len(key) > 1:
                key = key[:-1]
                value_any = False
        if not key:
            raise CMError(f"malformed flag {a!r}", MALFORMED)
        _set_flag(out, key, value_any)
    if positionals:
        out["artifact"] = positionals[0]
        if len(positionals) > 1:
            out["artifacts"] = positionals[1:]
    out["cmd"] = argv
    return out
