"""A real Ray cluster on 127.0.0.1 for the tests: a `ray start --head` process, stopped by PID."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmcore.testing import cm_cli, cm_home, cm_session  # noqa: F401  (fixtures)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pids_using(marker: str) -> list[int]:
    """PIDs of processes whose command line mentions ``marker`` (our cluster's temp dir)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            if marker in (d / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(d.name))
        except OSError:
            continue
    return pids


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """Start a head node (2 CPUs, no dashboard) in a short temp dir; yield its address."""
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        pytest.skip("ray is not installed (pip install -e plugins/cm-executor-ray)")
    tmp = tempfile.mkdtemp(prefix="cmray")  # short: Ray's unix socket paths must stay under 107 chars
    port = _free_port()
    cmd = [str(ray_bin), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2",
           "--include-dashboard=false", f"--temp-dir={tmp}", "--disable-usage-stats"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        raise RuntimeError(f"ray start failed: {p.stdout[-2000:]}{p.stderr[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        try:
            import ray

            if ray.is_initialized():
                ray.shutdown()
        except ImportError:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in _pids_using(tmp):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 10
            while _pids_using(tmp) and time.monotonic() < deadline:
                time.sleep(0.2)
        shutil.rmtree(tmp, ignore_errors=True)
