"""User constraints such as ``"accuracy>=0.97,latency_p90_ms<=5"``, parsed without eval.

Grammar: comma-separated ``METRIC OP NUMBER`` with OP one of ``>= <= > < == !=``; a number
may carry a ``%`` (``accuracy>=97%`` is 0.97). Metric names are checked against the metrics
the platform knows, with a did-you-mean hint, so a typo is an error instead of a constraint
that silently never applies.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cmcore.errors import MALFORMED, CMError
from cmcore.suggest import did_you_mean

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}
_ONE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(>=|<=|==|!=|>|<)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``metric op value``; :meth:`check` says whether a point's metrics satisfy it."""

    metric: str
    op: str
    value: float

    def check(self, metrics: Mapping[str, Any]) -> tuple[bool, str]:
        """``(ok, reason)``; a missing or unknown metric does not satisfy the constraint."""
        v = metrics.get(self.metric)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(float(v)):
            return False, f"{self.metric} unknown"
        if _OPS[self.op](float(v), self.value):
            return True, ""
        return False, f"{self.metric}={_fmt(float(v))} violates {self}"

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{_fmt(self.value)}"


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def parse_constraints(text: str | Iterable[str] | None, known: Iterable[str] | None = None) -> list[Constraint]:
    """Parse the ``--constraints`` string (or a list of clauses); raise CMError (code 4) on bad input."""
    if text is None or text == "":
        return []
    clauses = [c for c in (text.split(",") if isinstance(text, str) else list(text))]
    known_set = set(known or [])
    out: list[Constraint] = []
    for clause in clauses:
        if not str(clause).strip():
            raise CMError(f"empty clause in constraints {text!r} (write e.g. accuracy>=0.97,latency_p90_ms<=5)",
                          MALFORMED)
        m = _ONE.match(str(clause))
        if not m:
            raise CMError(f"cannot parse constraint {str(clause).strip()!r}: write METRIC OP NUMBER, "
                          "OP one of >= <= > < == != (e.g. accuracy>=0.97)", MALFORMED)
        metric, op, num, pct = m.groups()
        if known_set and metric not in known_set:
            raise CMError(f"unknown metric {metric!r} in constraints{did_you_mean(metric, known_set)} "
                          f"(known: {', '.join(sorted(known_set))})", MALFORMED)
        value = float(num) / (100.0 if pct else 1.0)
        out.append(Constraint(metric, op, value))
    return out


def feasibility(metrics: Mapping[str, Any], constraints: Iterable[Constraint]) -> tuple[bool, list[str]]:
    """Whether every constraint holds, and the reasons of those that do not."""
    reasons = [r for ok, r in (c.check(metrics) for c in constraints) if not ok]
    return not reasons, reasons
