"""Property tests for the three version comparisons (engine, cache filters, compat utils)."""

from __future__ import annotations

from fuzzkit import any_text, fast_and_slow
from hypothesis import strategies as st

from cmcore.cache.versions import compare_versions as cache_compare
from cmcore.cache.versions import version_in_range
from cmcore.compat.utils import compare_version_strings, compare_versions
from cmcore.script.versions import compare as engine_compare

COMPARES = (engine_compare, cache_compare, compare_version_strings)
version_text = st.one_of(
    any_text,
    st.from_regex(r"[0-9]{1,3}(\.[0-9a-z]{1,4}){0,4}([\-+_][a-z0-9.]{1,6})?", fullmatch=True),
)
numeric = st.lists(st.integers(0, 10_000), min_size=1, max_size=5)


def _total_and_antisymmetric(a: str, b: str) -> None:
    for cmp in COMPARES:
        x, y = cmp(a, b), cmp(b, a)
        assert x in (-1, 0, 1) and x == -y, (cmp.__module__, a, b, x, y)
        assert cmp(a, a) == 0
    assert compare_versions({"version1": a, "version2": b})["comparison"] == compare_version_strings(a, b)
    assert isinstance(version_in_range(a, b, ""), bool)


def _numeric_like_tuples(a: list[int], b: list[int]) -> None:
    n = max(len(a), len(b))
    pa, pb = a + [0] * (n - len(a)), b + [0] * (n - len(b))
    want = (pa > pb) - (pa < pb)
    va, vb = ".".join(map(str, a)), ".".join(map(str, b))
    for cmp in COMPARES:
        assert cmp(va, vb) == want, (cmp.__module__, va, vb)


def _transitive(a: list[int], b: list[int], c: list[int]) -> None:
    vs = sorted((".".join(map(str, x)) for x in (a, b, c)), key=lambda v: [int(p) for p in v.split(".")])
    for cmp in COMPARES:
        assert cmp(vs[0], vs[1]) <= 0 and cmp(vs[1], vs[2]) <= 0 and cmp(vs[0], vs[2]) <= 0


test_versions_total, test_versions_total_slow = fast_and_slow(version_text, version_text)(_total_and_antisymmetric)
test_versions_numeric, test_versions_numeric_slow = fast_and_slow(numeric, numeric)(_numeric_like_tuples)
test_versions_transitive, test_versions_transitive_slow = fast_and_slow(numeric, numeric, numeric)(_transitive)
