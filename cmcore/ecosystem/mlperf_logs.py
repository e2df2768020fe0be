"""Read the files of a published MLPerf inference results tree.

``mlperf_log_summary.txt`` (LoadGen's summary), ``accuracy.txt`` (the accuracy script's
output, which differs per benchmark) and the system description JSON. Pure parsing: each
function returns data or raises :class:`ValueError` with a short reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_KV = re.compile(r"^\s*([^:*]+?)\s*:\s*(.+?)\s*$")
_NUM = r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
#: the main metric line of each scenario (several spellings across LoadGen versions)
PERF_KEYS = {
    "Offline": ("Samples per second",),
    "Server": ("Scheduled samples per second", "Completed samples per second"),
    "SingleStream": ("90th percentile latency (ns)", "90.00 percentile latency (ns)"),
    "MultiStream": ("99th percentile latency (ns)", "99.00 percentile latency (ns)"),
}
_PERCENTILES = {"50.00": "latency_p50_ms", "90.00": "latency_p90_ms", "99.00": "latency_p99_ms"}


def _num(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def parse_summary(text: str) -> dict[str, Any]:
    """The key facts of a LoadGen summary: scenario, mode, validity, throughput, latencies (ms).

    Raises ValueError when the text is not a LoadGen summary or has no result for its scenario.
    """
    kv: dict[str, str] = {}
    for line in text.splitlines():
        m = _KV.match(line)
        if m and m.group(1) not in kv:
            kv[m.group(1).strip()] = m.group(2).strip()
    scenario = kv.get("Scenario", "")
    if scenario not in PERF_KEYS:
        raise ValueError(f"not a LoadGen summary (scenario {scenario!r})" if scenario
                         else "not a LoadGen summary (no 'Scenario :' line)")
    validity = kv.get("Result is", "").upper()
    if validity not in ("VALID", "INVALID"):
        raise ValueError("no 'Result is : VALID|INVALID' line")
    out: dict[str, Any] = {"scenario": scenario, "validity": validity,
                           "loadgen_mode": kv.get("Mode", "")}
    metric_key = next((k for k in PERF_KEYS[scenario] if _num(kv.get(k, "")) is not None), None)
    if metric_key is None:
        raise ValueError(f"no {PERF_KEYS[scenario][0]!r} value for {scenario}")
    value = float(kv[metric_key])
    for pct, key in _PERCENTILES.items():
        v = _num(kv.get(f"{pct} percentile latency (ns)", ""))
        if v is not None:
            out[key] = v / 1e6
    mean = _num(kv.get("Mean latency (ns)", ""))
    if mean is not None:
        out["latency_mean_ms"] = mean / 1e6
    if scenario in ("Offline", "Server"):
        out["samples_per_second"] = value
        out["metric"] = "samples_per_second"
    else:
        key = "latency_p90_ms" if scenario == "SingleStream" else "latency_p99_ms"
        out[key] = value / 1e6
        out["metric"] = key
        if out.get("latency_mean_ms"):
            # one sample per query in SingleStream; MultiStream queries carry 8 samples
            per_query = 8 if scenario == "MultiStream" else 1
            out["samples_per_second"] = per_query * 1000.0 / out["latency_mean_ms"]
    sps = _num(kv.get("Samples per second", ""))
    if "samples_per_second" not in out and sps is not None:
        out["samples_per_second"] = sps
    return out


def parse_accuracy(text: str) -> dict[str, float]:
    """Accuracy numbers of an ``accuracy.txt``: ``accuracy`` (a fraction) plus named scores.

    Understands the common forms: ``accuracy=76.456%, good=..., total=...`` (image
    classification), ``mAP=37.57%`` (detection), and a JSON/Python dict line such as
    ``{"exact_match": 83.6, "f1": 90.87}`` or ``{'rouge1': 42.9, ...}``.
    """
    out: dict[str, float] = {}
    m = re.search(rf"\baccuracy\s*=\s*({_NUM})\s*%", text)
    if m:
        out["accuracy"] = float(m.group(1)) / 100.0
    m = re.search(rf"\bmAP\s*=\s*({_NUM})\s*%", text)
    if m:
        out["accuracy.mAP"] = float(m.group(1)) / 100.0
        out.setdefault("accuracy", out["accuracy.mAP"])
    for line in text.splitlines():
        s = line.strip()
        if not (s.startswith("{") and s.endswith("}")):
            continue
        try:
            data = json.loads(s.replace("'", '"'))
        except ValueError:
            continue
        if isinstance(data, dict):
            for k, v in data.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    out[f"accuracy.{k}"] = float(v)
    if not out:
        raise ValueError("no accuracy figure found (accuracy=..%, mAP=..% or a {...} line)")
    return out


def read_system(path: Path) -> dict[str, Any]:
    """The system description JSON as a dict (ValueError if it is not a JSON object)."""
    try:
        data = json.loads(path.read_text(errors="replace"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("the system description must be a JSON object")
    return data


def accelerator_count(system: dict[str, Any]) -> int:
    """Accelerators in the system (``accelerators_per_node`` x ``number_of_nodes``); 0 for CPU-only."""
    def as_int(v: Any, default: int) -> int:
        try:
            return int(float(str(v).strip()))
        except ValueError:
            return default

    return max(0, as_int(system.get("accelerators_per_node", 0), 0)) * \
        max(1, as_int(system.get("number_of_nodes", 1), 1))


def model_of(benchmark: str) -> str:
    """The model an official benchmark measures: ``bert-99.9`` -> ``bert``, ``resnet`` -> ``resnet50``."""
    name = re.sub(r"-99(?:\.9)?$", "", benchmark.strip().lower())
    return {"resnet": "resnet50"}.get(name, name)
