"""ONNX Runtime as a CM :class:`~cmcore.types.Backend`, plus the richer interface harnesses use.

Protocol part (``cmcore.types.Backend``)::

    backend = OnnxRuntimeBackend()
    backend.detect(session)             # {'available', 'version', 'devices', 'reason', 'providers', ...}
    backend.install(session, device)    # InstallPlan: pip commands for the right onnxruntime flavour
    handle = backend.load("model.onnx", device, {"intra_op_threads": 4, "precision": "int8"})
    outputs = handle.predict(batch)     # batch: array (one input), dict name -> array, or list
    backend.postprocess(handle)         # engine version, providers used, fallback reason, options, latency

Additions (this package only; proposed for the protocol):

* ``install(session, device, python=...)``: the interpreter of the environment to install into.
* ``detect(session, python=...)``: probe another interpreter's onnxruntime in a subprocess.
* ``run(handle, batches, warmup=1)``: warm up, time each batch, return latency statistics.
* ``OnnxHandle.warmup(batch, n)``, ``.inputs``, ``.outputs``, ``.close()``.

onnxruntime is imported inside these methods only, so ``cm --help`` never loads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cm_backend_onnx import options as opt
from cm_backend_onnx import providers as eps
from cm_backend_onnx.wheels import install_plan
from cmcore.errors import NOT_FOUND, CMError
from cmcore.stats import timed_batches
from cmcore.types import Device, InstallPlan

NAME = "onnxruntime"

_PROBE = ("import json, onnxruntime as o; "
          "print(json.dumps({'version': o.__version__, 'providers': o.get_available_providers()}))")


def all_devices(session: Any) -> list[Device]:
    """Every device the installed hardware plugins report (a failing plugin is skipped)."""
    out: list[Device] = []
    for _plugin, found in session.pm.call_each("cm_detect_devices", session=session):
        out.extend(d for d in found or [] if isinstance(d, Device))
    return out


def _flavour() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("onnxruntime-gpu", "onnxruntime-qnn", "onnxruntime", "onnxruntime-directml", "onnxruntime-openvino"):
        try:
            return f"{dist} {version(dist)}"
        except PackageNotFoundError:
            continue
    return "unknown"


class OnnxHandle:
    """A loaded model: an ``onnxruntime.InferenceSession`` and what was decided to make it."""

    def __init__(self, sess: Any, device: Device, model_path: Path, run_path: Path,
                 choice: eps.ProviderChoice, opts: dict[str, Any], version: str) -> None:
        self.session = sess
        self.device = device
        self.model_path = model_path
        self.run_path = run_path  # the quantised model when precision is int8
        self.choice = choice
        self.options = opts
        self.engine_version = version
        self.providers_used: list[str] = list(sess.get_providers())
        self.fallback_reason = choice.fallback_reason
        wanted = choice.names[0]
        if not self.fallback_reason and wanted not in self.providers_used:
            # onnxruntime drops an EP whose libraries fail to load (CUDA, cuDNN...) with only a log line
            self.fallback_reason = (f"{wanted} failed to initialise (missing CUDA/cuDNN or vendor libraries?); "
                                    f"running on {self.providers_used[0]}")
        self.inputs = [(i.name, list(i.shape), i.type) for i in sess.get_inputs()]
        self.outputs = [o.name for o in sess.get_outputs()]
        self.last_stats: dict[str, Any] | None = None

    def feed(self, batch: Any) -> dict[str, Any]:
        """Turn an array, a list of arrays or a dict into the ``{input name: array}`` feed."""
        import numpy as np

        names = [n for n, _, _ in self.inputs]
        if isinstance(batch, Mapping):
            missing = [n for n in names if n not in batch]
            extra = [n for n in batch if n not in names]
            if missing or extra:
                raise CMError(f"onnxruntime backend: batch inputs {sorted(batch)} do not match the model's "
                              f"{names}", 1)
            items = [(n, batch[n]) for n in names]
        elif isinstance(batch, (list, tuple)):
            if len(batch) != len(names):
                raise CMError(f"onnxruntime backend: {len(batch)} arrays given, the model has {len(names)} "
                              f"inputs {names}", 1)
            items = list(zip(names, batch, strict=True))
        else:
            if len(names) != 1:
                raise CMError(f"onnxruntime backend: the model has {len(names)} inputs {names}; "
                              "pass a dict", 1)
            items = [(names[0], batch)]
        feed = {}
        for (name, value), (_, _, typ) in zip(items, self.inputs, strict=True):
            arr = np.asarray(value)
            want = _NUMPY_TYPES.get(typ)
            feed[name] = arr.astype(want, copy=False) if want is not None else arr
        return feed

    def predict(self, batch: Any) -> list[Any]:
        """Run one batch; return the outputs in model order. Bad input is a CMError, not a traceback."""
        feed = self.feed(batch)
        try:
            return list(self.session.run(None, feed))
        except Exception as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise CMError(f"onnxruntime backend: inference failed: {type(exc).__name__}: {first}", 1) from exc

    def warmup(self, batch: Any, n: int = 1) -> None:
        """Run ``batch`` ``n`` times untimed (first-run allocations, EP graph capture, engine builds)."""
        for _ in range(max(0, n)):
            self.predict(batch)

    def close(self) -> None:
        self.session = None


_NUMPY_TYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
                "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int8)": "int8",
                "tensor(uint8)": "uint8", "tensor(bool)": "bool"}


class OnnxRuntimeBackend:
    """The ``onnxruntime`` backend (``BackendSpec("onnxruntime", OnnxRuntimeBackend)``)."""

    name = NAME

    # -- detect -------------------------------------------------------------------
    def detect(self, session: Any, python: str | None = None) -> dict[str, Any]:
        """Is onnxruntime importable (here, or in ``python``)? Which EPs, which devices can it drive?"""
        info = self._probe(python)
        if "error" in info:
            return {"available": False, "version": None, "devices": [], "providers": [],
                    "reason": info["error"], "python": python or sys.executable}
        available = info["providers"]
        drivable, undrivable = [], {}
        for d in all_devices(session):
            ep = eps.PRIMARY_EP.get(d.kind)
            if ep is None:
                undrivable[d.name] = f"onnxruntime has no execution provider for {d.kind} devices"
            elif ep in available:
                drivable.append(d.name)
            else:
                undrivable[d.name] = f"{ep} is not in this onnxruntime build (needs {eps.EP_PACKAGE[ep]})"
        return {"available": True, "version": info["version"], "package": info.get("package", ""),
                "providers": available, "devices": drivable, "undrivable": undrivable, "reason": "",
                "python": python or sys.executable}

    @staticmethod
    def _probe(python: str | None) -> dict[str, Any]:
        # compare without resolving links: every venv's python links to the same base binary
        if python and os.path.abspath(python) != os.path.abspath(sys.executable):
            try:
                p = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=120,
                                   stdin=subprocess.DEVNULL)
            except (OSError, subprocess.SubprocessError) as exc:
                return {"error": f"cannot run {python}: {exc}"}
            if p.returncode != 0:
                return {"error": f"onnxruntime is not importable in {python}: "
                                 f"{(p.stderr.strip().splitlines() or ['?'])[-1]}"}
            return json.loads(p.stdout.strip().splitlines()[-1])
        try:
            import onnxruntime as ort
        except Exception as exc:  # ImportError, or a broken native library
            return {"error": f"onnxruntime is not importable in {sys.executable}: {exc} "
                             "(pip install onnxruntime)"}
        return {"version": ort.__version__, "providers": list(ort.get_available_providers()),
                "package": _flavour()}

    # -- install ------------------------------------------------------------------
    def install(self, session: Any, device: Device, python: str | None = None) -> InstallPlan:
        """pip commands for the onnxruntime flavour that drives ``device``, into ``python``'s env."""
        return install_plan(device, python or sys.executable)

    # -- load / run ---------------------------------------------------------------
    def load(self, model_path: str, device: Device, options: Mapping[str, Any] | None = None) -> OnnxHandle:
        """Load ``model_path`` for ``device``; see :mod:`cm_backend_onnx.options` for ``options``."""
        opts = opt.normalise(options)
        path = Path(model_path)
        if not path.is_file():
            raise CMError(f"onnxruntime backend: model file {model_path} not found", NOT_FOUND)
        try:
            import onnxruntime as ort
        except Exception as exc:
            raise CMError(f"onnxruntime backend not available: {exc} (pip install onnxruntime)", 1) from exc
        try:
            choice = eps.select_providers(device, list(ort.get_available_providers()),
                                          tensorrt=bool(opts["tensorrt"]), explicit=opts["providers"],
                                          trt_cache_dir=opts["cache_dir"])
        except ValueError as exc:
            raise CMError(f"onnxruntime backend: {exc}", 1) from exc
        run_path = path
        if opts["precision"] == "int8":
            from cm_backend_onnx.quantize import dynamic_weight_type, quantize

            isa = list(device.capabilities.get("isa") or []) if device.kind == "cpu" else None
            opts["int8_weights"] = dynamic_weight_type(opts["int8_weights"], isa)
            run_path = quantize(path, opts["quantization"], ort.__version__, opts["cache_dir"],
                                opts["calibration_data"], weights=opts["int8_weights"])
        try:
            sess = ort.InferenceSession(str(run_path), sess_options=opt.session_options(ort, opts),
                                        providers=[(n, o) for n, o in choice.providers])
        except Exception as exc:
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise CMError(f"onnxruntime backend: cannot load {path.name}: {type(exc).__name__}: {first}", 1) from exc
        return OnnxHandle(sess, device, path, run_path, choice, opts, ort.__version__)

    def run(self, handle: OnnxHandle, batches: Sequence[Any], warmup: int = 1) -> dict[str, Any]:
        """Warm up on the first batch, then time every batch; the stats also land in ``postprocess``."""
        return timed_batches(handle, batches, warmup, "onnxruntime backend")

    # -- postprocess --------------------------------------------------------------
    def postprocess(self, handle: OnnxHandle) -> dict[str, Any]:
        """What goes into a results record: engine, versions, providers, options, latency."""
        return {
            "backend": NAME, "engine_version": handle.engine_version, "package": _flavour(),
            "device": handle.device.name, "device_kind": handle.device.kind,
            "model": str(handle.model_path),
            "quantized_model": str(handle.run_path) if handle.run_path != handle.model_path else None,
            "providers_requested": handle.choice.requested, "providers_used": handle.providers_used,
            "fallback_reason": handle.fallback_reason, "providers_dropped": dict(handle.choice.dropped),
            "options": opt.public(handle.options), "latency": handle.last_stats,
        }
