"""Recording into the results store (artifacts of automation ``result``, :mod:`cmcore.results`).

Every experiment step and every explore point becomes a result artifact with a flat
``result.json``, so ``cm show results`` lists it and ``cm compare results A B`` compares it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmcore.results.store import load_result
from cmcore.results.store import record_result as store_record

RESULT_AUTOMATION = "result"


def record_result(session: Any, result: dict[str, Any], tags: list[str],
                  files: dict[str, str | Path] | None = None,
                  inputs: dict[str, Any] | None = None) -> Path:
    """Store one result with ``tags``; ``files`` maps names in the artifact to files to copy.

    Returns the result artifact's folder.
    """
    art = store_record(session, result, tags=list(tags), files=dict(files or {}), inputs=inputs)
    return Path(art.path)


def find_results(session: Any, tags: list[str]) -> list[tuple[Path, dict[str, Any]]]:
    """Result artifacts carrying all ``tags``, newest first, with their flat result."""
    found = [(Path(a.path), load_result(a)) for a in session.db.search(RESULT_AUTOMATION, None, list(tags))]
    found = [(p, r) for p, r in found if r]
    found.sort(key=lambda t: str(t[1].get("recorded_at", "")), reverse=True)
    return found
