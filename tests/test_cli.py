"""The CM command-line grammar and the `cm` CLI front end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cmcore.errors import CMError
from cmcore.grammar import parse_cli

FAKE = Path(__file__).parent / "data" / "fake-plugins"


def test_parse_table_from_the_contract(tmp_path):
    (tmp_path / "in.json").write_text(json.dumps({"k": "from-file", "a": "overridden-by-flag?"}))
    argv = ["run", "script", "--a", "--b-", "--c,=x,y", "--d.e-f.g=1", f"@{tmp_path}/in.json", "--", "x", "y"]
    r = parse_cli(argv)
    assert r["action"] == "run" and r["automation"] == "script"
    assert r["b"] is False and r["c"] == ["x", "y"]
    assert r["d"] == {"e-f": {"g": "1"}}
    assert r["k"] == "from-file"
    # the @file came after --a, so it overrides it (shallow merge in place)
    assert r["a"] == "overridden-by-flag?"
    assert r["unparsed_cmd"] == ["x", "y"]
    assert r["cmd"] == argv


def test_parse_details():
    r = parse_cli('run script "get python3 _shared" --env.CM_X=1 --adr.python-pip.tags=x '
                  "--skip-cache -v --quiet=no --tags,= --k=a=b other more")
    assert r["artifact"] == "get python3 _shared"
    assert r["artifacts"] == ["other", "more"]
    assert r["env"] == {"CM_X": "1"}
    assert r["adr"] == {"python-pip": {"tags": "x"}}  # later dotted segments keep hyphens
    assert r["skip_cache"] is True and r["v"] is True
    assert r["quiet"] == "no"  # values stay strings; the engine decides truthiness
    assert r["tags"] == []
    assert r["k"] == "a=b"  # split at the first '='


def test_yaml_input_file_and_order(tmp_path):
    f = tmp_path / "in.yaml"
    f.write_text("env:\n  A: file\nname: from-file\n")
    r = parse_cli(["run", "script", "--name=before", f"@{f}", "--env.B=after"])
    assert r["name"] == "from-file"
    assert r["env"] == {"A": "file", "B": "after"}


@pytest.mark.parametrize("bad,code", [("@nope.txt", 4), ("@/does/not/exist.json", 16)])
def test_bad_input_files(bad, code):
    with pytest.raises(CMError) as exc:
        parse_cli(["run", "script", bad])
    assert exc.value.code == code


def test_malformed_input_file_is_one_line(tmp_path, cm_cli):
    f = tmp_path / "bad.yaml"
    f.write_text("env: [unclosed\n  x: 1\n")
    r = cm_cli("run", "script", f"@{f}")
    assert r.exit_code == 4
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("cm error: malformed YAML")


def test_unbalanced_quotes_in_a_string_command():
    import cmcore

    r = cmcore.access('run script "unclosed')
    assert r["return"] == 4 and "cannot split" in r["error"]


def test_unknown_automation_suggests(cm_cli):
    r = cm_cli("run", "scrpt")
    assert r.exit_code == 4
    assert r.stderr.strip() == 'cm error: automation "scrpt" not found; did you mean "script"?'


def test_unknown_action_suggests(cm_cli):
    r = cm_cli("shwo", "cache")
    assert r.exit_code == 4
    assert 'action "shwo" not found in automation "cache,541d6f712a6b464e"' in r.stderr
    assert 'did you mean "show"' in r.stderr


def test_uid_and_version(cm_cli):
    r = cm_cli("uid")
    assert r.exit_code == 0 and len(r.stdout.strip()) == 16
    int(r.stdout.strip(), 16)
    v = cm_cli("version")
    assert v.stdout.startswith("cmcore ")


def test_json_goes_to_stdout_errors_to_stderr(cm_cli):
    r = cm_cli("uid", "--json")
    data = r.json()
    assert data["return"] == 0 and len(data["uid"]) == 16
    bad = cm_cli("run", "scrpt", "--json")
    assert bad.json()["return"] == 4
    assert bad.stderr.startswith("cm error:")


def test_no_action_is_usage_error():
    import cmcore

    r = cmcore.access({})
    assert r["return"] == 1 and "usage" in r["error"]


def _run(args, **env):
    full = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "cmcore.cli", *args], capture_output=True, text=True,
                          env=full, timeout=120)


def test_internal_errors_are_one_line_and_traceback_only_with_v(cm_home):
    env = dict(PYTHONPATH=str(FAKE), CM_PLUGINS="good", CM_HOME=str(cm_home))
    p = _run(["explode", "greeter"], **env)
    assert p.returncode == 1
    assert "cm error: internal error: RuntimeError: boom" in p.stderr and "Traceback" not in p.stderr
    pv = _run(["explode", "greeter", "-v"], **env)
    assert "Traceback" in pv.stderr


def test_ctrl_c_is_exit_130_and_one_line(cm_home):
    p = _run(["interrupt", "greeter"], PYTHONPATH=str(FAKE), CM_PLUGINS="good", CM_HOME=str(cm_home))
    assert p.returncode == 130
    assert p.stderr.strip().endswith("interrupted (Ctrl-C); nothing was left half-written")
    assert "Traceback" not in p.stderr


def test_cm_grammar_fast_path_does_not_import_typer(cm_home):
    code = ("import sys; from cmcore.cli import main; rc = main(['uid']); "
            "print('TYPER' if 'typer' in sys.modules else 'NO-TYPER', rc)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "CM_HOME": str(cm_home)}, timeout=60)
    assert p.stdout.strip().endswith("NO-TYPER 0"), p.stdout + p.stderr


def test_help_lists_management_commands(cm_cli):
    r = cm_cli("--help")
    assert r.exit_code == 0 and "plugins" in r.stdout and "usage" in r.stdout.lower()
    assert "script" in r.stdout  # the automations are listed


def test_cmr_is_run_script(monkeypatch):
    from cmcore import cli

    seen = {}
    monkeypatch.setattr(cli, "_main", lambda argv, process: seen.update(argv=argv, process=process) or 0)
    cli.main_run_script(["get python3", "-j"])
    assert seen == {"argv": ["run", "script", "get python3", "-j"], "process": False}
    monkeypatch.setattr("sys.argv", ["cmr", "detect os"])
    cli.main_run_script()  # the cmr process itself: a repeated command may be replayed
    assert seen == {"argv": ["run", "script", "detect os"], "process": True}


def test_suggestions_among_many_candidates():
    from cmcore.suggest import close_matches

    many = [f"item-{i}" for i in range(5000)] + ["detect-os", "get-python3"]
    assert close_matches("detect-oss", many) == ["detect-os"]
    assert close_matches("get-pyhton3", many)[0] == "get-python3"
    # a typo in the first letter is still found through the length window
    assert "detect-os" in close_matches("xetect-os", many)
