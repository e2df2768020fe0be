"""``cmcore.records.record`` behaves like the dataclass subset the core uses."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from cmcore.records import FrozenRecordError, field, field_names, record


@record(frozen=True)
class Point:
    kind: ClassVar[str] = "point"
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", int(self.x))


@record
class Box:
    name: str
    items: dict = field(default_factory=dict)
    size: int = field(default=3)


@dataclasses.dataclass(frozen=True)
class DPoint:
    x: int
    y: int = 0
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)


def test_construction_matches_dataclass() -> None:
    for args, kwargs in [((1,), {}), ((1, 2), {}), ((), {"x": 1, "y": 5}), ((1,), {"tags": ("a",)})]:
        ours, theirs = Point(*args, **kwargs), DPoint(*args, **kwargs)
        assert (ours.x, ours.y, ours.tags) == (theirs.x, theirs.y, theirs.tags)
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=())"
    assert repr(Box("b")) == "Box(name='b', items={}, size=3)"


def test_factories_give_each_instance_its_own_value() -> None:
    a, b = Box("a"), Box("b")
    a.items["k"] = 1
    assert b.items == {} and Box.size == 3 and not hasattr(Box, "items")


def test_post_init_runs_and_classvar_is_not_a_field() -> None:
    assert Point("7").x == 7
    assert Point.__record_fields__ == ("x", "y", "tags")  # type: ignore[attr-defined]
    assert Point(1).kind == "point"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: Point(), "missing required argument: 'x'"),
        (lambda: Point(1, 2, (), 4), "takes 3 positional arguments but 4 were given"),
        (lambda: Point(1, z=2), "unexpected keyword argument 'z'"),
        (lambda: Point(1, x=2), "multiple values for argument 'x'"),
    ],
)
def test_bad_calls_raise_type_error(call, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call()


def test_frozen_refuses_assignment_and_hashes_by_value() -> None:
    p = Point(1, 2)
    with pytest.raises(FrozenRecordError, match="cannot assign to field 'x'"):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    assert p == Point(1, 2) and p != Point(1, 3) and hash(p) == hash(Point(1, 2))
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_equality_needs_the_same_class_and_unfrozen_is_unhashable() -> None:
    assert Box("a") == Box("a") and Box("a") != Box("b")
    assert Point(1) != DPoint(1)
    with pytest.raises(TypeError):
        hash(Box("a"))
    b = Box("a")
    b.size = 9
    assert b.size == 9


def test_field_needs_exactly_one_default() -> None:
    with pytest.raises(TypeError):
        field()
    with pytest.raises(TypeError):
        field(default=1, default_factory=list)


def test_field_names_lists_records_and_dataclasses() -> None:
    assert field_names(Point) == ("x", "y", "tags")
    assert field_names(Box) == ("name", "items", "size")
    assert field_names(DPoint) == ("x", "y", "tags")


def test_records_survive_pickle_and_deepcopy() -> None:
    import copy
    import pickle

    p = Point(3, 4, ("a",))
    assert pickle.loads(pickle.dumps(p)) == p and copy.deepcopy(p) == p
    b = Box("x", {"k": [1]})
    c = copy.deepcopy(b)
    c.items["k"].append(2)
    assert b.items == {"k": [1]} and pickle.loads(pickle.dumps(b)) == b
