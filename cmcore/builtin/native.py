"""The native runner: runs a CM/MLC script's customize.py hooks and run.sh/run.bat.

Registered ``trylast`` so that any plugin can take a script's run over.
"""

from __future__ import annotations

from cmcore import hookimpl

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


@hookimpl(trylast=True)
def cm_run(component: Any, session: Any) -> Any:
    if component.kind != "script":
        return None
    from cmcore.script.native_runner import run_component

    return run_component(component, session)
