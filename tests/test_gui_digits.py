"""End to end in headless Chromium: a real MLPerf digits run started from the GUI's preset,
followed to its end, then its result in the results table beside official results. Slow: the
first run installs LoadGen and onnxruntime into the tool-owned environment. With
CM_GUI_SCREENSHOT=path it also saves the screenshot used in the README (docs/gui.png)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from test_gui_app import Gui, browser, gui  # noqa: E402,F401  (fixtures)


@pytest.mark.slow
def test_digits_run_from_the_gui(gui: Any, browser: Any, tmp_path: Path) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(gui.url + "/")
    page.wait_for_selector("#script-list li")
    page.click("#preset-digits")
    page.wait_for_function("document.querySelector('#command').textContent.includes('--model=digits')")
    page.click("#run-command")
    page.wait_for_selector("#run-status.status-running, #run-status.status-succeeded")
    page.wait_for_selector("#run-status.status-succeeded, #run-status.status-failed", timeout=1_500_000)
    log = page.inner_text("#run-log")
    assert page.inner_text("#run-status") == "succeeded", log
    assert "samples/s" in log
    page.click("nav button[data-tab=results]")
    page.fill("#result-tags", "")
    page.click("#load-results")
    page.wait_for_function("document.querySelectorAll('#results tbody tr.local').length == 2")
    assert "digits" in page.inner_text("#results")
    page.select_option("#plot-metric", "samples_per_second_per_accelerator")
    page.click("button.compare >> nth=0")
    page.wait_for_selector("#compare tbody tr")
    shot = os.environ.get("CM_GUI_SCREENSHOT") or str(tmp_path / "gui.png")
    page.screenshot(path=shot, full_page=True)
    assert Path(shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert errors == []
