"""Did-you-mean hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: Above this many candidates, only those sharing the word's first character are compared
#: (a typo rarely hits the first letter); this keeps a miss on 10,000 tags cheap.
LARGE = 1000


def close_matches(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` candidates similar to ``word`` (difflib ratio >= ``cutoff``), best first."""
    pool = set(candidates)
    if len(pool) > LARGE and word:
        first = word[0].lower()
        near = {c for c in pool if c[:1].lower() == first}
        if near:
            found = difflib.get_close_matches(word, sorted(near), n=n, cutoff=cutoff)
            if found:
                return found
        pool = {c for c in pool if abs(len(c) - len(word)) <= max(2, len(word) // 3)}
    return difflib.get_close_matches(word, sorted(pool), n=n, cutoff=cutoff)


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """``'; did you mean "run"?'`` or ``''``."""
    m = close_matches(word, candidates, n=n)
    if not m:
        return ""
    return "; did you mean " + " or ".join(f'"{x}"' for x in m) + "?"
