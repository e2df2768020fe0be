"""Native script execution (CM-FORMAT §3.9, §5.4, flaws 2, 3 and 14): real bash runs."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cmcore.errors import CMError
from cmcore.script.dialect import CM, MLC
from cmcore.script.native import (
    export_lines,
    native_candidates,
    parse_env_out,
    run_native_script,
    select_native_script,
    wrapper_text,
)

NASTY = [
    'double "quote"',
    "single 'quote'",
    "dollar $HOME and ${PATH} and $(id -u)",
    "backtick `touch PWNED` done",
    "semicolon; touch PWNED2 && echo x",
    "  leading and trailing spaces  ",
    "line1\nline2\n\nline4",
    "back\\slash \\n \\\\ end\\",
    "glob * ? [a-z] ~ !bang !! #hash",
    "tab\there, unicode é ü 日本",
    "",
    "'",
    '"',
    "'\"'\"",
    "\\",
    "%PATH% percent",
    "-n",
    "=equals=sign=",
]


def make_script(d: Path, name: str, body: str) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / name
    p.write_text(textwrap.dedent(body))
    return p


# -- quoting ------------------------------------------------------------------------------


def test_nasty_values_arrive_byte_for_byte_and_never_execute(tmp_path: Path) -> None:
    script_dir, work = tmp_path / "s", tmp_path / "w"
    work.mkdir()
    env = {f"V{n}": v for n, v in enumerate(NASTY)}
    env["NAMES"] = " ".join(env)
    body = 'for k in $NAMES; do printf "%s" "${!k}" > "out-$k"; done\n'
    script = make_script(script_dir, "run.sh", body)
    res = run_native_script(script, env=env, state={}, cwd=work, dialect=CM, silent=True)
    assert res.returncode == 0, res.log_path.read_text()
    for n, v in enumerate(NASTY):
        assert (work / f"out-V{n}").read_bytes() == v.encode(), f"value {n}: {v!r}"
    assert not (work / "PWNED").exists() and not (work / "PWNED2").exists()
    assert not (script_dir / "PWNED").exists()


def test_booleans_and_plain_lists_are_exported_as_cm_does(tmp_path: Path) -> None:
    lines = export_lines({"B": True, "C": False, "L": ["a", "b"], "N": 3})
    assert lines[:2] == ["export B='True'", "export C='False'"]
    assert lines[2] == "export L='['\\''a'\\'', '\\''b'\\'']'"
    assert lines[3] == "export N='3'"
    script = make_script(tmp_path / "s", "run.sh", 'echo "B=$B" > tmp-run-env.out; echo "L=$L" >> tmp-run-env.out\n')
    res = run_native_script(script, env={"B": True, "L": ["a", "b"]}, state={}, cwd=tmp_path, silent=True)
    assert res.env_out == {"B": "True", "L": "['a', 'b']"}


def test_export_lines_sorted_and_invalid_names_skipped() -> None:
    lines = export_lines({"Z": "1", "A": "2", "BAD-NAME": "x", "bad name; rm -rf /": "y", "_ok": "3"})
    assert lines == ["export A='2'", "export Z='1'", "export _ok='3'"]


def test_plus_key_must_be_a_list() -> None:
    with pytest.raises(CMError) as e:
        export_lines({"+PATH": "/bin"})
    assert "+PATH" in e.value.message and "list" in e.value.message


def test_nul_byte_is_refused() -> None:
    with pytest.raises(CMError):
        export_lines({"A": "x\x00y"})


# -- +KEY lists ----------------------------------------------------------------------------


def test_plus_lists_prepend_with_separators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LDFLAGS", "-L/old")
    monkeypatch.delenv("CM_T_UNSET", raising=False)
    monkeypatch.setenv("CM_T_DOLLAR", "z")
    env = {
        "+PATH": ["/opt/a b/bin", "/opt/$x/bin"],
        "+ LDFLAGS": ["-L/opt/t10/lib", "-lfoo"],
        "+CM_T_UNSET": ["/only"],
        "+;CM_T_DOLLAR": ["y'q"],
    }
    body = """\
    echo "HEAD=${PATH%%:*}" > tmp-run-env.out
    echo "SECOND=$(echo "$PATH" | cut -d: -f2)" >> tmp-run-env.out
    echo "LDF=$LDFLAGS" >> tmp-run-env.out
    echo "UNSET=$CM_T_UNSET" >> tmp-run-env.out
    echo "DOLLAR=$CM_T_DOLLAR" >> tmp-run-env.out
    """
    script = make_script(tmp_path / "s", "run.sh", body)
    res = run_native_script(script, env=env, state={}, cwd=tmp_path, silent=True)
    assert res.returncode == 0
    assert res.env_out["HEAD"] == "/opt/a b/bin"
    assert res.env_out["SECOND"] == "/opt/$x/bin"
    assert res.env_out["LDF"] == "-L/opt/t10/lib -lfoo -L/old"
    assert res.env_out["UNSET"] == "/only"  # no trailing ':' (an empty element means cwd)
    assert res.env_out["DOLLAR"] == "y'q;z"
    wrapper = res.wrapper_path.read_text()
    assert "export LDFLAGS='-L/opt/t10/lib -lfoo'\"${LDFLAGS:+ ${LDFLAGS}}\"" in wrapper


def test_plus_list_with_a_special_separator_char() -> None:
    (line,) = export_lines({"+}X": ["a"]})
    out = subprocess.run(["bash", "-c", f"X=b; {line}; printf %s \"$X\""], capture_output=True, text=True)
    assert out.stdout == "a}b"


def test_windows_export_lines_text() -> None:
    lines = export_lines({"A": "x & y %z%", "+PATH": ["C:\\a", "C:\\b"]}, os_name="nt")
    assert lines == ['set "PATH=C:\\a;C:\\b;%PATH%"', 'set "A=x & y %%z%%"']
    with pytest.raises(CMError):
        export_lines({"A": "two\nlines"}, os_name="nt")


# -- wrapper and script_prefix -------------------------------------------------------------


def test_wrapper_layout_and_script_prefix(tmp_path: Path) -> None:
    body = 'echo "SEEN=$T10_PREFIX_SEEN" > tmp-run-env.out; echo "X=$X" >> tmp-run-env.out\n'
    script = make_script(tmp_path / "my dir", "run.sh", body)
    state = {"script_prefix": ["export T10_PREFIX_SEEN=1"]}
    res = run_native_script(script, env={"X": "1"}, state=state, cwd=tmp_path, silent=True)
    assert res.env_out == {"SEEN": "1", "X": "1"}
    text = res.wrapper_path.read_text().splitlines()
    assert text[0] == "#!/bin/bash"
    assert text[2] == "export T10_PREFIX_SEEN=1"
    assert text[-1] == f". '{script}'"
    assert os.stat(res.wrapper_path).st_mode & stat.S_IXUSR
    assert json.loads((tmp_path / "tmp-state.json").read_text()) == state


def test_env_gets_current_script_paths_and_stale_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / "tmp-run-env.out").write_text("STALE=1\n")
    (tmp_path / "tmp-run-state.json").write_text('{"stale": 1}')
    script = make_script(tmp_path / "s", "run.sh", 'echo "WP=$MLC_TMP_CURRENT_SCRIPT_WORK_PATH" > tmp-run-env.out\n')
    env: dict = {}
    res = run_native_script(script, env=env, state={}, cwd=tmp_path, dialect=MLC, silent=True)
    assert res.env_out == {"WP": str(tmp_path.resolve())}
    assert res.state_out == {}
    assert env["MLC_TMP_CURRENT_SCRIPT_PATH"] == str((tmp_path / "s").resolve())


def test_state_out_is_read_and_malformed_state_is_an_error(tmp_path: Path) -> None:
    script = make_script(tmp_path / "s", "run.sh", """echo '{"a": [1]}' > tmp-run-state.json\n""")
    assert run_native_script(script, env={}, state={}, cwd=tmp_path, silent=True).state_out == {"a": [1]}
    bad = make_script(tmp_path / "s", "bad.sh", "echo '[1, 2' > tmp-run-state.json\n")
    with pytest.raises(CMError) as e:
        run_native_script(bad, env={}, state={}, cwd=tmp_path, silent=True)
    assert e.value.code == 4


def test_missing_script_missing_cwd_and_readonly_cwd_are_clear_errors(tmp_path: Path) -> None:
    script = make_script(tmp_path / "s", "run.sh", "true\n")
    with pytest.raises(CMError) as e:
        run_native_script(tmp_path / "s" / "nope.sh", env={}, state={}, cwd=tmp_path, silent=True)
    assert e.value.code == 16 and "nope.sh" in e.value.message
    with pytest.raises(CMError) as e:
        run_native_script(script, env={}, state={}, cwd=tmp_path / "gone", silent=True)
    assert e.value.code == 16 and "gone" in e.value.message
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # running as root: permissions do not stop us
            pytest.skip("root ignores directory permissions")
        with pytest.raises(CMError) as e:
            run_native_script(script, env={}, state={}, cwd=ro, silent=True)
        assert "cannot prepare" in e.value.message
    finally:
        ro.chmod(0o700)


def test_bad_env_is_refused_before_any_file_is_touched(tmp_path: Path) -> None:
    script = make_script(tmp_path / "s", "run.sh", "true\n")
    (tmp_path / "tmp-run-env.out").write_text("KEEP=1\n")
    with pytest.raises(CMError):
        run_native_script(script, env={"+PATH": "/not/a/list"}, state={}, cwd=tmp_path, silent=True)
    assert (tmp_path / "tmp-run-env.out").read_text() == "KEEP=1\n"
    assert not (tmp_path / "tmp-run.sh").exists()


# -- exit codes and output -----------------------------------------------------------------


def test_real_exit_code_not_wait_status(tmp_path: Path) -> None:
    script = make_script(tmp_path / "s", "run.sh", "echo before; exit 3\necho after\n")
    res = run_native_script(script, env={}, state={}, cwd=tmp_path, silent=True)
    assert res.returncode == 3
    assert res.log_path.read_text() == "before\n"
    one = make_script(tmp_path / "s", "one.sh", "false\n")
    assert run_native_script(one, env={}, state={}, cwd=tmp_path, silent=True).returncode == 1


def test_signal_kill_gives_negative_code(tmp_path: Path) -> None:
    script = make_script(tmp_path / "s", "run.sh", "kill -TERM $$\nsleep 5\n")
    res = run_native_script(script, env={}, state={}, cwd=tmp_path, silent=True)
    assert res.returncode == -signal.SIGTERM


def test_output_goes_to_log_and_to_stderr_unless_silent(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    script = make_script(tmp_path / "s", "run.sh", "echo out-line; echo err-line >&2\n")
    res = run_native_script(script, env={}, state={}, cwd=tmp_path, silent=False)
    assert res.log_path == tmp_path.resolve() / "tmp-run.log"
    assert res.log_path.read_text() == "out-line\nerr-line\n"
    captured = capfd.readouterr()
    assert "out-line" in captured.err and "err-line" in captured.err and captured.out == ""
    run_native_script(script, env={}, state={}, cwd=tmp_path, silent=True)
    assert capfd.readouterr().err == ""


def test_timeout_stops_the_script(tmp_path: Path) -> None:
    script = make_script(tmp_path / "s", "run.sh", "echo started\nexec sleep 30\n")
    res = run_native_script(script, env={}, state={}, cwd=tmp_path, silent=True, timeout=0.5)
    assert res.timed_out and res.returncode == -signal.SIGTERM
    assert "started" in res.log_path.read_text()


def test_ctrl_c_reaches_the_child_and_propagates_after_reaping(tmp_path: Path) -> None:
    """A driver process runs a script; Ctrl-C (SIGINT to the process group, as a terminal
    sends it) must stop the script, reap it, and surface as KeyboardInterrupt."""
    script = make_script(tmp_path / "s", "run.sh", """\
    trap 'echo got-int > trapped; exit 130' INT
    echo $$ > bash.pid
    echo ready > ready
    while true; do sleep 0.1; done
    """)
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""\
        import sys
        from pathlib import Path
        from cmcore.script.native import run_native_script
        try:
            run_native_script(Path({str(script)!r}), env={{}}, state={{}}, cwd=Path({str(tmp_path)!r}), silent=True)
        except KeyboardInterrupt:
            print("KI-propagated", flush=True)
            sys.exit(42)
        print("no-interrupt")
    """))
    proc = subprocess.Popen([sys.executable, str(driver)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    ready = tmp_path / "ready"
    for _ in range(600):  # wait until the script runs (polling, not a timed assertion)
        if ready.exists() or proc.poll() is not None:
            break
        subprocess.run(["sleep", "0.05"])
    assert ready.exists()
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 42 and "KI-propagated" in out
    assert (tmp_path / "trapped").read_text().strip() == "got-int"
    bash_pid = int((tmp_path / "bash.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(bash_pid, 0)


def test_interrupt_only_to_the_parent_is_forwarded(tmp_path: Path) -> None:
    script = make_script(tmp_path / "s", "run.sh", """\
    trap 'echo got-int > trapped; exit 130' INT
    echo ready > ready
    while true; do sleep 0.1; done
    """)
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""\
        import sys
        from pathlib import Path
        from cmcore.script.native import run_native_script
        try:
            run_native_script(Path({str(script)!r}), env={{}}, state={{}}, cwd=Path({str(tmp_path)!r}), silent=True)
        except KeyboardInterrupt:
            sys.exit(42)
    """))
    proc = subprocess.Popen([sys.executable, str(driver)], start_new_session=True)
    for _ in range(600):
        if (tmp_path / "ready").exists() or proc.poll() is not None:
            break
        subprocess.run(["sleep", "0.05"])
    proc.send_signal(signal.SIGINT)  # only the Python process, not its group
    assert proc.wait(timeout=60) == 42
    assert (tmp_path / "trapped").read_text().strip() == "got-int"


# -- tmp-run-env.out ----------------------------------------------------------------------


def test_parse_env_out_keeps_everything_after_first_equals() -> None:
    text = "K=a=b\n\n  SPACED  =  v w  \nURL=http://x/y?a=1&b=2\nEMPTY=\nNOEQ\n=novalue\n"
    assert parse_env_out(text) == {"K": "a=b", "SPACED": "v w", "URL": "http://x/y?a=1&b=2", "EMPTY": "", "NOEQ": ""}


def test_env_out_roundtrip_through_a_real_script(tmp_path: Path) -> None:
    script = make_script(tmp_path / "s", "run.sh", 'echo "T1_OUT=k=v" > tmp-run-env.out\n')
    assert run_native_script(script, env={}, state={}, cwd=tmp_path, silent=True).env_out == {"T1_OUT": "k=v"}


# -- which file runs ----------------------------------------------------------------------

HOST = {"HOST_OS_FLAVOR": "ubuntu", "HOST_OS_VERSION": "22.04", "HOST_PLATFORM_FLAVOR": "x86_64",
        "HOST_OS_FLAVOR_LIKE": "debian", "HOST_OS_TYPE": "linux"}


def host_env(dialect) -> dict:
    return {dialect.key(k): v for k, v in HOST.items()}


def test_cm_selection_order(tmp_path: Path) -> None:
    names = native_candidates("run", host_env(CM), CM)
    assert names == ["run-ubuntu-22.04-x86_64.sh", "run-ubuntu-x86_64.sh", "run-ubuntu-22.04.sh",
                     "run-ubuntu.sh", "run-x86_64.sh", "run.sh"]
    for n in reversed(names):  # each file, once present, wins over the ones after it
        (tmp_path / n).write_text("true\n")
        assert select_native_script(tmp_path, "run", host_env(CM), CM, explicit=False) == tmp_path / n


def test_mlc_selection_order(tmp_path: Path) -> None:
    names = native_candidates("run", host_env(MLC), MLC)
    assert names == ["run-ubuntu-22.04-x86_64.sh", "run-ubuntu-22.04.sh", "run-ubuntu-x86_64.sh",
                     "run-ubuntu.sh", "run-debian-x86_64.sh", "run-debian.sh", "run-linux-x86_64.sh",
                     "run-linux.sh", "run-x86_64.sh", "run.sh"]
    for n in reversed(names):
        (tmp_path / n).write_text("true\n")
        assert select_native_script(tmp_path, "run", host_env(MLC), MLC, explicit=False) == tmp_path / n


def test_cm_and_mlc_differ_on_version_versus_arch(tmp_path: Path) -> None:
    (tmp_path / "run-ubuntu-x86_64.sh").write_text("true\n")
    (tmp_path / "run-ubuntu-22.04.sh").write_text("true\n")
    assert select_native_script(tmp_path, "run", host_env(CM), CM, explicit=False).name == "run-ubuntu-x86_64.sh"
    assert select_native_script(tmp_path, "run", host_env(MLC), MLC, explicit=False).name == "run-ubuntu-22.04.sh"


def test_missing_keys_skip_variants_and_cm_ignores_mlc_keys(tmp_path: Path) -> None:
    assert native_candidates("install", {}, CM) == ["install.sh"]
    assert native_candidates("run", {"CM_HOST_PLATFORM_FLAVOR": "aarch64"}, CM) == ["run-aarch64.sh", "run.sh"]
    (tmp_path / "run-linux.sh").write_text("true\n")
    assert select_native_script(tmp_path, "run", host_env(CM), CM, explicit=False) is None


def test_explicit_missing_is_16_default_missing_is_none(tmp_path: Path) -> None:
    assert select_native_script(tmp_path, "run", {}, CM, explicit=False) is None
    with pytest.raises(CMError) as e:
        select_native_script(tmp_path, "install", host_env(CM), CM, explicit=True)
    assert e.value.code == 16 and "install" in e.value.message and "install-ubuntu.sh" in e.value.message


def test_windows_uses_bat(tmp_path: Path) -> None:
    (tmp_path / "run.bat").write_text("@echo off\n")
    (tmp_path / "run.sh").write_text("true\n")
    assert select_native_script(tmp_path, "run", host_env(CM), CM, explicit=False, os_name="nt") == tmp_path / "run.bat"
    text = wrapper_text(tmp_path / "run.bat", {"A": "1"}, {"script_prefix": ["rem hi"]}, os_name="nt")
    assert text.splitlines()[:4] == ["@echo off", "", "rem hi", 'set "A=1"']
    assert text.rstrip().endswith(f'call "{tmp_path / "run.bat"}"')


def test_ctrl_c_while_the_output_thread_is_being_started_still_reaps_the_child(tmp_path: Path,
                                                                               monkeypatch) -> None:
    """The interrupt can land inside Thread.start(), before the thread exists: no RuntimeError
    ("cannot join thread before it is started") may replace the KeyboardInterrupt."""
    import threading

    from cmcore.script import native

    script = make_script(tmp_path / "s", "run.sh", """\
    echo $$ > bash.pid
    while true; do sleep 0.1; done
    """)

    def interrupted_start(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", interrupted_start)
    with pytest.raises(KeyboardInterrupt):
        native.run_native_script(script, env={}, state={}, cwd=tmp_path, silent=True, interrupt_grace=0.5)
    monkeypatch.undo()
    for _ in range(100):  # the child is gone once the interrupt propagated; wait for its pid file
        if (tmp_path / "bash.pid").exists():
            break
        subprocess.run(["sleep", "0.05"])
    if (tmp_path / "bash.pid").exists():
        with pytest.raises(ProcessLookupError):
            os.kill(int((tmp_path / "bash.pid").read_text()), 0)
