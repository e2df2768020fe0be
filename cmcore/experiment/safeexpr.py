"""A tiny, safe evaluator for ``explore`` expressions such as ``"[2**i for i in range(0,6)]"``.

CM ``eval()``-ed these strings, so an experiment file could run any code. Here the
expression is parsed with :mod:`ast` and only a whitelist is walked: literals (numbers,
strings, booleans, None), lists/tuples, unary and binary arithmetic, comparisons, ``if``
expressions, list comprehensions over ``range`` (and over literal lists), and the calls
``range``, ``min``, ``max``, ``len``. There are no other names, no attribute access, no
subscripts, no lambdas, no imports. Sizes are bounded so that ``range(10**12)`` or
``10**10**10`` is an error instead of a hung machine.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from cmcore.errors import MALFORMED, CMError

#: the most items one ``range``/list may produce (an explore grid of this size is already absurd)
MAX_ITEMS = 100_000
#: the largest exponent ``**`` accepts (2**64 is fine, 10**10**10 is not)
MAX_EXPONENT = 256
MAX_SOURCE = 2_000

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_}
_CMP: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}


def _bad(msg: str, expr: str) -> CMError:
    return CMError(f"explore expression {expr!r}: {msg}", MALFORMED)


def _check_size(value: Any, expr: str) -> Any:
    if isinstance(value, (list, tuple, str)) and len(value) > MAX_ITEMS:
        raise _bad(f"produces more than {MAX_ITEMS} items", expr)
    return value


def _range(args: list[Any], expr: str) -> list[int]:
    if not 1 <= len(args) <= 3 or not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        raise _bad("range() takes one to three whole numbers", expr)
    try:
        r = range(*args)
    except ValueError as exc:
        raise _bad(f"range(): {exc}", expr) from exc
    if len(r) > MAX_ITEMS:
        raise _bad(f"range() of {len(r)} items is over the limit of {MAX_ITEMS}", expr)
    return list(r)


class _Evaluator:
    def __init__(self, expr: str) -> None:
        self.expr = expr

    def eval(self, node: ast.AST, scope: dict[str, Any]) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise _bad(f"{type(node).__name__} is not allowed (only literals, arithmetic, "
                       "range/min/max/len and list comprehensions)", self.expr)
        return method(node, scope)

    def _Expression(self, node: ast.Expression, scope: dict[str, Any]) -> Any:
        return self.eval(node.body, scope)

    def _Constant(self, node: ast.Constant, scope: dict[str, Any]) -> Any:
        if not isinstance(node.value, (int, float, str, bool, type(None))):
            raise _bad(f"constant {node.value!r} is not allowed", self.expr)
        return node.value

    def _List(self, node: ast.List, scope: dict[str, Any]) -> list[Any]:
        return _check_size([self.eval(e, scope) for e in node.elts], self.expr)

    def _Tuple(self, node: ast.Tuple, scope: dict[str, Any]) -> list[Any]:
        return self._List(node, scope)  # type: ignore[arg-type]

    def _Name(self, node: ast.Name, scope: dict[str, Any]) -> Any:
        # only the loop variables of an enclosing comprehension are names
        if node.id in scope:
            return scope[node.id]
        raise _bad(f"unknown name {node.id!r} (only comprehension variables may be used)", self.expr)

    def _UnaryOp(self, node: ast.UnaryOp, scope: dict[str, Any]) -> Any:
        fn = _UNARY.get(type(node.op))
        if fn is None:
            raise _bad(f"operator {type(node.op).__name__} is not allowed", self.expr)
        return self._arith(fn, self.eval(node.operand, scope))

    def _BinOp(self, node: ast.BinOp, scope: dict[str, Any]) -> Any:
        fn = _BINOPS.get(type(node.op))
        if fn is None:
            raise _bad(f"operator {type(node.op).__name__} is not allowed", self.expr)
        left, right = self.eval(node.left, scope), self.eval(node.right, scope)
        if isinstance(node.op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise _bad(f"exponent {right} is over the limit of {MAX_EXPONENT}", self.expr)
        if isinstance(node.op, ast.Mult) and (isinstance(left, (str, list)) or isinstance(right, (str, list))):
            n = right if isinstance(left, (str, list)) else left
            seq = left if isinstance(left, (str, list)) else right
            if isinstance(n, int) and n * len(seq) > MAX_ITEMS:
                raise _bad(f"repetition gives more than {MAX_ITEMS} items", self.expr)
        return _check_size(self._arith(fn, left, right), self.expr)

    def _arith(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except (TypeError, ZeroDivisionError, OverflowError, ValueError) as exc:
            raise _bad(str(exc), self.expr) from exc

    def _BoolOp(self, node: ast.BoolOp, scope: dict[str, Any]) -> Any:
        values = [self.eval(v, scope) for v in node.values]
        if isinstance(node.op, ast.And):
            return all(values)
        return any(values)

    def _Compare(self, node: ast.Compare, scope: dict[str, Any]) -> bool:
        left = self.eval(node.left, scope)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            fn = _CMP.get(type(op))
            if fn is None:
                raise _bad(f"comparison {type(op).__name__} is not allowed", self.expr)
            right = self.eval(comp, scope)
            if not self._arith(fn, left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp, scope: dict[str, Any]) -> Any:
        return self.eval(node.body if self.eval(node.test, scope) else node.orelse, scope)

    def _Call(self, node: ast.Call, scope: dict[str, Any]) -> Any:
        if not isinstance(node.func, ast.Name) or node.func.id not in ("range", "min", "max", "len"):
            raise _bad("only range(), min(), max() and len() may be called", self.expr)
        if node.keywords:
            raise _bad(f"{node.func.id}() takes no keyword arguments here", self.expr)
        args = [self.eval(a, scope) for a in node.args]
        name = node.func.id
        if name == "range":
            return _range(args, self.expr)
        if name == "len":
            if len(args) != 1:
                raise _bad("len() takes one argument", self.expr)
            return self._arith(len, args[0])
        if not args:
            raise _bad(f"{name}() needs arguments", self.expr)
        return self._arith(min if name == "min" else max, *args)

    def _ListComp(self, node: ast.ListComp, scope: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        self._comp(node.generators, 0, dict(scope), node.elt, out)
        return out

    def _comp(self, gens: list[ast.comprehension], k: int, scope: dict[str, Any], elt: ast.AST,
              out: list[Any]) -> None:
        if k == len(gens):
            out.append(self.eval(elt, scope))
            _check_size(out, self.expr)
            return
        gen = gens[k]
        if gen.is_async or not isinstance(gen.target, ast.Name):
            raise _bad("a comprehension must bind one plain name", self.expr)
        items = self.eval(gen.iter, scope)
        if not isinstance(items, list):
            raise _bad("a comprehension may only loop over range() or a list", self.expr)
        for item in items:
            inner = {**scope, gen.target.id: item}
            if all(self.eval(cond, inner) for cond in gen.ifs):
                self._comp(gens, k + 1, inner, elt, out)


def safe_eval(expr: str) -> Any:
    """Evaluate an explore expression without running arbitrary code.

    >>> safe_eval("[2**i for i in range(0, 4)]")
    [1, 2, 4, 8]
    """
    if not isinstance(expr, str):
        raise CMError(f"explore expression must be a string, not {type(expr).__name__}", MALFORMED)
    if len(expr) > MAX_SOURCE:
        raise _bad(f"longer than {MAX_SOURCE} characters", expr[:40] + "...")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise _bad(f"syntax error: {exc.msg}", expr) from exc
    return _Evaluator(expr).eval(tree, {})


def explore_values(name: str, spec: Any) -> list[Any]:
    """The list of values of one explore dimension: a list as is, a string evaluated safely.

    A scalar is a one-value dimension; an empty result is an error (it would make the
    Cartesian product empty and silently run nothing).
    """
    if isinstance(spec, list):
        values = list(spec)
    elif isinstance(spec, str):
        v = safe_eval(spec)
        values = v if isinstance(v, list) else [v]
    elif isinstance(spec, (int, float, bool)) or spec is None:
        values = [spec]
    else:
        raise CMError(f"explore dimension {name!r} must be a list or an expression string, "
                      f"not {type(spec).__name__}", MALFORMED)
    if not values:
        raise CMError(f"explore dimension {name!r} has no values", MALFORMED)
    return values
