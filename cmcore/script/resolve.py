"""Finding the script of a query (CM-FORMAT §3.3): tags, then variations, then one choice.

The search uses the script tags only; candidates that do not define every requested
variation are dropped; the rest are sorted by meta ``sort``, repo priority (higher first),
then path. Several left: a choice remembered in this workflow, else a prompt on a TTY
(never with ``--quiet``/``CM_QUIET`` or when stdin is not a TTY), else the first, with one
notice line on stderr.
"""

from __future__ import annotations

import sys

from cmcore.errors import GENERIC, NOT_FOUND, CMError
from cmcore.script import variations as V
from cmcore.script.context import RunContext
from cmcore.script.tagquery import ScriptQuery

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


def sort_key(a: Any) -> tuple:
    """(meta ``sort``, higher repo priority first, path). ``sort`` comes from the index, so
    ordering candidates never parses their metas."""
    raw = getattr(a, "sort", None)
    if raw is None:
        raw = (a.meta or {}).get("sort")
    try:
        s = int(raw or 0)
    except (TypeError, ValueError):
        s = 0
    prio = int(getattr(getattr(a, "repo", None), "priority", 0) or 0)
    return (s, -prio, str(a.path))


def search(session: Any, query: ScriptQuery) -> list[Any]:
    """Scripts matching the query's reference and script tags (variations ignored), sorted."""
    tags = list(query.tags) if query.tags else None
    found = session.db.search("script", query.ref or None, tags)
    return sorted(found, key=sort_key)


def _no_script_error(session: Any, query: ScriptQuery) -> CMError:
    words: set[str] = set()
    try:
        for a in session.db.search("script"):
            words.update(str(t) for t in a.tags or [])
            if a.alias:
                words.add(a.alias)
    except CMError:
        pass
    asked = [t for t in query.tags if not t.startswith("-")]
    if query.ref:
        asked.append(query.ref)
    hints: list[str] = []
    for t in asked:
        if t not in words:
            from cmcore.suggest import close_matches

            hints.extend(m for m in close_matches(t, words) if m not in hints)
    hint = ("; did you mean " + " or ".join(f'"{h}"' for h in hints[:3]) + "?") if hints else ""
    what = []
    if query.ref:
        what.append(f'name "{query.ref}"')
    if query.tags:
        what.append("tags " + ",".join(query.tags))
    return CMError(f"no scripts were found with {' and '.join(what) or 'no tags'} (variations ignored){hint}",
                   GENERIC)


def _choose(session: Any, cands: list[Any], key: str, quiet: bool, ctx: RunContext) -> Any:
    remembered = ctx.selections.get(key)
    if remembered:
        for c in cands:
            if str(c.path) == remembered:
                return c
    chosen = cands[0]
    names = ", ".join(f"{c.alias or c.uid} ({c.path})" for c in cands)
    interactive = not quiet and sys.stdin is not None and sys.stdin.isatty()
    if interactive:
        rec = getattr(session, "replay", None)
        if rec is not None:  # the answer to a prompt is not in the record
            rec.refuse("a prompt")
        sys.stderr.write(f"More than one script matches {key}:\n")
        for n, c in enumerate(cands):
            sys.stderr.write(f"  {n}) {c.alias or c.uid}: {c.path}\n")
        sys.stderr.write("Choose one, or press Enter for 0: ")
        sys.stderr.flush()
        try:
            answer = sys.stdin.readline()
        except EOFError:  # pragma: no cover - readline returns '' on EOF
            answer = ""
        answer = answer.strip()
        if answer:
            if not answer.isdigit() or int(answer) >= len(cands):
                raise CMError(f'invalid choice "{answer}" (0..{len(cands) - 1})', GENERIC)
            chosen = cands[int(answer)]
    else:
        session.log.info(f"several scripts match {key}: {names}; using {chosen.alias or chosen.uid}")
    ctx.selections[key] = str(chosen.path)
    return chosen


def find_script(session: Any, query: ScriptQuery, *, quiet: bool, ctx: RunContext,
                remember: bool = True) -> Any:
    """The one script artifact for the query, or CMError 1 (no script) / 16 (no such variation)."""
    if not query.ref and not query.tags:
        raise CMError("which script? give tags (--tags=a,b or \"a b\") or a name", GENERIC)
    cands = search(session, query)
    if not cands:
        raise _no_script_error(session, query)
    if query.ref and not query.tags and "*" not in query.ref and "?" not in query.ref and len(cands) > 1:
        paths = ", ".join(str(c.path) for c in cands)
        raise CMError(f'script "{query.ref}" is defined more than once (duplicated uid or alias): {paths}', GENERIC)
    wanted = query.variations + query.excluded
    ok = [c for c in cands if not V.unknown((c.meta or {}).get("variations") or {}, wanted)]
    if not ok:
        first = cands[0]
        bad = V.unknown((first.meta or {}).get("variations") or {}, wanted)
        err = V.unknown_error((first.meta or {}).get("variations") or {}, bad, first.alias or first.uid or "?")
        if len(cands) > 1:
            err = CMError(err.message + f" (and {len(cands) - 1} other matching scripts lack it too)", NOT_FOUND)
        raise err
    if len(ok) == 1:
        return ok[0]
    key = ",".join(query.tags + [f"_{v}" for v in query.variations] + [f"-_{v}" for v in query.excluded])
    if query.ref:
        key = f"{query.ref}:{key}" if key else query.ref
    if not remember:
        ctx = RunContext()
    return _choose(session, ok, key, quiet, ctx)
