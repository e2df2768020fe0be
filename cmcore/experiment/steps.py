"""The pieces of one experiment run: the grid, the command, one step, the flattened outputs.

Everything here is a plain function of its arguments (no session), so a step can be shipped
to another process or machine by an executor (:func:`run_step` is what ``map`` calls).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from cmcore.errors import MALFORMED, CMError
from cmcore.experiment.safeexpr import explore_values

#: ``{{VAR}}`` and the inline dimension form ``{{VAR{expression}}}``
_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*?)\})?\s*\}\}")
#: files a step may write its results to: the one CM's docs name first, then what CM's code read
OUTPUT_FILES = ("cm-result.json", "cm-output.json")
LOG_TAIL = 4000


def build_command(unparsed: list[str] | str | None) -> str:
    """The shell command from the words after ``--``; a word with spaces is quoted again.

    Shell operators given as separate words (``>``, ``|``, ``&&``) stay operators.
    """
    if not unparsed:
        raise CMError("no command to run: give it after '--' (cm run experiment ... -- CMD {{VAR}})", MALFORMED)
    if isinstance(unparsed, str):
        return unparsed
    return " ".join(shlex.quote(w) if (not w or any(c.isspace() for c in w)) else w for w in unparsed)


def inline_dimensions(cmd: str) -> tuple[str, dict[str, str]]:
    """Take ``{{VAR{expr}}}`` out of the command: ``({{VAR}} left in place, {VAR: expr})``."""
    found: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        if m.group(2) is not None:
            found[m.group(1)] = m.group(2)
        return "{{" + m.group(1) + "}}"

    return _VAR.sub(repl, cmd), found


def grid(explore: dict[str, Any]) -> list[dict[str, Any]]:
    """The Cartesian product of the explore dimensions, in insertion order (first varies slowest)."""
    if not isinstance(explore, dict):
        raise CMError("explore must be a mapping VAR -> list or expression", MALFORMED)
    names = list(explore)
    for n in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(n)):
            raise CMError(f"explore variable {n!r} is not a valid name (letters, digits, _)", MALFORMED)
    values = [explore_values(n, explore[n]) for n in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def substitute(cmd: str, variables: dict[str, str]) -> str:
    """Replace every ``{{VAR}}``; an unknown variable is an error naming it and what is known."""
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in variables:
            missing.append(name)
            return m.group(0)
        return str(variables[name])

    out = _VAR.sub(repl, cmd)
    if missing:
        raise CMError(f"unknown variable {{{{{missing[0]}}}}} in the command; known: "
                      f"{', '.join(sorted(variables)) or 'none'}", MALFORMED)
    return out


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{'a': {'b': 1}, 'c': [2]}`` -> ``{'a.b': 1, 'c.0': 2}``; a fresh dict on every call."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = ((str(k), v) for k, v in enumerate(data))
    else:
        return {prefix or "value": data}
    for k, v in items:
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, (dict, list)) and v:
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


def _shell() -> list[str]:
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        return ["cmd", "/c"]
    return [shutil.which("bash") or "/bin/sh", "-c"]


def run_step(task: dict[str, Any]) -> dict[str, Any]:
    """Run one step; what the executor ships to a worker and what comes back to the driver.

    ``task``: ``cmd`` (the substituted shell command), ``cwd`` (the step folder; created if
    missing, e.g. on another machine), ``env`` (variables added to the worker's environment),
    ``timeout`` (seconds or None). Returns the real exit code (``-N`` for signal N, never a
    wait status), the output tail, the parsed result file and timings. Never raises for a
    failing command: a failure is data the driver records.
    """
    cwd = Path(task["cwd"])
    cwd.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in (task.get("env") or {}).items()})
    start = time.time()
    error = ""
    try:
        p = subprocess.run([*_shell(), task["cmd"]], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=task.get("timeout"), stdin=subprocess.DEVNULL)
        code, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as exc:
        code, error = 124, f"timed out after {task.get('timeout')} s"
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    except OSError as exc:
        code, out, err, error = 127, "", "", f"cannot start the command: {exc}"
    duration = time.time() - start
    (cwd / "cm-step.log").write_text(out + ("\n--- stderr ---\n" + err if err else ""))
    output, output_file = None, ""
    for name in OUTPUT_FILES:
        f = cwd / name
        if f.is_file():
            output_file = name
            try:
                output = json.loads(f.read_text())
            except (OSError, ValueError) as exc:
                error = error or f"{name} is not valid JSON: {exc}"
            break
    return {"returncode": code, "stdout_tail": out[-LOG_TAIL:], "stderr_tail": err[-LOG_TAIL:],
            "output": output, "output_file": output_file, "duration_s": round(duration, 6),
            "host": socket.gethostname(), "error": error}
