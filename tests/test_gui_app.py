"""``cm gui``: the real Starlette app served by uvicorn on 127.0.0.1, driven over HTTP and in
headless Chromium (Playwright with Debian's /usr/bin/chromium; it never downloads a browser)."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")

from test_ecosystem_official import write_tree  # noqa: E402

from cmcore.ecosystem.official import import_tree  # noqa: E402
from cmcore.gui.server import build_args, create_app  # noqa: E402
from cmcore.results import record_result  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gui:
    def __init__(self, session: Any) -> None:
        self.app = create_app(session)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Gui:
        self.thread.start()
        for _ in range(200):  # wait until it listens (bounded)
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("the GUI server did not start")

    def __exit__(self, *exc: Any) -> None:
        for job in self.app.state.jobs.jobs.values():
            self.app.state.jobs.cancel(job.id)
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def call(self, path: str, body: Any = None, *, token: str | None = "", host: str = "") -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST" if body is not None else "GET")
        req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("X-CM-Token", token or self.app.state.token)
        if host:
            req.add_header("Host", host)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


@pytest.fixture
def gui(cm_session: Any, tmp_path: Path) -> Iterator[Gui]:
    import_tree(cm_session, write_tree(tmp_path))
    record_result(cm_session, {"model": "resnet50", "scenario": "Offline", "mode": "performance",
                               "backend": "onnxruntime", "device": "cpu:0", "precision": "fp32", "threads": 2,
                               "batch": 8, "samples_per_second": 410.0, "latency_p90_ms": 21.5, "validity": "VALID"},
                  tags=["mlperf", "resnet50"])
    with Gui(cm_session) as g:
        yield g


def _wait_job(g: Gui, jid: str, limit_s: float = 300) -> dict:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        _, j = g.call(f"/api/runs/{jid}")
        if j["status"] not in ("queued", "running"):
            return j
        time.sleep(0.5)
    raise AssertionError(f"job {jid} did not finish")


def test_build_args_quotes_nothing_through_a_shell() -> None:
    args = build_args({"tags": "app,mlperf,inference", "variations": ["_onnxruntime", "cpu"],
                       "flags": {"model": "digits", "note": "a b; rm -rf /", "empty": ""}})
    assert args == ["run", "script", "app mlperf inference _onnxruntime _cpu", "--model=digits",
                    "--note=a b; rm -rf /"]


def test_api_scripts_command_results_compare(gui: Gui) -> None:
    code, d = gui.call("/api/scripts?tags=mlperf,inference")
    assert code == 200
    app = next(s for s in d["scripts"] if s["alias"] == "app-mlperf-inference")
    assert {"onnxruntime", "cpu"} <= set(app["variations"])
    assert "model" in {f["name"] for f in app["flags"]}
    code, c = gui.call("/api/command", {"tags": "app-mlperf-inference", "variations": ["onnxruntime", "cpu"],
                                        "flags": {"model": "digits", "test_query_count": 200}})
    assert code == 200 and c["command"] == "cmr 'app-mlperf-inference _onnxruntime _cpu' --model=digits " \
                                           "--test_query_count=200"
    code, r = gui.call("/api/results?official=no")
    assert code == 200 and [x["samples_per_second"] for x in r["results"]] == [410.0]
    code, r = gui.call("/api/results?official=only")
    assert len(r["results"]) == 6 and all(x["official"] for x in r["results"])
    local_uid = gui.call("/api/results?official=no")[1]["results"][0]["uid"]
    code, cmp = gui.call(f"/api/compare?uid={local_uid}")
    assert code == 200 and cmp["rows"][0]["source"] == "local" and len(cmp["rows"]) == 4


def test_api_refuses_foreign_pages_and_bad_input(gui: Gui) -> None:
    body = {"tags": "print-hello-world"}
    assert gui.call("/api/runs", body, token=None)[0] == 403
    assert gui.call("/api/runs", body, token="wrong")[0] == 403
    code, d = gui.call("/api/scripts", host="evil.example:80")
    assert code == 403 and "127.0.0.1" in d["error"]
    code, d = gui.call("/api/command", {"tags": ""})
    assert code == 400 and d["error"] == "choose a script (its tags) first"
    code, d = gui.call("/api/command", {"tags": "x", "flags": {"a;b": 1}})
    assert code == 400 and "bad flag name" in d["error"]
    assert gui.call("/api/runs/nosuchjob")[0] == 404
    assert gui.call("/api/compare?uid=nosuchresult")[0] == 404
    code, d = gui.call("/api/submission", {"division": "secret"}, )
    assert code == 400


def test_a_background_run_is_followed_to_its_end(gui: Gui) -> None:
    code, j = gui.call("/api/runs", {"tags": "print-hello-world", "flags": {"test1": "from the GUI"}})
    assert code == 201 and j["status"] in ("queued", "running")
    done = _wait_job(gui, j["id"])
    assert done["status"] == "succeeded" and done["returncode"] == 0, done["log_tail"]
    assert any("HELLO WORLD" in ln.upper() for ln in done["log_tail"]), done["log_tail"]
    code, bad = gui.call("/api/runs", {"tags": "no-such-script-anywhere"})
    failed = _wait_job(gui, bad["id"])
    assert failed["status"] == "failed" and failed["returncode"] != 0
    assert any(ln.startswith("cm error: no scripts were found") for ln in failed["log_tail"]), failed["log_tail"]


@pytest.fixture
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_pages_in_headless_chromium(gui: Gui, browser: Any, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(gui.url + "/")
    page.wait_for_selector("#script-list li")
    # build a command from the digits preset: variations ticked, flags filled
    page.click("#preset-digits")
    page.wait_for_function("document.querySelector('#command').textContent.includes('--model=digits')")
    cmd = page.inner_text("#command")
    assert cmd.startswith("cmr 'app-mlperf-inference") and "_onnxruntime" in cmd and "_cpu" in cmd
    page.fill(".flag[data-name=scenario]", "SingleStream")
    page.dispatch_event(".flag[data-name=scenario]", "input")
    page.wait_for_function("document.querySelector('#command').textContent.includes('--scenario=SingleStream')")
    # find a script by tags and run it; follow the run to its end
    page.fill("#tags-filter", "print hello")
    page.click("#find-scripts")
    page.click("#script-list li[data-alias=print-hello-world]")
    page.wait_for_function("document.querySelector('#command').textContent.startsWith('cmr print-hello-world')")
    page.click("#run-command")
    page.wait_for_selector("#run-status.status-succeeded", timeout=180_000)
    assert "HELLO WORLD" in page.inner_text("#run-log").upper()
    assert page.locator("#runs tbody tr").count() == 1
    # results: local and official in one table, a plot, and the comparison
    page.click("nav button[data-tab=results]")
    page.wait_for_selector("#results tbody tr")
    assert page.locator("#results tbody tr.official").count() == 6
    assert page.locator("#results tbody tr.local").count() == 1
    assert page.locator("#plot rect.bar").count() == 7
    page.click("button.compare")
    page.wait_for_selector("#compare tbody tr")
    assert page.locator("#compare tbody tr").count() == 4
    assert "per accelerator" in page.inner_text("#compare-note")
    assert "NVIDIA H100-SXM-80GB" in page.inner_text("#compare")
    page.screenshot(path=str(tmp_path / "gui.png"), full_page=True)
    assert (tmp_path / "gui.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert errors == []


def test_cm_gui_command_serves_the_page(cm_home: Path) -> None:
    """``cm gui --port=N`` as a person starts it; stopped by its PID."""
    import os
    import signal
    import subprocess
    import sys

    port = _free_port()
    env = {**os.environ, "CM_HOME": str(cm_home)}
    proc = subprocess.Popen([sys.executable, "-m", "cmcore.cli", "gui", f"--port={port}"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        page = ""
        for _ in range(300):  # bounded wait for the server to listen
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                    page = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert 'id="script-list"' in page and "data-token=" in page
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=30)[0].decode()
    assert f"CM GUI on http://127.0.0.1:{port}/" in out
