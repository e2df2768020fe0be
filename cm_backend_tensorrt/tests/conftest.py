"""Fixtures: the CM test kit, and a real small ONNX model (cmcore.testing.OnnxMLP)."""

from __future__ import annotations

import pytest

from cmcore.testing import OnnxMLP, cm_home, cm_session, fake_devices  # noqa: F401  (fixtures)


@pytest.fixture
def mlp(tmp_path):
    return OnnxMLP(tmp_path / "mlp.onnx")


@pytest.fixture
def cpu():
    from cmcore.types import Device

    return Device(kind="cpu", name="cpu:0", source="override")


@pytest.fixture
def backend():
    from cm_backend_tensorrt.backend import TensorRTBackend

    return TensorRTBackend()
