"""Reference figures for the harness, run in the tool-owned environment::

    python -m cm_scripts_mlops.mlperf.perfref bare MODEL.onnx DATA.npz --batch 8 --threads 2 --samples 400
    python -m cm_scripts_mlops.mlperf.perfref macs MODEL.onnx

``bare``: a plain ONNX Runtime loop (no LoadGen, no backend layer) over the same data, batch and
threads, after one warm-up batch: the ceiling the harness is measured against.
``macs``: multiply-accumulates per sample of the Conv, Gemm and MatMul nodes, from the graph's
inferred shapes (batch 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def bare(model: str, data: str, batch: int, threads: int, samples: int) -> dict:
    import numpy as np
    import onnxruntime as ort

    x = np.ascontiguousarray(np.load(data)["x"])
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    # the same batches the harness makes: consecutive samples, wrapping over the data set
    batches = [x[np.arange(s, s + batch) % len(x)] for s in range(0, len(x) * batch, batch)][:len(x)]
    sess.run(None, {name: batches[0]})
    done, k = 0, 0
    t0 = time.perf_counter()
    while done < samples:
        sess.run(None, {name: batches[k % len(batches)]})
        done += batch
        k += 1
    dt = time.perf_counter() - t0
    return {"samples": done, "seconds": dt, "samples_per_second": done / dt, "batch": batch, "threads": threads,
            "onnxruntime_version": ort.__version__}


def macs(model: str) -> dict:
    """MACs per sample: the graph is run once (batch 1, zeros) with every Conv/Gemm/MatMul output
    and input exposed, so the shapes are the real ones even where static inference gives up
    (exporters' dynamic padding)."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    m = onnx.load(model)
    ops = [n for n in m.graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]
    inits = {t.name: list(t.dims) for t in m.graph.initializer}
    known = {o.name for o in m.graph.output}
    wanted = sorted({n.output[0] for n in ops} | {n.input[0] for n in ops if n.input[0] not in inits})
    for name in wanted:
        if name not in known:
            m.graph.output.append(onnx.ValueInfoProto(name=name))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep every node's output
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feeds: dict[str, Any] = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        feeds[i.name] = np.zeros(shape, dtype=np.float32)
    names = [o.name for o in sess.get_outputs()]
    shapes = {n: list(v.shape) for n, v in zip(names, sess.run(names, feeds), strict=True)}
    shapes.update(inits)
    total = 0
    for node in ops:
        out = shapes.get(node.output[0])
        if not out:
            continue
        n_out = int(np.prod(out))
        if node.op_type == "Conv":
            w = shapes.get(node.input[1]) or []
            if len(w) == 4:  # [Cout, Cin/group, kh, kw]: each output element costs Cin/group*kh*kw MACs
                total += n_out * w[1] * w[2] * w[3]
        else:
            a: Any = shapes.get(node.input[0]) or []
            trans_a = any(at.name == "transA" and at.i for at in node.attribute)
            if a:
                total += n_out * (a[-2] if trans_a else a[-1])
    return {"macs": int(total), "flops": int(2 * total)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="perfref")
    ap.add_argument("what", choices=["bare", "macs"])
    ap.add_argument("model")
    ap.add_argument("data", nargs="?")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--samples", type=int, default=100)
    a = ap.parse_args(argv)
    if a.what == "bare":
        if not a.data:
            ap.error("bare needs DATA.npz")
        info = bare(a.model, a.data, a.batch, a.threads, a.samples)
    else:
        info = macs(a.model)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
