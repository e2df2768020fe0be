"""Property tests for references, names and tag queries (cmcore.refs, CM-FORMAT §1.5-1.6)."""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from fuzzkit import any_text, call, fast_and_slow
from hypothesis import strategies as st

from cmcore import refs

tag = st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc"), blacklist_characters=","),
              min_size=1, max_size=10).filter(lambda t: not t.startswith("-") and t == t.strip())
alias = st.from_regex(r"[a-z][a-z0-9\-]{0,15}", fullmatch=True).filter(lambda a: not refs.is_uid(a))


def _never_tracebacks(text: str) -> None:
    call(refs.parse_ref, text)
    call(refs.split_repo_ref, text)
    call(refs.parse_tags, text)
    call(refs.check_name, text)
    call(refs.match_ref, text, "", "x", None)
    assert isinstance(refs.is_uid(text), bool)


def _check_name_stays_inside(name: str) -> None:
    """An accepted name is one plain path component: joined to a folder it stays inside."""
    ok = call(refs.check_name, name)
    if ok is None:
        return
    base = PurePosixPath("/repo/script")
    joined = PurePosixPath(os.path.normpath(str(base / name)))
    assert joined.parent == base, f"{name!r} escapes to {joined}"
    assert "\x00" not in name and "/" not in name


def _tags_roundtrip(yes: list[str], no: list[str]) -> None:
    text = ",".join(yes + ["-" + t for t in no])
    assert refs.parse_tags(text) == (yes, no)
    assert refs.parse_tags(yes + ["-" + t for t in no]) == (yes, no)
    assert refs.tags_match(set(yes), yes, [t for t in no if t not in yes])


def _ref_roundtrip(a: str) -> None:
    uid = refs.gen_uid()
    assert refs.is_uid(uid)
    assert refs.parse_ref(f"{a},{uid}") == (a, uid)
    assert refs.parse_ref(f"{uid},{a}") == (a, uid)
    assert refs.parse_ref(a) == (a, "")
    assert refs.split_repo_ref(f"myrepo:{a}") == ("myrepo", a)
    assert refs.match_ref(a.upper(), "", a, None)


test_refs_never_traceback, test_refs_never_traceback_slow = fast_and_slow(any_text)(_never_tracebacks)
test_check_name_stays_inside, test_check_name_stays_inside_slow = fast_and_slow(
    st.one_of(any_text, st.sampled_from(["..", ".", "../x", "a/../..", "/abs", "~", "~root", "a\x00b", " a",
                                         "a\\..\\b", "...", "..a", "a..", "-rf"])))(_check_name_stays_inside)
test_tags_roundtrip, test_tags_roundtrip_slow = fast_and_slow(
    st.lists(tag, max_size=6), st.lists(tag, max_size=4))(_tags_roundtrip)
test_ref_roundtrip, test_ref_roundtrip_slow = fast_and_slow(alias)(_ref_roundtrip)


def test_traversal_names_are_rejected() -> None:
    for bad in ("..", ".", "../x", "/etc", "a/b", "a\x00b", "~", "a\\b", ""):
        assert call(refs.check_name, bad) is None, bad
