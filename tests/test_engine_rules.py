"""Conditions, env merging and filtering, versions, dep patching: the pure rules of the engine."""

from __future__ import annotations

import copy

import pytest

from cmcore.errors import CMError
from cmcore.script import conditions as C
from cmcore.script import depspec as D
from cmcore.script import envmodel as E
from cmcore.script import versions as VV
from cmcore.script.flags import RunFlags, is_true

T5 = [
    {"tags": "t1", "names": ["all-on"], "enable_if_env": {"T5_E1": ["yes"], "T5_E2": ["yes"]}},
    {"tags": "t1", "names": ["any-on"], "enable_if_any_env": {"T5_E1": ["yes"], "T5_E2": ["yes"]}},
    {"tags": "t1", "names": ["skip-off"], "skip_if_env": {"T5_E1": ["no"]}},
    {"tags": "t1", "names": ["exact"], "enable_if_env": {"T5_E2": ["gpu", "npu"]}},
]


def running(env: dict) -> list[str]:
    return [d["names"][0] for d in T5 if C.enabled(d, env)]


@pytest.mark.parametrize(
    "env,expected",
    [
        ({}, []),
        ({"T5_E1": "on"}, ["any-on", "skip-off"]),
        ({"T5_E1": "yes", "T5_E2": "yes"}, ["all-on", "any-on", "skip-off"]),
        ({"T5_E2": "gpu"}, ["any-on", "exact"]),
        ({"T5_E1": "0"}, []),
        ({"T5_E1": True}, ["any-on", "skip-off"]),
    ],
)
def test_t5_condition_table(env, expected):
    assert running(env) == expected


def test_any_asymmetry_absent_key():
    # absent key matches a "no" list in the AND form, never in the OR form
    assert C.all_match({}, {"K": ["no"]})
    assert not C.any_match({}, {"K": ["no"]})
    assert C.any_match({"K": ""}, {"K": ["no"]})


def test_truthiness_of_flags_is_real():
    assert not is_true("no") and not is_true("false") and not is_true("") and not is_true("0")
    assert is_true("yes") and is_true(True) and is_true("anything")
    f = RunFlags.from_input({"quiet": "no", "new": "false", "s": "yes", "j": True})
    assert (f.quiet, f.new, f.silent, f.json) == (False, False, True, True)
    assert RunFlags.from_input({}, {"CM_QUIET": "yes"}).quiet


def test_deep_merge_appends_unique_and_copies():
    src = {"L": ["b"], "D": {"x": [1]}, "S": "new"}
    tgt = {"L": ["a", "b"], "D": {"y": 2}, "S": "old"}
    E.deep_merge(tgt, src)
    assert tgt == {"L": ["a", "b"], "D": {"y": 2, "x": [1]}, "S": "new"}
    tgt["D"]["x"].append(9)
    assert src["D"]["x"] == [1]


def test_placeholders_chain_and_unresolved():
    env = {"A": "<<<B>>>/x", "B": "<<<C>>>", "C": "c", "D": "<<<NOPE>>>"}
    E.normalise(env)
    assert env["A"] == "c/x" and env["D"] == "<<<NOPE>>>"
    assert E.pending_keys(env) == ["D"]


def test_new_env_filter_wildcards_and_indirect_names():
    env = {"T8_A": "1", "MY_PATH": "/p", "T8_FINAL_ENV_NAME": "MY_PATH", "OTHER": "x", "+PATH": ["/b"]}
    out = E.filter_keys(env, ["T8_*", "<<<T8_FINAL_ENV_NAME>>>", "+PATH"])
    assert out == {"T8_A": "1", "MY_PATH": "/p", "T8_FINAL_ENV_NAME": "MY_PATH", "+PATH": ["/b"]}
    assert E.filter_keys(env, []) == {}


def test_restore_in_place_keeps_identity():
    env = {"A": "1", "+PATH": ["/a"]}
    saved = copy.deepcopy(env)
    ref = env
    env["JUNK"] = "x"
    E.restore_in_place(env, saved, {"B": "2", "+PATH": ["/a", "/t10"]})
    assert ref is env and env == {"A": "1", "B": "2", "+PATH": ["/a", "/t10"]}


def test_local_keys_both_dialects_and_force():
    env = {"CM_VERSION": "1", "MLC_TMP_X": "y", "CM_GIT_URL": "u", "CM_OUTDIRNAME": "o", "KEEP": "k", "L1": "l"}
    pats = E.local_key_patterns(extra=["L*"])
    taken = E.withhold(env, pats, keep=["CM_OUTDIRNAME"])
    assert env == {"KEEP": "k", "CM_OUTDIRNAME": "o"}
    E.give_back(env, taken)
    assert env["CM_VERSION"] == "1" and env["L1"] == "l"


def test_list_keys_must_be_lists():
    with pytest.raises(CMError):
        E.check_list_keys({"+PATH": "/x"})
    E.check_list_keys({"+PATH": ["/x"], "+ LDFLAGS": []})


def test_version_compare_never_raises():
    assert VV.compare("3.9", "3.9.0") == 0
    assert VV.compare("3.10", "3.9") == 1
    assert VV.compare("1.2.0", "2.0.1") == -1
    assert VV.compare("1.2rc", "1.2.0") in (-1, 1)


def test_version_choose_priority_and_pip_string():
    req = VV.choose({"version_min": "2.0"}, {"CM_VERSION_MIN": "1.0", "CM_VERSION_MAX": "3"},
                    {"version_max": "9", "version": ""}, "CM_")
    assert (req.version, req.version_min, req.version_max) == ("", "2.0", "3")
    assert req.pip_string() == ">=2.0,<=3"
    env: dict = {}
    VV.write_env(req, env, "MLC_")
    assert env == {"MLC_VERSION_MIN": "2.0", "MLC_VERSION_MAX": "3"}


def test_default_version_clamped():
    assert VV.clamp_default("1.1", VV.VersionRequest(version_min="1.5")) == "1.5"
    assert VV.clamp_default("3.0", VV.VersionRequest(version_max="2.5")) == "2.5"
    assert VV.clamp_default("3.0", VV.VersionRequest(version_max="2.5", version_max_usable="2.2")) == "2.2"
    assert VV.clamp_default("1.1", VV.VersionRequest()) == "1.1"


def test_append_deps_replacement_rules():
    base = [{"tags": "a,b", "names": ["n1"]}, {"tags": "c,d"}]
    out = D.append_deps(base, [{"tags": "x", "names": ["n1"]}, {"tags": "d,c", "env": {"K": 1}}, {"tags": "e"}])
    assert out == [{"tags": "x", "names": ["n1"]}, {"tags": "d,c", "env": {"K": 1}}, {"tags": "e"}]
    assert base[0]["tags"] == "a,b"


def test_patch_by_name_without_leaks():
    lists = {"deps": [{"tags": "get,compiler", "names": ["compiler"]}], "post_deps": []}
    meta_copy = copy.deepcopy(lists)
    adr = {"compiler": {"tags": "llvm,<<<NOPE>>>", "version": "16.0.0", "env": {"A": "<<<X>>>"}}}
    adr_before = copy.deepcopy(adr)
    found = D.patch_deps(lists, adr, {"X": "x"})
    assert found == {"compiler"}
    assert lists["deps"][0] == {"tags": "get,compiler,llvm", "names": ["compiler"], "version": "16.0.0",
                                "env": {"A": "x"}}
    assert adr == adr_before  # the caller's adr is never mutated
    lists["deps"][0]["env"]["A"] = "changed"
    assert adr["compiler"]["env"]["A"] == "<<<X>>>"
    assert meta_copy["deps"][0]["tags"] == "get,compiler"


def test_ad_unknown_name_is_error_and_conditional_patch():
    lists = {"deps": [{"tags": "t", "names": ["n"]}]}
    with pytest.raises(CMError, match="no dependency named"):
        D.patch_deps(lists, {"zz": {"tags": "x"}}, {}, strict=True)
    D.patch_deps(lists, {"n": {"tags": "x", "enable_if_env": {"GO": ["yes"]}}}, {})
    assert lists["deps"][0]["tags"] == "t"
    D.patch_deps(lists, {"n": {"tags": "x", "enable_if_env": {"GO": ["yes"]}}}, {"GO": "1"})
    assert lists["deps"][0]["tags"] == "t,x"


def test_merge_patches_is_a_copy():
    a = {"p": {"tags": "x", "env": {"A": "1"}}}
    b = {"p": {"tags": "y", "env": {"B": "2"}}, "q": {"version": "1"}}
    m = D.merge_patches(a, b)
    assert m == {"p": {"tags": "x,y", "env": {"A": "1", "B": "2"}}, "q": {"version": "1"}}
    assert a == {"p": {"tags": "x", "env": {"A": "1"}}}


def test_update_tags_and_inherit():
    dep = {"tags": "t3", "env": {"U": ""}, "update_tags_from_env_with_prefix": {"_url.": ["U"]},
           "update_tags_from_env": ["EXTRA"]}
    D.update_tags_from_env(dep, {"U": "http://x/y", "EXTRA": "_v1"})
    assert dep["tags"] == "t3,_url.http://x/y,_v1"
    groups = {"shared": "link", "static": "link", "opt": None}
    inh = D.inherited_variations({"tags": "t4,-_x", "inherit_variation_tags": True,
                                  "skip_inherit_variation_groups": ["link"]},
                                 ["shared", "opt", "x"], groups.get)
    assert inh == ["_opt"]


def test_git_url_rewrite():
    env = {"CM_GIT_URL": "https://github.com/a/b.git", "CM_GIT_AUTH": "yes", "CM_GH_TOKEN": "T"}
    E.rewrite_git_url(env)
    assert env["CM_GIT_URL"] == "https://git:T@github.com/a/b"
    env = {"MLC_GIT_URL": "https://github.com/a/b", "MLC_GIT_AUTH": "yes", "MLC_GIT_SSH": "yes"}
    E.rewrite_git_url(env, "MLC_")
    assert env["MLC_GIT_URL"] == "git@github.com:a/b.git"
    env = {"CM_GIT_URL": "https://github.com/a/b", "CM_GH_TOKEN": "T"}
    E.rewrite_git_url(env)
    assert env["CM_GIT_URL"] == "https://github.com/a/b"
