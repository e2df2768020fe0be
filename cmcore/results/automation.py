"""The ``result`` automation (alias ``results``): recorded runs as artifacts.

``cm show results [NAME...] [--tags=a,b] [--json|--csv] [--columns=a,b]`` prints a table;
``cm compare results A B`` says what differs (stack, versions, metrics with ratios);
``cm find results --tags=...`` and ``cm rm results ... -f`` are the generic actions.
Recording is done in code through :func:`cmcore.results.record_result`.
"""

from __future__ import annotations

import json
import sys
from typing import Any, ClassVar

from cmcore.automations.generic import GenericActions
from cmcore.errors import GENERIC, NOT_FOUND, CMError
from cmcore.results import table
from cmcore.results.store import load_result


def _flag(i: dict, *names: str) -> bool:
    for n in names:
        v = i.get(n)
        if v is True or (isinstance(v, str) and v.lower() in ("yes", "true", "on", "1")):
            return True
    return False


def _list(v: Any) -> list[str]:
    if isinstance(v, str):
        return [x.strip() for x in v.split(",") if x.strip()]
    if isinstance(v, (list, tuple)):
        return [str(x).strip() for x in v if str(x).strip()]
    return []


class ResultAutomation(GenericActions):
    """Benchmark and experiment results: show, compare, find, rm."""

    name: ClassVar[str] = "result"
    uid: ClassVar[str] = "6b8e2f0c41d7a953"
    summary: ClassVar[str] = "benchmark results: show, compare, find"

    def _rows(self, i: dict) -> list[dict[str, Any]]:
        rows = []
        for art in self._find(i):
            row = {"uid": art.uid or art.path.name, **load_result(art), "path": str(art.path),
                   "tags": ",".join(art.tags)}
            rows.append(row)
        rows.sort(key=lambda r: str(r.get("recorded_at", "")))
        return rows

    def show(self, i: dict) -> dict:
        """A table of matching results (oldest first); ``--json`` or ``--csv`` for machines."""
        rows = self._rows(i)
        if not rows and (self._refs(i) or i.get("tags")):
            raise self._not_found(i)
        cols = table.columns(rows, _list(i.get("columns")) or None)
        if self._con(i):
            if _flag(i, "json", "j"):
                self._print(json.dumps(rows, indent=2, sort_keys=True, default=str))
            elif _flag(i, "csv"):
                sys.stdout.write(table.csv_table(rows, cols))
            elif rows:
                self._print(table.text_table(rows, cols))
            else:
                self.session.log.info("no results recorded yet")
        return {"return": 0, "results": rows, "columns": cols}

    def doc(self, i: dict) -> dict:
        """``cm doc result UID [--output=FILE]``: an Artifact Appendix with the recorded figures."""
        from cmcore.script.verbs_repro import doc_result

        return doc_result(self.session, i)

    def compare(self, i: dict) -> dict:
        """``cm compare results A B``: the differences between two results, grouped."""
        refs = self._refs(i)
        if len(refs) != 2:
            raise CMError("compare needs exactly two results: cm compare results A B", GENERIC)
        picked = []
        for ref in refs:
            found = self._find(i, [ref], tags="")
            if not found:
                raise CMError(f'result "{ref}" not found (cm show results lists them)', NOT_FOUND)
            if len(found) > 1:
                raise CMError(f'"{ref}" matches {len(found)} results; give a uid', GENERIC)
            picked.append(found[0])
        a, b = (load_result(x) for x in picked)
        d = table.diff(a, b)
        if self._con(i):
            if _flag(i, "json", "j"):
                self._print(json.dumps(d, indent=2, sort_keys=True, default=str))
            else:
                self._print(table.diff_text(d, refs[0], refs[1]))
        return {"return": 0, "diff": d, "a": a, "b": b}
