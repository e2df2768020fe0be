"""Fixtures: the CM test kit, and a real small ONNX model built with onnx.helper."""

from __future__ import annotations

import numpy as np
import pytest

from cmcore.testing import cm_home, cm_session, fake_devices  # noqa: F401  (fixtures)


class MLP:
    """``Y = relu(X @ W1 + B1) @ W2 + B2`` as an ONNX file, with its numpy reference."""

    def __init__(self, path, n_in: int = 8, hidden: int = 16, n_out: int = 4, seed: int = 0) -> None:
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        rng = np.random.default_rng(seed)
        self.w1 = rng.standard_normal((n_in, hidden)).astype(np.float32)
        self.b1 = rng.standard_normal(hidden).astype(np.float32)
        self.w2 = rng.standard_normal((hidden, n_out)).astype(np.float32)
        self.b2 = rng.standard_normal(n_out).astype(np.float32)
        self.n_in = n_in
        inits = [numpy_helper.from_array(a, n) for a, n in
                 ((self.w1, "W1"), (self.b1, "B1"), (self.w2, "W2"), (self.b2, "B2"))]
        nodes = [
            helper.make_node("MatMul", ["X", "W1"], ["h0"]),
            helper.make_node("Add", ["h0", "B1"], ["h1"]),
            helper.make_node("Relu", ["h1"], ["h2"]),
            helper.make_node("MatMul", ["h2", "W2"], ["y0"]),
            helper.make_node("Add", ["y0", "B2"], ["Y"]),
        ]
        graph = helper.make_graph(
            nodes, "mlp",
            [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", n_in])],
            [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", n_out])],
            initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="cm-test")
        model.ir_version = 8  # old enough for every onnxruntime the plugin supports
        onnx.checker.check_model(model)
        self.path = path
        onnx.save(model, str(path))

    def reference(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ self.w1 + self.b1, 0) @ self.w2 + self.b2

    def batch(self, n: int, seed: int = 1) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal((n, self.n_in)).astype(np.float32)


@pytest.fixture
def mlp(tmp_path):
    return MLP(tmp_path / "mlp.onnx")


@pytest.fixture
def cpu():
    from cmcore.types import Device

    return Device(kind="cpu", name="cpu:0", source="override")


@pytest.fixture
def backend():
    from cm_backend_tensorrt.backend import TensorRTBackend

    return TensorRTBackend()
