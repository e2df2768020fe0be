"""The flat result of one LoadGen test, from its logs and what the harness reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cm_scripts_mlops.mlperf.logparse import parse_detail, parse_summary

NS_PER_MS = 1e6


def _ms(v: Any) -> float | None:
    try:
        return round(float(v) / NS_PER_MS, 6)
    except (TypeError, ValueError):
        return None


def fix_hint(scenario: str, unsatisfied: list[str], params: dict[str, Any], measured: dict[str, Any]) -> str:
    """One line that says how to change the settings when LoadGen found the run too short."""
    hints = []
    low = [u.lower() for u in unsatisfied]
    if "max query count reached" in str(measured.get("invalid_reason", "")).lower():
        hints.append("raise or drop --max_query_count: LoadGen stopped at it before min_duration")
    elif any("min duration" in u for u in low):
        if scenario == "Offline":
            qps = measured.get("samples_per_second") or 0
            hints.append(f"raise --target_qps to about {max(1, int(qps * 1.1))} (now {params.get('target_qps')}) "
                         "so LoadGen issues enough samples to fill min_duration")
        elif scenario == "Server":
            hints.append("raise --target_qps or --min_duration_ms so the run lasts at least min_duration")
        else:
            p90 = measured.get("latency_p90_ms")
            lat = f"about {p90:.3g} ms, the measured p90" if p90 else "the real latency"
            hints.append(f"lower --target_latency to {lat} (LoadGen plans min_duration / target_latency queries), "
                         "raise --test_query_count, or lower --min_duration_ms")
    if any("min queries" in u for u in low):
        hints.append("raise --test_query_count or --min_duration_ms so LoadGen issues at least min_query_count queries")
    if any("early stopping" in u for u in low):
        hints.append("run more queries (--test_query_count) so early stopping can bound the percentile")
    if any("latency" in u for u in low) or any("latency constraint" in u for u in low):
        hints.append("lower --target_qps (Server) or raise --target_latency")
    return "; ".join(hints)


def flat_result(out_dir: str | Path, *, scenario: str, mode: str, info: dict[str, Any],
                accuracy: dict[str, Any] | None, stack: dict[str, Any]) -> dict[str, Any]:
    """The result.json of one test: stack, metrics, validity with its reason, versions."""
    out = Path(out_dir)
    res: dict[str, Any] = {"scenario": scenario, "mode": mode, **stack}
    for k in ("engine_version", "loadgen_version", "numpy_version", "sample_count", "performance_sample_count",
              "load_seconds", "test_seconds", "predict_seconds", "inference_calls", "samples_completed",
              "fallback_reason"):
        if k in info:
            res[k] = info[k]
    providers = info.get("providers_used")
    if providers:
        res["providers"] = ",".join(providers)
    summary_path, detail_path = out / "mlperf_log_summary.txt", out / "mlperf_log_detail.txt"
    if mode == "performance":
        summary = parse_summary(summary_path) if summary_path.is_file() else {}
        detail = parse_detail(detail_path) if detail_path.is_file() else {"values": {}, "errors": [], "warnings": []}
        vals = detail["values"]
        for p in ("50.00", "90.00", "99.00"):
            res[f"latency_p{p[:2]}_ms"] = _ms(vals.get(f"result_{p}_percentile_latency_ns")
                                              or summary.get(f"{p} percentile latency (ns)"))
        res["latency_mean_ms"] = _ms(vals.get("result_mean_latency_ns") or summary.get("Mean latency (ns)"))
        sps = vals.get("result_samples_per_second") or summary.get("Samples per second")
        if sps is None and scenario == "Server":
            sps = vals.get("result_completed_samples_per_sec") or summary.get("Completed samples per second")
        if sps is None and res.get("latency_mean_ms"):
            sps = 1000.0 / res["latency_mean_ms"]  # SingleStream: one sample per query
        res["samples_per_second"] = float(sps) if sps is not None else None
        validity = str(vals.get("result_validity") or summary.get("Result is") or "INVALID").upper()
        res["validity"] = validity
        reasons = list(summary.get("unsatisfied") or []) + list(detail["errors"])
        if vals.get("result_invalid_reason") and not reasons:
            reasons.append(str(vals["result_invalid_reason"]))
        res["invalid_reason"] = "; ".join(f"{r}: NO" if r in (summary.get("unsatisfied") or []) else r
                                          for r in reasons) if validity != "VALID" else ""
        params = {k: v for k, v in summary.items() if isinstance(k, str)}
        res["fix"] = "" if validity == "VALID" else fix_hint(scenario, list(summary.get("unsatisfied") or []), params, res)
        res["min_duration_ms"] = vals.get("effective_min_duration_ms", summary.get("min_duration (ms)"))
        res["query_count"] = vals.get("result_query_count")
        res["loadgen_errors"] = len(detail["errors"])
    if accuracy is not None:
        res["accuracy"] = accuracy.get("accuracy")
        res["accuracy_good"] = accuracy.get("good")
        res["accuracy_total"] = accuracy.get("total")
        res["accuracy_unlabelled"] = accuracy.get("unlabelled", 0)
    return res
