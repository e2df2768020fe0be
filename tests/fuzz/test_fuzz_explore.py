"""Property tests for the explore-expression evaluator (cmcore.experiment.safeexpr).

It must evaluate the arithmetic and comprehensions experiments use, reject everything else
with a one-line CMError, and never run code (no names, attributes, imports or calls beyond
range/min/max/len), however the expression is written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from fuzzkit import any_text, call, fast_and_slow
from hypothesis import strategies as st

safeexpr = pytest.importorskip("cmcore.experiment.safeexpr")

TOKENS = ["0", "1", "2", "10", "-3", "2.5", "'a'", "True", "None", "i", "x", "range", "min", "max", "len",
          "(", ")", "[", "]", ",", "+", "-", "*", "/", "//", "%", "**", "==", "<", "if", "else", "for", "in",
          "not", "lambda", ":", ".", "__class__", "__import__", "open", "os", "system", "eval", "{", "}"]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join)

HOSTILE = [
    "__import__('os').system('touch {p}')",
    "open('{p}', 'w').write('x')",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "(lambda: __import__('os'))()",
    "eval(\"open('{p}','w')\")",
    "exec('import os')",
    "globals()",
    "range.__self__",
    "[x for x in range(3)][0].__class__",
    "10**10**10",
    "range(10**12)",
    "[i for i in range(100000) for j in range(100000)]",
    "'a' * 10**9",
    "[0] * 10**9",
    "min()",
    "1/0",
    "1 % 0",
    "max(range(0))",
    "range(1, 2, 0)",
]


def _never_tracebacks(expr: str) -> None:
    call(safeexpr.safe_eval, expr)


def _ints(a: int, b: int, n: int) -> None:
    assert safeexpr.safe_eval(f"{a} + {b} * 2") == a + b * 2
    assert safeexpr.safe_eval(f"[2**i for i in range(0, {n})]") == [2**i for i in range(0, n)]
    assert safeexpr.safe_eval(f"max({a}, {b})") == max(a, b)


def test_hostile_expressions_never_run_code() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "PWNED"
        for expr in HOSTILE:
            call(safeexpr.safe_eval, expr.format(p=marker))
            assert not marker.exists(), expr
        # explore specs go through the same evaluator
        call(safeexpr.explore_values, "batch", HOSTILE[0].format(p=marker))
        assert not marker.exists()
    assert os.path.exists(tmp) is False


test_explore_text, test_explore_text_slow = fast_and_slow(any_text)(_never_tracebacks)
test_explore_tokens, test_explore_tokens_slow = fast_and_slow(token_soup, fast=80, slow=3000)(_never_tracebacks)
test_explore_arith, test_explore_arith_slow = fast_and_slow(
    st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.integers(0, 30))(_ints)
