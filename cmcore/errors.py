"""One exception type for every expected failure, carrying a CM return code.

Actions raise :class:`CMError`; the API boundary (``access``) turns it into the
``{'return': code, 'error': message}`` dict of CM-FORMAT §2.2, and the CLI into one
line on stderr plus the exit code.
"""

from __future__ import annotations

# Return codes used by CM in practice (CM-FORMAT §2.2).
OK = 0
GENERIC = 1
SCRIPT_FAILED = 2
AMBIGUOUS = 2
AUTOMATION_NOT_IN_REPO = 3
NOT_FOUND_AUTOMATION = 4
MALFORMED = 4
EXISTS = 8
NOT_FOUND = 16
INTERRUPTED = 130


class CMError(Exception):
    """An expected failure: a message for a person and a CM return code."""

    def __init__(self, message: str, code: int = GENERIC, **extra: object) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra

    def to_dict(self) -> dict:
        out: dict = {"return": self.code, "error": self.message}
        out.update(self.extra)
        return out

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


def check(r: dict) -> dict:
    """Raise :class:`CMError` if a CM return dict carries an error; else return it."""
    if r.get("return", 0):
        raise CMError(str(r.get("error", "unknown error")), int(r["return"]))
    return r
