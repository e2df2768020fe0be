"""File locks and small filesystem helpers shared by the index, the cache and the repos list."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType

from cmcore.errors import CMError


class FileLock:
    """An exclusive inter-process lock on a lock file (``fcntl.flock``; ``msvcrt`` on Windows).

    The OS releases it when the holder dies, so a killed process never leaves a stale lock.
    """

    def __init__(self, path: str | os.PathLike, timeout: float | None = 600.0, shared: bool = False) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.shared = shared
        self._fd: int | None = None

    def acquire(self, blocking: bool = True) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(self.path), os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        delay = 0.005
        while True:
            if _try_lock(fd, self.shared):
                self._fd = fd
                return True
            if not blocking:
                os.close(fd)
                return False
            if deadline is not None and time.monotonic() > deadline:
                os.close(fd)
                raise CMError(f"timed out after {self.timeout:.0f} s waiting for the lock {self.path}", 1)
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def release(self) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None

    @property
    def locked(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int, shared: bool) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import fcntl

    def _try_lock(fd: int, shared: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
