"""Benchmark any ONNX model with no data set (``cm`` process side, standard library only).

``cmr "app mlperf inference _onnxruntime _cpu" --model_path=ANY.onnx --mode=performance``:

1. :mod:`.synthetic` (in the tool-owned python) reads the model's input signature;
2. :func:`plan_inputs` fixes every dimension: the first one is the batch dimension (the
   batch size, or the model's own fixed value), ``--input_shapes`` sets whole shapes, every
   other symbolic dimension defaults to 1 (one notice line names them);
3. :mod:`.synthetic` writes seeded random inputs of the right dtypes as the QSL;
4. the LoadGen performance test runs through the backend interface like for the named models,
   and the result artifact names the model by its file name and sha256. Accuracy is not
   applicable (``accuracy: null``, ``accuracy_note: "no data set"``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmcore.errors import GENERIC, CMError

#: the default QSL size, and the memory it may take
DEFAULT_QSL = 1024
QSL_BYTES = 256 * 1024 * 1024
ITEMSIZE = {"float16": 2, "float32": 4, "float64": 8, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2,
            "int32": 4, "uint32": 4, "int64": 8, "uint64": 8, "bool": 1}


@dataclass
class InputPlan:
    """How every model input is fed: per-call shapes, the batch, what was defaulted."""

    inputs: list[dict[str, Any]]           # name, dtype, model_shape, shape (per call), sample_shape, int_high
    batch: int
    fixed_batch: bool                      # the model fixes the batch dimension: pad short batches
    defaulted: list[str] = field(default_factory=list)   # "name[dim]=symbol" set to 1

    def signature(self) -> list[dict[str, Any]]:
        """What the result records: each input's name, dtype, declared and used shape."""
        return [{"name": i["name"], "dtype": i["dtype"], "model_shape": i["model_shape"], "shape": i["shape"]}
                for i in self.inputs]

    def declared(self) -> str:
        """The flat form for result.json: ``ids:int64[N,6];feat:float32[N,8]``."""
        return ";".join(f"{i['name']}:{i['dtype']}{_show(i['model_shape'])}" for i in self.inputs)

    def used(self) -> str:
        """The shapes fed per call, as ``--input_shapes`` takes them: ``ids:1x6,feat:1x8``."""
        return ",".join(f"{i['name']}:{'x'.join(str(d) for d in i['shape'])}" for i in self.inputs)

    def notice(self) -> str:
        if not self.defaulted:
            return ""
        return (f"notice: symbolic input dims set to 1: {', '.join(self.defaulted)} "
                "(choose them with --input_shapes=\"name:AxBxC,...\")")


def parse_shapes(text: str) -> dict[str, list[int]]:
    """``"a:1x3x224x224,b:1x128"`` -> ``{"a": [1, 3, 224, 224], "b": [1, 128]}`` (one-line errors)."""
    out: dict[str, list[int]] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, dims = item.rpartition(":")
        if not sep or not name.strip():
            raise CMError(f"--input_shapes: {item!r} is not NAME:DxDx... (e.g. input:1x3x224x224)", GENERIC)
        try:
            shape = [int(d) for d in dims.lower().split("x")] if dims.strip() else []
        except ValueError:
            raise CMError(f"--input_shapes: {item!r}: dimensions must be integers joined by x", GENERIC) from None
        if any(d < 1 for d in shape):
            raise CMError(f"--input_shapes: {item!r}: dimensions must be at least 1", GENERIC)
        if name.strip() in out:
            raise CMError(f"--input_shapes: input {name.strip()!r} is given twice", GENERIC)
        out[name.strip()] = shape
    return out


def _batch_of(name: str, model_shape: list[Any], given: list[int] | None) -> tuple[int | None, bool]:
    """(the batch this input asks for or None, whether the model fixes it)."""
    declared = model_shape[0] if model_shape else None
    if isinstance(declared, int) and declared > 0:
        if given is not None and given[0] != declared:
            raise CMError(f"--input_shapes: input {name!r} has batch dimension {given[0]}, but the model fixes it "
                          f"at {declared}", GENERIC)
        return declared, True
    return (given[0] if given is not None else None), False


def plan_inputs(sig: list[dict[str, Any]], shapes_text: str = "", batch_size: int | None = None) -> InputPlan:
    """Fix every input dimension (see the module docstring); a conflict is a one-line CMError."""
    from cmcore.suggest import did_you_mean

    given = parse_shapes(shapes_text)
    names = [s["name"] for s in sig]
    for n in given:
        if n not in names:
            raise CMError(f"--input_shapes: the model has no input {n!r}{did_you_mean(n, names)}; its inputs: "
                          f"{', '.join(names)}", GENERIC)
    batches: dict[str, tuple[int | None, bool]] = {}
    for s in sig:
        shape, g = list(s["shape"]), given.get(s["name"])
        if not shape:
            raise CMError(f"input {s['name']!r} is a scalar or has no declared shape; a batch dimension is needed",
                          GENERIC)
        if g is not None:
            if len(g) != len(shape):
                raise CMError(f"--input_shapes: input {s['name']!r} has {len(shape)} dimensions "
                              f"{_show(shape)}, not {len(g)}", GENERIC)
            for k, (d, v) in enumerate(zip(shape, g, strict=True)):
                if k and isinstance(d, int) and d > 0 and d != v:
                    raise CMError(f"--input_shapes: input {s['name']!r} dimension {k} is fixed at {d} by the "
                                  f"model, not {v}", GENERIC)
        batches[s["name"]] = _batch_of(s["name"], shape, g)
    wanted = {n: b for n, (b, _) in batches.items() if b is not None}
    if batch_size is not None:
        for n, b in wanted.items():
            if b != batch_size:
                raise CMError(f"--batch_size={batch_size} but input {n!r} needs batch {b} "
                              f"({'fixed by the model' if batches[n][1] else 'from --input_shapes'})", GENERIC)
    elif len(set(wanted.values())) > 1:
        raise CMError(f"the inputs ask for different batch sizes: "
                      f"{', '.join(f'{n}={b}' for n, b in wanted.items())}", GENERIC)
    batch = batch_size or next(iter(wanted.values()), 1)
    plan = InputPlan([], batch, any(fixed for _, fixed in batches.values()))
    for s in sig:
        g = given.get(s["name"])
        shape = [batch]
        for k, d in enumerate(s["shape"][1:], 1):
            if g is not None:
                shape.append(g[k])
            elif isinstance(d, int) and d > 0:
                shape.append(d)
            else:
                shape.append(1)
                plan.defaulted.append(f"{s['name']}[{k}]={d if d else '?'}")
        plan.inputs.append({"name": s["name"], "dtype": s["dtype"], "model_shape": s["shape"], "shape": shape,
                            "sample_shape": shape[1:], "int_high": s.get("int_high")})
    return plan


def _show(shape: list[Any]) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def qsl_size(plan: InputPlan, asked: int | None) -> int:
    """The number of synthetic samples: asked, else up to DEFAULT_QSL within QSL_BYTES; at least a batch."""
    if asked:
        return max(int(asked), plan.batch)
    per_sample = 0
    for i in plan.inputs:
        n = ITEMSIZE.get(i["dtype"], 8)
        for d in i["sample_shape"]:
            n *= int(d)
        per_sample += n
    return max(plan.batch, min(DEFAULT_QSL, QSL_BYTES // max(1, per_sample)))


def model_identity(path: str | Path) -> dict[str, str]:
    """The model's file name and sha256 (its identity in results), and a name LoadGen's config accepts."""
    p = Path(path)
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    # user.conf keys are <model>.<Scenario>.<key>: no dots or spaces in the model part
    conf_name = re.sub(r"[^A-Za-z0-9_-]+", "-", p.stem).strip("-").lower() or "model"
    return {"file": p.name, "sha256": h.hexdigest(), "conf_name": conf_name}


def read_signature(python: str, model_path: str, work: Path) -> list[dict[str, Any]]:
    """The model's inputs, read by :mod:`.synthetic` in the tool-owned python (one-line CMError)."""
    from cm_scripts_mlops.mlperf.scriptlib import run_json

    try:
        info = run_json(python, "cm_scripts_mlops.mlperf.synthetic", ["signature", model_path], work,
                        timeout=600, what="reading the model's inputs")
    except CMError as e:
        raise CMError(e.message.replace("synthetic error: ", ""), e.code) from None
    return list(info["inputs"])


def write_qsl(python: str, plan: InputPlan, count: int, seed: int, work: Path) -> Path:
    """Generate the synthetic QSL (``in<i>`` arrays) into ``work/synthetic.npz``."""
    from cm_scripts_mlops.mlperf.scriptlib import run_json

    plan_file = work / "synthetic-plan.json"
    plan_file.write_text(json.dumps({"inputs": plan.inputs, "count": count, "seed": seed}))
    out = work / "synthetic.npz"
    try:
        run_json(python, "cm_scripts_mlops.mlperf.synthetic", ["generate", str(plan_file), str(out)], work,
                 timeout=1800, what="generating the inputs")
    except CMError as e:
        raise CMError(e.message.replace("synthetic error: ", ""), e.code) from None
    return out
