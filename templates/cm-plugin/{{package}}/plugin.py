"""The {{name}} plugin: one automation and one CLI command."""

from __future__ import annotations

from cmcore import hookimpl
from cmcore.automations.base import Automation
from cmcore.types import AutomationSpec

UID = "{{uid}}"


class {{class_name}}(Automation):
    """`cm hello {{name}} [WHO]` says hello; add public methods to add verbs."""

    name = "{{name}}"
    uid = UID

    def hello(self, i: dict) -> dict:
        who = i.get("artifact") or "world"
        if i.get("out") == "con":
            print(f"hello {who} from {{name}}")
        return {"return": 0, "greeting": f"hello {who}"}


@hookimpl
def cm_automations():
    return [AutomationSpec("{{name}}", UID, {{class_name}}, "{{description}}")]


@hookimpl
def cm_commands(app, session):
    @app.command("{{name}}-info")
    def info() -> None:
        """Show where the {{name}} plugin keeps its data."""
        print(f"{{name}} uses CM home {session.home}")
