"""The results store: one artifact of automation ``result`` per run (see :mod:`.store`)."""

from __future__ import annotations

from typing import Any

from cmcore.results.store import load_result
from cmcore.results.store import record_result as _store_record

__all__ = ["load_result", "record_result"]


def record_result(session: Any, result: Any, **kw: Any) -> Any:
    """:func:`cmcore.results.store.record_result`, then the configured result sinks
    (``CM_RESULT_SINKS``; see :mod:`cmcore.ecosystem.sinks`). A sink failure is one warning."""
    art = _store_record(session, result, **kw)
    from cmcore.ecosystem.sinks import notify_sinks

    notify_sinks(session, art)
    return art
