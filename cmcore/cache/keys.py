"""Cache keys: everything that determines a script's cached result, hashed to one digest.

Tags are for finding and listing entries; the key decides reuse. Two runs share an entry
only if their keys are equal: same script (uid and file contents), same resolved
variations, same requested version, same extra cache tags, same dependency requests and
the same dialect.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from cmcore.digest import sha256
from cmcore.errors import NOT_FOUND, CMError
from cmcore.records import field, record

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

#: Bumped when the canonical form changes, so old entries stop matching instead of
#: matching wrongly.
KEY_FORMAT = 1

#: Files hashed by :func:`script_content_hash`: the meta files by name, native scripts and
#: Python hooks by suffix. Generated ``tmp-*`` files and hidden files are left out.
META_FILES = ("_cm.yaml", "_cm.json", "meta.yaml", "meta.json")
HASHED_SUFFIXES = (".sh", ".bat", ".py")


def _canonical(value: Any) -> Any:
    """Lists/tuples → lists, mappings → dicts with str keys, so JSON is stable."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@record(frozen=True, eq=True)
class CacheKey:
    """What determines a cached script result. ``digest()`` is its stable identity.

    ``variations`` and ``extra_tags`` are sets in meaning (stored sorted, deduplicated);
    ``deps_spec`` keeps its order (deps run in order). ``inputs`` is optional: relevant
    input values the engine wants in the key; when empty it does not enter the digest.
    """

    script_uid: str
    script_content_hash: str = ""
    variations: Sequence[str] = ()
    version: str = ""
    extra_tags: Sequence[str] = ()
    deps_spec: Sequence[Any] = ()
    dialect: str = "cm"
    inputs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalise so that equal meaning gives equal keys (frozen: set through object).
        object.__setattr__(self, "script_uid", str(self.script_uid or ""))
        object.__setattr__(self, "version", str(self.version or ""))
        object.__setattr__(self, "dialect", str(self.dialect or "cm").lower())
        object.__setattr__(self, "variations", tuple(sorted({str(v).lstrip("_") for v in self.variations or ()})))
        object.__setattr__(self, "extra_tags", tuple(sorted({str(t) for t in self.extra_tags or () if str(t)})))
        object.__setattr__(self, "deps_spec", tuple(_canonical(list(self.deps_spec or ()))))
        object.__setattr__(self, "inputs", dict(self.inputs or {}))

    def to_dict(self) -> dict[str, Any]:
        """The canonical fields (what the digest is computed from)."""
        d: dict[str, Any] = {
            "format": KEY_FORMAT,
            "script_uid": self.script_uid,
            "script_content_hash": self.script_content_hash,
            "variations": list(self.variations),
            "version": self.version,
            "extra_tags": list(self.extra_tags),
            "deps_spec": _canonical(list(self.deps_spec)),
            "dialect": self.dialect,
        }
        if self.inputs:
            d["inputs"] = _canonical(self.inputs)
        return d

    def digest(self) -> str:
        """sha256 hex of the canonical JSON of the fields: stable across processes and hosts."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return sha256(text.encode("utf-8")).hexdigest()

    def __hash__(self) -> int:
        return hash(self.digest())


def _hashed(name: str) -> bool:
    if name.startswith((".", "tmp-")):
        return False
    return name in META_FILES or name.endswith(HASHED_SUFFIXES)


def script_content_hash(script_dir: str | os.PathLike) -> str:
    """Hash of a script folder's meta files, ``customize.py`` and native scripts (top level only).

    File names are part of the hash (renaming ``run.sh`` changes it); the order is sorted, so
    the result does not depend on the file system. Sub-folders and generated ``tmp-*`` files
    are ignored.
    """
    d = Path(script_dir)
    if not d.is_dir():
        raise CMError(f"script folder not found: {d}", NOT_FOUND)
    h = sha256(b"cm-script-content\0")
    for name in sorted(n for n in os.listdir(d) if _hashed(n)):
        p = d / name
        if not p.is_file():
            continue
        data = p.read_bytes()
        h.update(name.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return h.hexdigest()
