"""Minimal logging to stderr (stdout is reserved for machine-readable output)."""

from __future__ import annotations

import sys

QUIET, INFO, DEBUG = 0, 1, 2


class Logger:
    """Writes human-facing messages to stderr at a chosen verbosity."""

    def __init__(self, level: int = INFO, stream=None) -> None:
        self.level = level
        self._stream = stream

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stderr

    def info(self, msg: str) -> None:
        if self.level >= INFO:
            print(msg, file=self.stream, flush=True)

    def debug(self, msg: str) -> None:
        if self.level >= DEBUG:
            print(msg, file=self.stream, flush=True)

    def warning(self, msg: str) -> None:
        print(f"cm warning: {msg}", file=self.stream, flush=True)
