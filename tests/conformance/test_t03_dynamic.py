"""CM-FORMAT §7 T3: dynamic variations (`name.#`) with a static override."""

from __future__ import annotations

URL = "https://a.b/c.tgz"


def test_dynamic_suffix_reaches_env(corpus):
    r = corpus.ok(f"t3,_url.{URL}")
    assert r["new_env"]["T3_URL"] == URL


def test_dynamic_suffix_reaches_a_deps_env_block_which_beats_default_env(corpus):
    r = corpus.ok(f"t3,_url.{URL}")
    # t1's default_env would give `from-default|...`; the dep's `env: {T1_A: '#'}` wins.
    assert r["new_env"]["T1_OUT"].startswith(f"{URL}|")
    assert r["new_env"]["T1_OUT"] == f"{URL}|from-meta-env|"


def test_the_dynamic_variations_dep_is_called(corpus):
    r = corpus.ok(f"t3,_url.{URL}")
    assert "t1" in r["deps"]


def test_no_variation_takes_the_static_default(corpus):
    r = corpus.ok("t3")
    assert r["new_env"]["T3_VER"] == "four"
    assert "T3_URL" not in r["new_env"]


def test_dynamic_variation_of_a_group_replaces_the_default(corpus):
    r = corpus.ok("t3,_ver.5_1")
    assert r["new_env"]["T3_VER"] == "5_1"
    # the default `ver.4_0` is not added: the resolved list is just `_ver.5_1`
    assert r["deps"] == ["t3-probe,_ver.5_1"]


def test_static_key_wins_over_the_dynamic_pattern(corpus):
    r = corpus.ok("t3,_ver.4_0")
    assert r["new_env"]["T3_VER"] == "four"


def test_empty_dynamic_suffix_is_not_a_match(corpus):
    r = corpus.run("t3,_url.")
    assert r["return"] == 16


def test_resolved_string_with_a_dynamic_and_a_default(corpus):
    r = corpus.ok(f"t3,_url.{URL}")
    probe = [d for d in r["deps"] if d.startswith("t3-probe")]
    assert probe == [f"t3-probe,_url.{URL},_ver.4_0"]


def test_dynamic_suffix_is_everything_after_the_first_dot(corpus):
    r = corpus.ok("t3,_ver.5.1.2")
    assert r["new_env"]["T3_VER"] == "5.1.2"
