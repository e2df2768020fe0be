"""The built-in default model: an MLP trained (seeded) on scikit-learn's bundled digits.

Runs in the tool-owned environment (scikit-learn, numpy, onnx, onnxruntime)::

    python -m cm_scripts_mlops.mlperf.digits model OUT.onnx [--seed 0] [--hidden 128]
    python -m cm_scripts_mlops.mlperf.digits dataset OUT.npz [--split test]   # + labels.txt beside

The ONNX graph is written with ``onnx.helper`` from the trained weights (Gemm, Relu, Gemm):
input ``input`` float32 [N, 64] scaled to [0, 1] (pixel / 16), output ``logits`` [N, 10].
The split is deterministic, so the model script and the dataset script agree on which
digits are held out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

TEST_SIZE = 0.3
SPLIT_SEED = 0
MIN_ACCURACY = 0.97


def split() -> tuple[Any, Any, Any, Any]:
    """(x_train, x_test, y_train, y_test): float32 pixels / 16, int64 labels, stratified."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    return tuple(train_test_split(x, y, test_size=TEST_SIZE, random_state=SPLIT_SEED, stratify=y))


def train(seed: int = 0, hidden: int = 128) -> Any:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_train, _, y_train, _ = split()
    # Adam, fixed epochs: about 0.978 held out with seed 0; the epoch cap keeps it a few seconds.
    clf = MLPClassifier(hidden_layer_sizes=(hidden,), activation="relu", solver="adam", max_iter=150,
                        learning_rate_init=3e-3, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_train, y_train)
    return clf


def to_onnx(clf: Any, path: Path) -> None:
    """Write the MLP as Gemm → Relu → Gemm (weights as initializers)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w1, w2 = (np.asarray(w, dtype=np.float32) for w in clf.coefs_)
    b1, b2 = (np.asarray(b, dtype=np.float32) for b in clf.intercepts_)
    inits = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))]
    nodes = [helper.make_node("Gemm", ["input", "w1", "b1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["hr"], name="relu"),
             helper.make_node("Gemm", ["hr", "w2", "b2"], ["logits"], name="fc2")]
    graph = helper.make_graph(nodes, "digits_mlp",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", w1.shape[0]])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", w2.shape[1]])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cm-scripts-mlops")
    model.ir_version = min(model.ir_version, 8)  # loadable by older onnxruntime builds too
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def onnx_accuracy(path: Path) -> float:
    """Held-out accuracy of the exported model, measured with onnxruntime."""
    import numpy as np
    import onnxruntime as ort

    _, x_test, _, y_test = split()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    pred = np.argmax(sess.run(None, {"input": x_test})[0], axis=1)
    return float((pred == y_test).mean())


def write_dataset(path: Path, which: str = "test") -> dict:
    import numpy as np

    x_train, x_test, y_train, y_test = split()
    x, y = (x_test, y_test) if which == "test" else (x_train, y_train)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez(f, x=x, y=y)
    # labels.txt beside it: the cm process reads labels without numpy
    (path.parent / "labels.txt").write_text("\n".join(str(int(v)) for v in y) + "\n")
    return {"count": int(len(y)), "shape": list(x.shape[1:]), "dtype": "float32", "split": which}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="digits")
    ap.add_argument("what", choices=["model", "dataset"])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--split", default="test", choices=["test", "train"])
    a = ap.parse_args(argv)
    out = Path(a.out)
    if a.what == "dataset":
        info = write_dataset(out, a.split)
    else:
        to_onnx(train(a.seed, a.hidden), out)
        acc = onnx_accuracy(out)
        info = {"accuracy": acc, "seed": a.seed, "hidden": a.hidden}
        if acc < MIN_ACCURACY:
            print(f"digits MLP held-out accuracy {acc:.4f} is below {MIN_ACCURACY}", file=sys.stderr)
            return 3
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
