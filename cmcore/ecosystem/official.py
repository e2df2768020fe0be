"""Import a published MLPerf inference results tree into the results store.

The published layout (``inference_results_vX.Y``)::

    <division>/<submitter>/systems/<system>.json
    <division>/<submitter>/results/<system>/<benchmark>/<scenario>/performance/run_1/mlperf_log_summary.txt
    <division>/<submitter>/results/<system>/<benchmark>/<scenario>/accuracy/accuracy.txt

Each (system, benchmark, scenario) becomes one result artifact tagged ``official`` with the
division, submitter, system, accelerator and software fields, the metric, and the
throughput per accelerator. Re-importing is idempotent: an unchanged result is skipped, a
changed one replaced. A bad file costs one line in ``problems``; everything else is imported.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmcore.ecosystem import mlperf_logs as logs
from cmcore.errors import NOT_FOUND, CMError

if TYPE_CHECKING:  # pragma: no cover
    from cmcore.session import Session

OFFICIAL_TAG = "official"
DIVISIONS = ("closed", "open", "network")
#: large accuracy logs are summarised, not copied (some are hundreds of MB)
MAX_COPY_BYTES = 8 * 1024 * 1024
SYSTEM_FIELDS = {
    "system_name": "system_name", "system_type": "system_type", "status": "availability",
    "accelerator_model_name": "accelerator", "accelerators_per_node": "accelerators_per_node",
    "number_of_nodes": "number_of_nodes", "host_processor_model_name": "host_processor",
    "host_processors_per_node": "host_processors_per_node",
    "host_processor_core_count": "host_processor_core_count", "framework": "framework",
    "operating_system": "operating_system", "accelerator_memory_capacity": "accelerator_memory",
}


@dataclass
class ImportReport:
    """What one import did."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "updated": self.updated, "unchanged": self.unchanged,
                "problems": list(self.problems), "uids": list(self.uids)}


@dataclass
class Entry:
    """One (system, benchmark, scenario) found in the tree."""

    version: str
    division: str
    submitter: str
    system: str
    benchmark: str
    scenario: str
    folder: Path  # .../results/<system>/<benchmark>/<scenario>
    systems_dir: Path

    @property
    def key(self) -> str:
        return "/".join((self.version, self.division, self.submitter, self.system, self.benchmark, self.scenario))


def tree_version(path: Path) -> str:
    """``4.1`` from a path containing ``inference_results_v4.1``; ``""`` if none."""
    for part in reversed(path.resolve().parts):
        m = re.search(r"results[_-]v?(\d+\.\d+)", part)
        if m:
            return m.group(1)
    return ""


def _submitter_dirs(root: Path) -> Iterator[tuple[str, Path]]:
    """``(division, submitter folder)`` pairs under ``root`` (a tree, a division or a submitter)."""
    if (root / "results").is_dir():
        yield root.parent.name, root
        return
    if any((d / "results").is_dir() for d in root.iterdir() if d.is_dir()):
        for sub in sorted(d for d in root.iterdir() if (d / "results").is_dir()):
            yield root.name, sub
        return
    for div in sorted(d for d in root.iterdir() if d.is_dir() and d.name.lower() in DIVISIONS):
        for sub in sorted(d for d in div.iterdir() if (d / "results").is_dir()):
            yield div.name, sub


def find_entries(root: Path, version: str = "") -> list[Entry]:
    """Every results folder of the tree, in a stable order."""
    if not root.is_dir():
        raise CMError(f"{root} is not a folder (give the checkout of an inference_results_vX.Y tree)", NOT_FOUND)
    version = version or tree_version(root)
    out: list[Entry] = []
    for division, sub in _submitter_dirs(root):
        for sysdir in sorted(d for d in (sub / "results").iterdir() if d.is_dir()):
            for bench in sorted(d for d in sysdir.iterdir() if d.is_dir()):
                for scen in sorted(d for d in bench.iterdir() if d.is_dir()):
                    out.append(Entry(version, division, sub.name, sysdir.name, bench.name, scen.name, scen,
                                     sub / "systems"))
    if not out:
        raise CMError(f"no <division>/<submitter>/results/<system>/<benchmark>/<scenario> folders under {root}",
                      NOT_FOUND)
    return out


def _summary_file(folder: Path) -> Path | None:
    perf = folder / "performance"
    for cand in (perf / "run_1" / "mlperf_log_summary.txt", perf / "mlperf_log_summary.txt"):
        if cand.is_file():
            return cand
    runs = sorted(perf.glob("run_*/mlperf_log_summary.txt"))
    return runs[0] if runs else None


def _system_fields(system: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for src, dst in SYSTEM_FIELDS.items():
        v = system.get(src)
        if v not in (None, ""):
            out[dst] = v if isinstance(v, (int, float)) else str(v).strip()
    return out


def build_result(entry: Entry, system: dict[str, Any], perf: dict[str, Any],
                 accuracy: dict[str, float]) -> dict[str, Any]:
    """The flat result record of one official entry (normalised per accelerator)."""
    n_acc = logs.accelerator_count(system)
    res: dict[str, Any] = {
        "source": "mlperf-official", "official_key": entry.key, "mlperf_version": entry.version,
        "division": entry.division, "submitter": entry.submitter, "system": entry.system,
        "benchmark": entry.benchmark, "model": logs.model_of(entry.benchmark), "scenario": entry.scenario,
        "mode": "performance", **_system_fields(system), **perf, **accuracy,
    }
    res["scenario"] = entry.scenario  # the folder is the submission's word; the summary must agree
    res["accelerators"] = n_acc
    res["device_kind"] = "accelerator" if n_acc else "cpu"
    res["device"] = res.get("accelerator") or res.get("host_processor") or ""
    res["backend"] = res.get("framework", "")
    # Per accelerator when there are accelerators; per system (all its CPUs) when there are none.
    res["normalised_per"] = "accelerator" if n_acc else "system"
    if res.get("samples_per_second") is not None:
        res["samples_per_second_per_accelerator"] = res["samples_per_second"] / max(1, n_acc)
    return res


def _fingerprint(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes() if p.stat().st_size <= MAX_COPY_BYTES else str(p.stat().st_size).encode())
    return h.hexdigest()[:20]


def _tag(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")


def existing_official(session: Session) -> dict[str, Any]:
    """``{official_key: artifact}`` of the official results already in the store."""
    from cmcore.results.store import load_result

    out: dict[str, Any] = {}
    for art in session.db.search("result", tags=[OFFICIAL_TAG]):
        key = load_result(art).get("official_key")
        if key:
            out[str(key)] = art
    return out


def import_tree(session: Session, root: str | Path, *, version: str = "") -> ImportReport:
    """Import every result of the tree at ``root``; see the module docstring."""
    # Official results do not go to the result sinks: they are reference data, not runs.
    from cmcore.results.store import load_result, record_result

    root = Path(root).expanduser()
    entries = find_entries(root, version)
    report = ImportReport()
    have = existing_official(session)
    systems: dict[Path, dict[str, Any] | None] = {}
    for e in entries:
        sys_json = e.systems_dir / f"{e.system}.json"
        if sys_json not in systems:
            try:
                systems[sys_json] = logs.read_system(sys_json)
            except FileNotFoundError:
                report.problems.append(f"{sys_json}: missing system description; its results have no "
                                       "accelerator or software fields")
                systems[sys_json] = None
            except (OSError, ValueError) as exc:
                report.problems.append(f"{sys_json}: {exc}; its results have no accelerator or software fields")
                systems[sys_json] = None
        summary = _summary_file(e.folder)
        if summary is None:
            report.problems.append(f"{e.folder}: no performance/run_1/mlperf_log_summary.txt; skipped")
            continue
        try:
            perf = logs.parse_summary(summary.read_text(errors="replace"))
        except (OSError, ValueError) as exc:
            report.problems.append(f"{summary}: {exc}; skipped")
            continue
        if perf["scenario"].lower() != e.scenario.lower():
            report.problems.append(f"{summary}: says scenario {perf['scenario']} in folder {e.scenario}; skipped")
            continue
        acc_txt = e.folder / "accuracy" / "accuracy.txt"
        accuracy: dict[str, float] = {}
        if acc_txt.is_file():
            try:
                accuracy = logs.parse_accuracy(acc_txt.read_text(errors="replace"))
            except (OSError, ValueError) as exc:
                report.problems.append(f"{acc_txt}: {exc}; imported without accuracy")
        files: dict[str, Path] = {"logs/mlperf_log_summary.txt": summary}
        for name, src in (("logs/mlperf_log_detail.txt", summary.with_name("mlperf_log_detail.txt")),
                          ("logs/accuracy.txt", acc_txt),
                          ("logs/mlperf_log_accuracy.json", e.folder / "accuracy" / "mlperf_log_accuracy.json")):
            if src.is_file() and src.stat().st_size <= MAX_COPY_BYTES:
                files[name] = src
        if systems[sys_json] is not None:
            files["system.json"] = sys_json
        res = build_result(e, systems[sys_json] or {}, perf, accuracy)
        res["source_hash"] = _fingerprint(sorted(files.values()))
        old = have.get(e.key)
        if old is not None and load_result(old).get("source_hash") == res["source_hash"]:
            report.unchanged += 1
            report.uids.append(str(old.uid))
            continue
        tags = [OFFICIAL_TAG, "mlperf", "mlperf-inference", "mlperf-official", _tag(res["model"]),
                _tag(e.scenario), _tag(e.division), f"mlperf-v{e.version}" if e.version else ""]
        art = record_result(session, res, tags=tags, inputs={"path": str(e.folder), "official_key": e.key},
                            files=files)
        if old is not None:
            session.db.delete(old)
            report.updated += 1
        else:
            report.imported += 1
        have[e.key] = art
        report.uids.append(str(art.uid))
    return report
