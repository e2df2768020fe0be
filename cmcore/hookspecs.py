"""Every hook the core calls, in one place.

Plugins implement these with ``from cmcore import hookimpl``. The project name of the
plugin manager and the entry point group are both ``cm``; every hook starts with ``cm_``.
New parameters may be added to a hook later; an implementation may always accept fewer
arguments than the spec lists (pluggy passes only the ones it names).

Two kinds of hook:

* **Registration** hooks return lists of records from :mod:`cmcore.types`. Every
  implementation is called; the manager flattens the lists and rejects duplicate names.
* **Lifecycle** hooks act on a :class:`cmcore.types.Component`. ``cm_detect``,
  ``cm_install`` and ``cm_run`` stop at the first non-None result; ``cm_postprocess``
  calls every implementation. The built-in native runner and cache are ordinary plugins,
  registered ``trylast``, so any installed plugin can take a component over.
"""

from __future__ import annotations

from cmcore.hooks import HookspecMarker

TYPE_CHECKING = False  # no `typing` import on the path of every command
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from cmcore.session import Session
    from cmcore.types import (
        AutomationSpec,
        BackendSpec,
        Component,
        Device,
        ExecutorSpec,
        InstallPlan,
        RepoSpec,
        SinkSpec,
    )

hookspec = HookspecMarker("cm")


# --------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------


@hookspec
def cm_automations() -> list[AutomationSpec]:
    """Register automations (the ``AUTOMATION`` word of ``cm ACTION AUTOMATION``).

    Called once per session when the first automation is looked up. Every implementation
    is called; names (and aliases) must be unique across all plugins.

    Example::

        @hookimpl
        def cm_automations():
            return [AutomationSpec("hello", "0123456789abcdef", lambda session: Hello(session))]
    """


@hookspec
def cm_repos() -> list[RepoSpec]:
    """Register artifact repositories shipped inside a package (script collections).

    Called when the database lists its repositories. Every implementation is called. A
    repo is a folder with ``cmr.yaml``/``cmr.json`` (CM) or a root ``meta.yaml`` (MLC);
    it is used in place, never copied.

    Example::

        @hookimpl
        def cm_repos():
            return [RepoSpec("mlops", str(Path(__file__).parent / "repo"))]
    """


@hookspec
def cm_backends() -> list[BackendSpec]:
    """Register inference backends (ONNX Runtime, TensorRT, ...). Every implementation is called.

    Example::

        @hookimpl
        def cm_backends():
            return [BackendSpec("onnxruntime", OnnxBackend)]
    """


@hookspec
def cm_executors() -> list[ExecutorSpec]:
    """Register sweep executors (``local``, ``ray``). Every implementation is called.

    Example::

        @hookimpl
        def cm_executors():
            return [ExecutorSpec("ray", RayExecutor)]
    """


@hookspec
def cm_result_sinks() -> list[SinkSpec]:
    """Register result sinks (experiment trackers such as MLflow). Every implementation is called.

    After :func:`cmcore.results.record_result` stores a result, each sink named in
    ``CM_RESULT_SINKS`` (comma-separated; or ``CM_MLPERF_RESULT_SINKS`` among the run's
    inputs, which ``--sink`` sets) gets it through ``factory(session).record(artifact, result)``.
    A sink that fails is one warning line; the result stays recorded.

    Example::

        @hookimpl
        def cm_result_sinks():
            return [SinkSpec("mlflow", lambda session: MlflowSink(session), "MLflow tracking runs")]
    """


@hookspec
def cm_commands(app: Any, session: Session) -> None:
    """Add management commands to the ``cm`` CLI; ``app`` is the root ``typer.Typer``.

    Called only when a management command (``cm plugins``, ``cm --help``, a plugin's own
    command) is dispatched, never on the CM-grammar fast path (``cm run script ...``).
    Built-in command names are reserved; a plugin that reuses one is reported. Every
    implementation is called.

    Example::

        @hookimpl
        def cm_commands(app, session):
            @app.command()
            def hello(name: str = "world"):
                print(f"hello {name}")
    """


# --------------------------------------------------------------------------------------
# Hardware
# --------------------------------------------------------------------------------------


@hookspec
def cm_detect_devices(session: Session) -> list[Device] | None:
    """Return the devices of one kind present on this machine (possibly empty).

    Every implementation is called; the results are concatenated. Implementations probe
    in a subprocess with a timeout, never raise, and honour ``CM_OVERRIDE_<KIND>``
    (a version string forces the device present, an empty string forces it absent).

    Example::

        @hookimpl
        def cm_detect_devices(session):
            return [Device(kind="cpu", name="cpu:0", vendor="GenuineIntel")]
    """


# --------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def cm_detect(component: Component, session: Session) -> Any | None:
    """Is the component already here? Stops at the first non-None result.

    For scripts the built-in cache plugin answers with the cached result on a hit. For a
    device or a backend a plugin answers with what it found. Return None to let others try.

    Example::

        @hookimpl
        def cm_detect(component, session):
            if component.kind == "backend" and component.name == "onnxruntime":
                return {"available": True, "version": "1.31.1"}
    """


@hookspec(firstresult=True)
def cm_install(component: Component, session: Session) -> InstallPlan | Any | None:
    """Install what detection did not find. Stops at the first non-None result.

    Called only when ``cm_detect`` returned None. A hardware plugin returns an
    :class:`~cmcore.types.InstallPlan` with ``automatic=False`` (drivers are never
    installed silently).

    Example::

        @hookimpl
        def cm_install(component, session):
            if component.kind == "device" and component.name == "cuda":
                return InstallPlan("cuda", ("sudo apt-get install nvidia-driver-550",))
    """


@hookspec(firstresult=True)
def cm_run(component: Component, session: Session) -> Any | None:
    """Do the component's work. Stops at the first non-None result.

    For scripts the built-in native runner (``trylast``) runs ``customize.py`` and
    ``run.sh``; a plugin that returns a non-None dict for a script takes its run over
    (the dict is merged into env like ``tmp-run-env.out``; ``{}`` means "done, no output").

    Example::

        @hookimpl(tryfirst=True)
        def cm_run(component, session):
            if component.kind == "script" and component.name == "detect-os":
                return {"CM_HOST_OS_TYPE": "linux"}
    """


@hookspec
def cm_postprocess(component: Component, session: Session, result: Any) -> None:
    """Observe or extend a finished component. Every implementation is called.

    ``result`` is the component's result (for scripts: the CM return dict with
    ``new_env``/``new_state``). Used to record results, measure, export.

    Example::

        @hookimpl
        def cm_postprocess(component, session, result):
            if component.kind == "script":
                print("finished", component.name)
    """
