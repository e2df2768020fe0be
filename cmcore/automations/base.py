"""The base class of every automation: identity plus the generic database actions.

An automation's verbs are its public methods ``verb(self, i: dict) -> dict`` (see
``actions()``). The generic actions (CM-FORMAT §1.8) work on the automation's artifacts
through ``self.session.db``; automations override or add verbs.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from cmcore.session import Session


class Automation:
    """Subclass and set ``name``/``uid``; add public methods to add verbs."""

    name: ClassVar[str] = ""
    uid: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    #: extra verb renames after the global ones, e.g. {"import": "ximport"}
    action_substitutions: ClassVar[dict[str, str]] = {}
    #: verbs hidden from ``actions()`` although public (helpers used by scripts)
    not_actions: ClassVar[frozenset[str]] = frozenset({"actions"})

    def __init__(self, session: Session) -> None:
        self.session = session

    def actions(self) -> list[str]:
        out = []
        for n in dir(type(self)):
            if n.startswith("_") or n in self.not_actions:
                continue
            if callable(getattr(type(self), n, None)):
                out.append(n)
        return sorted(out)

    # The generic DB actions are provided by cmcore.automations.generic.GenericActions;
    # concrete automations inherit from both (see cmcore.automations.generic).
    def _db(self) -> Any:
        return self.session.db
