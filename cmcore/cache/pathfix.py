"""Rewrite cache paths recorded under another CM home (CM-FORMAT §3.12 "Reuse").

An entry copied from another machine, or mounted into a container, records absolute paths
such as ``/home/alice/CM/repos/local/cache/1a2b.../bin``. On reuse they are rewritten to
this home's ``<home>/repos/local/cache/...``. Paths inside a value (``PATH`` lists,
``-I/...`` flags, ``--prefix=/...``) are fixed too.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

# A path starts at the beginning of the value or after a separator (space, ':', ';', quote,
# '=', ','), optionally after a compiler-style flag (-I, -L), and contains "/local/cache/".
# Group 1 is the flag, group 2 the root before "/local/cache/".
_CACHE_PATH = re.compile(r"""(?<![^\s:;"'=,])(-[A-Za-z])?(/[^\s:;"'=,]*?)/local/cache/""")


def fix_text(text: str, repos_root: str) -> str:
    """Rewrite every ``<other repos root>/local/cache/`` in ``text`` to ``<repos_root>/local/cache/``."""
    if "/local/cache/" not in text:
        return text
    root = repos_root.rstrip("/")

    def repl(m: re.Match[str]) -> str:
        return m.group(0) if m.group(2) == root else f"{m.group(1) or ''}{root}/local/cache/"

    return _CACHE_PATH.sub(repl, text)


def fix_value(value: Any, repos_root: str) -> Any:
    """Fix a string, or the strings inside a list; other values pass through unchanged."""
    if isinstance(value, str):
        return fix_text(value, repos_root)
    if isinstance(value, list):
        return [fix_text(v, repos_root) if isinstance(v, str) else v for v in value]
    return value


def fix_env(env: dict[str, Any], repos_root: str) -> dict[str, Any]:
    """A copy of ``env`` with every cache path pointing into this home."""
    return {k: fix_value(v, repos_root) for k, v in env.items()}
