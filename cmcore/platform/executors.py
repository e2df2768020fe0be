"""Pick a sweep executor from the ``cm_executors`` plugins (``local`` built in, ``ray`` a plugin)."""

from __future__ import annotations

from typing import Any

from cmcore.errors import NOT_FOUND, CMError
from cmcore.suggest import did_you_mean


def get_executor(session: Any, name: str | None = None, **options: Any) -> Any:
    """An executor object with ``map(fn, items) -> list`` (results in item order).

    ``options`` (e.g. ``address`` for Ray) go to the executor's factory; None values are
    dropped so that each executor keeps its own defaults.
    """
    wanted = (name or "local").strip().lower()
    specs = session.pm.registered_records("cm_executors")
    spec = specs.get(wanted)
    if spec is None:
        installed = ", ".join(sorted(specs)) or "none"
        tip = "; pip install cm-executor-ray" if wanted == "ray" else ""
        raise CMError(f"no sweep executor named {wanted!r}{did_you_mean(wanted, list(specs))} "
                      f"(installed: {installed}{tip})", NOT_FOUND)
    return spec.factory(**{k: v for k, v in options.items() if v is not None})
