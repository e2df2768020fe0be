"""A real Ray cluster on 127.0.0.1 for tests: a ``ray start --head`` process, stopped by PID.

``ray_cluster`` is a session-scoped pytest fixture yielding the address; import it into a
conftest or test module (``from cm_executor_ray.testing import ray_cluster``). The head is
started with ``CM_HOME`` set to a folder of its own (``RAY_START_HOME`` in the temp dir), so a
test can tell whether workers used an explicitly given home or the one they inherited.
"""

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

#: the CM home the cluster's processes inherit (under the cluster's temp dir)
RAY_START_HOME = "inherited-cm-home"


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


def start_cluster(num_cpus: int = 2) -> tuple[str, str]:
    """Start a head node (no dashboard) in a short temp dir; return ``(address, temp dir)``."""
    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        pytest.skip("ray is not installed (pip install -e plugins/cm-executor-ray)")
    tmp = tempfile.mkdtemp(prefix="cmray")  # short: Ray's unix socket paths must stay under 107 chars
    port = _free_port()
    cmd = [str(ray_bin), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
           f"--num-cpus={num_cpus}", "--include-dashboard=false", f"--temp-dir={tmp}", "--disable-usage-stats"]
    env = {**os.environ, "CM_HOME": os.path.join(tmp, RAY_START_HOME)}
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
    if p.returncode != 0:
        stop_cluster(tmp)
        raise RuntimeError(f"ray start failed: {p.stdout[-2000:]}{p.stderr[-2000:]}")
    return f"127.0.0.1:{port}", tmp


def stop_cluster(tmp: str) -> None:
    """Leave the cluster, stop every process of it (found by its temp dir), remove the dir."""
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


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """A 2-CPU head node on 127.0.0.1 for the whole test session; yields its address."""
    address, tmp = start_cluster()
    try:
        yield address
    finally:
        stop_cluster(tmp)
