"""CM-FORMAT §7 T9: the versions map, default_version and adr inside versions.

Fixed flaw 7: default_version is clamped by version_min/max and THEN the fragment of the
clamped version applies (here: 1.5 has no fragment, so T9_FILE is not 1.1's).
Fixed flaw 5: an adr patch made by one dep's version fragment never leaks to its siblings.
"""

from __future__ import annotations


def test_no_version_uses_default_version_and_its_fragment(corpus):
    r = corpus.ok("t9")
    assert r["new_env"]["T9_VER_SEEN"] == "1.1"
    assert r["new_env"]["T9_FILE"] == "dev-v1.1.json"


def test_default_version_goes_into_the_cache_tags(corpus):
    corpus.ok("t9")
    (e,) = corpus.cache_entries("t9")
    assert "version-1.1" in e.tags
    assert e.meta["version"] == "1.1"


def test_requested_version_applies_its_fragment_and_its_adr(corpus):
    r = corpus.ok("t9", version="2.0")
    assert r["new_env"]["T9_FILE"] == "dev-v2.0.json"
    assert r["new_env"]["T9_VER_SEEN"] == "2.0"
    assert "t3,_ver.2_0" in r["deps"]
    # the T3_VER export proves t3 really ran with `_ver.2_0`
    assert r["new_env"]["T3_VER"] == "2_0"


def test_without_version_the_dep_is_plain(corpus):
    r = corpus.ok("t9")
    assert r["deps"] == ["t3"]
    assert r["new_env"]["T3_VER"] == "four"


def test_default_version_clamped_by_version_min_uses_the_clamped_fragment(corpus):
    r = corpus.ok("t9", version_min="1.5")
    assert r["new_env"]["T9_VER_SEEN"] == "1.5"
    assert r["new_env"].get("T9_FILE") != "dev-v1.1.json"
    (e,) = corpus.cache_entries("t9")
    assert "version-1.5" in e.tags
    assert "version-1.1" not in e.tags


def test_default_version_clamped_onto_a_version_with_a_fragment(corpus):
    # version_min=2.0 raises 1.1 to 2.0: the 2.0 fragment (and its adr) applies
    r = corpus.ok("t9", version_min="2.0")
    assert r["new_env"]["T9_VER_SEEN"] == "2.0"
    assert r["new_env"]["T9_FILE"] == "dev-v2.0.json"
    assert r["new_env"]["T3_VER"] == "2_0"


def test_versions_make_separate_cache_entries(corpus):
    corpus.ok("t9")
    corpus.ok("t9", version="2.0")
    tags = sorted(t for e in corpus.cache_entries("t9") for t in e.tags if t.startswith("version-"))
    assert tags == ["version-1.1", "version-2.0"]


def test_adr_of_a_version_fragment_does_not_leak_to_a_sibling(corpus):
    r = corpus.ok("t9-siblings")
    # first dep: t9 at 2.0, whose fragment patches its own `src` dep with _ver.2_0;
    # second dep: a sibling also named `src`, which must stay plain t3
    assert r["deps"] == ["t9", "t3"]
    assert r["new_env"]["T9_FILE"] == "dev-v2.0.json"
    assert r["new_env"]["T3_VER"] == "four"


def test_default_version_lowered_to_version_max(corpus):
    r = corpus.ok("t9", version_max="1.0")
    assert r["new_env"]["T9_VER_SEEN"] == "1.0"
    assert r["new_env"].get("T9_FILE") != "dev-v1.1.json"


def test_default_version_within_the_bounds_is_kept(corpus):
    r = corpus.ok("t9", version_min="1.0", version_max="2.5")
    assert r["new_env"]["T9_VER_SEEN"] == "1.1"
    assert r["new_env"]["T9_FILE"] == "dev-v1.1.json"


def test_second_plain_run_is_a_cache_hit(corpus):
    first = corpus.ok("t9")
    second = corpus.ok("t9")
    assert second["new_env"] == first["new_env"]
    assert len(corpus.cache_entries("t9")) == 1
