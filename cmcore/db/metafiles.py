"""Reading and writing the meta files of artifacts and repositories.

CM artifacts have ``_cm.yaml`` and/or ``_cm.json`` (YAML first, JSON shallow-merged over
it); MLC artifacts have ``meta.yaml``/``meta.json``. A folder with any ``_cm.*`` file
speaks CM. Everything here raises :class:`CMError` (code 4) with a one-line message for
a file that does not parse or is not a mapping; the caller decides to skip and warn.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

from cmcore.errors import MALFORMED, CMError

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

CM_META = ("_cm.yaml", "_cm.json")
MLC_META = ("meta.yaml", "meta.json")
REPO_META = ("cmr.yaml", "cmr.json")  # CM repo marker; MLC repos use a root meta.yaml
ALL_META = CM_META + MLC_META


def meta_names_in(names: set[str] | list[str]) -> tuple[str, list[str]]:
    """``(dialect, meta file names in load order)`` for a folder holding ``names``."""
    cm = [n for n in CM_META if n in names]
    if cm:
        return "cm", cm
    return "mlc", [n for n in MLC_META if n in names]


def present_meta_files(folder: str) -> tuple[str, list[str]]:
    """The dialect and meta file names present in an artifact folder (stat per candidate)."""
    found = [n for n in ALL_META if os.path.isfile(os.path.join(folder, n))]
    return meta_names_in(found)


def _yaml_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def one_line(exc: BaseException) -> str:
    """An exception as one line (PyYAML errors span several)."""
    return " ".join(str(exc).split())


def parse_file(path: str) -> dict:
    """Parse one meta file; an empty file is ``{}``; anything but a mapping is an error."""
    try:
        with open(path, "rb") as f:
            data_bytes = f.read()  # bytes: both parsers decode UTF-8 themselves, faster
    except OSError as exc:
        raise CMError(f"cannot read {path}: {one_line(exc)}", MALFORMED) from exc
    if path.endswith(".json"):
        try:
            data = json.loads(data_bytes) if data_bytes.strip() else {}
        except ValueError as exc:  # includes UnicodeDecodeError
            raise CMError(f"malformed JSON: {one_line(exc)}", MALFORMED) from exc
    else:
        import yaml

        try:
            data = yaml.load(data_bytes, Loader=_yaml_loader())  # noqa: S506 - a safe loader
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise CMError(f"malformed YAML: {one_line(exc)}", MALFORMED) from exc
        if data is None:
            data = {}
    if not isinstance(data, dict):
        raise CMError(f"the meta is a {type(data).__name__}, not a mapping", MALFORMED)
    return data


def read_meta(folder: str, names: Sequence[str]) -> dict:
    """Merge the meta files ``names`` of ``folder`` in order (later ones shallow-merged over)."""
    meta: dict = {}
    for n in names:
        p = os.path.join(folder, n)
        try:
            meta.update(parse_file(p))
        except CMError as exc:
            raise CMError(f"{p}: {exc.message}", exc.code) from exc
    return meta


INDEX_KEYS = frozenset({"alias", "uid", "tags", "_base", "sort"})


def _check_tags(root: Any, loader: Any) -> None:
    """Refuse a tag the safe loader cannot build (``!x``, ``!!python/...``) anywhere in the
    document, as the full load would: only part of the document is built for the index, and
    a meta the index accepts must also load."""
    known = set(loader.yaml_constructors) | {"tag:yaml.org,2002:merge"}  # `<<` is flattened, not built
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in known:
            raise CMError(f"malformed YAML: cannot build the tag {node.tag!r} (only plain YAML is allowed)",
                          MALFORMED)
        if isinstance(node.value, list):
            for item in node.value:
                todo.extend(item if isinstance(item, tuple) else (item,))


def _yaml_index_fields(path: str) -> dict:
    """Only the keys the index needs from a YAML file: the C parser checks the whole file,
    but just these values are built into Python objects (the slow part of PyYAML)."""
    import yaml

    try:
        with open(path, "rb") as f:
            loader = _yaml_loader()(f.read())
    except OSError as exc:
        raise CMError(f"cannot read {path}: {one_line(exc)}", MALFORMED) from exc
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise CMError(f"the meta is a {node.id}, not a mapping", MALFORMED)
        _check_tags(node, loader)
        keys = [k.value for k, _v in node.value if isinstance(k, yaml.ScalarNode)]
        if "<<" in keys or len(keys) != len(node.value):
            return dict(loader.construct_document(node))  # merge or complex keys: build it all
        return {k.value: loader.construct_object(v, deep=True)
                for k, v in node.value if k.value in INDEX_KEYS}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CMError(f"malformed YAML: {one_line(exc)}", MALFORMED) from exc
    finally:
        loader.dispose()


def read_index_fields(folder: str, names: Sequence[str]) -> tuple[dict, dict | None]:
    """``(fields, full meta or None)``: the index keys of the merged meta files (CM-FORMAT §1.4).

    JSON is parsed whole (it is cheap), so a JSON-only artifact also yields its full meta.
    """
    fields: dict = {}
    full: dict | None = {}
    for n in names:
        p = os.path.join(folder, n)
        try:
            if n.endswith(".json"):
                data = parse_file(p)
                if full is not None:
                    full.update(data)
                fields.update({k: v for k, v in data.items() if k in INDEX_KEYS})
            else:
                fields.update(_yaml_index_fields(p))
                full = None
        except CMError as exc:
            raise CMError(f"{p}: {exc.message}", exc.code) from exc
    return fields, full


# -- inheritance ---------------------------------------------------------------------------------


def merge_inherited(base: dict, child: dict) -> dict:
    """``_base`` merge: child scalars win, dicts merge recursively, lists are appended."""
    out = dict(base)
    for k, v in child.items():
        old = out.get(k)
        if isinstance(old, dict) and isinstance(v, dict):
            out[k] = merge_inherited(old, v)
        elif isinstance(old, list) and isinstance(v, list):
            out[k] = old + [x for x in v if x not in old]
        else:
            out[k] = v
    return out


def merge_update(meta: dict, patch: dict, replace_lists: bool = False) -> dict:
    """``update`` merge: dicts merge recursively; lists get new items appended (or are replaced)."""
    out = dict(meta)
    for k, v in patch.items():
        old = out.get(k)
        if isinstance(old, dict) and isinstance(v, dict):
            out[k] = merge_update(old, v, replace_lists)
        elif isinstance(old, list) and isinstance(v, list) and not replace_lists:
            out[k] = old + [x for x in v if x not in old]
        else:
            out[k] = v
    return out


def clean_tags(tags: Any) -> list[str]:
    """Tags as saved: a list of stripped strings, without ``-negated`` ones, without duplicates."""
    if tags is None:
        return []
    items = tags.split(",") if isinstance(tags, str) else list(tags)
    out: list[str] = []
    for t in items:
        t = str(t).strip()
        if t and not t.startswith("-") and t not in out:
            out.append(t)
    return out


def tags_of(meta: dict) -> list[str]:
    """The ``tags`` of a meta as a list of strings (a comma string is accepted too)."""
    t = meta.get("tags")
    if isinstance(t, str):
        return [x.strip() for x in t.split(",") if x.strip()]
    if isinstance(t, list):
        return [str(x) for x in t]
    return []


# -- writing -------------------------------------------------------------------------------------


def write_meta_file(path: Path, meta: dict) -> None:
    """Write a meta file atomically in the format its name says."""
    from cmcore.metaio import write_json, write_yaml

    if path.suffix == ".json":
        write_json(path, meta)
    else:
        write_yaml(path, meta)


_YAML_KEY = {k: re.compile(rf"^{k}:.*$", re.MULTILINE) for k in ("alias", "uid")}


def patch_identity(path: Path, alias: str | None, uid: str | None) -> None:
    """Set ``alias``/``uid`` in one meta file, keeping the rest of a YAML file (comments) as is."""
    from cmcore.metaio import atomic_write_text

    if path.suffix == ".json":
        data = parse_file(str(path))
        if alias is not None:
            data["alias"] = alias
        if uid is not None:
            data["uid"] = uid
        write_meta_file(path, data)
        return
    text = path.read_text(encoding="utf-8")
    for key, value in (("alias", alias), ("uid", uid)):
        if value is None:
            continue
        line = f"{key}: {json.dumps(value)}"  # a JSON string is a valid YAML scalar
        m = _YAML_KEY[key].search(text)
        if m:
            text = text[:m.start()] + line + text[m.end():]
        else:
            text = f"{line}\n{text}"
    atomic_write_text(path, text)
