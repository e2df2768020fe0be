"""Version comparison for cache filters: pads with zeros and never raises on mixed parts."""

from __future__ import annotations

import re

_PART = re.compile(r"^(\d*)(.*)$")


def _part_key(part: str) -> tuple[int, int, int, str]:
    """Numeric parts compare as ints; a suffix (``0rc1``) sorts before the bare number,
    except ``post`` suffixes, which sort after; a purely textual part sorts before numbers."""
    m = _PART.match(part)
    digits, rest = (m.group(1), m.group(2)) if m else ("", part)
    if not digits:
        # "post1" in "1.0.1.post1" is a post-release: after the padded zero; "rc1" before it.
        return (1, 0, 2, part) if part.lower().startswith("post") else (0, 0, 0, part)
    if not rest:
        return (1, int(digits), 1, "")
    return (1, int(digits), 2 if rest.lower().startswith(("post", ".post")) else 0, rest)


def version_key(version: str) -> list[tuple[int, int, int, str]]:
    """A sortable key; a local label after ``+`` (``2.1.0+cu121``) is ignored."""
    v = str(version).strip().split("+", 1)[0]
    return [_part_key(p) for p in v.split(".")] if v else []


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1, like CM's ``compare_versions`` (``3.9 == 3.9.0``), but total."""
    ka, kb = version_key(a), version_key(b)
    pad = (1, 0, 1, "")
    n = max(len(ka), len(kb))
    ka += [pad] * (n - len(ka))
    kb += [pad] * (n - len(kb))
    return (ka > kb) - (ka < kb)


def version_in_range(version: str, version_min: str = "", version_max: str = "") -> bool:
    """True if ``version`` is within the inclusive bounds; with a bound, an unknown version fails."""
    if not version_min and not version_max:
        return True
    if not version:
        return False
    if version_min and compare_versions(version, version_min) < 0:
        return False
    return not (version_max and compare_versions(version, version_max) > 0)
