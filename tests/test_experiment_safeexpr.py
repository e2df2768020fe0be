"""The explore expression evaluator: what CM eval()-ed, evaluated without running code."""

from __future__ import annotations

import pytest

from cmcore.errors import CMError
from cmcore.experiment.safeexpr import MAX_ITEMS, explore_values, safe_eval


@pytest.mark.parametrize(("expr", "value"), [
    ("[2**i for i in range(0,6)]", [1, 2, 4, 8, 16, 32]),
    ("range(3)", [0, 1, 2]),
    ("[i*10 for i in range(1, 4) if i != 2]", [10, 30]),
    ("[a*b for a in range(1,3) for b in [10, 100]]", [10, 100, 20, 200]),
    ("[max(1, i) for i in range(3)]", [1, 1, 2]),
    ("min(4, 2, 8)", 2),
    ("len([1, 2, 3])", 3),
    ("-3 + 2 * (5 // 2) % 3", -2),
    ("['fp32', 'int8']", ["fp32", "int8"]),
    ("(1, 2)", [1, 2]),
    ("1 if 2 > 1 else 0", 1),
    ("[x / 2 for x in range(3)]", [0.0, 0.5, 1.0]),
])
def test_allowed_expressions(expr: str, value: object) -> None:
    assert safe_eval(expr) == value


@pytest.mark.parametrize("expr", [
    "__import__('os').system('touch /tmp/pwned')",
    "open('/etc/passwd').read()",
    "().__class__.__bases__[0].__subclasses__()",
    "[x for x in ().__class__.__mro__]",
    "lambda: 1",
    "exec('1')",
    "eval('1')",
    "globals()",
    "range",
    "[1,2][0]",
    "{'a': 1}",
    "x",
    "f'{1}'",
    "range(1, 2, step=1)",
    "(y := 3)",
])
def test_code_is_refused(expr: str, tmp_path: object) -> None:
    with pytest.raises(CMError) as exc:
        safe_eval(expr)
    assert exc.value.code == 4
    assert "explore expression" in exc.value.message


def test_refused_expression_runs_nothing(tmp_path) -> None:
    target = tmp_path / "pwned"
    with pytest.raises(CMError):
        safe_eval(f"__import__('pathlib').Path({str(target)!r}).touch()")
    assert not target.exists()


@pytest.mark.parametrize("expr", ["range(10**9)", "10**10**10", "[0]*10**9", "'a'*10**9",
                                  "[i for i in range(1000) for j in range(1000)]"])
def test_huge_results_are_errors_not_hangs(expr: str) -> None:
    with pytest.raises(CMError) as exc:
        safe_eval(expr)
    assert "limit" in exc.value.message or str(MAX_ITEMS) in exc.value.message


@pytest.mark.parametrize(("expr", "fragment"), [
    ("1/0", "division"), ("[1,", "syntax error"), ("range('a')", "whole numbers"), ("range(1, 2, 0)", "range()"),
    ("max()", "needs arguments"),
])
def test_bad_expressions_say_why(expr: str, fragment: str) -> None:
    with pytest.raises(CMError) as exc:
        safe_eval(expr)
    assert fragment in exc.value.message


def test_explore_values_shapes() -> None:
    assert explore_values("A", [1, "x"]) == [1, "x"]
    assert explore_values("A", "range(2)") == [0, 1]
    assert explore_values("A", "7") == [7]
    assert explore_values("A", 3) == [3]
    with pytest.raises(CMError, match="no values"):
        explore_values("A", [])
    with pytest.raises(CMError, match="no values"):
        explore_values("A", "range(0)")
    with pytest.raises(CMError, match="must be a list"):
        explore_values("A", {"a": 1})
