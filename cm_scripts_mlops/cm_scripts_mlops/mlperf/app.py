"""app-mlperf-inference: resolve model, dataset, device and backend; run one LoadGen test;
record the result artifact. Called by the script's customize.py with the script's env."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from cm_scripts_mlops.mlperf import MODES, SCENARIOS, models, userconf
from cm_scripts_mlops.mlperf.runner import TestSpec, read_labels, run_test
from cmcore.errors import GENERIC, NOT_FOUND, CMError


def _opt_float(env: dict, key: str) -> float | None:
    v = str(env.get(key, "") or "").strip()
    if not v:
        return None
    try:
        return float(v)
    except ValueError:
        raise CMError(f"{key.replace('CM_MLPERF_', '--').lower()} must be a number, not {v!r}", GENERIC) from None


def _opt_int(env: dict, key: str) -> int | None:
    f = _opt_float(env, key)
    if f is None:
        return None
    if f < 0 or f != int(f):
        raise CMError(f"{key.replace('CM_MLPERF_', '--').lower()} must be a non-negative integer, not "
                      f"{env[key]!r}", GENERIC)
    return int(f)


def _choice(value: str, allowed: tuple[str, ...] | list[str], what: str) -> str:
    for a in allowed:
        if value.lower() == a.lower():
            return a
    raise CMError(f"unknown {what} {value!r}: use one of {', '.join(allowed)}", GENERIC)


def parse_inputs(env: dict) -> dict[str, Any]:
    """The run's parameters from the script env, checked (one-line CMError on bad input)."""
    model_path = str(env.get("CM_MLPERF_MODEL_PATH") or "").strip()
    mode = _choice(str(env.get("CM_MLPERF_MODE") or "performance"), MODES, "mode")
    if model_path:
        if str(env.get("CM_MLPERF_MODEL") or "").strip():
            raise CMError("use --model (a named model with its data set) or --model_path (any ONNX model, "
                          "no data set), not both", GENERIC)
        if mode == "accuracy":
            raise CMError("--mode=accuracy needs a data set, and a --model_path model has none: "
                          "use --mode=performance", GENERIC)
        model_path = os.path.abspath(os.path.expanduser(model_path))
        if not Path(model_path).is_file():
            raise CMError(f"model file {model_path} not found", NOT_FOUND)
        model = Path(model_path).name
    else:
        model = _choice(str(env.get("CM_MLPERF_MODEL") or "digits"), models.names(), "model")
    batch_asked = _opt_int(env, "CM_MLPERF_BATCH_SIZE")
    p: dict[str, Any] = {
        "model": model,
        "model_path": model_path,
        "scenario": _choice(str(env.get("CM_MLPERF_SCENARIO") or "Offline"), SCENARIOS, "scenario"),
        "mode": mode,
        "backend": str(env.get("CM_MLPERF_BACKEND") or "onnxruntime"),
        "device": str(env.get("CM_MLPERF_DEVICE") or "cpu"),
        "precision": _choice(str(env.get("CM_MLPERF_PRECISION") or "fp32"), ("fp32", "int8"), "precision"),
        "threads": _opt_int(env, "CM_MLPERF_THREADS") or 0,
        "batch": batch_asked or 1,
        "batch_asked": batch_asked or None,
        "input_shapes": str(env.get("CM_MLPERF_INPUT_SHAPES") or "").strip(),
        "qsl_size": _opt_int(env, "CM_MLPERF_QSL_SIZE"),
        "seed": _opt_int(env, "CM_MLPERF_SEED") or 0,
    }
    if not model_path:
        for key, flag in (("CM_MLPERF_INPUT_SHAPES", "--input_shapes"), ("CM_MLPERF_QSL_SIZE", "--qsl_size")):
            if str(env.get(key) or "").strip():
                raise CMError(f"{flag} is for --model_path models (generated inputs); {model} has its data set",
                              GENERIC)
    p["settings"] = userconf.RunSettings(
        scenario=p["scenario"], model="*" if model_path else model,
        target_qps=_opt_float(env, "CM_MLPERF_TARGET_QPS"),
        target_latency_ms=_opt_float(env, "CM_MLPERF_TARGET_LATENCY"),
        test_query_count=_opt_int(env, "CM_MLPERF_TEST_QUERY_COUNT"),
        min_duration_ms=_opt_int(env, "CM_MLPERF_MIN_DURATION_MS"),
        max_query_count=_opt_int(env, "CM_MLPERF_MAX_QUERY_COUNT"),
        performance_sample_count=_opt_int(env, "CM_MLPERF_PERFORMANCE_SAMPLE_COUNT"))
    return p


def _run_script(session: Any, tags: str, **kw: Any) -> dict:
    r = session.access({"action": "run", "automation": "script", "tags": tags, "quiet": True, **kw})
    if r["return"]:
        raise CMError(f"cm run script \"{tags}\": {r.get('error', '')}", r["return"])
    return r.get("new_env") or {}


def resolve_device(session: Any, kind: str) -> dict[str, Any]:
    """The detected device record of ``kind`` (cpu, cuda, ...); a CPU record if none is detected."""
    found = []
    for _plugin, devs in session.pm.call_each("cm_detect_devices", session=session):
        found += [d for d in devs or [] if getattr(d, "kind", "") == kind]
    if found:
        return found[0].to_dict()
    if kind == "cpu":
        return {"kind": "cpu", "name": "cpu:0"}
    raise CMError(f"no {kind} device detected on this machine (cm run script \"detect {kind}\" says why); "
                  "use _cpu", NOT_FOUND)


def get_model_and_data(session: Any, p: dict, env: dict) -> tuple[dict, dict]:
    """Run get-ml-model and the dataset script; return their new_env."""
    from cm_scripts_mlops.mlperf.appclassify import model_source

    menv = _run_script(session, f"get,ml-model,_{p['model']},_onnx,_{p['precision']}",
                       **model_source(env, "CM_MLPERF_MODEL_"))
    if p["model"] == "digits":
        denv = _run_script(session, "get,dataset,digits,_test")
    else:
        src = "_imagenet" if env.get("CM_MLPERF_IMAGENET_PATH") else "_skimage-photos"
        # as flags, not env: the preprocessed entry is keyed by its mapped inputs
        kw = {"imagenet_path": env["CM_MLPERF_IMAGENET_PATH"]} if env.get("CM_MLPERF_IMAGENET_PATH") else {}
        if env.get("CM_MLPERF_IMAGENET_LABELS"):
            kw["imagenet_labels"] = env["CM_MLPERF_IMAGENET_LABELS"]
        denv = _run_script(session, f"get,preprocessed,dataset,{src},_for.{p['model']}", **kw)
    return menv, denv


def _named_model(session: Any, env: dict, p: dict, device: dict, work: Path,
                 opts: dict[str, Any]) -> tuple[TestSpec, dict[str, Any]]:
    """A named model (digits, efficientnet-lite0, resnet50) and its data set."""
    menv, denv = get_model_and_data(session, p, env)
    spec = TestSpec(python=env["CM_PYTHON_BIN_WITH_PATH"], model_path=menv["CM_ML_MODEL_FILE_WITH_PATH"],
                    model_name=p["model"], dataset=denv["CM_DATASET_DATA_FILE"],
                    labels=read_labels(denv["CM_DATASET_LABELS_FILE"]), scenario=p["scenario"], mode=p["mode"],
                    work_dir=work, backend=p["backend"], device=device, options=opts, batch_size=p["batch"],
                    label_offset=int(menv.get("CM_ML_MODEL_LABEL_OFFSET") or 0), settings=p["settings"])
    extra = {"result": {"dataset": denv.get("CM_DATASET_NAME", ""),
                        "dataset_size": int(denv.get("CM_DATASET_SIZE") or len(spec.labels))},
             "inputs": {"model_file": spec.model_path, "dataset_file": spec.dataset},
             "tags": [p["model"]], "stack": {}}
    return spec, extra


def _any_model(session: Any, env: dict, p: dict, device: dict, work: Path,
               opts: dict[str, Any]) -> tuple[TestSpec, dict[str, Any]]:
    """Any ONNX model (``--model_path``): its inputs generated from its signature (:mod:`.anymodel`)."""
    from cm_scripts_mlops.mlperf import anymodel

    python = env["CM_PYTHON_BIN_WITH_PATH"]
    ident = anymodel.model_identity(p["model_path"])
    plan = anymodel.plan_inputs(anymodel.read_signature(python, p["model_path"], work), p["input_shapes"],
                                p["batch_asked"])
    if plan.notice():
        print(plan.notice())
    count = anymodel.qsl_size(plan, p["qsl_size"])
    data = anymodel.write_qsl(python, plan, count, p["seed"], work)
    p["batch"] = plan.batch
    if p["precision"] == "int8" and p["backend"] == "onnxruntime":
        opts["precision"] = "int8"
    spec = TestSpec(python=python, model_path=p["model_path"], model_name=ident["conf_name"], dataset=str(data),
                    labels=[], scenario=p["scenario"], mode=p["mode"], work_dir=work, backend=p["backend"],
                    device=device, options=opts, batch_size=plan.batch, settings=p["settings"],
                    inputs=[i["name"] for i in plan.inputs], synthetic=True, pad_batch=plan.fixed_batch)
    extra = {"result": {"model_path": p["model_path"], "dataset": "synthetic", "dataset_size": count,
                        "seed": p["seed"], "input_signature": plan.declared(), "defaulted_dims": ",".join(plan.defaulted),
                        "accuracy": None, "accuracy_note": "no data set"},
             "inputs": {"model_file": p["model_path"], "model_sha256": ident["sha256"],
                        "input_signature": plan.signature()},
             "tags": ["any-model", ident["conf_name"]],
             "stack": {"model_sha256": ident["sha256"], "input_shapes": plan.used()}}
    return spec, extra


def run(session: Any, env: dict) -> dict[str, Any]:
    """The whole app; returns the env keys to export."""
    import cmcore
    from cmcore.results import record_result

    p = parse_inputs(env)
    device = resolve_device(session, p["device"])
    opts: dict[str, Any] = {}
    if p["threads"] and p["backend"] == "onnxruntime":
        opts["intra_op_threads"] = p["threads"]
    work = Path(session.home) / "tmp" / "mlperf" / os.urandom(6).hex()
    work.mkdir(parents=True, exist_ok=True)
    try:
        make = _any_model if p["model_path"] else _named_model
        spec, extra = make(session, env, p, device, work, opts)
        stack = {"model": p["model"], "backend": p["backend"], "device": device["name"],
                 "device_kind": device["kind"], "device_model": device.get("model", ""),
                 "precision": p["precision"], "threads": p["threads"], "batch": p["batch"],
                 "cmcore_version": cmcore.__version__, **extra["stack"]}
        out = run_test(spec, stack)
        res = out["result"]
        res.update(extra["result"])
        files = {f"logs/{f.name}": f for f in out["out_dir"].iterdir() if f.is_file()
                 and f.name != "mlperf_log_trace.json"}
        files["user.conf"] = work / "user.conf"
        files["harness.log"] = work / "harness.log"
        tags = ["mlperf", "mlperf-inference", *extra["tags"], p["scenario"].lower(), p["mode"], p["backend"],
                device["kind"], p["precision"]]
        tags += [t for t in str(env.get("CM_MLPERF_RESULT_TAGS", "")).split(",") if t.strip()]
        versions = {"cmcore": cmcore.__version__, "engine": res.get("engine_version"),
                    "loadgen": res.get("loadgen_version"), "numpy": res.get("numpy_version")}
        inputs = {k: v for k, v in env.items() if k.startswith("CM_MLPERF_")}
        inputs["user_conf"] = (work / "user.conf").read_text()
        inputs.update(extra["inputs"])
        art = record_result(session, res, tags=tags, inputs=inputs, devices=[device], versions=versions,
                            files=files)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return export_env(res, art)


def export_env(res: dict, art: Any) -> dict[str, str]:
    keys = {"CM_MLPERF_RESULT_PATH": str(art.path), "CM_MLPERF_RESULT_UID": str(art.uid or ""),
            "CM_MLPERF_RESULT_JSON": str(art.path / "result.json"),
            "CM_MLPERF_VALIDITY": str(res.get("validity", "")),
            "CM_MLPERF_INVALID_REASON": str(res.get("invalid_reason", "")),
            "CM_MLPERF_FIX": str(res.get("fix", ""))}
    for k, envk in (("samples_per_second", "CM_MLPERF_SAMPLES_PER_SECOND"), ("latency_p50_ms", "CM_MLPERF_LATENCY_P50_MS"),
                    ("latency_p90_ms", "CM_MLPERF_LATENCY_P90_MS"), ("latency_p99_ms", "CM_MLPERF_LATENCY_P99_MS"),
                    ("accuracy", "CM_MLPERF_ACCURACY")):
        if res.get(k) is not None:
            keys[envk] = str(res[k])
    return {k: v for k, v in keys.items() if v != ""}


def summary_line(res: dict) -> str:
    """What the console shows after a run."""
    head = f"{res['model']} {res['scenario']} {res['mode']} on {res['backend']}/{res['device']}:"
    if res["mode"] == "accuracy":
        return f"{head} accuracy {res['accuracy'] * 100:.2f}% ({res['accuracy_good']}/{res['accuracy_total']})"
    parts = [f"{res.get('samples_per_second') or 0:.1f} samples/s"]
    if res.get("latency_p90_ms") is not None:
        parts.append(f"p90 {res['latency_p90_ms']:.3f} ms")
    line = f"{head} {', '.join(parts)}, {res.get('validity')}"
    if res.get("validity") != "VALID":
        line += f" ({res.get('invalid_reason')})"
        if res.get("fix"):
            line += f"\n  to fix: {res['fix']}"
    return line


def read_result(path: str | os.PathLike) -> dict:
    return json.loads((Path(path) / "result.json").read_text())
