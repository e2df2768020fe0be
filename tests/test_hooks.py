"""cmcore.hooks against real pluggy: same order, same results, same errors, same marks."""

from __future__ import annotations

import functools
import subprocess
import sys
import types
import warnings

import pluggy
import pytest

from cmcore import hooks

SPEC = hooks.HookspecMarker("cm")
IMPL = hooks.HookimplMarker("cm")


class Specs:
    @SPEC
    def cm_collect(self, session, extra):
        """All results."""

    @SPEC(firstresult=True)
    def cm_first(self, component, session):
        """First result wins."""


def make_plugins(log):
    """Plugins of every shape pluggy accepts, each logging its calls."""

    def fn(name, result, **opts):
        @IMPL(**opts)
        def cm_first(component, session):
            log.append(name)
            return result

        return cm_first

    mod = types.ModuleType("modplug")

    @IMPL
    def cm_collect(session):  # fewer arguments than the spec: gets only what it names
        log.append("mod")
        return ["mod", session]

    mod.cm_collect = cm_collect
    mod.cm_first = fn("mod", None, trylast=True)

    class Instance:
        @IMPL(tryfirst=True)
        def cm_collect(self, extra, session):
            log.append("inst")
            return ["inst", extra]

        @IMPL
        def cm_first(self, component):
            log.append("inst")
            return None

        @property
        def cm_broken(self):  # a property that raises is not a hook
            raise RuntimeError("no")

    def deco(f):
        @functools.wraps(f)
        def inner(*a, **k):
            return f(*a, **k)
        return inner

    class Wrapped:
        @IMPL(specname="cm_first")
        @deco
        def anything(self, session, component):
            log.append("wrapped")
            return "wrapped-result"

    late = types.ModuleType("late")
    late.cm_first = fn("late", "late-result")
    first = types.ModuleType("first")
    first.cm_first = fn("first", None, tryfirst=True)
    last = types.ModuleType("last")
    last.cm_first = fn("last", "last-result", trylast=True)
    return [("mod", mod), ("inst", Instance()), ("wrapped", Wrapped()), ("late", late), ("first", first),
            ("last", last)]


def build(kind, log, plugins=None, blocked=()):
    pm = pluggy.PluginManager("cm") if kind == "pluggy" else hooks.LitePluginManager("cm")
    pm.add_hookspecs(Specs)
    for b in blocked:
        pm.set_blocked(b)
    for name, plugin in plugins if plugins is not None else make_plugins(log):
        pm.register(plugin, name=name)
    return pm


def observe(pm, log):
    """Everything a caller can see: results, call order, implementations."""
    out = {}
    log.clear()
    out["collect"] = pm.hook.cm_collect(session="S", extra="E")
    out["collect_order"] = list(log)
    log.clear()
    out["first"] = pm.hook.cm_first(component="C", session="S")
    out["first_order"] = list(log)
    out["impls"] = [(i.plugin_name, i.argnames, i.tryfirst, i.trylast) for i in pm.hook.cm_first.get_hookimpls()]
    out["names"] = sorted(n for n, p in pm.list_name_plugin() if p is not None)
    out["blocked"] = sorted(n for n, p in pm.list_name_plugin() if p is None)
    out["callers"] = sorted(h.name for h in pm.get_hookcallers(pm.get_plugin("inst")) or [])
    return out


def test_same_order_results_and_introspection_as_pluggy():
    logs = {"pluggy": [], "lite": []}
    seen = {k: observe(build(k, logs[k]), logs[k]) for k in logs}
    assert seen["lite"] == seen["pluggy"]
    # tryfirst ones first, then the newest plain ones; the first result ends the call
    assert seen["lite"]["first"] == "late-result"
    assert seen["lite"]["first_order"] == ["first", "late"]
    assert seen["lite"]["collect_order"] == ["inst", "mod"]


def test_unregister_and_block_like_pluggy():
    logs = {"pluggy": [], "lite": []}
    seen = {}
    for kind, log in logs.items():
        pm = build(kind, log, blocked=["late"])
        assert pm.is_blocked("late") and pm.get_plugin("late") is None
        pm.unregister(name="wrapped")
        pm.set_blocked("first")
        seen[kind] = observe(pm, log)
    assert seen["lite"] == seen["pluggy"]
    assert seen["lite"]["first"] == "last-result" and "wrapped" not in seen["lite"]["names"]


def test_same_errors_as_pluggy():
    for kind in ("pluggy", "lite"):
        pm = build(kind, [])
        with pytest.raises(ValueError, match="already registered"):
            pm.register(types.ModuleType("x"), name="mod")
        bad = types.ModuleType("bad")

        @IMPL
        def cm_first(component, nosuch):
            return 1

        bad.cm_first = cm_first
        err = pluggy.PluginValidationError if kind == "pluggy" else hooks.PluginValidationError
        with pytest.raises(err, match="nosuch"):
            pm.register(bad, name="bad")
        assert pm.get_plugin("bad") is None
        with pytest.raises(TypeError):
            pm.hook.cm_first("positional")
        missing = pluggy.HookCallError if kind == "pluggy" else hooks.HookCallError
        with pytest.raises(missing, match="component"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pluggy also warns about the argument
            pm.hook.cm_first(session="S")


def test_pluggy_reads_our_marks_and_we_read_pluggys():
    log: list[str] = []
    theirs = pluggy.HookimplMarker("cm")
    plug = types.ModuleType("theirs")

    @theirs(tryfirst=True)
    def cm_first(component):
        log.append("theirs")
        return "theirs"

    plug.cm_first = cm_first
    lite = build("lite", log)
    lite.register(plug, name="theirs")
    assert lite.hook.cm_first(component="C", session="S") == "theirs"
    real = pluggy.PluginManager("cm")
    real.add_hookspecs(Specs)
    real.register(make_plugins(log)[3][1], name="late")
    assert real.hook.cm_first(component="C", session="S") == "late-result"


def test_a_hook_wrapper_switches_to_pluggy_with_the_same_plugins():
    log: list[str] = []
    pm = build("lite", log, blocked=["first"])
    wrap = types.ModuleType("wrap")

    @IMPL(wrapper=True)
    def cm_first(component):
        log.append("wrapper-before")
        res = yield
        return f"wrapped({res})"

    wrap.cm_first = cm_first
    pm.register(wrap, name="wrap")
    assert pm._real is None
    assert pm.hook.cm_first(component="C", session="S") == "wrapped(late-result)"
    assert pm._real is not None and log[0] == "wrapper-before"
    assert pm.is_blocked("first") and pm.get_plugin("mod") is not None
    assert [n for n, _p in pm.list_name_plugin()] == [n for n, _p in pm._real.list_name_plugin()]
    # an API the light manager lacks goes to pluggy as well
    lite = build("lite", [])
    assert lite.subset_hook_caller("cm_first", remove_plugins=[]).get_hookimpls()
    assert lite._real is not None


def test_the_light_manager_passes_the_tracing_switch_to_pluggy():
    lite = build("lite", [])
    lines: list[str] = []
    lite.trace.root.setwriter(lines.append)
    lite.enable_tracing()
    lite.hook.cm_first(component="C", session="S")
    assert any("cm_first" in x for x in lines)


def test_a_find_imports_neither_pluggy_nor_inspect_nor_typing(cm_home, tmp_path):
    """What every command pays at start-up: building the manager imports none of these."""
    code = ("import sys; from cmcore.cli import main; rc = main(['find', 'script', '--tags=detect,os']); "
            "print(rc, sorted(m for m in ('pluggy', 'inspect', 'typing') if m in sys.modules))")
    for _ in range(2):  # the first run scans the entry points (importlib.metadata imports typing)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                           env={"CM_HOME": str(cm_home), "PATH": "/usr/bin:/bin", "CM_REPLAY": "no"})
        assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "0 []"
