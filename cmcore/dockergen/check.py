"""A syntax check for generated Dockerfiles (no Docker engine needed).

Checks: every instruction is a known Dockerfile instruction; the first instruction is FROM
(only ARG may come before it); a continuation backslash is not the last thing in the file;
exec-form (JSON array) ``CMD``/``ENTRYPOINT``/``RUN`` arguments are valid JSON arrays of strings;
``ENV`` has ``KEY=VALUE`` pairs (or the legacy ``KEY VALUE``).
"""

from __future__ import annotations

import json
import re

INSTRUCTIONS = frozenset({"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                          "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"})
_ENV_PAIR = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*=("([^"\\]|\\.)*"|\S*)$')


def logical_lines(text: str) -> list[tuple[int, str]]:
    """``(first line number, joined instruction)``; comments and blank lines dropped."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            continue  # comment lines inside a continuation are skipped by Docker
        if not buf:
            start = n
        if line.endswith("\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        out.append((start, " ".join(x.strip() for x in buf)))
        buf = []
    if buf:
        out.append((start, "\\CONTINUATION-AT-EOF"))
    return out


def check_dockerfile(text: str) -> list[str]:
    """Problems, one line each (``line N: ...``); an empty list means the file is well-formed."""
    problems: list[str] = []
    seen_from = False
    for n, line in logical_lines(text):
        if line == "\\CONTINUATION-AT-EOF":
            problems.append(f"line {n}: a continuation backslash ends the file")
            continue
        word, _, args = line.partition(" ")
        ins = word.upper()
        if ins not in INSTRUCTIONS:
            problems.append(f"line {n}: unknown instruction {word!r}")
            continue
        if not seen_from and ins not in ("FROM", "ARG"):
            problems.append(f"line {n}: {ins} before FROM (only ARG may precede FROM)")
        seen_from = seen_from or ins == "FROM"
        args = args.strip()
        if not args:
            problems.append(f"line {n}: {ins} has no arguments")
            continue
        if ins in ("CMD", "ENTRYPOINT", "RUN", "SHELL") and args.startswith("["):
            try:
                arr = json.loads(args)
            except ValueError:
                problems.append(f"line {n}: {ins} exec form is not a valid JSON array")
                continue
            if not isinstance(arr, list) or not all(isinstance(x, str) for x in arr):
                problems.append(f"line {n}: {ins} exec form must be an array of strings")
        if ins == "ENV" and "=" in args.split(" ", 1)[0]:
            for pair in _env_pairs(args):
                if not _ENV_PAIR.match(pair):
                    problems.append(f"line {n}: ENV pair {pair!r} is not KEY=VALUE")
    if not seen_from:
        problems.append("line 1: no FROM instruction")
    return problems


def _env_pairs(args: str) -> list[str]:
    pairs, cur, quote = [], "", False
    for ch in args:
        if ch == '"':
            quote = not quote
        if ch == " " and not quote:
            if cur:
                pairs.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        pairs.append(cur)
    return pairs
