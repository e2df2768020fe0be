"""CM-FORMAT §7 T4: combined variations (`a,b`)."""

from __future__ import annotations

import pytest


def test_single_variation(corpus):
    r = corpus.ok("t4,_a")
    assert r["new_env"] == {"T4_X": "a"}


def test_other_single_variation(corpus):
    r = corpus.ok("t4,_b")
    assert r["new_env"] == {"T4_X": "b"}


@pytest.mark.parametrize("tags", ["t4,_b,_a", "t4,_a,_b"])
def test_combined_variation_wins_whatever_the_order(corpus, tags):
    r = corpus.ok(tags)
    assert r["new_env"] == {"T4_X": "ab", "T4_BOTH": "yes"}


def test_no_variation_sets_nothing(corpus):
    r = corpus.ok("t4")
    assert r["new_env"] == {}
