from cmcore import hookimpl
from cmcore.types import AutomationSpec


@hookimpl
def cm_automations():
    return [AutomationSpec("greeter", "fedcba0987654321", lambda s: None, "a clash")]
