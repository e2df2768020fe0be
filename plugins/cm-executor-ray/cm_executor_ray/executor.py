"""The Ray executor: ``map(fn, items)`` runs ``fn(item)`` as one Ray task per item.

* ``address``: the cluster to join (``--address=127.0.0.1:6379``, or ``auto``); without one,
  Ray starts a private local instance, which is mostly useful for trying it out.
* ``num_cpus``: CPUs each task reserves (default 1), so Ray never runs more points at once
  than the cluster has cores: timing points that fight for cores would be wrong.
* ``worker_home``: the CM home the workers use, set as ``CM_HOME`` in each task's runtime
  env. Without it, sweeps pass the driver's home explicitly in each task (the workers of a
  cluster started on this machine share it); Ray workers otherwise see whatever ``CM_HOME``
  the ``ray start`` shell had, which is why it is never left implicit.
* Results come back in the order of the items; the driver records them into its own
  results store. A task that raises (a bug, a lost worker) is one CMError naming the item.

Each worker runs its points with the same cache rules as the driver (``fn`` looks in the
worker's CM home first); results made in another home are copied into the driver's store.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from cmcore.errors import GENERIC, CMError


class RayExecutor:
    """Runs items in parallel on a Ray cluster."""

    parallel = True

    def __init__(self, address: str | None = None, num_cpus: float | int | str = 1,
                 worker_home: str | None = None, **options: Any) -> None:
        self.address = address
        self.num_cpus = float(num_cpus)
        self.worker_home = str(worker_home) if worker_home else None
        self.options = options

    def _connect(self) -> Any:
        try:
            import ray
        except ImportError as exc:
            raise CMError("the ray executor needs Ray: pip install 'ray>=2.9'", GENERIC) from exc
        if not ray.is_initialized():
            _check_reachable(self.address)
            # the driver's code must be importable on the workers: ship this checkout's path
            env = {"env_vars": {"PYTHONPATH": os.pathsep.join(p for p in _source_paths() if p)}}
            try:
                ray.init(address=self.address or None, runtime_env=env, log_to_driver=False,
                         include_dashboard=False, ignore_reinit_error=True, logging_level=logging.ERROR)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a local Ray instance"
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise CMError(f"cannot connect to Ray at {where}: {first} "
                              "(start one with: ray start --head --port=6379)", GENERIC) from exc
        return ray

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """Run ``fn`` on every item as a Ray task; results in item order."""
        items = list(items)
        if not items:
            return []
        ray = self._connect()
        opts: dict[str, Any] = {"num_cpus": self.num_cpus, "max_retries": 0}
        if self.worker_home:  # per task, so one driver can use clusters with different homes
            opts["runtime_env"] = {"env_vars": {"CM_HOME": self.worker_home}}
        remote = ray.remote(**opts)(_call)
        fn_ref = ray.put(fn)  # shipped once, not once per item
        refs = [remote.remote(fn_ref, item) for item in items]
        out = []
        for n, ref in enumerate(refs):
            try:
                out.append(ray.get(ref))
            except Exception as exc:  # RayTaskError wraps the worker's exception
                cause = getattr(exc, "cause", None) or exc
                msg = getattr(cause, "message", None) or str(cause).splitlines()[-1]
                raise CMError(f"ray task {n + 1}/{len(items)} failed: {msg}", GENERIC) from exc
        return out

    def close(self) -> None:
        """Leave the cluster (the cluster itself keeps running)."""
        try:
            import ray
        except ImportError:
            return
        if ray.is_initialized():
            ray.shutdown()


def _check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail fast on a HOST:PORT nobody listens on (``ray.init`` would retry for minutes)."""
    if not address or address == "auto" or "://" in address or ":" not in address:
        return
    import socket

    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return
    except (OSError, ValueError) as exc:
        raise CMError(f"cannot connect to Ray at {address}: {exc} "
                      "(start one with: ray start --head --port=6379)", GENERIC) from exc


def _call(fn: Callable[[Any], Any], item: Any) -> Any:
    """The task body: any callable (builtins included, which ``ray.remote`` refuses) on one item."""
    return fn(item)


def _source_paths() -> list[str]:
    """Folders that hold cmcore and this package when they run from a source checkout."""
    import cm_executor_ray
    import cmcore

    paths = []
    for mod in (cmcore, cm_executor_ray):
        root = os.path.dirname(os.path.dirname(os.path.abspath(mod.__file__ or "")))
        if root not in paths:
            paths.append(root)
    return paths
