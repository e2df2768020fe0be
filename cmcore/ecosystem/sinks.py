"""Result sinks: send every recorded result to the trackers the user asked for.

Sinks are registered by plugins through the ``cm_result_sinks`` hook (records of
:class:`cmcore.types.SinkSpec`). Which sinks a result goes to:

* ``CM_RESULT_SINKS=mlflow,other`` in the process environment (any run, any recorder);
* ``CM_MLPERF_RESULT_SINKS`` among the run's recorded inputs (``inputs.json``), which the
  harness's ``--sink=mlflow`` flag sets, and ``--env.CM_MLPERF_RESULT_SINKS=mlflow`` too;
* an explicit ``sinks=[...]`` argument.

A sink that is unknown or fails costs one warning line: the result itself is already
recorded and stays recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from cmcore.db import Artifact
    from cmcore.session import Session

ENV_KEY = "CM_RESULT_SINKS"
INPUT_KEYS = ("CM_MLPERF_RESULT_SINKS", "CM_RESULT_SINKS")


@dataclass
class SinkOutcome:
    """What one sink did with one result: ``where`` on success, ``error`` on failure."""

    sink: str
    where: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def split_names(value: Any) -> list[str]:
    """``"mlflow, x"`` or ``["mlflow"]`` -> ``["mlflow", "x"]`` (lowercase, no empties, no repeats)."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if name and name not in out:
            out.append(name)
    return out


def registered_sinks(session: Session) -> dict[str, Any]:
    """``{name: SinkSpec}`` from every plugin's ``cm_result_sinks``."""
    return session.pm.registered_records("cm_result_sinks")


def _inputs_sinks(art: Artifact) -> list[str]:
    p = art.path / "inputs.json"
    if not p.is_file():
        return []
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError):
        return []
    if not isinstance(data, dict):
        return []
    names: list[str] = []
    for key in INPUT_KEYS:
        names += split_names(data.get(key) or "")
    return names


def wanted_sinks(session: Session, art: Artifact, sinks: Iterable[str] | None = None) -> list[str]:
    """The sink names this result should go to (environment, run inputs, explicit list)."""
    names = split_names(session.env.get(ENV_KEY, ""))
    names += _inputs_sinks(art)
    names += split_names(list(sinks or []))
    return split_names(names)


def notify_sinks(session: Session, art: Artifact, sinks: Iterable[str] | None = None) -> list[SinkOutcome]:
    """Send the recorded result ``art`` to every wanted sink; never raises.

    Returns one :class:`SinkOutcome` per wanted sink. Each failure is logged as one warning line.
    """
    names = wanted_sinks(session, art, sinks)
    if not names:
        return []
    from cmcore.results.store import load_result

    outcomes: list[SinkOutcome] = []
    try:
        specs = registered_sinks(session)
    except Exception as exc:  # a duplicate registration must not lose the result
        msg = f"result sinks unavailable: {exc}"
        session.log.warning(msg)
        return [SinkOutcome(n, error=msg) for n in names]
    result = load_result(art)
    for name in names:
        spec = specs.get(name)
        if spec is None:
            from cmcore.suggest import did_you_mean

            known = ", ".join(sorted(specs)) or "none installed (pip install cm-sink-mlflow)"
            msg = f"unknown result sink {name!r}{did_you_mean(name, specs)}; known sinks: {known}"
            session.log.warning(msg)
            outcomes.append(SinkOutcome(name, error=msg))
            continue
        try:
            where = spec.factory(session).record(art, dict(result))
        except Exception as exc:  # any sink error: one line, the result is already safe
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            msg = f"result sink {name!r} failed ({type(exc).__name__}: {first}); the result is still " \
                  f"recorded at {art.path}"
            session.log.warning(msg)
            outcomes.append(SinkOutcome(name, error=msg))
            continue
        outcomes.append(SinkOutcome(name, where=str(where or "")))
        session.log.debug(f"result sink {name}: {where or 'ok'}")
    return outcomes
