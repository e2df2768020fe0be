"""The ``mlperf-results`` automation: official MLPerf inference results.

``cm import mlperf-results --path=<inference_results_vX.Y checkout> [--version=4.1]``
    reads the published tree into the results store (tagged ``official``).
``cm show mlperf-results [--model=resnet50] [--scenario=Offline] [--json]``
    lists the imported official results.
``cm compare mlperf-results LOCAL_RESULT [--limit=10] [--division=closed] [--json]``
    places a local run beside the official results of the same model and scenario,
    normalised per accelerator.
"""

from __future__ import annotations

import json
from typing import ClassVar

from cmcore.automations.base import Automation
from cmcore.errors import GENERIC, CMError


def _out(i: dict) -> bool:
    return i.get("out") == "con"


def _json(i: dict) -> bool:
    return any(i.get(k) in (True, "yes", "true", "1") for k in ("json", "j"))


class MlperfResultsAutomation(Automation):
    """Import, list and compare against official MLPerf inference results."""

    name: ClassVar[str] = "mlperf-results"
    uid: ClassVar[str] = "3f1c9a7e52b04d18"
    summary: ClassVar[str] = "official MLPerf results: import a published tree, compare a local run"
    action_substitutions: ClassVar[dict[str, str]] = {"import": "import_results"}

    def import_results(self, i: dict) -> dict:
        """``cm import mlperf-results --path=DIR``: one line per bad file, the rest imported."""
        from cmcore.ecosystem.official import import_tree

        path = i.get("path") or i.get("artifact")
        if not path or not isinstance(path, str):
            raise CMError("give the results tree: cm import mlperf-results --path=<inference_results_vX.Y>", GENERIC)
        rep = import_tree(self.session, path, version=str(i.get("version") or ""))
        for line in rep.problems:
            self.session.log.warning(line)
        if _out(i):
            if _json(i):
                print(json.dumps(rep.to_dict(), indent=2))
            else:
                print(f"official results: {rep.imported} imported, {rep.updated} updated, "
                      f"{rep.unchanged} unchanged, {len(rep.problems)} problem(s)")
        return {"return": 0, **rep.to_dict()}

    def show(self, i: dict) -> dict:
        """List official results, optionally of one model and scenario."""
        from cmcore.ecosystem.official import OFFICIAL_TAG
        from cmcore.ecosystem.similar import _rows
        from cmcore.results import table

        rows = _rows(self.session, [OFFICIAL_TAG])
        for key in ("model", "scenario", "division", "submitter"):
            if i.get(key):
                rows = [r for r in rows if str(r.get(key, "")).lower() == str(i[key]).lower()]
        rows.sort(key=lambda r: (str(r.get("model")), str(r.get("scenario")), str(r.get("submitter")),
                                 str(r.get("system"))))
        cols = ["uid", "mlperf_version", "division", "submitter", "system", "accelerator", "accelerators",
                "model", "scenario", "samples_per_second", "samples_per_second_per_accelerator",
                "latency_p90_ms", "accuracy", "validity"]
        if _out(i):
            if _json(i):
                print(json.dumps(rows, indent=2, sort_keys=True, default=str))
            elif rows:
                print(table.text_table(rows, cols))
            else:
                self.session.log.info("no official results imported yet (cm import mlperf-results --path=...)")
        return {"return": 0, "results": rows, "columns": cols}

    def compare(self, i: dict) -> dict:
        """A local result beside the official results of similar systems."""
        from cmcore.ecosystem.similar import beside, load_local
        from cmcore.results import table

        ref = i.get("artifact")
        if not ref:
            raise CMError("give the local result: cm compare mlperf-results <uid> (cm show results lists them)",
                          GENERIC)
        try:
            limit = int(i.get("limit") or 10)
        except ValueError:
            raise CMError(f"--limit must be a number, not {i.get('limit')!r}", GENERIC) from None
        out = beside(self.session, load_local(self.session, str(ref)), limit=limit,
                     division=str(i.get("division") or ""))
        if _out(i):
            if _json(i):
                print(json.dumps(out, indent=2, sort_keys=True, default=str))
            else:
                print(f"{out['model']} {out['scenario']}: {out['metric']}, {out['normalised']}")
                print(table.text_table(out["rows"], out["columns"]))
                if len(out["rows"]) == 1:
                    print("no official results for this model and scenario "
                          "(cm import mlperf-results --path=...)")
        return {"return": 0, **out}
