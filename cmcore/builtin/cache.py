"""The cache plugin: answers ``cm_detect`` for cacheable scripts with a cached result."""

from __future__ import annotations

from cmcore import hookimpl

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


@hookimpl(trylast=True)
def cm_detect(component: Any, session: Any) -> Any:
    if component.kind != "script":
        return None
    from cmcore.cache.plugin import detect

    return detect(component, session)
