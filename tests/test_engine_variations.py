"""Variation resolution (CM-FORMAT §3.4) and the tag query split (§3.3)."""

from __future__ import annotations

import pytest

from cmcore.errors import CMError
from cmcore.script import variations as V
from cmcore.script.tagquery import build_query, split_tags

T2 = {
    "cpu": {"group": "device", "default": True, "env": {"T2_DEV": "cpu"}},
    "cuda": {"group": "device", "env": {"T2_DEV": "cuda"}, "default_variations": {"prec": "fp16"}},
    "fp32": {"group": "prec", "default": True, "env": {"T2_PREC": "fp32"}},
    "fp16": {"group": "prec", "env": {"T2_PREC": "fp16"}},
    "fast": {"base": ["cuda"], "env": {"T2_FAST": "yes"}},
}

T3 = {
    "url.#": {"env": {"T3_URL": "#"}, "deps": [{"tags": "t1", "names": ["t1dep"], "env": {"T1_A": "#"}}]},
    "ver.#": {"group": "ver", "env": {"T3_VER": "#"}},
    "ver.4_0": {"group": "ver", "default": True, "env": {"T3_VER": "four"}},
}


def env_of(r: V.Resolved) -> dict:
    env: dict = {}
    for _, frag in r.fragments:
        env.update(frag.get("env") or {})
    return env


def test_group_defaults_when_nothing_requested():
    r = V.resolve(T2, [])
    assert r.names == ["cpu", "fp32"]
    assert env_of(r) == {"T2_DEV": "cpu", "T2_PREC": "fp32"}


def test_default_variations_of_active_variation():
    assert V.resolve(T2, ["cuda"]).names == ["cuda", "fp16"]


def test_explicit_beats_default_variations():
    r = V.resolve(T2, ["cuda", "fp32"])
    assert env_of(r)["T2_PREC"] == "fp32"


def test_base_pulls_in_and_order_is_explicit_base_defaults():
    r = V.resolve(T2, ["fast"])
    assert r.tags_string == "_fast,_cuda,_fp16"


def test_two_in_a_group_is_an_error():
    with pytest.raises(CMError, match="group"):
        V.resolve(T2, ["cpu", "cuda"])


def test_excluded_default_is_not_added():
    r = V.resolve(T2, [], ["cpu"])
    assert "T2_DEV" not in env_of(r)
    assert r.names == ["fp32"]


def test_unknown_variation_is_16_with_hint():
    with pytest.raises(CMError) as e:
        V.resolve(T2, ["cudaa"], script="t2-vars")
    assert e.value.code == 16
    assert '"_cuda"' in e.value.message and "available" in e.value.message


def test_base_on_excluded_is_error():
    with pytest.raises(CMError, match="excluded"):
        V.resolve(T2, ["fast"], ["cuda"])


def test_dynamic_substitution_reaches_deps_and_meta_untouched():
    r = V.resolve(T3, ["url.https://a.b/c.tgz"])
    frag = dict(r.fragments)["url.https://a.b/c.tgz"]
    assert frag["env"]["T3_URL"] == "https://a.b/c.tgz"
    assert frag["deps"][0]["env"]["T1_A"] == "https://a.b/c.tgz"
    assert T3["url.#"]["env"]["T3_URL"] == "#"  # the meta was not mutated (flaw 5)


def test_static_beats_dynamic_and_dynamic_blocks_default():
    assert env_of(V.resolve(T3, []))["T3_VER"] == "four"
    assert env_of(V.resolve(T3, ["ver.5_1"]))["T3_VER"] == "5_1"
    assert V.resolve(T3, ["ver.5_1"]).names == ["ver.5_1"]
    assert env_of(V.resolve(T3, ["ver.4_0"]))["T3_VER"] == "four"


def test_empty_dynamic_suffix_is_not_a_match():
    with pytest.raises(CMError) as e:
        V.resolve(T3, ["url."])
    assert e.value.code == 16


def test_combined_wins_whatever_the_order():
    t4 = {"a": {"env": {"X": "a"}}, "b": {"env": {"X": "b"}}, "a,b": {"env": {"X": "ab", "BOTH": "yes"}}}
    assert env_of(V.resolve(t4, ["a"])) == {"X": "a"}
    assert env_of(V.resolve(t4, ["b", "a"])) == {"X": "ab", "BOTH": "yes"}
    assert env_of(V.resolve(t4, ["a", "b"])) == {"X": "ab", "BOTH": "yes"}


def test_alias_default_variation_and_combined_default_variations():
    v = {
        "x": {"alias": "y"},
        "y": {"env": {"Y": "1"}},
        "p": {"group": "g1"},
        "q": {"group": "g2"},
        "r": {"group": "g2"},
        "p,y": {"default_variations": {"g2": "r"}},
    }
    assert V.resolve(v, ["x"]).names == ["x", "y"]
    assert V.resolve(v, [], default_variation="y").names == ["y"]
    assert V.resolve(v, ["p", "y"]).names == ["p", "y", "r"]


def test_alias_with_group_is_malformed():
    with pytest.raises(CMError) as e:
        V.resolve({"x": {"alias": "y", "group": "g"}, "y": {}}, ["x"])
    assert e.value.code == 4


def test_default_false_is_not_a_default():
    v = {"a": {"group": "g", "default": False}, "b": {"group": "g"}}
    assert V.resolve(v, []).names == []
    v2 = {"a": {"group": "g", "default": "true"}, "b": {"group": "g", "default": True}}
    with pytest.raises(CMError, match="several defaults"):
        V.resolve(v2, [])


def test_dynamic_base_yields_to_chosen_prefix():
    v = {"ver.#": {"env": {"V": "#"}}, "x": {"base": ["ver.1"]}}
    assert V.resolve(v, ["x"]).names == ["x", "ver.1"]
    assert V.resolve(v, ["x", "ver.2"]).names == ["x", "ver.2"]


def test_valid_and_invalid_combinations():
    v = {"a": {}, "b": {}, "c": {}}
    with pytest.raises(CMError, match="invalid variation combination"):
        V.resolve(v, ["a", "b"], invalid_combinations=[["a", "b"]])
    V.resolve(v, ["a", "c"], invalid_combinations=[["a", "b"]])
    with pytest.raises(CMError, match="not a valid combination"):
        V.resolve(v, ["b", "c"], valid_combinations=[["a", "b"]])
    V.resolve(v, ["a", "b"], valid_combinations=[["a", "b"]])


def test_warning_key_is_collected_not_a_crash():
    r = V.resolve({"w": {"warning": "slow on ARM"}}, ["w"])
    assert r.warnings == ["slow on ARM"]


def test_split_tags_and_query_forms():
    assert split_tags("get,python,_shared,-_static,~x,-virtual") == (
        ["get", "python", "-virtual"], ["shared"], ["static"])
    assert split_tags("_-x") == ([], [], ["x"])
    with pytest.raises(CMError):
        split_tags("_x,-_x")
    q = build_query({"artifact": "get python _shared"})
    assert (q.ref, q.tags, q.variations) == (None, ["get", "python"], ["shared"])
    q = build_query({"artifact": "get,python3"})
    assert (q.ref, q.tags) == (None, ["get", "python3"])
    q = build_query({"artifact": "detect-os", "artifacts": ["_x _y"]})
    assert (q.ref, q.variations) == ("detect-os", ["x", "y"])
    q = build_query({"artifact": "detect-os,1234567890abcdef"})
    assert q.ref == "detect-os,1234567890abcdef"
