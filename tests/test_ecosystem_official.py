"""Official MLPerf results: import a tree in the published layout, re-import, bad files, compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cmcore.ecosystem import mlperf_logs
from cmcore.ecosystem.official import import_tree
from cmcore.results import record_result


def summary(scenario: str, *, sps: float | None = None, p90_ns: int = 0, valid: bool = True,
            mean_ns: int = 0) -> str:
    """A LoadGen ``mlperf_log_summary.txt`` as LoadGen writes it."""
    head = ["================================================", "MLPerf Results Summary",
            "================================================", "SUT name : LWIS_Server",
            f"Scenario : {scenario}", "Mode     : PerformanceOnly"]
    if scenario == "Offline":
        head.append(f"Samples per second: {sps}")
    elif scenario == "Server":
        head += [f"Completed samples per second    : {sps * 0.999:.2f}", "",
                 f"Scheduled samples per second : {sps}"]
    elif scenario == "SingleStream":
        head.append(f"90th percentile latency (ns) : {p90_ns}")
    head += [f"Result is : {'VALID' if valid else 'INVALID'}", "  Min duration satisfied : Yes",
             "  Min queries satisfied : Yes", "  Early stopping satisfied: Yes"]
    if scenario == "SingleStream":
        head += ["Early Stopping Result:", " * Processed at least 64 queries (51230).",
                 f" * Early stopping 90th percentile estimate: {p90_ns + 1000}"]
    mean = mean_ns or (p90_ns * 0.9 if p90_ns else 2_000_000)
    stats = ["", "================================================", "Additional Stats",
             "================================================", "Min latency (ns)                : 210000",
             "Max latency (ns)                : 9123456", f"Mean latency (ns)               : {int(mean)}",
             f"50.00 percentile latency (ns)   : {int(mean * 0.95)}",
             f"90.00 percentile latency (ns)   : {p90_ns or int(mean * 1.3)}",
             f"99.00 percentile latency (ns)   : {int((p90_ns or mean) * 1.6)}", "",
             "================================================", "Test Parameters Used",
             "================================================", "samples_per_query : 1",
             "target_qps : 1000", "min_duration (ms): 600000", "min_query_count : 100"]
    return "\n".join(head + stats) + "\n"


SYSTEMS = {
    "8xH100_TRT": {"submitter": "NVIDIA", "division": "closed", "system_name": "DGX H100 (8x H100-SXM-80GB, TensorRT)",
                   "system_type": "datacenter", "status": "available", "number_of_nodes": "1",
                   "accelerator_model_name": "NVIDIA H100-SXM-80GB", "accelerators_per_node": "8",
                   "host_processor_model_name": "Intel(R) Xeon(R) Platinum 8480C", "host_processors_per_node": "2",
                   "host_processor_core_count": "56", "framework": "TensorRT 10.2, CUDA 12.4",
                   "operating_system": "Ubuntu 22.04"},
    "1xL4_TRT": {"submitter": "NVIDIA", "division": "closed", "system_name": "ASUS ESC4000 (1x L4, TensorRT)",
                 "system_type": "edge", "status": "available", "number_of_nodes": 1,
                 "accelerator_model_name": "NVIDIA L4", "accelerators_per_node": 1,
                 "host_processor_model_name": "AMD EPYC 7313P", "framework": "TensorRT 10.2"},
    "xeon_8592_ort": {"submitter": "Intel", "division": "closed", "system_name": "1-node-2S-EMR",
                      "system_type": "datacenter", "status": "available", "accelerator_model_name": "N/A" and "",
                      "accelerators_per_node": "0", "host_processor_model_name": "INTEL(R) XEON(R) PLATINUM 8592+",
                      "host_processors_per_node": "2", "framework": "PyTorch 2.3 + IPEX"},
}


def write_tree(root: Path) -> Path:
    """A small ``inference_results_v4.1`` checkout in the published layout."""
    tree = root / "inference_results_v4.1"
    perf = {  # system -> (benchmark, scenario) -> summary
        "8xH100_TRT": {("resnet50", "Offline"): summary("Offline", sps=710_521.0),
                       ("resnet50", "Server"): summary("Server", sps=632_229.0),
                       ("bert-99", "Offline"): summary("Offline", sps=73_108.0)},
        "1xL4_TRT": {("resnet50", "Offline"): summary("Offline", sps=13_196.7),
                     ("resnet50", "SingleStream"): summary("SingleStream", p90_ns=355_000)},
        "xeon_8592_ort": {("resnet50", "Offline"): summary("Offline", sps=25_289.6)},
    }
    acc = {"resnet50": "accuracy=76.078%, good=38039, total=50000\nhash=0123abcd\n",
           "bert-99": '{"exact_match": 83.61, "f1": 90.87}\nReading examples...\n'}
    for system, runs in perf.items():
        meta = SYSTEMS[system]
        sub = tree / meta["division"] / meta["submitter"]
        (sub / "systems").mkdir(parents=True, exist_ok=True)
        (sub / "systems" / f"{system}.json").write_text(json.dumps(meta, indent=4))
        for (bench, scen), text in runs.items():
            d = sub / "results" / system / bench / scen
            (d / "performance" / "run_1").mkdir(parents=True)
            (d / "performance" / "run_1" / "mlperf_log_summary.txt").write_text(text)
            (d / "performance" / "run_1" / "mlperf_log_detail.txt").write_text(
                ':::MLLOG {"key": "loadgen_version", "value": "4.1"}\n')
            (d / "accuracy").mkdir()
            (d / "accuracy" / "accuracy.txt").write_text(acc[bench])
            (d / "accuracy" / "mlperf_log_accuracy.json").write_text('[{"seq_id": 0, "qsl_idx": 0, "data": "00"}]')
    return tree


def _official(session: Any) -> dict[str, dict]:
    from cmcore.ecosystem.official import existing_official
    from cmcore.results import load_result

    return {k: load_result(a) for k, a in existing_official(session).items()}


def test_parse_summary_per_scenario() -> None:
    off = mlperf_logs.parse_summary(summary("Offline", sps=812.5))
    assert off["samples_per_second"] == 812.5 and off["validity"] == "VALID" and off["metric"] == "samples_per_second"
    srv = mlperf_logs.parse_summary(summary("Server", sps=1000.0))
    assert srv["samples_per_second"] == 1000.0  # scheduled, not completed
    ss = mlperf_logs.parse_summary(summary("SingleStream", p90_ns=355_000, valid=False))
    assert ss["latency_p90_ms"] == pytest.approx(0.355) and ss["validity"] == "INVALID"
    assert ss["samples_per_second"] == pytest.approx(1000 / (0.355 * 0.9), rel=1e-3)
    for bad, why in (("hello\n", "no 'Scenario :' line"), ("Scenario : Offline\nResult is : VALID\n", "Samples per"),
                     ("Scenario : Offline\nSamples per second: 5\n", "Result is")):
        with pytest.raises(ValueError, match=why):
            mlperf_logs.parse_summary(bad)


def test_parse_accuracy_forms() -> None:
    assert mlperf_logs.parse_accuracy("accuracy=76.078%, good=38039, total=50000")["accuracy"] == \
        pytest.approx(0.76078)
    assert mlperf_logs.parse_accuracy("mAP=37.572%")["accuracy.mAP"] == pytest.approx(0.37572)
    bert = mlperf_logs.parse_accuracy('{"exact_match": 83.6, "f1": 90.87}')
    assert bert == {"accuracy.exact_match": 83.6, "accuracy.f1": 90.87}
    assert mlperf_logs.parse_accuracy("{'rouge1': 42.9, 'gen_len': 4016878}")["accuracy.rouge1"] == 42.9
    with pytest.raises(ValueError):
        mlperf_logs.parse_accuracy("nothing here")
    assert mlperf_logs.model_of("bert-99.9") == "bert" and mlperf_logs.model_of("resnet") == "resnet50"


def test_import_tree_fields_and_normalisation(cm_session: Any, tmp_path: Path) -> None:
    tree = write_tree(tmp_path)
    rep = import_tree(cm_session, tree)
    assert (rep.imported, rep.updated, rep.unchanged, rep.problems) == (6, 0, 0, [])
    got = _official(cm_session)
    h100 = got["4.1/closed/NVIDIA/8xH100_TRT/resnet50/Offline"]
    assert h100["submitter"] == "NVIDIA" and h100["division"] == "closed" and h100["system"] == "8xH100_TRT"
    assert h100["accelerator"] == "NVIDIA H100-SXM-80GB" and h100["accelerators"] == 8
    assert h100["framework"] == "TensorRT 10.2, CUDA 12.4" and h100["mlperf_version"] == "4.1"
    assert h100["samples_per_second"] == 710_521.0
    assert h100["samples_per_second_per_accelerator"] == pytest.approx(710_521.0 / 8)
    assert h100["accuracy"] == pytest.approx(0.76078) and h100["model"] == "resnet50"
    bert = got["4.1/closed/NVIDIA/8xH100_TRT/bert-99/Offline"]
    assert bert["model"] == "bert" and bert["accuracy.f1"] == 90.87
    ss = got["4.1/closed/NVIDIA/1xL4_TRT/resnet50/SingleStream"]
    assert ss["latency_p90_ms"] == pytest.approx(0.355) and ss["metric"] == "latency_p90_ms"
    cpu = got["4.1/closed/Intel/xeon_8592_ort/resnet50/Offline"]
    assert cpu["accelerators"] == 0 and cpu["normalised_per"] == "system" and cpu["device_kind"] == "cpu"
    assert cpu["samples_per_second_per_accelerator"] == 25_289.6
    arts = cm_session.db.search("result", tags=["official", "resnet50", "offline"])
    assert len(arts) == 3
    files = {str(p.relative_to(arts[0].path)) for p in arts[0].path.rglob("*") if p.is_file()}
    assert {"system.json", "logs/mlperf_log_summary.txt", "logs/accuracy.txt",
            "logs/mlperf_log_accuracy.json", "result.json"} <= files


def test_reimport_is_idempotent_and_picks_up_changes(cm_session: Any, tmp_path: Path) -> None:
    tree = write_tree(tmp_path)
    first = import_tree(cm_session, tree)
    again = import_tree(cm_session, tree)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 6)
    assert sorted(again.uids) == sorted(first.uids)
    f = tree / "closed/NVIDIA/results/1xL4_TRT/resnet50/Offline/performance/run_1/mlperf_log_summary.txt"
    f.write_text(summary("Offline", sps=13_500.0))
    third = import_tree(cm_session, tree)
    assert (third.imported, third.updated, third.unchanged) == (0, 1, 5)
    assert len(cm_session.db.search("result", tags=["official"])) == 6
    assert _official(cm_session)["4.1/closed/NVIDIA/1xL4_TRT/resnet50/Offline"]["samples_per_second"] == 13_500.0


def test_bad_files_are_one_line_each_and_the_rest_is_imported(cm_session: Any, tmp_path: Path) -> None:
    tree = write_tree(tmp_path)
    nv = tree / "closed/NVIDIA"
    (nv / "results/8xH100_TRT/resnet50/Server/performance/run_1/mlperf_log_summary.txt").write_text("garbage\n")
    (nv / "results/8xH100_TRT/bert-99/Offline/accuracy/accuracy.txt").write_text("no numbers\n")
    (tree / "closed/Intel/systems/xeon_8592_ort.json").write_text("{not json")
    (nv / "results/1xL4_TRT/resnet50/MultiStream").mkdir()
    rep = import_tree(cm_session, tree)
    assert rep.imported == 5, rep.problems
    assert len(rep.problems) == 4 and all("\n" not in p for p in rep.problems)
    text = "\n".join(rep.problems)
    assert "Server/performance/run_1/mlperf_log_summary.txt: not a LoadGen summary" in text
    assert "accuracy.txt: no accuracy figure found" in text and "xeon_8592_ort.json: invalid JSON" in text
    assert "MultiStream: no performance/run_1/mlperf_log_summary.txt" in text
    got = _official(cm_session)
    assert "accuracy" not in got["4.1/closed/NVIDIA/8xH100_TRT/bert-99/Offline"]
    assert got["4.1/closed/Intel/xeon_8592_ort/resnet50/Offline"]["samples_per_second"] == 25_289.6


def test_cli_import_show_compare(cm_cli: Any, cm_session: Any, tmp_path: Path) -> None:
    tree = write_tree(tmp_path)
    r = cm_cli("import", "mlperf-results", f"--path={tree / 'closed'}", "--version=4.1")
    assert r.exit_code == 0, r.stderr
    assert "6 imported, 0 updated, 0 unchanged, 0 problem(s)" in r.stdout
    r = cm_cli("import", "mlperf-results", f"--path={tree}")
    assert "0 imported, 0 updated, 6 unchanged" in r.stdout
    r = cm_cli("show", "mlperf-results", "--model=resnet50", "--scenario=Offline")
    assert r.exit_code == 0 and "8xH100_TRT" in r.stdout and "xeon_8592_ort" in r.stdout and "bert" not in r.stdout
    local = record_result(cm_session, {"model": "resnet50", "scenario": "Offline", "mode": "performance",
                                       "backend": "onnxruntime", "device": "cpu:0", "samples_per_second": 410.0},
                          tags=["mlperf"])
    r = cm_cli("compare", "mlperf-results", str(local.uid), "--json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    rows = out["rows"]
    assert rows[0]["source"] == "local" and rows[0]["per_accelerator"] == 410.0
    assert [x["system"] for x in rows[1:]] == ["8xH100_TRT", "xeon_8592_ort", "1xL4_TRT"]  # best per accelerator
    assert rows[1]["vs_local"] == pytest.approx(710_521.0 / 8 / 410.0)
    assert out["normalised"] == "per accelerator"
    r = cm_cli("compare", "mlperf-results", str(local.uid))
    assert "local" in r.stdout and "official 4.1" in r.stdout and "NVIDIA H100-SXM-80GB" in r.stdout


def test_cli_errors_are_one_line(cm_cli: Any, tmp_path: Path) -> None:
    r = cm_cli("import", "mlperf-results")
    assert r.exit_code == 1 and "give the results tree" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cm_cli("import", "mlperf-results", f"--path={tmp_path / 'nope'}")
    assert r.exit_code == 16 and "is not a folder" in r.stderr
    (tmp_path / "empty").mkdir()
    r = cm_cli("import", "mlperf-results", f"--path={tmp_path / 'empty'}")
    assert r.exit_code == 16 and "no <division>/<submitter>/results" in r.stderr
    r = cm_cli("compare", "mlperf-results", "nosuchresult")
    assert r.exit_code == 16 and "not found" in r.stderr
