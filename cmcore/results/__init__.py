"""The results store: one artifact of automation ``result`` per run (see :mod:`.store`)."""

from cmcore.results.store import load_result, record_result

__all__ = ["load_result", "record_result"]
