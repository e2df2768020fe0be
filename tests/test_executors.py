"""Sweep executors are registered through the `cm_executors` hook; `local` is built in."""

from __future__ import annotations

from cmcore import hookimpl
from cmcore.types import ExecutorSpec


def test_local_executor_is_registered_and_keeps_order(cm_session):
    specs = cm_session.pm.registered_records("cm_executors")
    local = specs["local"].factory()
    assert local.map(lambda x: x * x, [3, 1, 2]) == [9, 1, 4]


def test_a_plugin_adds_an_executor(cm_session, cm_register):
    class Reversed:
        def map(self, fn, items):
            return [fn(x) for x in reversed(list(items))]

    class Plugin:
        @hookimpl
        def cm_executors(self):
            return [ExecutorSpec("Reversed", Reversed, "for the test")]

    cm_register(Plugin())
    specs = cm_session.pm.registered_records("cm_executors")
    assert "reversed" in specs  # names are normalised to lowercase
    assert specs["reversed"].factory().map(str, [1, 2]) == ["2", "1"]
