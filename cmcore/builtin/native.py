"""The native runner: runs a CM/MLC script's customize.py hooks and run.sh/run.bat.

Registered ``trylast`` so that any plugin can take a script's run over.
"""

from __future__ import annotations

from typing import Any

from cmcore import hookimpl


@hookimpl(trylast=True)
def cm_run(component: Any, session: Any) -> Any:
    if component.kind != "script":
        return None
    from cmcore.script.native_runner import run_component

    return run_component(component, session)
