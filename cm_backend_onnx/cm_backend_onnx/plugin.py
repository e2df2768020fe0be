"""cm-backend-onnx: registers the ``onnxruntime`` backend and answers the lifecycle for it.

* ``cm_backends``: ``BackendSpec("onnxruntime", OnnxRuntimeBackend)``.
* ``cm_detect`` for ``Component(kind="backend", name="onnxruntime")``: the detection dict when
  onnxruntime is importable (in ``component.data["python"]`` if given), else None.
* ``cm_install`` for the same component: the pip plan for the best device present (CUDA, then
  Qualcomm, then Metal, then CPU) or ``component.data["device"]`` (a device name).
"""

from __future__ import annotations

from collections.abc import Mapping

from cmcore import hookimpl
from cmcore.types import BackendSpec, Component, Device, InstallPlan

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

NAME = "onnxruntime"
PREFERENCE = ("cuda", "qualcomm", "metal", "cpu")


def _data(component: Component) -> Mapping[str, Any]:
    return component.data if isinstance(component.data, Mapping) else {}


def _factory() -> Any:
    from cm_backend_onnx.backend import OnnxRuntimeBackend

    return OnnxRuntimeBackend()


def best_device(devices: list[Device], wanted: str | None = None) -> Device:
    """``wanted`` by name, else the most capable kind present, else a plain CPU record."""
    if wanted:
        for d in devices:
            if d.name == wanted.lower():
                return d
    for kind in PREFERENCE:
        for d in devices:
            if d.kind == kind:
                return d
    return Device(kind="cpu", name="cpu:0")


@hookimpl
def cm_backends() -> list[BackendSpec]:
    return [BackendSpec(NAME, _factory, summary="ONNX Runtime (CPU, CUDA, TensorRT, QNN, CoreML EPs)")]


@hookimpl
def cm_detect(component: Component, session: Any) -> dict | None:
    if component.kind != "backend" or component.name != NAME:
        return None
    found = _factory().detect(session, python=_data(component).get("python"))
    return found if found["available"] else None


@hookimpl
def cm_install(component: Component, session: Any) -> InstallPlan | None:
    if component.kind != "backend" or component.name != NAME:
        return None
    from cm_backend_onnx.backend import all_devices

    data = _data(component)
    device = best_device(all_devices(session), data.get("device"))
    return _factory().install(session, device, python=data.get("python"))
