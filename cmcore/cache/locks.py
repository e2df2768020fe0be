"""Per-key and per-folder locks for the cache, with a same-thread cycle check.

``flock`` locks belong to open file descriptions, so a thread that asks again for a key it
already holds would wait for itself forever. A dependency cycle (script A needs B needs A
with the same key) does exactly that; we detect it and raise instead. Other threads and
other processes simply wait their turn.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

from cmcore.errors import GENERIC, CMError
from cmcore.fsutil import FileLock

_local = threading.local()


def _stack() -> list[tuple[str, str]]:
    """(lock path, label) pairs held by this thread, outermost first."""
    st = getattr(_local, "stack", None)
    if st is None:
        st = _local.stack = []
    return st


class KeyLock:
    """Exclusive lock on ``path`` for the duration of a ``with`` block.

    ``label`` names what is locked in messages (the cycle error, the waiting notice).
    ``on_wait`` is called once, before blocking, if another holder has the lock.
    """

    def __init__(self, path: Path, label: str, timeout: float | None = None, on_wait=None) -> None:
        self.path = path
        self.label = label
        self.timeout = timeout
        self.on_wait = on_wait
        self._lock = FileLock(path, timeout=timeout)

    def __enter__(self) -> KeyLock:
        key = os.fspath(self.path)
        stack = _stack()
        if any(p == key for p, _ in stack):
            chain = [lbl for _, lbl in stack]
            start = next(i for i, (p, _) in enumerate(stack) if p == key)
            cycle = " -> ".join([*chain[start:], self.label])
            raise CMError(f"dependency cycle: {cycle} (this run already holds that cache entry)", GENERIC)
        if not self._lock.acquire(blocking=False):
            if self.on_wait is not None:
                self.on_wait()
            self._lock.acquire(blocking=True)
        stack.append((key, self.label))
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack = _stack()
        key = os.fspath(self.path)
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] == key:
                del stack[i]
                break
        self._lock.release()


def try_lock(path: Path) -> FileLock | None:
    """Take ``path`` without waiting; None if someone (a live process) holds it."""
    lock = FileLock(path, timeout=0)
    return lock if lock.acquire(blocking=False) else None
