"""``@record``: the dataclasses of the core, without their start-up cost.

``dataclasses.dataclass`` writes the source of ``__init__``, ``__repr__``, ``__eq__`` (and for
frozen classes ``__hash__``, ``__setattr__``, ``__delattr__``) and compiles it with ``exec`` for
every class, at import time. The core defines about twenty such classes on the path of every
``cm run``, and compiling them was the largest single cost of a run's start-up (~18% of the
instructions of an uncached run, measured with callgrind). ``record`` builds the same methods
from closures shared by every class, so defining a class costs next to nothing; constructing an
instance costs a little more (a loop over the fields), which is noise next to what a run does.

The supported subset is what the core uses: fields from the class's own annotations (a
``ClassVar`` is not a field), plain defaults and ``field(default_factory=...)``, positional or
keyword construction, ``__post_init__``, ``frozen`` (assignment raises :class:`FrozenRecordError`,
an ``AttributeError``), ``eq`` (field-wise, same class only; a frozen record hashes its fields,
an unfrozen one with ``eq`` is unhashable, as with dataclasses) and a dataclass-style ``repr``.
Records are not dataclasses: ``dataclasses.fields``/``asdict``/``replace`` do not apply;
:func:`field_names` lists a record's fields.

Type checkers see ``dataclasses.dataclass`` and ``dataclasses.field`` (the ``TYPE_CHECKING``
branch), so mypy checks constructor calls exactly as for a dataclass.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing


class FrozenRecordError(AttributeError):
    """Assignment to a field of a frozen record."""


def field_names(cls: type) -> tuple[str, ...]:
    """The field names of a record class (or of a dataclass), in order."""
    names = cls.__dict__.get("__record_fields__")
    if names is None:
        names = tuple(getattr(cls, "__dataclass_fields__", ()))
    return names


if TYPE_CHECKING:
    from dataclasses import dataclass as record
    from dataclasses import field
else:
    _MISSING = object()

    class _Field:
        __slots__ = ("default", "factory")

        def __init__(self, default: object, factory: object) -> None:
            self.default = default
            self.factory = factory

    def field(*, default: object = _MISSING, default_factory: object = _MISSING) -> object:
        """A field's default: ``default_factory()`` is called for every new instance."""
        if (default is _MISSING) == (default_factory is _MISSING):
            raise TypeError("field() takes exactly one of default= and default_factory=")
        return _Field(default, default_factory)

    def _fields_of(cls: type) -> tuple[tuple[str, ...], dict]:
        names: list[str] = []
        defaults: dict = {}
        for name, ann in cls.__dict__.get("__annotations__", {}).items():
            text = ann if isinstance(ann, str) else getattr(ann, "__name__", "")
            if text.startswith(("ClassVar", "typing.ClassVar")):
                continue
            names.append(name)
            value = cls.__dict__.get(name, _MISSING)
            if isinstance(value, _Field):
                if value.factory is _MISSING:
                    defaults[name] = value.default
                    setattr(cls, name, value.default)
                else:
                    defaults[name] = value
                    delattr(cls, name)
            elif value is not _MISSING:
                defaults[name] = value
        return tuple(names), defaults

    def _make_init(cls: type, names: tuple[str, ...], defaults: dict):
        count = len(names)
        post = hasattr(cls, "__post_init__")
        title = cls.__qualname__

        def __init__(self, *args, **kwargs) -> None:
            if len(args) > count:
                raise TypeError(f"{title}() takes {count} positional arguments but {len(args)} were given")
            slots = self.__dict__
            for name, value in zip(names, args, strict=False):
                slots[name] = value
            for name in names[len(args):]:
                if name in kwargs:
                    slots[name] = kwargs.pop(name)
                    continue
                default = defaults.get(name, _MISSING)
                if default is _MISSING:
                    raise TypeError(f"{title}() missing required argument: {name!r}")
                slots[name] = default.factory() if default.__class__ is _Field else default
            if kwargs:
                extra = next(iter(kwargs))
                why = "got multiple values for argument" if extra in names else "got an unexpected keyword argument"
                raise TypeError(f"{title}() {why} {extra!r}")
            if post:
                self.__post_init__()

        return __init__

    def _repr(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__record_fields__)
        return f"{type(self).__qualname__}({inner})"

    def _values(self) -> tuple:
        return tuple([getattr(self, n) for n in self.__record_fields__])

    def _eq(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _values(self) == _values(other)

    def _hash(self) -> int:
        return hash(_values(self))

    def _refuse_set(self, name: str, value: object) -> None:
        raise FrozenRecordError(f"cannot assign to field {name!r} of a frozen {type(self).__qualname__}")

    def _refuse_del(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field {name!r} of a frozen {type(self).__qualname__}")

    def record(cls: type | None = None, /, *, frozen: bool = False, eq: bool = True):
        """Class decorator: a dataclass-like record (see the module docstring for the subset)."""

        def wrap(klass: type) -> type:
            names, defaults = _fields_of(klass)
            own = klass.__dict__
            klass.__record_fields__ = names
            klass.__init__ = _make_init(klass, names, defaults)
            if "__repr__" not in own:
                klass.__repr__ = _repr
            if eq and "__eq__" not in own:
                klass.__eq__ = _eq
                if "__hash__" not in own:
                    klass.__hash__ = _hash if frozen else None
            if frozen:
                klass.__setattr__ = _refuse_set
                klass.__delattr__ = _refuse_del
            return klass

        return wrap if cls is None else wrap(cls)
