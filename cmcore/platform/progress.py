"""Progress for sweeps: a redrawn bar on a terminal, one plain line per item otherwise.

Everything goes to stderr, so ``--json`` output on stdout stays clean, and a log file or
CI console gets one readable line per finished point instead of carriage-return noise.
"""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    """``with Progress(n, "explore") as p: ... p.done("point 1", "ok")``."""

    def __init__(self, total: int, label: str = "", stream: IO[str] | None = None,
                 tty: bool | None = None, width: int = 24) -> None:
        self.total = max(0, int(total))
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self._isatty() if tty is None else tty
        self.width = width
        self.count = 0
        self.start = time.monotonic()

    def _isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def __enter__(self) -> Progress:
        if self.tty:
            self._draw("")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _bar(self) -> str:
        frac = self.count / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        return "[" + "#" * filled + "." * (self.width - filled) + "]"

    def _draw(self, what: str) -> None:
        elapsed = time.monotonic() - self.start
        line = f"\r{self.label} {self._bar()} {self.count}/{self.total} {elapsed:5.0f}s {what}"
        self.stream.write(line[:160].ljust(80))
        self.stream.flush()

    def done(self, what: str, status: str = "ok") -> None:
        """One item finished: redraw the bar (TTY) or print ``label i/n what: status``."""
        self.count += 1
        if self.tty:
            self._draw(f"{what}: {status}")
        else:
            self.stream.write(f"{self.label} {self.count}/{self.total} {what}: {status}\n")
            self.stream.flush()
