"""Loading customize.py and calling its hooks (CM-FORMAT §3.10, §5.1), with the compat
modules present only during the call and only when the real packages are absent."""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cmcore.errors import CMError
from cmcore.script.customize_api import build_run_script_input, call_hook, load_customize, os_info
from cmcore.script.dialect import CM, MLC

SHIMS = ("cmind", "cmind.utils", "mlc", "mlc.utils", "utils")


@pytest.fixture(autouse=True)
def _no_real_packages() -> None:
    for name in ("cmind", "mlc"):
        if importlib.util.find_spec(name) is not None:  # pragma: no cover - depends on the venv
            pytest.skip(f"the real {name} package is installed here")
    for name in SHIMS:
        assert name not in sys.modules


def write_customize(d: Path, body: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "customize.py").write_text(textwrap.dedent(body))
    return d


def test_cm_style_hooks_with_from_cmind_import_utils(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", """\
        from cmind import utils
        import cmind
        import os

        def preprocess(i):
            env = i['env']
            r = utils.compare_versions({'version1': env['V'], 'version2': '3.9'})
            env['CMP'] = r['comparison']
            env['YES'] = utils.check_if_true_yes_on(env, 'FLAG')
            env['HAS_ACCESS'] = callable(cmind.access)
            import cmind.utils as cu  # a submodule import inside the hook works too
            env['SAME'] = cu is utils
            return {'return': 0}

        def postprocess(i):
            return {'return': 0, 'version': '1.2'}
    """)
    mod = load_customize(d, CM)
    assert mod is not None
    for name in SHIMS:
        assert name not in sys.modules, name  # gone again after the load
    env = {"V": "3.10", "FLAG": "on"}
    assert call_hook(mod, "preprocess", {"env": env}, CM) == {"return": 0}
    assert env == {"V": "3.10", "FLAG": "on", "CMP": 1, "YES": True, "HAS_ACCESS": True, "SAME": True}
    assert call_hook(mod, "postprocess", {"env": env}, CM) == {"return": 0, "version": "1.2"}
    for name in SHIMS:
        assert name not in sys.modules, name


def test_mlc_style_hooks_with_from_utils_import_is_true(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", """\
        from mlc import utils
        import os

        def preprocess(i):
            from utils import is_true, is_false
            env = i['env']
            env['T'] = is_true(env.get('MLC_X', ''))
            env['F'] = is_false(env.get('MLC_Y', ''))
            env['OSINFO'] = utils.get_host_os_info()['info']['env'].get('MLC_HOST_OS_TYPE')
            return {'return': 0}
    """)
    mod = load_customize(d, MLC)
    env = {"MLC_X": "Yes", "MLC_Y": "off"}
    call_hook(mod, "preprocess", {"env": env}, MLC)
    assert env["T"] is True and env["F"] is True and env["OSINFO"] == "linux"
    for name in SHIMS:
        assert name not in sys.modules


def test_each_load_is_fresh_and_sibling_modules_do_not_leak(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", """\
        from myhelper import VALUE
        COUNT = []

        def preprocess(i):
            COUNT.append(1)
            i['env']['N'] = len(COUNT)
            i['env']['VALUE'] = VALUE
            return {'return': 0}
    """)
    (d / "myhelper.py").write_text("VALUE = 'one'\n")
    m1 = load_customize(d, CM)
    env: dict = {}
    call_hook(m1, "preprocess", {"env": env}, CM)
    call_hook(m1, "preprocess", {"env": env}, CM)
    assert env == {"N": 2, "VALUE": "one"}
    assert "myhelper" not in sys.modules
    assert str(d) not in sys.path
    (d / "myhelper.py").write_text("VALUE = 'two'\n")
    m2 = load_customize(d, CM)
    assert m2 is not m1 and m2.__name__ != m1.__name__
    call_hook(m2, "preprocess", {"env": env}, CM)
    assert env == {"N": 1, "VALUE": "two"}


def test_script_with_its_own_utils_module_keeps_it(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", """\
        def preprocess(i):
            from utils import local_only
            i['env']['X'] = local_only()
            return {'return': 0}
    """)
    (d / "utils.py").write_text("def local_only():\n    return 'mine'\n")
    env: dict = {}
    call_hook(load_customize(d, MLC), "preprocess", {"env": env}, MLC)
    assert env == {"X": "mine"}
    assert "utils" not in sys.modules


def test_absent_module_or_hook_is_none(tmp_path: Path) -> None:
    assert load_customize(tmp_path, CM) is None
    assert call_hook(None, "preprocess", {}, CM) is None
    d = write_customize(tmp_path / "s", "X = 1\n")
    assert call_hook(load_customize(d, CM), "postprocess", {}, CM) is None


def test_hook_raising_is_one_line_cmerror_with_the_path(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", """\
        def preprocess(i):
            raise KeyError('CM_MISSING_KEY')
    """)
    with pytest.raises(CMError) as e:
        call_hook(load_customize(d, CM), "preprocess", {"env": {}}, CM)
    msg = e.value.message
    assert str(d / "customize.py") in msg and "preprocess()" in msg and "KeyError" in msg and "CM_MISSING_KEY" in msg
    assert "\n" not in msg
    assert "Traceback" in e.value.details  # type: ignore[attr-defined]
    for name in SHIMS:
        assert name not in sys.modules


def test_hook_returning_non_dict_is_a_clear_error(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", "def preprocess(i):\n    return None\n")
    with pytest.raises(CMError) as e:
        call_hook(load_customize(d, CM), "preprocess", {}, CM)
    assert "returned NoneType" in e.value.message and "dict" in e.value.message


def test_hook_dict_without_return_defaults_to_zero(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", "def preprocess(i):\n    return {'skip': True}\n")
    assert call_hook(load_customize(d, CM), "preprocess", {}, CM) == {"skip": True, "return": 0}


def test_syntax_error_and_import_error_at_load(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "a", "def preprocess(i)\n    return {}\n")
    with pytest.raises(CMError) as e:
        load_customize(d, CM)
    assert "SyntaxError" in e.value.message and "loading" in e.value.message
    d2 = write_customize(tmp_path / "b", "import no_such_module_xyz\n")
    with pytest.raises(CMError) as e2:
        load_customize(d2, CM)
    assert "no_such_module_xyz" in e2.value.message
    for name in SHIMS:
        assert name not in sys.modules


def test_sys_exit_in_a_hook_does_not_exit(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", "import sys\ndef preprocess(i):\n    sys.exit(3)\n")
    with pytest.raises(CMError) as e:
        call_hook(load_customize(d, CM), "preprocess", {}, CM)
    assert "SystemExit" in e.value.message


def test_keyboard_interrupt_propagates(tmp_path: Path) -> None:
    d = write_customize(tmp_path / "s", "def preprocess(i):\n    raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        call_hook(load_customize(d, CM), "preprocess", {}, CM)
    for name in SHIMS:
        assert name not in sys.modules


def test_cmind_access_reaches_the_current_session(tmp_path: Path, cm_session) -> None:
    d = write_customize(tmp_path / "s", """\
        import cmind

        def preprocess(i):
            r = cmind.access({'action': 'nosuchaction', 'automation': 'nosuchautomation'})
            i['env']['R'] = r['return']
            i['env']['ERR'] = r.get('error', '')
            return {'return': 0}
    """)
    env: dict = {}
    call_hook(load_customize(d, CM), "preprocess", {"env": env}, CM)
    assert env["R"] > 0 and "nosuchautomation" in env["ERR"]


def test_nested_hook_calls_keep_the_shims_until_the_outer_call_ends(tmp_path: Path) -> None:
    inner = write_customize(tmp_path / "inner", """\
        def preprocess(i):
            from utils import is_true
            i['env']['INNER'] = is_true('yes')
            return {'return': 0}
    """)
    outer = write_customize(tmp_path / "outer", """\
        import sys
        def preprocess(i):
            i['call_inner']()
            import cmind  # still there after the nested call returned
            i['env']['OUTER'] = 'cmind' in sys.modules
            return {'return': 0}
    """)
    inner_mod = load_customize(inner, MLC)
    env: dict = {}
    call_hook(load_customize(outer, CM), "preprocess",
              {"env": env, "call_inner": lambda: call_hook(inner_mod, "preprocess", {"env": env}, MLC)}, CM)
    assert env == {"INNER": True, "OUTER": True}
    for name in SHIMS:
        assert name not in sys.modules


def test_real_package_wins_when_importable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_site = tmp_path / "site"
    (fake_site / "cmind").mkdir(parents=True)
    (fake_site / "cmind" / "__init__.py").write_text("REAL = True\n")
    monkeypatch.syspath_prepend(str(fake_site))
    d = write_customize(tmp_path / "s", """\
        def preprocess(i):
            import cmind
            import mlc
            i['env']['REAL'] = getattr(cmind, 'REAL', False)
            i['env']['MLC_SHIM'] = hasattr(mlc, 'utils')
            return {'return': 0}
    """)
    env: dict = {}
    call_hook(load_customize(d, CM), "preprocess", {"env": env}, CM)
    assert env == {"REAL": True, "MLC_SHIM": True}
    sys.modules.pop("cmind", None)


def test_os_info_and_run_script_input() -> None:
    info = os_info(CM)
    for key in ("platform", "bat_ext", "set_env", "env_separator", "env_var", "run_bat",
                "run_local_bat_from_python", "start_script", "set_exec_file", "bits", "python_bits", "env"):
        assert key in info, key
    assert info["platform"] == "linux" and info["bat_ext"] == ".sh" and info["env_separator"] == ":"
    assert info["bits"] in ("32", "64")
    env, state, meta = {"A": "1"}, {}, {"alias": "x"}
    rsi = build_run_script_input(script_path=Path("/s/x"), env=env, state=state, meta=meta, dialect=MLC,
                                 recursion_spaces="  ", run_state={"deps": []}, script_name="install")
    assert rsi["path"] == "/s/x" and rsi["script_name"] == "install" and rsi["dialect"] is MLC
    assert rsi["env"] is env and rsi["state"] is state and rsi["meta"] is meta
    assert rsi["os_info"]["env"]["MLC_HOST_OS_TYPE"] == "linux" and rsi["recursion_spaces"] == "  "


def test_a_same_size_edit_within_one_second_is_not_hidden_by_a_bytecode_cache(tmp_path: Path,
                                                                               monkeypatch) -> None:
    """Python's bytecode cache checks the source's mtime in whole seconds and its size."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    d = write_customize(tmp_path / "s", """\
        from myhelper import VALUE

        def preprocess(i):
            i['env']['VALUE'] = VALUE
            return {'return': 0}
    """)
    helper = d / "myhelper.py"
    second = int(time.time()) * 10**9
    os.utime(d / "customize.py", ns=(second - 10**10, second - 10**10))  # older than the 2 s window
    for value in ("one", "two", "six"):
        helper.write_text(f"VALUE = '{value}'\n")
        os.utime(helper, ns=(second, second))  # the same whole second every time, and the same size
        env: dict = {}
        call_hook(load_customize(d, CM), "preprocess", {"env": env}, CM)
        assert env["VALUE"] == value
    assert sys.dont_write_bytecode is False
