"""Typed records that plugins hand to the core.

Registration hooks return lists of these frozen records (``cmcore.records``); the plugin manager
validates them (a duplicate ``name`` is an error naming both distributions).
Names are normalised to lowercase.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cmcore.records import field, record

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from cmcore.backend import Backend
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


def __getattr__(name: str) -> Any:
    if name == "Backend":  # the protocol lives with typing, imported only by who asks for it
        from cmcore.backend import Backend

        return Backend
    raise AttributeError(name)
