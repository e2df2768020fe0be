"""Parsed metas kept as JSON, so a warm run never imports or runs the YAML parser.

A run must read the full meta of the script it found (and of each dependency). Parsing
YAML costs the PyYAML import (~25 ms) plus the parse itself; a JSON read costs well under a
millisecond. Each parsed meta is kept in ``<home>/index/meta/<hash>.json`` with the
signature (mtime, ctime, size, inode) of every meta file it came from, and used only while the files
still have that signature. A meta that JSON cannot hold exactly (YAML dates, non-string
keys) is simply not kept.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from cmcore.db import metafiles
from cmcore.db.index import RACY, stat_sig
from cmcore.digest import sha1


class ParsedMetaCache:
    """Read merged metas through a JSON copy validated by the meta files' signatures."""

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled

    def _file(self, folder: str) -> str:
        digest = sha1(folder.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return os.path.join(self.root, digest[:2], digest + ".json")

    @staticmethod
    def _signature(folder: str, names: Sequence[str]) -> list[list] | None:
        """The files' signatures, or None when one changed too recently to be trusted (as the
        index does: an edit within the same clock tick would otherwise go unseen)."""
        now = time.time_ns()
        sig: list[list] = []
        for n in names:
            one = stat_sig(os.stat(os.path.join(folder, n)), now)
            if tuple(one) == RACY:
                return None
            sig.append([n, *one])
        return sig

    def read(self, folder: str, names: Sequence[str]) -> dict:
        """The merged meta of ``folder`` (same result and errors as :func:`metafiles.read_meta`)."""
        if not self.enabled or not names or all(n.endswith(".json") for n in names):
            return metafiles.read_meta(folder, names)
        try:
            sig = self._signature(folder, names)
        except OSError:
            return metafiles.read_meta(folder, names)  # reports the missing file properly
        if sig is None:
            return metafiles.read_meta(folder, names)
        path = self._file(folder)
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            if data.get("folder") == folder and data.get("sig") == sig and isinstance(data.get("meta"), dict):
                return data["meta"]
        except (OSError, ValueError):
            pass
        meta = metafiles.read_meta(folder, names)
        self._keep(path, folder, sig, meta)
        return meta

    def _keep(self, path: str, folder: str, sig: list, meta: dict) -> None:
        try:
            text = json.dumps({"folder": folder, "sig": sig, "meta": meta}, ensure_ascii=False)
            if json.loads(text)["meta"] != meta:
                return  # JSON would change it (e.g. numeric keys): not worth a cached copy
        except (TypeError, ValueError):
            return
        try:
            from cmcore.metaio import atomic_write_text

            atomic_write_text(path, text)
        except OSError:
            pass  # a read-only home only costs speed
