"""Reference figures for the harness, run in the tool-owned environment::

    python -m cm_scripts_mlops.mlperf.perfref bare MODEL.onnx DATA.npz --batch 8 --threads 2 --samples 400
    python -m cm_scripts_mlops.mlperf.perfref macs MODEL.onnx
    python -m cm_scripts_mlops.mlperf.perfref gemm --threads 2

``bare``: a plain ONNX Runtime loop (no LoadGen, no backend layer) over the same data, batch and
threads, after one warm-up batch: the ceiling the harness is measured against.
``macs``: multiply-accumulates per sample of the Conv, Gemm and MatMul nodes, from the graph's
inferred shapes (batch 1).
``gemm``: the best FP32 GFLOP/s of a large square matrix product (numpy's BLAS) on ``--threads``
threads: what this machine's FMA units deliver when the work is ideal, measured rather than
computed from a nominal clock (a VM's reported clock can be below the one it runs at).
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


def gemm(threads: int, size: int = 2048, seconds: float = 3.0) -> dict:
    """Best GFLOP/s of ``A @ B`` (float32, ``size`` square) over about ``seconds``."""
    import os

    if threads:  # read by the BLAS libraries numpy ships with, when they load
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        a @ b
        best = max(best, 2 * size ** 3 / (time.perf_counter() - t0))
    return {"gflops": best / 1e9, "size": size, "threads": threads, "numpy_version": np.__version__}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="perfref")
    ap.add_argument("what", choices=["bare", "macs", "gemm"])
    ap.add_argument("model", nargs="?")
    ap.add_argument("data", nargs="?")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--size", type=int, default=2048, help="gemm: matrix size")
    ap.add_argument("--seconds", type=float, default=3.0, help="gemm: how long to measure")
    a = ap.parse_args(argv)
    if a.what == "gemm":
        info = gemm(a.threads, a.size, a.seconds)
    elif not a.model:
        ap.error(f"{a.what} needs MODEL.onnx")
    elif a.what == "bare":
        if not a.data:
            ap.error("bare needs DATA.npz")
        info = bare(a.model, a.data, a.batch, a.threads, a.samples)
    else:
        info = macs(a.model)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
