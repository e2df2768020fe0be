"""cm-backend-tensorrt: registers the ``tensorrt`` backend and answers the lifecycle for it.

* ``cm_backends``: ``BackendSpec("tensorrt", TensorRTBackend)``.
* ``cm_detect`` for ``Component(kind="backend", name="tensorrt")``: the detection dict when
  TensorRT and a CUDA GPU are usable (``component.data["python"]`` picks the interpreter),
  else None.
* ``cm_install``: the pip plan for the first CUDA GPU (or ``component.data["device"]``); with
  no GPU an empty plan whose note says "not available: ...".
"""

from __future__ import annotations

from collections.abc import Mapping

from cmcore import hookimpl
from cmcore.types import BackendSpec, Component, Device, InstallPlan

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

NAME = "tensorrt"


def _factory() -> Any:
    from cm_backend_tensorrt.backend import TensorRTBackend

    return TensorRTBackend()


def _data(component: Component) -> Mapping[str, Any]:
    return component.data if isinstance(component.data, Mapping) else {}


@hookimpl
def cm_backends() -> list[BackendSpec]:
    return [BackendSpec(NAME, _factory, summary="NVIDIA TensorRT (engines built from ONNX, cached)")]


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
    from cm_backend_tensorrt.backend import all_devices

    data = _data(component)
    devices = all_devices(session)
    wanted = str(data.get("device") or "").lower()
    gpus = [d for d in devices if d.name == wanted] if wanted else [d for d in devices if d.kind == "cuda"]
    device = gpus[0] if gpus else Device(kind="none", name=wanted or "no-gpu")
    return _factory().install(session, device, python=data.get("python"))
