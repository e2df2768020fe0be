"""Did-you-mean hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    return difflib.get_close_matches(word, sorted(set(candidates)), n=n, cutoff=cutoff)


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """``'; did you mean "run"?'`` or ``''``."""
    m = close_matches(word, candidates, n=n)
    if not m:
        return ""
    return "; did you mean " + " or ".join(f'"{x}"' for x in m) + "?"
