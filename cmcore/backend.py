"""The :class:`Backend` protocol (also importable as ``cmcore.types.Backend``).

Kept apart from :mod:`cmcore.types` because a ``Protocol`` needs ``typing`` at run time, and
every command imports ``cmcore.types``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from cmcore.session import Session
    from cmcore.types import Device, InstallPlan


@runtime_checkable
class Backend(Protocol):
    """An inference engine (ONNX Runtime, TensorRT, ...). See docs/plugins.md."""

    name: str

    def detect(self, session: Session, python: str | None = None) -> Mapping[str, Any]:
        """Return ``{'available': bool, 'version': str|None, 'devices': [...], 'reason': str}``.

        ``python`` names another interpreter to inspect (e.g. the tool-owned venv); None is
        the current one.
        """
        ...

    def install(self, session: Session, device: Device, python: str | None = None) -> InstallPlan:
        """What to pip-install for ``device`` into ``python``'s environment."""
        ...

    def load(self, model_path: str, device: Device, options: Mapping[str, Any]) -> Any:
        """Load a model for a device; return a handle with ``predict(batch) -> outputs``."""
        ...

    def run(self, handle: Any, batches: Sequence[Any], warmup: int = 1) -> Mapping[str, Any]:
        """Warm up, predict every batch, return latency statistics (ms, p50/p90/p99, samples/s)."""
        ...

    def postprocess(self, handle: Any) -> Mapping[str, Any]:
        """Metrics and engine versions for the results record."""
        ...
