"""Typed records that plugins hand to the core.

Registration hooks return lists of these frozen records (``cmcore.records``); the plugin manager
validates them (a duplicate ``name`` is an error naming both distributions).
Names are normalised to lowercase.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cmcore.records import field, record

if TYPE_CHECKING:  # pragma: no cover
    from cmcore.session import Session


def _lower_name(obj: Any) -> None:
    object.__setattr__(obj, "name", str(obj.name).strip().lower())


@record(frozen=True)
class AutomationSpec:
    """An automation (``script``, ``cache``, ``repo``, ...): the ``AUTOMATION`` word of the CLI.

    ``factory(session)`` returns an object whose public methods ``verb(self, i) -> dict`` are the actions.
    """

    name: str
    uid: str
    factory: Callable[[Session], Any]
    summary: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _lower_name(self)


@record(frozen=True)
class RepoSpec:
    """A CM repository (``cmr.yaml``) or MLC repository (root ``meta.yaml``) shipped inside a package."""

    name: str
    path: str
    priority: int = 0  # higher wins when the same script tags resolve to several repos

    def __post_init__(self) -> None:
        _lower_name(self)


@record(frozen=True)
class Device:
    """One compute device found on this machine by a hardware plugin."""

    kind: str  # "cpu", "cuda", "qualcomm", "metal", ...
    name: str  # unique per device, e.g. "cuda:0"
    vendor: str = ""
    model: str = ""
    index: int = 0
    memory_bytes: int | None = None
    driver_version: str | None = None
    runtime_version: str | None = None
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""  # "probe" or "override"

    def __post_init__(self) -> None:
        _lower_name(self)
        object.__setattr__(self, "kind", str(self.kind).lower())

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "vendor": self.vendor,
            "model": self.model,
            "index": self.index,
            "memory_bytes": self.memory_bytes,
            "driver_version": self.driver_version,
            "runtime_version": self.runtime_version,
            "capabilities": dict(self.capabilities),
            "source": self.source,
        }


@record(frozen=True)
class InstallPlan:
    """What a plugin says must be installed for a component, and whether it may do it itself."""

    component: str
    commands: tuple[str, ...] = ()
    automatic: bool = False  # False: print the commands for the user (drivers are never installed silently)
    note: str = ""


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


@record(frozen=True)
class BackendSpec:
    """Registration record of an inference backend; ``factory()`` returns a :class:`Backend`."""

    name: str
    factory: Callable[[], Backend]
    summary: str = ""

    def __post_init__(self) -> None:
        _lower_name(self)


@record(frozen=True)
class ExecutorSpec:
    """A sweep executor (``local``, ``ray``); ``factory(**options)`` returns an object with ``map(fn, items)``."""

    name: str
    factory: Callable[..., Any]
    summary: str = ""

    def __post_init__(self) -> None:
        _lower_name(self)


@record(frozen=True)
class SinkSpec:
    """A result sink (``mlflow``, ...): where every recorded result is also sent.

    ``factory(session)`` returns an object with ``record(artifact, result) -> str | None``
    (``result`` is the flat result dict; the return value says where it went, e.g. a run id).
    """

    name: str
    factory: Callable[..., Any]
    summary: str = ""

    def __post_init__(self) -> None:
        _lower_name(self)


@record(frozen=True)
class Component:
    """What the lifecycle hooks act on: a script run, a device, a backend.

    ``data`` is kind-specific: for ``kind == "script"`` it is the engine's run object
    (script meta, resolved variations, env, state, paths).
    """

    kind: str
    name: str
    data: Any = None
