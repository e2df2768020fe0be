"""The cache plugin: answers ``cm_detect`` for cacheable scripts with a cached result."""

from __future__ import annotations

from typing import Any

from cmcore import hookimpl


@hookimpl(trylast=True)
def cm_detect(component: Any, session: Any) -> Any:
    if component.kind != "script":
        return None
    from cmcore.cache.plugin import detect

    return detect(component, session)
