"""Shared helpers for the property tests: a fast and a slow variant of every property.

``fast_and_slow(*strategies)(check)`` returns two pytest tests running ``check`` under
hypothesis: a quick one (default run, few examples) and a ``slow``-marked one with many.
``assert_cm_error(exc)`` is the rejection contract: a CMError, one line, non-zero code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmcore.errors import CMError

FAST = 40
SLOW = 1500

# Text that a file or a command line can hold: no surrogates (not encodable), any other char.
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
no_nul_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


def fast_and_slow(*strategies: Any, fast: int = FAST, slow: int = SLOW) -> Callable:
    def make(check: Callable) -> tuple[Callable, Callable]:
        opts = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
        quick = settings(max_examples=fast, **opts)(given(*strategies)(check))
        thorough = pytest.mark.slow(settings(max_examples=slow, **opts)(given(*strategies)(check)))
        return quick, thorough
    return make


def assert_cm_error(exc: BaseException) -> None:
    """Every rejection: a CMError with a non-empty one-line message and a non-zero code."""
    assert isinstance(exc, CMError), f"{type(exc).__name__} escaped: {exc!r}"
    assert exc.code != 0
    assert exc.message and "\n" not in exc.message.strip(), f"multi-line message: {exc.message!r}"


def call(fn: Callable, *args: Any) -> Any:
    """Call ``fn``; an exception must satisfy the rejection contract (then None is returned)."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - the property is about which exceptions escape
        assert_cm_error(exc)
        return None
