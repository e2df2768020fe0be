"""The utility functions that old ``customize.py`` files call through ``cmind.utils``,
``mlc.utils`` or MLC's top-level ``utils`` (CM-FORMAT §2.3, §5.1).

Written for cmcore; same names, arguments and CM return-dict conventions
(``{'return': 0, ...}`` or ``{'return': code, 'error': msg}``) as the originals, so that
unmodified scripts work. Imports are lazy: this module is loaded while a hook runs.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import os
import re
import tempfile
import uuid
from typing import Any

from cmcore.osinfo import get_host_os_info  # noqa: F401 - part of the utils API

ERROR_UNKNOWN_FILE_EXTENSION = 1
ERROR_PATH_NOT_FOUND = 2
ERROR_FILE_NOT_FOUND = 16

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


# -- truthiness --------------------------------------------------------------------------


def is_true(val: Any) -> bool:
    """True for ``1/true/yes/on`` (any case), and for the bool True."""
    return str(val).strip().lower() in _TRUE


def is_false(val: Any) -> bool:
    """True for ``0/false/no/off`` (any case), and for the bool False."""
    return str(val).strip().lower() in _FALSE


def check_if_true_yes_on(env: dict, key: str) -> bool:
    """``env[key]`` is ``true``, ``yes`` or ``on`` (as CM's helper: ``1`` does not count)."""
    return str(env.get(key, "")).lower() in ("true", "yes", "on")


def check_if_none_false_no_off(env: dict, key: str) -> bool:
    """``env[key]`` is absent/empty or ``false``, ``no``, ``off``."""
    return str(env.get(key, "")).lower() in ("", "none", "false", "no", "off")


# -- files -------------------------------------------------------------------------------


def _missing(file_name: str) -> dict:
    return {"return": ERROR_FILE_NOT_FOUND, "error": f"file {file_name} not found"}


def load_json(file_name: str, check_if_exists: bool = False, encoding: str = "utf8") -> dict:
    """Load a JSON file → ``{'return': 0, 'meta': ...}``; missing → 16, malformed → 1."""
    if not os.path.isfile(file_name):
        return _missing(file_name)
    try:
        with open(file_name, encoding=encoding) as f:
            return {"return": 0, "meta": json.load(f)}
    except ValueError as exc:
        return {"return": 1, "error": f"malformed JSON in {file_name}: {exc}"}


def save_json(file_name: str, meta: Any = None, indent: int = 2, sort_keys: bool = True,
              encoding: str = "utf8") -> dict:
    """Write ``meta`` as JSON (with a final newline)."""
    with open(file_name, "w", encoding=encoding) as f:
        f.write(json.dumps({} if meta is None else meta, indent=indent, sort_keys=sort_keys) + "\n")
    return {"return": 0}


def load_yaml(file_name: str, check_if_exists: bool = False, encoding: str = "utf8") -> dict:
    """Load a YAML file → ``{'return': 0, 'meta': ...}``; missing → 16, malformed → 1."""
    import yaml

    if not os.path.isfile(file_name):
        return _missing(file_name)
    try:
        with open(file_name, encoding=encoding) as f:
            return {"return": 0, "meta": yaml.safe_load(f)}
    except yaml.YAMLError as exc:
        return {"return": 1, "error": f"malformed YAML in {file_name}: {' '.join(str(exc).split())}"}


def save_yaml(file_name: str, meta: Any = None, sort_keys: bool = True, encoding: str = "utf8") -> dict:
    """Write ``meta`` as YAML."""
    import yaml

    with open(file_name, "w", encoding=encoding) as f:
        yaml.safe_dump({} if meta is None else meta, f, sort_keys=sort_keys)
    return {"return": 0}


def load_json_or_yaml(file_name: str, check_if_exists: bool = False, encoding: str = "utf8") -> dict:
    """Load ``.json`` or ``.yaml``/``.yml`` by extension; another extension → 1."""
    if file_name.endswith(".json"):
        return load_json(file_name, check_if_exists, encoding)
    if file_name.endswith((".yaml", ".yml")):
        return load_yaml(file_name, check_if_exists, encoding)
    return {"return": ERROR_UNKNOWN_FILE_EXTENSION, "error": f"file extension must be .json or .yaml in {file_name}"}


def save_json_or_yaml(file_name: str, meta: Any, sort_keys: bool = False, encoding: str = "utf8") -> dict:
    """Save by extension (``.json`` or ``.yaml``)."""
    if file_name.endswith(".json"):
        return save_json(file_name, meta, sort_keys=sort_keys, encoding=encoding)
    if file_name.endswith((".yaml", ".yml")):
        return save_yaml(file_name, meta, sort_keys=sort_keys, encoding=encoding)
    return {"return": ERROR_UNKNOWN_FILE_EXTENSION, "error": f"unknown file extension in {file_name}"}


def load_yaml_and_json(file_name_without_ext: str, check_if_exists: bool = False, encoding: str = "utf8") -> dict:
    """Load ``X.yaml`` then ``X.json`` and shallow-merge the JSON over the YAML; neither → 16."""
    meta: dict = {}
    found = False
    for ext, loader in ((".yaml", load_yaml), (".json", load_json)):
        path = file_name_without_ext + ext
        if os.path.isfile(path):
            r = loader(path, True, encoding)
            if r["return"]:
                return r
            found = True
            meta.update(r["meta"] or {})
    if not found:
        return {"return": ERROR_FILE_NOT_FOUND, "error": f"YAML and JSON file {file_name_without_ext} not found"}
    return {"return": 0, "meta": meta}


def is_file_json_or_yaml(file_name: str) -> dict:
    """Is there ``file_name.yaml`` or ``file_name.json``? → ``is_file`` and ``path``."""
    for ext in (".yaml", ".json"):
        if os.path.isfile(file_name + ext):
            return {"return": 0, "is_file": True, "path": file_name + ext}
    return {"return": 0, "is_file": False}


def load_txt(file_name: str, encoding: str = "utf8", remove_after_read: bool = False,
             check_if_exists: bool = False, split: bool = False, match_text: str = "",
             fail_if_no_match: str = "") -> dict:
    """Load a text file → ``string`` (and ``list`` with ``split``, ``match`` with
    ``match_text``); missing → 16; ``fail_if_no_match`` is the error when nothing matches."""
    if not os.path.isfile(file_name):
        return _missing(file_name)
    with open(file_name, encoding=encoding, errors="replace") as f:
        s = f.read()
    if remove_after_read:
        os.remove(file_name)
    out: dict = {"return": 0, "string": s}
    if split:
        out["list"] = s.split("\n")
    if match_text:
        m = re.search(match_text, s)
        if m is None and fail_if_no_match:
            return {"return": 1, "error": fail_if_no_match}
        out["match"] = m
    return out


def save_txt(file_name: str, string: str = "", encoding: str = "utf8") -> dict:
    """Write a string to a text file."""
    with open(file_name, "w", encoding=encoding) as f:
        f.write(string)
    return {"return": 0}


def load_bin(file_name: str) -> dict:
    """Read a binary file → ``bin``; missing → 16."""
    if not os.path.isfile(file_name):
        return _missing(file_name)
    with open(file_name, "rb") as f:
        return {"return": 0, "bin": f.read()}


def check_and_create_dir(path: str) -> dict:
    """Create ``path`` (and parents) if it does not exist."""
    os.makedirs(path, exist_ok=True)
    return {"return": 0}


def find_file_in_dir_and_above(filename: str, path: str = "") -> dict:
    """Look for ``filename`` in ``path`` (default cwd) and its parents → ``path``,
    ``path_to_file``; not a directory → 2; not found → 16."""
    path = path or os.getcwd()
    if not os.path.isdir(path):
        return {"return": ERROR_PATH_NOT_FOUND, "error": f"path {path} not found"}
    path = os.path.realpath(path)
    while True:
        candidate = os.path.join(path, filename)
        if os.path.isfile(candidate):
            return {"return": 0, "path": path, "path_to_file": candidate}
        parent = os.path.dirname(path)
        if parent == path:
            return {"return": ERROR_FILE_NOT_FOUND, "error": f"{filename} not found in {path} or above"}
        path = parent


def list_all_files(i: dict) -> dict:
    """Files under ``i['path']`` → ``list`` ``{relative_path: {'size': n}}``; ``pattern``
    (glob), ``file_name``, ``ignore_names``, ``limit`` and ``add_path`` as in CM."""
    import fnmatch

    top = i.get("path", "") or "."
    pattern, fname = i.get("pattern", ""), i.get("file_name", "")
    ignore = set(i.get("ignore_names", []) or [])
    limit = int(i.get("limit", -1) or -1)
    found: dict = {}
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in ignore)
        for f in sorted(files):
            if f in ignore or (fname and f != fname) or (pattern and not fnmatch.fnmatch(f, pattern)):
                continue
            rel = os.path.relpath(os.path.join(root, f), top)
            found[rel] = {"size": os.path.getsize(os.path.join(root, f))}
            if i.get("add_path") == "yes":
                found[rel]["path"] = root
            if 0 < limit <= len(found):
                return {"return": 0, "list": found, "number": str(len(found))}
    return {"return": 0, "list": found, "number": str(len(found))}


def gen_tmp_file(i: dict | None = None) -> dict:
    """Create an empty temporary file → ``file_name`` (``suffix``, ``prefix``, ``remove_dir``)."""
    i = i or {}
    fd, name = tempfile.mkstemp(suffix=i.get("suffix", ""), prefix=i.get("prefix", "tmp-"))
    os.close(fd)
    if i.get("remove_dir"):
        name = os.path.basename(name)
    return {"return": 0, "file_name": name}


generate_temp_file = gen_tmp_file


# -- dicts, tags, uids -------------------------------------------------------------------


def gen_uid() -> dict:
    """A new 16-hex CM UID → ``{'return': 0, 'uid': ...}``."""
    return {"return": 0, "uid": uuid.uuid4().hex[:16]}


def is_cm_uid(obj: str) -> bool:
    """16 lowercase hex characters."""
    return bool(re.fullmatch(r"[0-9a-f]{16}", str(obj or "")))


is_uid = is_cm_uid


def merge_dicts(i: dict) -> dict:
    """Merge ``dict2`` into ``dict1`` in place, recursively → ``dict1``.

    ``append_lists``: lists are extended (``append_unique``: without duplicates) instead of
    replaced; ``ignore_keys``: top-level keys of dict2 to skip.
    """
    a, b = i["dict1"], i["dict2"]
    append_lists, unique = i.get("append_lists", False), i.get("append_unique", False)
    ignore = set(i.get("ignore_keys", []) or [])
    for k, v in b.items():
        if k in ignore:
            continue
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge_dicts({"dict1": a[k], "dict2": v, "append_lists": append_lists, "append_unique": unique})
        elif isinstance(v, list) and isinstance(a.get(k), list) and append_lists:
            for item in v:
                if not unique or item not in a[k]:
                    a[k].append(item)
        else:
            a[k] = copy.deepcopy(v)
    return {"return": 0, "dict1": a}


def update_dict(target: dict, source: dict) -> dict:
    """Recursively update ``target`` with ``source`` (dicts merged, others replaced); returns target."""
    for k, v in source.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            update_dict(target[k], v)
        else:
            target[k] = v
    return target


def update_dict_if_empty(d: dict, key: str, value: Any) -> None:
    """Set ``d[key] = value`` unless it already holds a non-empty value."""
    if d.get(key) in (None, ""):
        d[key] = value


def get_set_env(env: dict, key: str, default: Any = "") -> Any:
    """``env[key]``; an absent or empty key is first set to ``default``."""
    if env.get(key) in (None, ""):
        env[key] = default
    return env[key]


def sub_input(i: dict, keys: list, reverse: bool = False) -> dict:
    """The part of ``i`` with ``keys`` (or, with ``reverse``, without them)."""
    if reverse:
        return {k: v for k, v in i.items() if k not in keys}
    return {k: i[k] for k in keys if k in i}


def convert_env_to_dict(s: str) -> dict:
    """``KEY=VALUE`` lines → ``{'return': 0, 'dict': {...}}`` (value = all after the first ``=``)."""
    d: dict = {}
    for line in s.split("\n"):
        line = line.strip()
        if line:
            k, _, v = line.partition("=")
            d[k.strip()] = v.strip()
    return {"return": 0, "dict": d}


def convert_tags_to_list(i: dict) -> dict:
    """``i['tags']`` as a comma string or list → ``tags`` list without blanks."""
    tags = i.get("tags", "")
    items = tags.split(",") if isinstance(tags, str) else list(tags or [])
    return {"return": 0, "tags": [t.strip() for t in items if str(t).strip()]}


def filter_tags(tags: list) -> list:
    """Drop empty tags and surrounding spaces."""
    return [t.strip() for t in tags if t and t.strip()]


def get_list_from_cli(i: dict, key: str) -> list:
    """``i[key]`` as a list: a comma string is split, a list is kept, absent is ``[]``."""
    v = i.get(key)
    if v is None or v == "":
        return []
    if isinstance(v, str):
        return [x.strip() for x in v.split(",") if x.strip()]
    return list(v)


def assemble_cm_object(alias: str, uid: str) -> str:
    """``alias,uid`` with either part optional."""
    if alias and uid:
        return f"{alias},{uid}"
    return alias or uid or ""


assemble_object = assemble_cm_object


def assemble_cm_object1(cm_dict: dict) -> str:
    """``repo:alias,uid`` from a dict with ``alias``/``uid``/``repo_alias``/``repo_uid``."""
    obj = assemble_cm_object(cm_dict.get("alias", ""), cm_dict.get("uid", ""))
    repo = assemble_cm_object(cm_dict.get("repo_alias", ""), cm_dict.get("repo_uid", ""))
    return f"{repo}:{obj}" if repo else obj


def dump_safe_json(i: dict) -> dict:
    """A copy of ``i`` keeping only JSON-serialisable top-level values."""
    out = {}
    for k, v in i.items():
        try:
            json.dumps(v)
        except (TypeError, ValueError):
            continue
        out[k] = v
    return out


def safe_load_json(path: str, file_name: str = "", encoding: str = "utf8") -> dict:
    """Load JSON from ``path/file_name``; missing or malformed gives ``{'meta': {}}``, return 0."""
    full = os.path.join(path, file_name) if file_name else path
    r = load_json(full, True, encoding)
    return {"return": 0, "meta": r.get("meta", {}) if r["return"] == 0 else {}}


def digits(s: str, first: bool = True) -> str:
    """The leading (``first``) or trailing run of digits and dots in ``s``."""
    m = re.match(r"[\d.]+", s) if first else re.search(r"[\d.]+$", s)
    return m.group(0) if m else ""


def prune_input(i: dict) -> dict:
    """The input without the control keys (to regenerate a command) → ``new_input``."""
    inp = i["input"]
    drop = {"action", "automation", "cmd", "out", "parsed_automation", "parsed_artifact", "self_module"}
    starts = tuple(i.get("extra_keys_starts_with", []) or [])
    new = {k: copy.deepcopy(v) for k, v in inp.items() if k not in drop and not (starts and k.startswith(starts))}
    return {"return": 0, "new_input": new}


def get_current_date_time(i: dict | None = None) -> dict:
    """Now, as ``iso_datetime`` (local time) and ``datetime`` object."""
    now = _dt.datetime.now()
    return {"return": 0, "iso_datetime": now.isoformat(), "datetime": now}


# -- versions ----------------------------------------------------------------------------


def _version_parts(v: str) -> list:
    return [int(p) if p.isdigit() else p for p in str(v).strip().split(".")]


def compare_version_strings(v1: str, v2: str) -> int:
    """-1, 0 or 1. Numeric parts compare as numbers, the shorter version is padded with 0
    (``3.9 == 3.9.0``); a non-numeric part compares as text (never raises, unlike CM)."""
    a, b = _version_parts(v1), _version_parts(v2)
    for idx in range(max(len(a), len(b))):
        x = a[idx] if idx < len(a) else 0
        y = b[idx] if idx < len(b) else 0
        if type(x) is not type(y):
            x, y = str(x), str(y)
        if x != y:
            return 1 if x > y else -1  # type: ignore[operator]
    return 0


def compare_versions(i: dict) -> dict:
    """``{version1, version2}`` → ``comparison`` (1: v1 > v2, 0: equal, -1: v1 < v2)."""
    return {"return": 0, "comparison": compare_version_strings(i["version1"], i["version2"])}


# -- host ---------------------------------------------------------------------------------


def system(i: dict) -> dict:
    """Run the shell command ``i['cmd']`` (optionally in ``i['path']``) and capture its
    output → ``ret``, ``stdout``, ``stderr``, ``std`` (the command string is the API)."""
    import subprocess

    cmd = i.get("cmd", "")
    if not cmd:
        return {"return": 1, "error": "cmd is empty"}
    path = i.get("path") or None
    if path and not os.path.isdir(path):
        path = None
    p = subprocess.run(cmd, shell=True, cwd=path, capture_output=True, text=True, errors="replace")  # noqa: S602
    out, err = p.stdout.strip(), p.stderr.strip()
    return {"return": 0, "ret": p.returncode, "stdout": out, "stderr": err,
            "std": "\n".join(x for x in (out, err) if x)}
