"""A validator for the subset of JSON Schema (2020-12) that the script-meta schema uses.

Supported: ``type`` (a name or a list), ``properties``, ``additionalProperties`` (a boolean
or a schema), ``required``, ``items``, ``pattern``, ``enum`` and local ``$ref``
(``#/$defs/NAME``). Anything else in a schema is ignored, as JSON Schema does for unknown
keywords. Each problem is a :class:`Finding` with the dotted path of the offending value;
an unknown key comes with a did-you-mean drawn from the keys allowed at that place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cmcore.suggest import close_matches

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "array": (list,), "object": (dict,), "null": (type(None),),
}


@dataclass(frozen=True)
class Finding:
    """One lint result: ``level`` is ``error`` or ``warning``; ``path`` is dotted (``variations.x.alis``)."""

    level: str
    path: str
    message: str

    def line(self, where: str = "") -> str:
        loc = f"{where}: " if where else ""
        return f"{loc}{self.path or '(meta)'}: {self.message}" + ("" if self.level == "error" else f" [{self.level}]")


def _type_name(v: Any) -> str:
    for name, py in _TYPES.items():
        if isinstance(v, bool) and name != "boolean":
            continue
        if isinstance(v, py):
            return name
    return type(v).__name__


def _is_type(v: Any, name: str) -> bool:
    if isinstance(v, bool) and name in ("number", "integer"):
        return False
    return isinstance(v, _TYPES.get(name, (object,)))


@lru_cache(maxsize=4)
def load_schema(path: str) -> dict:
    """The schema at ``path`` (parsed once per process)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a schema must be a JSON object")
    return data


class Validator:
    """Validate instances against one root schema (its ``$defs`` resolve ``$ref``)."""

    def __init__(self, schema: dict) -> None:
        self.root = schema

    def _resolve(self, schema: dict) -> dict:
        seen = 0
        while "$ref" in schema:
            ref = str(schema["$ref"])
            if not ref.startswith("#/"):
                raise ValueError(f"only local $ref is supported, not {ref!r}")
            node: Any = self.root
            for part in ref[2:].split("/"):
                node = node[part]
            schema = node
            seen += 1
            if seen > 20:
                raise ValueError(f"$ref loop at {ref}")
        return schema

    def validate(self, value: Any, schema: dict | None = None, path: str = "") -> list[Finding]:
        """Every problem of ``value`` against ``schema`` (default: the root)."""
        out: list[Finding] = []
        self._check(value, self._resolve(schema if schema is not None else self.root), path, out)
        return out

    def _check(self, v: Any, s: dict, path: str, out: list[Finding]) -> None:
        t = s.get("type")
        if t is not None:
            names = t if isinstance(t, list) else [t]
            if not any(_is_type(v, n) for n in names):
                out.append(Finding("error", path, f"expected {' or '.join(names)}, got {_type_name(v)}"
                                   + (f" ({_short(v)})" if not isinstance(v, (dict, list)) else "")))
                return
        if "enum" in s and v not in s["enum"]:
            out.append(Finding("error", path, f"{_short(v)} is not one of {', '.join(map(str, s['enum']))}"))
        if isinstance(v, str) and "pattern" in s and not re.search(str(s["pattern"]), v):
            out.append(Finding("error", path, f"{_short(v)} does not match {s['pattern']}"))
        if isinstance(v, dict):
            self._object(v, s, path, out)
        elif isinstance(v, list) and isinstance(s.get("items"), dict):
            item = self._resolve(s["items"])
            for idx, x in enumerate(v):
                self._check(x, item, f"{path}[{idx}]", out)

    def _object(self, v: dict, s: dict, path: str, out: list[Finding]) -> None:
        props = s.get("properties") or {}
        for req in s.get("required") or []:
            if req not in v:
                out.append(Finding("error", _join(path, req), "required key is missing"))
        extra = s.get("additionalProperties", True)
        for k, x in v.items():
            key = str(k)
            sub = _join(path, key)
            if key in props:
                self._check(x, self._resolve(props[key]), sub, out)
            elif extra is False:
                hint = close_matches(key, props.keys(), n=1, cutoff=0.75)
                msg = "unknown key" + (f' (did you mean "{hint[0]}"?)' if hint else "")
                out.append(Finding("error", sub, msg))
            elif isinstance(extra, dict):
                self._check(x, self._resolve(extra), sub, out)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _short(v: Any) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
