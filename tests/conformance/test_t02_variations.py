"""CM-FORMAT §7 T2: variation groups, default, base and default_variations."""

from __future__ import annotations

import pytest
from conformance_kit import parse_json_stdout


def t2(r: dict) -> tuple:
    e = r["new_env"]
    return e.get("T2_DEV"), e.get("T2_PREC"), e.get("T2_FAST")


def test_no_variation_takes_the_group_defaults(corpus):
    assert t2(corpus.ok("t2")) == ("cpu", "fp32", None)


def test_cuda_pulls_its_default_variations(corpus):
    assert t2(corpus.ok("t2,_cuda")) == ("cuda", "fp16", None)


def test_explicit_variation_beats_default_variations(corpus):
    assert t2(corpus.ok("t2,_cuda,_fp32")) == ("cuda", "fp32", None)


def test_base_pulls_cuda_and_through_it_fp16(corpus):
    assert t2(corpus.ok("t2,_fast")) == ("cuda", "fp16", "yes")


def test_two_variations_of_one_group_is_an_error(corpus):
    r = corpus.run("t2,_cpu,_cuda")
    assert r["return"] != 0
    assert "device" in r["error"], "the error should name the variation group"


def test_excluded_default_leaves_its_group_unset(corpus):
    r = corpus.ok("t2,_-cpu")
    assert "T2_DEV" not in r["new_env"]
    assert r["new_env"]["T2_PREC"] == "fp32"


def test_unknown_variation_is_16(corpus):
    r = corpus.run("t2,_nosuch")
    assert r["return"] == 16
    assert "nosuch" in r["error"]


@pytest.mark.parametrize(
    "tags, inherited",
    [
        ("t2", "_cpu,_fp32"),
        ("t2,_cuda", "_cuda,_fp16"),
        # order: explicit, then base, then defaults
        ("t2,_fast", "_fast,_cuda,_fp16"),
        ("t2,_cuda,_fp32", "_cuda,_fp32"),
    ],
)
def test_resolved_variation_string(corpus, tags, inherited):
    r = corpus.ok(tags)
    assert r["deps"] == [f"t2-probe,{inherited}"]


def test_cache_tags_hold_every_resolved_variation(corpus):
    corpus.ok("t2,_fast", force_cache=True)
    entries = corpus.cache_entries("t2")
    assert len(entries) == 1
    tags = entries[0].tags
    for t in ("t2", "_fast", "_cuda", "_fp16", "script-artifact-1000000000000002"):
        assert t in tags
    assert "tmp" not in tags and "_cpu" not in tags and "_fp32" not in tags


def test_cli_spaced_tags_with_variations(corpus):
    res = corpus.cli("run", "script", "t2 _cuda", "-j", "--quiet")
    assert res.exit_code == 0, res.stderr
    out = parse_json_stdout(res.stdout)
    assert t2(out) == ("cuda", "fp16", None)


def test_cli_unknown_variation_exits_16(corpus):
    res = corpus.cli("run", "script", "--tags=t2,_nosuch", "--quiet")
    assert res.exit_code == 16


def test_second_positional_with_spaces_adds_variations(corpus):
    # §2.5: `cmr t2-vars "_cuda _fp32"`: the alias names the script, the spaced second
    # positional is appended to the tags
    r = corpus.ok(artifact="t2-vars", artifacts=["_cuda _fp32"])
    assert t2(r) == ("cuda", "fp32", None)
    res = corpus.cli("run", "script", "t2-vars", "_cuda _fp32", "-j", "--quiet")
    assert res.exit_code == 0, res.stderr
    assert t2(parse_json_stdout(res.stdout)) == ("cuda", "fp32", None)


def test_alias_combined_with_tags(corpus):
    r = corpus.ok("_cuda", artifact="t2-vars")
    assert t2(r) == ("cuda", "fp16", None)


def test_excluding_a_base_of_a_selected_variation_is_an_error(corpus):
    # §3.4 base: selecting `fast` turns on `cuda`, "unless one of them is excluded, which
    # is an error"
    r = corpus.run("t2,_fast,_-cuda")
    assert r["return"] != 0
    assert "cuda" in r["error"]


def test_excluding_an_unknown_variation_is_16(corpus):
    assert corpus.run("t2,_-nosuch")["return"] == 16


def test_same_variation_included_and_excluded_is_an_error(corpus):
    r = corpus.run("t2,_cuda,_-cuda")
    assert r["return"] != 0
    assert "cuda" in r["error"]


def test_excluding_one_group_default_while_selecting_another_member(corpus):
    assert t2(corpus.ok("t2,_-cpu,_cuda")) == ("cuda", "fp16", None)
