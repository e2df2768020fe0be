"""The per-workflow run context: the cycle guard stack and remembered selections.

A top-level ``run`` opens a context; nested runs (deps, and ``customize.py`` calling
``cmind.access``) reach the same one through a context variable, since they run in the
same thread through ``session.access``. Nothing global outlives the top-level run.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from cmcore.errors import GENERIC, CMError
from cmcore.records import field, record


@record(frozen=True)
class Frame:
    """One active script run: what makes two runs "the same" for the cycle guard."""

    uid: str
    alias: str
    variations: tuple[str, ...]
    version: str

    def label(self) -> str:
        v = "".join(f" _{x}" for x in self.variations)
        ver = f" (version {self.version})" if self.version else ""
        return f"{self.alias}{v}{ver}"


@record
class RunContext:
    stack: list[Frame] = field(default_factory=list)
    selections: dict[str, str] = field(default_factory=dict)  # tag query -> chosen script path
    version_info: list[dict] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.stack)

    def push(self, frame: Frame) -> None:
        """Enter a run; a frame equal to an active one is a true cycle (error naming the chain)."""
        for idx, f in enumerate(self.stack):
            if f == frame:
                chain = [x.label() for x in self.stack[idx:]] + [frame.label()]
                raise CMError("dependency cycle: " + " -> ".join(chain), GENERIC)
        self.stack.append(frame)

    def pop(self, frame: Frame) -> None:
        if self.stack and self.stack[-1] == frame:
            self.stack.pop()
        elif frame in self.stack:  # defensive: never leave a stale frame behind
            self.stack.remove(frame)


_CTX: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("cm_run_context", default=None)


@contextmanager
def run_context() -> Iterator[RunContext]:
    """The active context, or a new one for the duration of a top-level run."""
    cur = _CTX.get()
    if cur is not None:
        yield cur
        return
    ctx = RunContext()
    token = _CTX.set(ctx)
    try:
        yield ctx
    finally:
        _CTX.reset(token)


def current() -> RunContext | None:
    return _CTX.get()
