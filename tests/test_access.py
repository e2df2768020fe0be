"""The Python API: cmcore.access never raises for expected errors, and sessions are isolated."""

from __future__ import annotations

import cmcore
from cmcore import hookimpl
from cmcore.automations.base import Automation
from cmcore.errors import CMError
from cmcore.session import Session, current
from cmcore.types import AutomationSpec


class Echo(Automation):
    name = "echo"
    uid = "00000000000000e0"

    def say(self, i):
        return {"return": 0, "said": i.get("artifact"), "session_home": str(current().home)}

    def fail(self, i):
        raise CMError("it failed on purpose", 16)

    def nested(self, i):
        # what customize.py does: call the API from inside an action
        return {"return": 0, "inner": cmcore.access({"action": "say", "automation": "echo", "artifact": "in"})}

    def bad_return(self, i):
        return "not a dict"


class EchoPlugin:
    @hookimpl
    def cm_automations(self):
        return [AutomationSpec("echo", Echo.uid, Echo, "echo for tests", aliases=("ec",))]


def _session(tmp_path):
    return Session(home=tmp_path / "home", extra_plugins=(EchoPlugin(),), load_entry_points=False)


def test_access_dict_string_and_list(tmp_path):
    s = _session(tmp_path)
    assert s.access({"action": "say", "automation": "echo", "artifact": "x"})["said"] == "x"
    assert s.access("say echo y")["said"] == "y"
    assert s.access(["say", "echo", "z"])["said"] == "z"


def test_errors_become_dicts(tmp_path):
    s = _session(tmp_path)
    assert s.access("fail echo") == {"return": 16, "error": "it failed on purpose"}
    r = s.access("bad_return echo")
    assert r["return"] == 1 and "not a CM return dict" in r["error"]


def test_automation_by_uid_alias_and_pair(tmp_path):
    s = _session(tmp_path)
    for name in ("echo", "ec", "00000000000000e0", "echo,00000000000000e0"):
        assert s.access({"action": "say", "automation": name})["return"] == 0, name


def test_verb_normalisation(tmp_path):
    s = _session(tmp_path)
    # `bad-return` becomes `bad_return`
    assert "not a CM return dict" in s.access("bad-return echo")["error"]


def test_private_methods_are_not_actions(tmp_path):
    s = _session(tmp_path)
    assert s.access("_db echo")["return"] == 4


def test_nested_access_uses_the_current_session(tmp_path):
    s = _session(tmp_path)
    r = s.access("nested echo")
    assert r["inner"]["said"] == "in"
    assert r["inner"]["session_home"] == str(tmp_path / "home")


def test_sessions_are_independent(tmp_path):
    a = _session(tmp_path / "a")
    b = Session(home=tmp_path / "b", load_entry_points=False)
    assert a.access("say echo")["return"] == 0
    assert b.access("say echo")["return"] == 4
