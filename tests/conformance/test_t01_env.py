"""CM-FORMAT §7 T1: env precedence and export filtering, in both dialects."""

from __future__ import annotations

from conformance_kit import parse_json_stdout

DEFAULT_NEW_ENV = {
    "T1_A": "from-default",
    "T1_B": "from-meta-env",
    "T1_OUT": "from-default|from-meta-env|",
}


def test_plain_run_exports_exactly_the_t1_keys(corpus):
    r = corpus.ok("t1")
    # T1_C is absent: nothing set it, and the filter is on keys present in the final env.
    assert r["new_env"] == DEFAULT_NEW_ENV


def test_env_flag_beats_default_env_but_not_meta_env(corpus):
    r = corpus.ok("t1", env={"T1_A": "x", "T1_B": "y"})
    assert r["new_env"]["T1_A"] == "x"
    assert r["new_env"]["T1_B"] == "from-meta-env"
    assert r["new_env"]["T1_OUT"] == "x|from-meta-env|"


def test_const_beats_meta_env(corpus):
    r = corpus.ok("t1", const={"T1_B": "y"})
    assert r["new_env"]["T1_B"] == "y"
    assert r["new_env"]["T1_OUT"] == "from-default|y|"


def test_mapped_input_flag_sets_the_key(corpus):
    r = corpus.ok("t1", a="z")
    assert r["new_env"]["T1_A"] == "z"


def test_mapped_input_flag_beats_env_flag(corpus):
    r = corpus.ok("t1", a="z", env={"T1_A": "x"})
    assert r["new_env"]["T1_A"] == "z"
    assert r["new_env"]["T1_OUT"].startswith("z|")


def test_second_mapped_flag_fills_t1_c(corpus):
    r = corpus.ok("t1", c="w")
    assert r["new_env"]["T1_C"] == "w"
    assert r["new_env"]["T1_OUT"] == "from-default|from-meta-env|w"


def test_unrelated_env_is_not_exported(corpus):
    r = corpus.ok("t1", env={"OTHER": "1"})
    assert "OTHER" not in r["new_env"]
    assert r["new_env"] == DEFAULT_NEW_ENV


def test_callers_env_after_return_is_input_plus_new_env(corpus):
    r = corpus.ok("t1", env={"OTHER": "1"})
    # Nothing the engine set while running (CM_TMP_*, CM_QUIET, MLC_USER_RUN_DIR, ...)
    # may stay behind in the caller's env.
    assert r["env"] == {"OTHER": "1", **DEFAULT_NEW_ENV}


def test_callers_env_dict_is_refilled_in_place(corpus):
    # §3.6: the caller's env object is cleared and refilled in place; this is what makes a
    # dep's new_env visible in its parent's env dict.
    caller_env = {"OTHER": "1"}
    corpus.ok("t1", env=caller_env)
    assert caller_env == {"OTHER": "1", **DEFAULT_NEW_ENV}


def test_env_out_value_keeps_everything_after_the_first_equals(corpus):
    # Flaw 3 fixed (MLC behaviour): `echo "T1_OUT=k=v"` gives `k=v`, not `k`.
    r = corpus.ok("t1", env={"T1_RAW": "k=v"})
    assert r["new_env"]["T1_OUT"] == "k=v"


def test_env_out_value_with_several_equals(corpus):
    r = corpus.ok("t1", a="k=v=w")
    assert r["new_env"]["T1_OUT"] == "k=v=w|from-meta-env|"


def test_env_values_reach_run_sh_byte_for_byte(corpus):
    # Flaw 2 fixed: quotes, $, backticks, backslashes, globs and newlines are data.
    nasty = (
        "a \"dq\" 'sq' $HOME ${PATH} `echo pwned` $(echo pwned) \\back\\slash *.py ; | & > <\nline2\ttab  "
    )
    dump = corpus.state / "t1-dump.bin"
    r = corpus.ok("t1", a=nasty, env={"T1_DUMP": str(dump)})
    assert dump.read_bytes() == nasty.encode()
    assert r["new_env"]["T1_A"] == nasty


def test_cli_json_output_has_the_new_env(corpus):
    res = corpus.cli("run", "script", "--tags=t1", "--a=z", "--env.OTHER=1", "-j", "--quiet")
    assert res.exit_code == 0, res.stderr
    out = parse_json_stdout(res.stdout)
    assert out["return"] == 0
    assert out["new_env"] == {"T1_A": "z", "T1_B": "from-meta-env", "T1_OUT": "z|from-meta-env|"}


def test_cli_spaced_artifact_is_tags(corpus):
    # §2.5: `cmr "t1 env-test"` is `--tags=t1,env-test`.
    res = corpus.cli("run", "script", "t1 env-test", "-j", "--quiet")
    assert res.exit_code == 0, res.stderr
    assert parse_json_stdout(res.stdout)["new_env"] == DEFAULT_NEW_ENV
