"""The HTML report rendered by a real headless Chromium; the PNG plot; the terminal summary."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cmcore.platform import report
from cmcore.platform.constraints import parse_constraints
from cmcore.platform.pareto import pareto_front, recommend
from cmcore.platform.plot import png, svg

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _outcome() -> dict:
    rows = []
    for prec, acc in (("fp32", 0.978), ("int8", 0.962)):
        for t in (1, 2):
            for b in (1, 8, 32):
                rows.append({"target": "onnxruntime@cpu:0", "precision": prec, "threads": t, "batch": b,
                             "samples_per_second": 1000.0 * t * (b ** 0.5) * (1.6 if prec == "int8" else 1.0),
                             "latency_p90_ms": 5.0 / t, "accuracy": acc, "status": "ok", "cached": "",
                             "cost_per_million_usd": None, "energy_per_inference_j": None,
                             "reproduce": f"cmr \"app mlperf inference _onnxruntime _cpu\" --threads={t}"})
    rows.append({"target": "onnxruntime@cpu:0", "precision": "fp32", "threads": 4, "batch": 64, "status": "failed",
                 "error": "performance run failed: <script>alert(1)</script>"})
    cons = parse_constraints("accuracy>=0.97")
    rec = recommend(rows, "samples_per_second", cons)
    for r, why in rec.rejected:
        r["infeasible"] = why
    front = pareto_front([r for r in rows if r["status"] == "ok"], ["samples_per_second", "accuracy"])
    return {"model": "digits", "scenario": "Offline", "objective": "throughput",
            "objective_metric": "samples_per_second", "constraints": ["accuracy>=0.97"], "rows": rows,
            "front": front, "best": rec.best, "why_none": rec.why_none(), "method": "exhaustive",
            "evaluations": len(rows), "grid_size": len(rows), "skipped": ["tensorrt: not installed"],
            "reproduce": rec.best["reproduce"], "environment": {"host": "testhost", "devices": [{"name": "cpu:0"}]},
            "created_at": "2026-01-01T00:00:00", "report": "/tmp/r.html"}


def test_recommendation_front_and_summary() -> None:
    o = _outcome()
    assert o["best"]["precision"] == "fp32" and o["best"]["threads"] == 2 and o["best"]["batch"] == 32
    assert {(r["precision"], r["batch"]) for r in o["front"]} == {("fp32", 32), ("int8", 32)}
    text = report.summary(o)
    assert "Recommended: onnxruntime@cpu:0 fp32 threads=2 batch=32" in text
    assert "Reproduce:   cmr " in text and "Report:      /tmp/r.html" in text and "1 failed" in text
    assert len(text.splitlines()) <= 12


def test_svg_marks_front_and_best_and_escapes() -> None:
    o = _outcome()
    s = svg(o["rows"], "samples_per_second", "accuracy", o["front"], o["best"])
    assert s.count('class="front-point"') == 2 and s.count('class="best"') == 1
    assert s.count('class="point"') == 10 and "<polyline" in s
    empty = svg([], "samples_per_second", "accuracy", [], None)
    assert "no point has both" in empty
    html = report.html(o)
    assert "<script>" not in html and "&lt;script&gt;" in html  # error text is escaped, never run


def test_png_plot(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    o = _outcome()
    out = png(o["rows"], "samples_per_second", "accuracy", o["front"], o["best"], tmp_path / "p.png")
    assert out is not None and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


def render(html_path: Path, tmp_path: Path, screenshot: Path | None = None) -> subprocess.CompletedProcess:
    """Run headless Chromium on a file URL: --dump-dom, or --screenshot when a path is given."""
    assert CHROMIUM is not None
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome-profile'}",
           "--enable-logging=stderr", "--v=0", "--window-size=1200,1600"]
    cmd += [f"--screenshot={screenshot}"] if screenshot else ["--dump-dom"]
    return subprocess.run([*cmd, html_path.as_uri()], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(tmp_path) -> None:
    o = _outcome()
    page = tmp_path / "report.html"
    page.write_text(report.html(o))
    p = render(page, tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    dom = p.stdout
    assert '<svg id="pareto-plot"' in dom and dom.count("<circle") >= 13
    assert '<table id="points">' in dom and dom.count("<tr") == 1 + len(o["rows"])
    assert 'id="recommendation"' in dom and "fp32 threads=2 batch=32" in dom
    assert 'id="environment"' in dom and "testhost" in dom
    problems = [ln for ln in p.stderr.splitlines()
                if "CONSOLE" in ln or "Uncaught" in ln or "ERR_" in ln or "Failed to load" in ln]
    assert problems == []
    shot = tmp_path / "shot.png"
    s = render(page, tmp_path, shot)
    assert s.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20000
