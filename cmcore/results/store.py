"""Results as artifacts: ``<local repo>/result/<uid>/`` with a flat ``result.json``.

Any recorder (the MLPerf harness, experiments, best-stack searches) calls
:func:`record_result`::

    art = record_result(session, {"scenario": "Offline", "samples_per_second": 812.5, ...},
                        tags=["mlperf", "digits"], inputs={...}, devices=[...],
                        files={"logs/mlperf_log_summary.txt": Path(...)})

The folder holds ``result.json`` (flat: scalar values only, so tables and comparisons need
no schema), ``inputs.json`` (what was asked), ``devices.json``, ``versions.json`` and the
copied files. The meta carries the tags and a copy of the flat result for fast listing.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmcore.errors import MALFORMED, CMError
from cmcore.metaio import atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from cmcore.db import Artifact
    from cmcore.session import Session

AUTOMATION = "result"
SCALARS = (str, int, float, bool, type(None))


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings become ``a.b`` keys; lists of scalars become comma-joined strings."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        elif isinstance(v, (list, tuple)):
            out[key] = ",".join(str(x) for x in v)
        elif isinstance(v, SCALARS):
            out[key] = v
        else:
            out[key] = str(v)
    return out


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n"


def record_result(session: Session, result: Mapping[str, Any], *, tags: Iterable[str] = (),
                  inputs: Mapping[str, Any] | None = None, devices: list | None = None,
                  versions: Mapping[str, Any] | None = None,
                  files: Mapping[str, str | Path] | None = None, alias: str | None = None) -> Artifact:
    """Create one result artifact in the local repo and return it.

    ``files`` maps a relative name in the artifact (``logs/x.txt``) to a file to copy; a
    missing source is skipped. Bad names (absolute, ``..``) are a CMError and nothing is kept.
    """
    if not isinstance(result, Mapping):
        raise CMError("a result must be a mapping of metric names to values", MALFORMED)
    for rel in (files or {}):
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts:
            raise CMError(f"result file name {rel!r} must be relative, without '..'", MALFORMED)
    red = getattr(session, "redactor", None)  # results, reports and sinks never carry a secret
    flat = flatten(red.data(dict(result)) if red is not None else result)
    if inputs is not None and red is not None:
        inputs = red.data(dict(inputs))
    flat.setdefault("recorded_at", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    tag_list = sorted({str(t).strip() for t in tags if str(t).strip()} | {"result"})
    art = session.db.add(AUTOMATION, alias, meta={"result": flat}, tags=tag_list)
    try:
        atomic_write_text(art.path / "result.json", _dump(flat))
        if inputs is not None:
            atomic_write_text(art.path / "inputs.json", _dump(dict(inputs)))
        if devices is not None:
            atomic_write_text(art.path / "devices.json", _dump(list(devices)))
        if versions is not None:
            atomic_write_text(art.path / "versions.json", _dump(dict(versions)))
        for rel, src in (files or {}).items():
            if Path(src).is_file():
                dst = art.path / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)
    except OSError as exc:
        session.db.delete(art)
        raise CMError(f"cannot write the result {art.path}: {exc}", 1) from exc
    return art


def load_result(art: Artifact) -> dict[str, Any]:
    """The flat result of an artifact (``result.json``, else the copy in its meta)."""
    p = art.path / "result.json"
    if p.is_file():
        try:
            data = json.loads(p.read_text())
            if isinstance(data, dict):
                return data
        except (OSError, json.JSONDecodeError):
            pass
    data = art.meta.get("result")
    return dict(data) if isinstance(data, dict) else {}
