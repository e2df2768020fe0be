"""Property tests for env export and read-back (cmcore.script.native, CM-FORMAT §3.9).

The byte-for-byte property runs real bash: the export lines are sourced and every value is
dumped back NUL-separated, so quotes, ``$``, backticks, spaces and newlines must survive and
nothing may be executed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from fuzzkit import any_text, assert_cm_error, call, fast_and_slow
from hypothesis import strategies as st

from cmcore.errors import CMError
from cmcore.script.native import export_lines, parse_env_out

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

env_key = st.from_regex(r"[A-Z_][A-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda k: k not in ("_", "PWD", "OLDPWD", "SHLVL", "BASHOPTS", "BASH_ARGV0", "IFS", "PS4", "SHELLOPTS",
                        "EUID", "UID", "PPID", "BASHPID", "RANDOM", "SECONDS", "LINENO", "GROUPS", "HOSTNAME",
                        "HISTCMD", "FUNCNAME", "EPOCHSECONDS", "EPOCHREALTIME", "SRANDOM", "BASH_COMMAND"))
env_value = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40),
    st.sampled_from(["$(touch PWNED)", "`touch PWNED`", "'", '"', "a'b\"c", "$HOME", "${X:-y}", "a\nb\n",
                     " lead and trail ", "\\", "!!", "%PATH%", "*", "~", "; touch PWNED #", "\r\n"]),
)


def _bash_roundtrip(env: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        keys = sorted(env)
        script = "\n".join(export_lines(env)) + "\n"
        script += "".join(f'printf "%s\\0" "${{{k}}}"\n' for k in keys)
        (d / "w.sh").write_text(script, encoding="utf-8")
        p = subprocess.run(["bash", "--noprofile", "--norc", str(d / "w.sh")], cwd=d, capture_output=True,
                           env={"PATH": "/usr/bin:/bin"}, timeout=30)
        assert p.returncode == 0, p.stderr
        got = p.stdout.split(b"\x00")[:-1]
        assert [g.decode("utf-8") for g in got] == [env[k] for k in keys]
        assert not (d / "PWNED").exists(), "an env value was executed"


def _list_key_roundtrip(key: str, items: list[str], before: str | None) -> None:
    """``+KEY`` lists are prepended with ':' only when KEY was already set."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        pre = f"export {key}='{before}'\n" if before is not None else f"unset {key}\n"
        script = pre + "\n".join(export_lines({"+" + key: items})) + f'\nprintf "%s" "${{{key}}}"\n'
        (d / "w.sh").write_text(script, encoding="utf-8")
        p = subprocess.run(["bash", "--noprofile", "--norc", str(d / "w.sh")], cwd=d, capture_output=True,
                           env={"PATH": "/usr/bin:/bin"}, timeout=30)
        want = ":".join(items) + (f":{before}" if before else "")
        assert p.stdout.decode() == want


def _parse_env_out_never_tracebacks(text: str) -> None:
    out = call(parse_env_out, text)
    assert isinstance(out, dict)
    for k, v in out.items():
        assert k == k.strip() and v == v.strip() and "\n" not in v


def _env_out_roundtrip(env: dict[str, str]) -> None:
    text = "".join(f"{k}={v}\n" for k, v in env.items())
    assert parse_env_out(text) == env


def _nul_is_cm_error(key: str, a: str, b: str) -> None:
    for env in ({key: a + "\x00" + b}, {"+" + key: [a + "\x00" + b]}):
        with pytest.raises(CMError) as info:
            export_lines(env)
        assert_cm_error(info.value)


plain_item = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00:'"),
                     min_size=1, max_size=10)
line_value = st.text(st.characters(blacklist_categories=("Cs", "Zl", "Zp", "Cc"), blacklist_characters="\x00"),
                     max_size=30).map(str.strip)

test_export_bash_roundtrip, test_export_bash_roundtrip_slow = fast_and_slow(
    st.dictionaries(env_key, env_value, min_size=1, max_size=6), fast=25, slow=500)(_bash_roundtrip)
test_list_key_roundtrip, test_list_key_roundtrip_slow = fast_and_slow(
    env_key, st.lists(plain_item, min_size=1, max_size=4), st.one_of(st.none(), plain_item),
    fast=20, slow=300)(_list_key_roundtrip)
test_parse_env_out_total, test_parse_env_out_total_slow = fast_and_slow(any_text)(_parse_env_out_never_tracebacks)
test_env_out_roundtrip, test_env_out_roundtrip_slow = fast_and_slow(
    st.dictionaries(env_key, line_value, max_size=6))(_env_out_roundtrip)
test_nul_is_cm_error, test_nul_is_cm_error_slow = fast_and_slow(env_key, any_text, any_text)(_nul_is_cm_error)
