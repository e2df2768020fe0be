"""Background jobs of the GUI: CM commands run as subprocesses, followed by polling.

A job is a list of ``cm`` argument lists run one after the other (a submission is
"generate, then check"); it stops at the first that fails. Output goes to a log file
under ``<CM home>/gui/jobs/<id>/log.txt``, which the page polls.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shlex
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_RESULT_UID = re.compile(r"CM_MLPERF_RESULT_UID=([0-9a-f]{16})")


def display(args: list[str]) -> str:
    """How a person would type the command (``cmr`` for script runs)."""
    if args[:2] == ["run", "script"]:
        return "cmr " + " ".join(shlex.quote(a) for a in args[2:])
    return "cm " + " ".join(shlex.quote(a) for a in args)


@dataclass
class Job:
    """One background run; ``steps`` are ``cm`` argument lists."""

    id: str
    title: str
    steps: list[list[str]]
    log_path: Path
    status: str = "queued"  # queued, running, succeeded, failed, cancelled
    returncode: int | None = None
    step: int = 0
    started_at: str = ""
    ended_at: str = ""
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def to_dict(self, tail: int = 60) -> dict[str, Any]:
        text = self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""
        lines = text.splitlines()
        m = _RESULT_UID.findall(text)
        return {"id": self.id, "title": self.title, "status": self.status, "returncode": self.returncode,
                "commands": [display(s) for s in self.steps], "step": self.step, "started_at": self.started_at,
                "ended_at": self.ended_at, "log_tail": lines[-tail:], "log_lines": len(lines),
                "result_uid": m[-1] if m else ""}


def _now() -> str:
    return _dt.datetime.now().isoformat(timespec="seconds")


class JobManager:
    """Starts jobs in threads (each waits on its subprocess) and answers status queries."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = Path(home)
        self.env = dict(os.environ if env is None else env)
        self.env["CM_HOME"] = str(self.home)
        self.env["PYTHONUNBUFFERED"] = "1"
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, title: str, steps: list[list[str]]) -> Job:
        """Start a job now; returns at once."""
        jid = uuid.uuid4().hex[:12]
        folder = self.home / "gui" / "jobs" / jid
        folder.mkdir(parents=True, exist_ok=True)
        job = Job(jid, title, steps, folder / "log.txt")
        with self._lock:
            self.jobs[jid] = job
        threading.Thread(target=self._run, args=(job,), daemon=True, name=f"cm-gui-job-{jid}").start()
        return job

    def _run(self, job: Job) -> None:
        job.status, job.started_at = "running", _now()
        with job.log_path.open("a", encoding="utf-8") as log:
            for n, args in enumerate(job.steps):
                job.step = n
                log.write(f"$ {display(args)}\n")
                log.flush()
                try:
                    job.proc = subprocess.Popen([sys.executable, "-m", "cmcore.cli", *args], stdout=log,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env,
                                                cwd=str(job.log_path.parent))
                    rc = job.proc.wait()
                except OSError as exc:
                    log.write(f"cannot start: {exc}\n")
                    rc = 1
                job.returncode = rc
                if rc != 0 or job.status == "cancelled":
                    break
        if job.status != "cancelled":
            job.status = "succeeded" if job.returncode == 0 else "failed"
        job.ended_at = _now()

    def get(self, jid: str) -> Job | None:
        return self.jobs.get(jid)

    def cancel(self, jid: str) -> bool:
        """Stop a running job (its current subprocess gets SIGTERM)."""
        job = self.jobs.get(jid)
        if job is None or job.status not in ("queued", "running"):
            return False
        job.status = "cancelled"
        if job.proc is not None and job.proc.poll() is None:
            job.proc.terminate()
        return True

    def list(self) -> list[dict[str, Any]]:
        return [j.to_dict(tail=3) for j in sorted(self.jobs.values(), key=lambda j: j.started_at, reverse=True)]
