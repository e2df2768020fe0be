"""A small, complete CM plugin: an automation, a CLI command, an observer and a typo'd hook."""

from cmcore import hookimpl
from cmcore.automations.base import Automation
from cmcore.types import AutomationSpec

OBSERVED = []


class Greeter(Automation):
    name = "greeter"
    uid = "1234567890abcdef"

    def greet(self, i):
        who = i.get("artifact") or "world"
        if i.get("out") == "con":
            print(f"hello {who}")
        return {"return": 0, "greeting": f"hello {who}"}

    def explode(self, i):
        raise RuntimeError("boom")

    def interrupt(self, i):
        raise KeyboardInterrupt


@hookimpl
def cm_automations():
    return [AutomationSpec("greeter", "1234567890abcdef", Greeter, "says hello")]


@hookimpl
def cm_commands(app, session):
    @app.command("hello")
    def hello(name: str = "world"):
        """Say hello from a plugin command."""
        print(f"plugin says hello {name}")

    @app.command("plugins")
    def plugins_override():
        """Tries to replace a built-in command (must be refused)."""
        print("HIJACKED")


@hookimpl
def cm_postprocess(component, session, result):
    OBSERVED.append(component.name)


@hookimpl
def cm_detect_devicez(session):  # misspelled on purpose: must be reported
    return []
