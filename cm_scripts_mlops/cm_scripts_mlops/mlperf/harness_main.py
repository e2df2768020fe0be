"""One LoadGen test, run in a fresh process of the tool-owned environment.

``python -m cm_scripts_mlops.mlperf.harness_main CONFIG.json`` in the test's own working
directory (LoadGen reads stray config files from the cwd). CONFIG holds: ``backend``
(``onnxruntime`` | ``tensorrt``), ``device`` (a Device dict), ``options`` (backend options:
threads, precision, ...), ``model_path``, ``dataset`` (an .npz with ``x`` and ``y``),
``scenario``, ``mode``, ``batch_size``, ``user_conf``, ``model_name``, ``output_dir``,
``performance_sample_count``, ``label_offset`` (subtracted from the argmax: 1001-class models),
and for generated inputs (:mod:`.synthetic`): ``inputs`` (the model's input names; the dataset
then holds one array ``in<i>`` per input instead of ``x``), ``synthetic`` (outputs are not
looked at) and ``pad_batch`` (the model fixes its batch size: a short batch is padded).

The model is driven only through the backend interface (``load`` → ``predict`` →
``postprocess``); what the backend reports is written to ``OUTPUT_DIR/harness_info.json``.
In accuracy mode each response carries the predicted class as one int32.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any


def make_backend(name: str) -> Any:
    if name == "onnxruntime":
        from cm_backend_onnx.backend import OnnxRuntimeBackend

        return OnnxRuntimeBackend()
    if name == "tensorrt":
        from cm_backend_tensorrt.backend import TensorRTBackend  # type: ignore[import-not-found]

        return TensorRTBackend()
    raise SystemExit(f"unknown backend {name!r} (onnxruntime, tensorrt)")


class Harness:
    """The SUT and QSL callbacks over one loaded backend handle."""

    def __init__(self, cfg: dict, handle: Any, x: Any) -> None:
        import numpy as np

        self.np = np
        self.handle = handle
        self.x = x
        self.batch = max(1, int(cfg.get("batch_size") or 1))
        self.accuracy = cfg["mode"] == "accuracy"
        self.offset = int(cfg.get("label_offset") or 0)
        self.synthetic = bool(cfg.get("synthetic"))
        self.pad = bool(cfg.get("pad_batch"))
        self.inferences = 0
        self.samples = 0
        self.predict_seconds = 0.0  # inside backend.predict: the rest of a test is the harness and LoadGen

    def take(self, idx: list[int]) -> Any:
        """The batch of samples ``idx``: one array, or ``{input name: array}`` for several inputs."""
        if self.pad and len(idx) < self.batch:
            idx = idx + [idx[-1]] * (self.batch - len(idx))
        if isinstance(self.x, dict):
            return {name: arr[idx] for name, arr in self.x.items()}
        return self.x[idx]

    def _infer(self, idx: list[int]) -> Any:
        batch = self.take(idx)
        t0 = time.perf_counter()
        out = self.handle.predict(batch)
        self.predict_seconds += time.perf_counter() - t0
        self.inferences += 1
        if self.synthetic:  # performance only: what the model computes is not checked
            return None
        first = self.np.asarray(out[0])
        # models with an ArgMax output (MLPerf's resnet50_v1.onnx) give classes directly
        classes = first.reshape(-1) if first.ndim == 1 else self.np.argmax(first.reshape(first.shape[0], -1), axis=1)
        return classes.astype(self.np.int32) - self.offset

    def complete(self, samples: list[Any]) -> None:
        """Run ``samples`` in batches of ``batch_size`` and report each batch to LoadGen."""
        import mlperf_loadgen as lg

        np = self.np
        for start in range(0, len(samples), self.batch):
            chunk = samples[start:start + self.batch]
            preds = self._infer([s.index for s in chunk])
            self.samples += len(chunk)
            if self.accuracy:
                keep = np.ascontiguousarray(preds, dtype=np.int32)
                base = keep.__array_interface__["data"][0]
                responses = [lg.QuerySampleResponse(s.id, base + 4 * k, 4) for k, s in enumerate(chunk)]
            else:
                keep = None
                responses = [lg.QuerySampleResponse(s.id, 0, 0) for s in chunk]
            lg.QuerySamplesComplete(responses)
            del keep  # LoadGen copied the data inside QuerySamplesComplete


class ServerWorker:
    """Server scenario: queries arrive on LoadGen's thread; one worker answers them in order."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.q: queue.Queue = queue.Queue()
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self) -> None:
        while True:
            item = self.q.get()
            if item is None:
                return
            self.harness.complete(item)

    def issue(self, samples: list[Any]) -> None:
        self.q.put(list(samples))

    def stop(self) -> None:
        self.q.put(None)
        self.t.join()


def run(cfg: dict) -> dict:
    import mlperf_loadgen as lg
    import numpy as np

    from cmcore.records import field_names
    from cmcore.types import Device

    out_dir = Path(cfg["output_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    data = np.load(cfg["dataset"])
    x: Any
    if cfg.get("inputs"):
        x = {name: np.ascontiguousarray(data[f"in{k}"]) for k, name in enumerate(cfg["inputs"])}
        count = int(next(iter(x.values())).shape[0])
    else:
        x = np.ascontiguousarray(data["x"])
        count = int(x.shape[0])
    backend = make_backend(cfg["backend"])
    dev = cfg.get("device") or {"kind": "cpu", "name": "cpu:0"}
    device = Device(**{k: v for k, v in dev.items() if k in field_names(Device)})
    t0 = time.perf_counter()
    handle = backend.load(cfg["model_path"], device, cfg.get("options") or {})
    load_s = time.perf_counter() - t0
    batch = max(1, int(cfg.get("batch_size") or 1))
    harness = Harness(cfg, handle, x)
    handle.predict(harness.take(list(range(min(batch, count)))))  # warm-up: first-run allocations stay out

    scenario = cfg["scenario"]
    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, scenario)
    settings.mode = lg.TestMode.AccuracyOnly if cfg["mode"] == "accuracy" else lg.TestMode.PerformanceOnly
    if cfg.get("user_conf"):
        rc = settings.FromConfig(str(cfg["user_conf"]), cfg["model_name"], scenario)
        if rc != 0:
            raise SystemExit(f"LoadGen rejected {cfg['user_conf']} (FromConfig returned {rc})")

    worker = ServerWorker(harness) if scenario == "Server" else None

    def issue(samples: list[Any]) -> None:
        if worker is not None:
            worker.issue(samples)
        else:
            harness.complete(samples)

    def flush() -> None:
        pass

    sut = lg.ConstructSUT(issue, flush)
    perf_count = min(count, int(cfg.get("performance_sample_count") or count))
    qsl = lg.ConstructQSL(count, perf_count, lambda idx: None, lambda idx: None)
    log_out = lg.LogOutputSettings()
    log_out.outdir = str(out_dir)
    log_out.copy_summary_to_stdout = False
    log_settings = lg.LogSettings()
    log_settings.log_output = log_out
    log_settings.enable_trace = False
    t1 = time.perf_counter()
    lg.StartTestWithLogSettings(sut, qsl, settings, log_settings)
    test_s = time.perf_counter() - t1
    if worker is not None:
        worker.stop()
    lg.DestroyQSL(qsl)
    lg.DestroySUT(sut)
    info = dict(backend.postprocess(handle))
    info.update({"load_seconds": round(load_s, 4), "test_seconds": round(test_s, 4),
                 "predict_seconds": round(harness.predict_seconds, 4),
                 "inference_calls": harness.inferences, "samples_completed": harness.samples, "sample_count": count,
                 "performance_sample_count": perf_count, "python": sys.executable,
                 "numpy_version": np.__version__, "loadgen_version": _dist_version("mlcommons-loadgen")})
    (out_dir / "harness_info.json").write_text(json.dumps(info, indent=2, default=str))
    return info


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return ""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m cm_scripts_mlops.mlperf.harness_main CONFIG.json", file=sys.stderr)
        return 2
    cfg = json.loads(Path(args[0]).read_text())
    try:
        run(cfg)
    except Exception as exc:  # one line for the parent; it shows it as the error
        from cmcore.errors import CMError

        msg = exc.message if isinstance(exc, CMError) else f"{type(exc).__name__}: {exc}"
        print(f"harness error: {msg}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
