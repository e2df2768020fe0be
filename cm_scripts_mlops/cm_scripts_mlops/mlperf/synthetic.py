"""Any ONNX model, no data set: read its input signature and generate seeded random inputs.

Runs in the tool-owned environment (numpy, onnx)::

    python -m cm_scripts_mlops.mlperf.synthetic signature MODEL.onnx
    python -m cm_scripts_mlops.mlperf.synthetic generate PLAN.json OUT.npz

``signature`` prints one JSON line: ``{"inputs": [{"name", "dtype", "shape", "int_high"}]}``
where ``shape`` holds an int for a fixed dimension, the symbol's name for a symbolic one and
``null`` for an unnamed one; ``int_high`` bounds integer inputs that index an embedding (a
Gather over an initializer), so random indices stay inside the table.

``generate`` reads a plan (``{"inputs": [{"name", "dtype", "sample_shape", "int_high"}],
"count", "seed"}``; the shapes are per sample, without the batch dimension) and writes an
``.npz`` with one array ``in<i>`` of shape ``[count, *sample_shape]`` per input: floats from
a standard normal, integers in ``[0, int_high)`` (100 unless bounded), bools at random.

Any failure is one line on stderr (``synthetic error: ...``) and exit status 3.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

#: the exclusive upper bound of random integer inputs (small, non-negative: safe for ids, lengths, masks)
INT_HIGH = 100


def _dims(type_proto: Any) -> list[Any]:
    tensor = type_proto.tensor_type
    if not tensor.HasField("shape"):
        return []
    out: list[Any] = []
    for d in tensor.shape.dim:
        if d.HasField("dim_value"):
            out.append(int(d.dim_value))
        elif d.HasField("dim_param"):
            out.append(str(d.dim_param))
        else:
            out.append(None)
    return out


def _gather_bounds(graph: Any) -> dict[str, int]:
    """Inputs used as Gather indices into an initializer: the table's size along the gathered axis."""
    sizes = {init.name: list(init.dims) for init in graph.initializer}
    bounds: dict[str, int] = {}
    for node in graph.node:
        if node.op_type != "Gather" or len(node.input) < 2 or node.input[0] not in sizes:
            continue
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        dims = sizes[node.input[0]]
        if dims and -len(dims) <= axis < len(dims):
            n = int(dims[axis])
            bounds[node.input[1]] = min(bounds.get(node.input[1], n), n)
    return bounds


def signature(model_path: str) -> dict[str, Any]:
    """The model's graph inputs (initializers excluded), with dtype names numpy understands."""
    import onnx
    from onnx import helper

    try:
        # weights stay on disk: only the graph's declarations are needed
        model = onnx.load(model_path, load_external_data=False)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise ValueError(f"onnx cannot load {Path(model_path).name}: {type(exc).__name__}: {first} "
                         "(is it an ONNX model?)") from None
    graph = model.graph
    inits = {i.name for i in graph.initializer}
    bounds = _gather_bounds(graph)
    inputs = []
    for vi in graph.input:
        if vi.name in inits:  # IR < 4 lists initializers among the inputs
            continue
        if not vi.type.HasField("tensor_type"):
            raise ValueError(f"input {vi.name!r} is not a tensor (sequence and map inputs are not supported)")
        elem = vi.type.tensor_type.elem_type
        try:
            dtype = str(helper.tensor_dtype_to_np_dtype(elem))
        except Exception:
            dtype = f"onnx-type-{elem}"
        inputs.append({"name": vi.name, "dtype": dtype, "shape": _dims(vi.type),
                       "int_high": max(1, min(INT_HIGH, bounds[vi.name])) if vi.name in bounds else INT_HIGH})
    if not inputs:
        raise ValueError(f"{Path(model_path).name} declares no graph inputs")
    return {"inputs": inputs, "opset": [int(o.version) for o in model.opset_import if o.domain in ("", "ai.onnx")][:1]}


def generate(plan: dict[str, Any], out: Path) -> dict[str, Any]:
    """Write the synthetic QSL described by ``plan`` to ``out`` (see the module docstring)."""
    import numpy as np

    rng = np.random.default_rng(int(plan.get("seed") or 0))
    count = int(plan["count"])
    arrays: dict[str, Any] = {}
    total = 0
    for k, inp in enumerate(plan["inputs"]):
        shape = (count, *[int(d) for d in inp["sample_shape"]])
        try:
            dtype = np.dtype(inp["dtype"])
        except TypeError:
            raise ValueError(f"input {inp['name']!r} has type {inp['dtype']}, which cannot be generated") from None
        if dtype == np.bool_:
            arr = rng.random(shape) < 0.5
        elif np.issubdtype(dtype, np.floating):
            arr = rng.standard_normal(shape, dtype=np.float32).astype(dtype)
        elif np.issubdtype(dtype, np.integer):
            arr = rng.integers(0, int(inp.get("int_high") or INT_HIGH), size=shape).astype(dtype)
        else:
            raise ValueError(f"input {inp['name']!r} has dtype {dtype}, which cannot be generated "
                             "(float, int and bool inputs can)")
        arrays[f"in{k}"] = arr
        total += arr.nbytes
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        np.savez(f, **arrays)
    return {"count": count, "bytes": total, "file": str(out)}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if len(args) == 2 and args[0] == "signature":
            info = signature(args[1])
        elif len(args) == 3 and args[0] == "generate":
            info = generate(json.loads(Path(args[1]).read_text()), Path(args[2]))
        else:
            print("usage: synthetic signature MODEL.onnx | synthetic generate PLAN.json OUT.npz", file=sys.stderr)
            return 2
    except Exception as exc:  # one line for the parent, which shows it as the error
        msg = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        print(f"synthetic error: {(msg.splitlines() or [''])[0]}", file=sys.stderr)
        return 3
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
