"""An opt-in pytest plugin for people who write CM plugins and scripts.

Enable it in a ``conftest.py`` with ``pytest_plugins = ["cmcore.testing"]`` (it is never
auto-loaded). Fixtures:

* ``cm_home``: a fresh, empty CM home in a temporary folder, exported as ``CM_HOME``.
* ``cm_session``: a :class:`cmcore.session.Session` on that home (installed plugins load).
* ``cm_plugin_manager``: a fresh plugin manager.
* ``cm_register``: ``cm_register(plugin)`` registers a plugin object or module on
  ``cm_session`` for one test.
* ``cm_cli``: ``cm_cli("find", "script", "--tags=x")`` runs the real ``cm`` command
  in-process and returns ``CLIResult(exit_code, stdout, stderr)``; ``cm_cli.subprocess(...)``
  runs it in a child process instead.
* ``cm_repo``: ``cm_repo("name", scripts={...})`` writes a CM (or MLC) repository in a
  temporary folder and registers it in the CM home.
* ``fake_devices``: ``fake_devices(cuda="12.4", metal="")`` sets ``CM_OVERRIDE_<KIND>``.

Helpers: ``FileServer(files)`` serves bytes over real HTTP on 127.0.0.1 (with ``Range``,
and cut connections on request); ``make_venv(path, *pip_args)`` builds a throwaway venv
with cmcore installed; ``write_repo``/``register_repo_path`` write and register repos.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cmcore.checkout import source_tree  # noqa: F401 - also part of this module's API


@dataclass
class CLIResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class CLIRunner:
    """Runs ``cm`` (or ``cmr`` with ``run=True``) in-process or in a subprocess."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.env = env or {}

    def __call__(self, *args: str, cwd: str | os.PathLike | None = None) -> CLIResult:
        from cmcore.cli import main

        out, err = io.StringIO(), io.StringIO()
        old_cwd = os.getcwd()
        saved = {k: os.environ.get(k) for k in ("CM_HOME", *self.env)}
        os.environ["CM_HOME"] = str(self.home)
        os.environ.update(self.env)
        try:
            if cwd is not None:
                os.chdir(cwd)
            with redirect_stdout(out), redirect_stderr(err):
                code = main(list(args))
        finally:
            os.chdir(old_cwd)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return CLIResult(code, out.getvalue(), err.getvalue())

    def subprocess(
        self, *args: str, cwd: str | os.PathLike | None = None, timeout: float = 300, input: str | None = None
    ) -> CLIResult:
        env = dict(os.environ)
        env["CM_HOME"] = str(self.home)
        env.update(self.env)
        cmd = [sys.executable, "-m", "cmcore.cli", *args]
        p = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
            input=input if input is not None else "",
        )
        return CLIResult(p.returncode, p.stdout, p.stderr)


def write_repo(
    root: Path,
    alias: str,
    scripts: dict[str, dict[str, Any]] | None = None,
    *,
    dialect: str = "cm",
    uid: str | None = None,
) -> Path:
    """Write a repository with scripts.

    ``scripts`` maps a script alias to ``{"meta": {...}, "files": {"run.sh": "...", ...}}``
    (``meta`` gets ``alias``, ``uid`` and the automation keys filled in when missing).
    """
    import yaml

    from cmcore.refs import gen_uid

    root.mkdir(parents=True, exist_ok=True)
    repo_meta = {"alias": alias, "uid": uid or gen_uid(), "git": False}
    marker = "cmr.yaml" if dialect == "cm" else "meta.yaml"
    (root / marker).write_text(yaml.safe_dump(repo_meta, sort_keys=False))
    for name, spec in (scripts or {}).items():
        d = root / "script" / name
        d.mkdir(parents=True, exist_ok=True)
        meta = dict(spec.get("meta", {}))
        meta.setdefault("alias", name)
        meta.setdefault("uid", gen_uid())
        meta.setdefault("automation_alias", "script")
        meta.setdefault("automation_uid", "5b4e0237da074764")
        meta_name = "_cm.yaml" if dialect == "cm" else "meta.yaml"
        (d / meta_name).write_text(yaml.safe_dump(meta, sort_keys=False))
        for fname, content in spec.get("files", {}).items():
            f = d / fname
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(content)
            if fname.endswith(".sh"):
                f.chmod(0o755)
    return root


def register_repo_path(home: Path, path: Path) -> None:
    """Append a repo path to ``<home>/repos.json`` (the CM registry format: a JSON list)."""
    home.mkdir(parents=True, exist_ok=True)
    reg = home / "repos.json"
    paths = json.loads(reg.read_text()) if reg.exists() else []
    if str(path) not in paths:
        paths.append(str(path))
    reg.write_text(json.dumps(paths, indent=2))


def make_venv(path: Path, *packages: str, timeout: float = 600) -> Path:
    """Create a throwaway venv at ``path`` with cmcore (from this source tree when there is one)
    and ``packages`` (pip arguments) installed; return its ``bin`` folder.
    """
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=timeout)
    bindir = path / ("Scripts" if os.name == "nt" else "bin")
    src = source_tree()
    core = ["-e", str(src)] if src else ["cmcore"]
    cmd = [str(bindir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *core, *packages]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"pip install failed ({p.returncode}): {p.stderr[-2000:]}")
    return bindir


class OnnxMLP:
    """``Y = relu(X @ W1 + B1) @ W2 + B2`` as an ONNX file, with its numpy reference: a real small
    model for inference-backend plugins' tests (needs ``onnx`` and ``numpy``, imported on use)."""

    def __init__(self, path: str | os.PathLike, n_in: int = 8, hidden: int = 16, n_out: int = 4,
                 seed: int = 0) -> None:
        import numpy as np
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

    def reference(self, x: Any) -> Any:
        import numpy as np

        return np.maximum(x @ self.w1 + self.b1, 0) @ self.w2 + self.b2

    def batch(self, n: int, seed: int = 1) -> Any:
        import numpy as np

        return np.random.default_rng(seed).standard_normal((n, self.n_in)).astype(np.float32)


@pytest.fixture
def cm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cm-home"
    home.mkdir()
    monkeypatch.setenv("CM_HOME", str(home))
    return home


@pytest.fixture
def cm_session(cm_home: Path) -> Iterator[Any]:
    from cmcore.session import Session, set_default

    s = Session(home=cm_home)
    set_default(s)
    yield s
    set_default(None)


@pytest.fixture
def cm_plugin_manager() -> Any:
    from cmcore.plugins import get_plugin_manager

    return get_plugin_manager()


@pytest.fixture
def cm_register(cm_session: Any) -> Iterator[Callable[[Any], str]]:
    names: list[str] = []

    def register(plugin: Any, name: str | None = None) -> str:
        n = cm_session.pm.register(plugin, name=name)
        assert n, "plugin was not registered (blocked or already registered)"
        names.append(n)
        cm_session._automations = None  # re-read registration hooks
        cm_session.cache.pop("typer_app", None)
        return n

    yield register
    for n in names:
        if cm_session.pm.get_plugin(n) is not None:
            cm_session.pm.unregister(name=n)


@pytest.fixture
def cm_cli(cm_home: Path) -> CLIRunner:
    return CLIRunner(cm_home)


@pytest.fixture
def cm_repo(cm_home: Path, tmp_path: Path) -> Callable[..., Path]:
    def make(alias: str = "test-repo", scripts: dict | None = None, dialect: str = "cm",
             register: bool = True) -> Path:
        root = write_repo(tmp_path / "repos" / alias, alias, scripts, dialect=dialect)
        if register:
            register_repo_path(cm_home, root)
        return root

    return make


@pytest.fixture
def fake_devices(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def set_devices(**kinds: str | None) -> None:
        for kind, value in kinds.items():
            var = f"CM_OVERRIDE_{kind.upper()}"
            if value is None:
                monkeypatch.delenv(var, raising=False)
            else:
                monkeypatch.setenv(var, value)

    return set_devices


# A real HTTP file server on 127.0.0.1 for download tests: ``Range`` support, and
# ``cuts``/``cut_after`` to drop the connection mid-file (an interrupted download).
class FileServer:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.cuts: dict[str, int] = {}  # name -> how many more requests to cut
        self.cut_after = 0
        self.range_support = True
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.agents: list[str] = []  # User-Agent of each request
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # noqa: N802 - http.server API
                name = self.path.lstrip("/").split("?")[0]
                rng = self.headers.get("Range")
                server.requests.append((name, rng))
                server.agents.append(self.headers.get("User-Agent", ""))
                body = server.files.get(name)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                if rng and server.range_support and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                chunk = body[start:]
                self.send_header("Content-Length", str(len(chunk)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if server.cuts.get(name, 0) > 0:
                    server.cuts[name] -= 1
                    self.wfile.write(chunk[: server.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}" if isinstance(host, str) else f"http://{host.decode()}:{port}"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
