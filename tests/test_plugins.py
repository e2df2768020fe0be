"""The plugin runtime: discovery through real entry points, failures, controls, duplicates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cmcore import hookspecs
from cmcore.errors import CMError
from cmcore.plugins import get_plugin_manager

FAKE = Path(__file__).parent / "data" / "fake-plugins"
HOOKS = sorted(n for n in dir(hookspecs) if n.startswith("cm_"))


@pytest.fixture
def fake_plugins(monkeypatch):
    """Put the hand-written dist-infos (one good, one broken, one clashing) on sys.path."""
    monkeypatch.syspath_prepend(str(FAKE))
    for mod in ("good_cm_plugin", "broken_cm_plugin", "dup_cm_plugin"):
        sys.modules.pop(mod, None)
    return FAKE


def _env(**extra):
    return {"CM_DISABLE_PLUGIN_AUTOLOAD": "", **extra}


def test_good_plugin_loads_and_broken_one_is_one_warning(fake_plugins):
    pm = get_plugin_manager(env=_env(CM_PLUGINS="good,broken"))
    assert pm.get_plugin("good") is not None
    assert pm.infos["good"].distribution == "goodplugin"
    assert pm.infos["good"].version == "1.2.3"
    (failure,) = [f for f in pm.failures if f.name == "broken"]
    assert "libdoesnotexist" in failure.error
    lines = [w for w in pm.warnings if "'broken'" in w]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "brokenplugin" in lines[0] and "ImportError" in lines[0]


def test_autoload_can_be_disabled(fake_plugins):
    pm = get_plugin_manager(env=_env(CM_DISABLE_PLUGIN_AUTOLOAD="1"))
    assert pm.get_plugin("good") is None and not pm.failures
    # the built-ins are always there
    assert pm.get_plugin("cmcore.builtin.automations") is not None


def test_cm_plugins_selects_and_empty_means_none(fake_plugins):
    only = get_plugin_manager(env=_env(CM_PLUGINS="good"))
    assert only.get_plugin("good") is not None and not only.failures
    none = get_plugin_manager(env=_env(CM_PLUGINS=""))
    assert none.get_plugin("good") is None and none.get_plugin("broken") is None


def test_block_one_plugin(fake_plugins):
    pm = get_plugin_manager(env=_env(CM_PLUGINS="good,broken"), blocked=["good"])
    assert pm.get_plugin("good") is None
    assert any(f.name == "broken" for f in pm.failures)


def test_unknown_hook_is_reported(fake_plugins):
    pm = get_plugin_manager(env=_env(CM_PLUGINS="good"))
    assert any("cm_detect_devicez" in w and "good" in w for w in pm.warnings)


def test_duplicate_registration_names_both_distributions(fake_plugins):
    pm = get_plugin_manager(env=_env(CM_PLUGINS="good,dup"))
    with pytest.raises(CMError) as exc:
        pm.registered_records("cm_automations")
    assert "goodplugin" in exc.value.message and "dupplugin" in exc.value.message
    assert "greeter" in exc.value.message


def test_builtin_registration_names_are_unique():
    pm = get_plugin_manager(load_entry_points=False)
    names = pm.registered_records("cm_automations")
    assert {"repo", "script", "cache"} <= set(names)


def test_registration_hook_failure_is_a_warning_not_a_crash():
    from cmcore import hookimpl

    class Bad:
        @hookimpl
        def cm_executors(self):
            raise ValueError("cannot list executors")

    pm = get_plugin_manager(load_entry_points=False, extra_plugins=[Bad()])
    names = pm.registered_records("cm_executors")
    assert "local" in names
    assert any("cannot list executors" in w for w in pm.warnings)


def test_plugin_automation_through_access(fake_plugins, cm_home):
    from cmcore.session import Session

    s = Session(home=cm_home, env={**os.environ, "CM_PLUGINS": "good"})
    r = s.access("greet greeter bob")
    assert r == {"return": 0, "greeting": "hello bob"}


def test_postprocess_observer_is_called(cm_session, cm_register):
    from cmcore import hookimpl
    from cmcore.types import Component

    seen = []

    class Observer:
        @hookimpl
        def cm_postprocess(self, component, session, result):
            seen.append((component.name, result["return"]))

    cm_register(Observer())
    cm_session.pm.hook.cm_postprocess(component=Component("script", "x"), session=cm_session, result={"return": 0})
    assert seen == [("x", 0)]


def test_every_hookspec_is_documented():
    for name in HOOKS:
        doc = " ".join((getattr(hookspecs, name).__doc__ or "").split())
        assert "Example" in doc, f"{name} has no example"
        assert any(rule in doc for rule in ("Every implementation is called", "Stops at the first non-None")), name


def test_every_hookspec_has_a_test():
    """Meta-test: each hook is implemented or called by some test, or by a plugin a test loads."""
    top = Path(__file__).parent.parent
    roots = [top / "tests", top / "plugins", top / "cm_backend_onnx", top / "cm_backend_tensorrt",
             top / "cm_scripts_mlops"]
    text = ""
    for root in roots:
        for f in root.rglob("*.py"):
            if f.name != "test_plugins.py" and (f.name.startswith("test_") or "data" in f.parts):
                text += f.read_text(errors="replace")
    missing = [h for h in HOOKS if h not in text]
    assert not missing, f"hooks without a test: {missing}"


def _run_cm(args, **env):
    full = {**os.environ, "PYTHONPATH": str(FAKE), "CM_DISABLE_PLUGIN_AUTOLOAD": "", **env}
    return subprocess.run([sys.executable, "-m", "cmcore.cli", *args], capture_output=True, text=True,
                          env=full, timeout=120)


def test_cli_plugins_json_lists_good_and_failed(cm_home):
    p = _run_cm(["plugins", "--json"], CM_HOME=str(cm_home), CM_PLUGINS="good,broken")
    assert p.returncode == 0, p.stderr
    rows = {r["name"]: r for r in json.loads(p.stdout)}
    assert rows["good"]["distribution"] == "goodplugin" and rows["good"]["version"] == "1.2.3"
    assert "cm_automations" in rows["good"]["hooks"]
    assert rows["broken"]["error"]
    # the broken plugin is one warning line on stderr, never a traceback
    assert "Traceback" not in p.stderr
    assert sum("broken" in line for line in p.stderr.splitlines()) == 1


def test_cli_plugins_all_shows_builtins(cm_home):
    p = _run_cm(["plugins", "--all", "--json"], CM_HOME=str(cm_home), CM_PLUGINS="")
    names = {r["name"] for r in json.loads(p.stdout)}
    assert "cmcore.builtin.native" in names and "cmcore.builtin.cache" in names


def test_cli_version_lists_plugins(cm_home):
    p = _run_cm(["--version"], CM_HOME=str(cm_home), CM_PLUGINS="good")
    assert p.returncode == 0
    assert "cmcore" in p.stdout and "goodplugin 1.2.3" in p.stdout


def test_plugin_command_and_reserved_names(cm_home):
    p = _run_cm(["hello", "--name", "ann"], CM_HOME=str(cm_home), CM_PLUGINS="good")
    assert p.returncode == 0, p.stderr
    assert "plugin says hello ann" in p.stdout
    p2 = _run_cm(["plugins"], CM_HOME=str(cm_home), CM_PLUGINS="good")
    assert "HIJACKED" not in p2.stdout
    assert "override the built-in command 'plugins'" in p2.stderr


def test_trace_plugins(cm_home):
    p = _run_cm(["greet", "greeter"], CM_HOME=str(cm_home), CM_PLUGINS="good", CM_TRACE_PLUGINS="1")
    assert p.returncode == 0
    assert "cm-trace" in p.stderr and "cm_automations" in p.stderr


def test_cli_block_plugin_flag(cm_home):
    p = _run_cm(["-p", "no:good", "greet", "greeter"], CM_HOME=str(cm_home), CM_PLUGINS="good")
    assert p.returncode == 4
    assert 'automation "greeter" not found' in p.stderr


def test_entry_point_list_is_cached_until_sys_path_changes(fake_plugins, tmp_path):
    from cmcore.plugins import entry_point_records

    cache = tmp_path / "idx"
    first = entry_point_records(cache)
    assert "good" in {r.name for r in first}
    (f,) = cache.glob("entry-points-*.json")
    data = json.loads(f.read_text())
    data["entry_points"].append(["planted", "nowhere.module", "planted-dist", "9"])
    f.write_text(json.dumps(data))
    # nothing on sys.path changed: the cached list (with the planted row) is used
    assert "planted" in {r.name for r in entry_point_records(cache)}
    # installing something changes a sys.path folder: the list is scanned again
    (fake_plugins / "touch-marker").write_text("x")
    try:
        assert "planted" not in {r.name for r in entry_point_records(cache)}
    finally:
        (fake_plugins / "touch-marker").unlink()
