"""The options ``load`` accepts, checked up front so a typo is one clear error, not a silent default.

=========================  ==========================================================  ==========
option                     meaning                                                     default
=========================  ==========================================================  ==========
intra_op_threads           threads inside one operator (0: onnxruntime decides)        0
inter_op_threads           threads across operators (parallel mode only)               0
graph_optimization_level   ``disable``, ``basic``, ``extended``, ``all`` (or 0/1/2/99)  ``all``
execution_mode             ``sequential`` or ``parallel``                              sequential
precision                  ``fp32`` or ``int8`` (int8 quantises the model first)       fp32
quantization               ``dynamic`` or ``static`` (static needs calibration_data)   dynamic
int8_weights               dynamic int8 weights: ``auto``, ``s8`` or ``u8``             auto
calibration_data           list of input batches (dict name -> array) for static int8  none
providers                  explicit EP list, replaces the device-based choice          none
tensorrt                   on CUDA, put the TensorRT EP before the CUDA EP             False
cache_dir                  where quantised models and TensorRT EP engines are kept     temp dir
log_severity               onnxruntime log level, 0 (verbose) .. 4 (fatal)             3
=========================  ==========================================================  ==========
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cmcore.errors import CMError
from cmcore.suggest import did_you_mean

DEFAULTS: dict[str, Any] = {
    "intra_op_threads": 0, "inter_op_threads": 0, "graph_optimization_level": "all",
    "execution_mode": "sequential", "precision": "fp32", "quantization": "dynamic",
    "int8_weights": "auto", "calibration_data": None, "providers": None, "tensorrt": False, "cache_dir": None, "log_severity": 3,
}
OPT_LEVELS = {"disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC", "extended": "ORT_ENABLE_EXTENDED",
              "all": "ORT_ENABLE_ALL", "0": "ORT_DISABLE_ALL", "1": "ORT_ENABLE_BASIC",
              "2": "ORT_ENABLE_EXTENDED", "99": "ORT_ENABLE_ALL"}
CHOICES = {"execution_mode": ("sequential", "parallel"), "precision": ("fp32", "int8"),
           "quantization": ("dynamic", "static"), "int8_weights": ("auto", "s8", "u8")}


def _bad(msg: str) -> CMError:
    return CMError(f"onnxruntime backend: {msg}", 1)


def normalise(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults filled in, names and values checked; raises :class:`CMError` (code 1)."""
    opts = dict(DEFAULTS)
    for key, value in (options or {}).items():
        if key not in DEFAULTS:
            raise _bad(f"unknown option {key!r}{did_you_mean(key, DEFAULTS)}")
        opts[key] = value
    for key in ("intra_op_threads", "inter_op_threads", "log_severity"):
        v = opts[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise _bad(f"option {key} must be a whole number >= 0, not {v!r}")
    level = str(opts["graph_optimization_level"]).lower()
    if level not in OPT_LEVELS:
        raise _bad(f"graph_optimization_level {opts['graph_optimization_level']!r} is not one of "
                   "disable, basic, extended, all (or 0, 1, 2, 99)")
    opts["graph_optimization_level"] = level if not level.isdigit() else \
        {"0": "disable", "1": "basic", "2": "extended", "99": "all"}[level]
    for key, allowed in CHOICES.items():
        v = str(opts[key]).lower()
        if v not in allowed:
            raise _bad(f"option {key} {opts[key]!r} is not one of {', '.join(allowed)}{did_you_mean(v, allowed)}")
        opts[key] = v
    if opts["precision"] == "int8" and opts["quantization"] == "static" and not opts["calibration_data"]:
        raise _bad("static int8 quantisation needs calibration_data (a list of input batches)")
    if opts["providers"] is not None and (
            not isinstance(opts["providers"], (list, tuple)) or not all(isinstance(p, str) for p in opts["providers"])):
        raise _bad("option providers must be a list of execution provider names")
    return opts


def session_options(ort: Any, opts: Mapping[str, Any]) -> Any:
    """An ``onnxruntime.SessionOptions`` from normalised options."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = opts["intra_op_threads"]
    so.inter_op_num_threads = opts["inter_op_threads"]
    so.graph_optimization_level = getattr(ort.GraphOptimizationLevel, OPT_LEVELS[opts["graph_optimization_level"]])
    so.execution_mode = (ort.ExecutionMode.ORT_PARALLEL if opts["execution_mode"] == "parallel"
                         else ort.ExecutionMode.ORT_SEQUENTIAL)
    so.log_severity_level = opts["log_severity"]
    return so


def public(opts: Mapping[str, Any]) -> dict[str, Any]:
    """The options as they go into a results record (calibration arrays left out)."""
    out = {k: v for k, v in opts.items() if k != "calibration_data"}
    out["calibration_batches"] = len(opts.get("calibration_data") or [])
    return out
