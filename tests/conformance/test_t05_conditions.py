"""CM-FORMAT §7 T5: dependency conditions, with their real truthiness rules.

Each dep of t5-cond calls ``t5-mark,_<its name>``, so the result's ``deps`` list (the
direct deps that ran, in order) tells which conditions held.
"""

from __future__ import annotations

import pytest


def ran(r: dict) -> list[str]:
    return [d.split(",_", 1)[1] for d in r["deps"]]


@pytest.mark.parametrize(
    "flags, expected",
    [
        # absent keys match `no`: skip-off is skipped; nothing else is enabled
        ({}, []),
        # `on` is truthy for a ['yes'] list
        ({"e1": "on"}, ["any-on", "skip-off"]),
        ({"e1": "yes", "e2": "yes"}, ["all-on", "any-on", "skip-off"]),
        # `gpu` is truthy for ['yes']; e1 absent matches `no`, so skip-off is skipped
        ({"e2": "gpu"}, ["any-on", "exact"]),
        # `0` is false: skip-off is skipped, any-on is not enabled
        ({"e1": "0"}, []),
    ],
    ids=["no-flags", "e1-on", "e1-yes-e2-yes", "e2-gpu", "e1-0"],
)
def test_which_deps_run(corpus, flags, expected):
    r = corpus.ok("t5", **flags)
    assert ran(r) == expected


def test_any_variant_ignores_absent_keys(corpus):
    # e2=no and e1 absent: for enable_if_any_env an absent key never matches, and `no`
    # does not match ['yes'], so any-on stays off; skip-off is skipped (e1 absent = no).
    r = corpus.ok("t5", e2="no")
    assert ran(r) == []


def test_conditions_read_env_from_the_caller(corpus):
    # the same key given through --env instead of the mapped flag
    r = corpus.ok("t5", env={"T5_E1": "true"})
    assert ran(r) == ["any-on", "skip-off"]


def test_print_deps_returns_the_dep_lines(corpus):
    r = corpus.ok("t5", e1="yes", e2="yes", print_deps=True)
    lines = r["new_state"]["print_deps"]
    assert len(lines) == 3
    for name, line in zip(["all-on", "any-on", "skip-off"], lines, strict=True):
        assert f"t5-mark,_{name}" in line
