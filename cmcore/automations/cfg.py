"""The ``cfg`` automation: settings artifacts with the generic DB actions.

The artifact ``default`` matters to runs: its meta's ``config.script`` holds defaults that
every top-level ``cm run script`` takes for the flags it was not given (CM-FORMAT §3.8 step 1).
"""

from __future__ import annotations

from cmcore.automations.generic import GenericActions

TYPE_CHECKING = False  # no `typing` import at run time
if TYPE_CHECKING:
    from typing import ClassVar


class CfgAutomation(GenericActions):
    name: ClassVar[str] = "cfg"
    uid: ClassVar[str] = "88dce9c160324c5d"
    summary: ClassVar[str] = "settings artifacts; `default`'s config.script holds defaults for every run"
