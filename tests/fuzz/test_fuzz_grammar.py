"""Property tests for the CLI grammar (cmcore.grammar.parse_cli, CM-FORMAT §2.1)."""

from __future__ import annotations

import shlex

from fuzzkit import any_text, call, fast_and_slow
from hypothesis import strategies as st

from cmcore.grammar import parse_cli

flag_key = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
# Values as they survive parsing: parse_cli strips surrounding whitespace.
flag_value = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     max_size=30).map(str.strip)
word = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=12)


def _no_traceback_argv(argv: list[str]) -> None:
    out = call(parse_cli, argv)
    if out is not None:
        assert out["cmd"] == argv


def _no_traceback_string(line: str) -> None:
    out = call(parse_cli, line)
    if out is not None:
        assert isinstance(out, dict)


def _roundtrip(flags: dict[str, str], env: dict[str, str], lists: dict[str, list[str]], as_string: bool) -> None:
    argv = ["run", "script", "--tags=a,b"]
    argv += [f"--{k}={v}" for k, v in flags.items()]
    argv += [f"--env.{k}={v}" for k, v in env.items()]
    argv += [f"--{k},={','.join(v)}" for k, v in lists.items()]
    parsed = parse_cli(shlex.join(argv) if as_string else argv)
    expect: dict = {"tags": "a,b", **flags}
    if env:
        expect["env"] = env
    expect.update(lists)
    got = {k: v for k, v in parsed.items() if k not in ("action", "automation", "cmd")}
    assert got == expect
    assert (parsed["action"], parsed["automation"]) == ("run", "script")


list_item = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00,"),
                    min_size=1, max_size=10).map(str.strip).filter(bool)

test_parse_cli_argv_never_tracebacks, test_parse_cli_argv_never_tracebacks_slow = fast_and_slow(
    st.lists(st.one_of(any_text, st.sampled_from(["--", "-", "@", "--=", "--a.=1", "--.x=1", "--x-", "--,=",
                                                  "@x.json", "@/nonexistent.yaml", "@a\x00.json", "--a..b=1"]),
                       st.builds(lambda a, b: f"--{a}={b}", any_text, any_text)), max_size=8)
)(_no_traceback_argv)

test_parse_cli_string_never_tracebacks, test_parse_cli_string_never_tracebacks_slow = fast_and_slow(
    any_text
)(_no_traceback_string)

test_parse_cli_roundtrip, test_parse_cli_roundtrip_slow = fast_and_slow(
    st.dictionaries(flag_key.filter(lambda k: k not in ("tags", "env")), flag_value, max_size=5),
    st.dictionaries(st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True), flag_value, max_size=4),
    st.dictionaries(flag_key.map(lambda k: "l_" + k), st.lists(list_item, min_size=1, max_size=4), max_size=3),
    st.booleans(),
)(_roundtrip)


def test_parse_cli_known_hostile_inputs() -> None:
    """Regression examples for the rejection contract (each either parses or is a CMError)."""
    for argv in (["--"], ["@"], ["--="], ["-"], ["run", "--x.=1"], ["@a\x00.json"], ["'unclosed"]):
        call(parse_cli, argv)
    call(parse_cli, "run script 'unclosed")
