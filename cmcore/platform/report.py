"""The self-contained HTML report and the concise terminal summary of a best-stack search.

The HTML has no external resources (inline CSS, the plot as inline SVG), so it can be
mailed, attached to a CI run or opened offline. Sections: recommendation with the command
that reproduces it, the Pareto plot, the table of every point, per-point details, and the
environment (devices, engines, versions, host).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from cmcore.platform import plot
from cmcore.platform.metrics import METRICS

TABLE_METRICS = ("samples_per_second", "latency_p90_ms", "accuracy", "cost_per_million_usd",
                 "energy_per_inference_j")

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.sub{color:#666;font-size:13px} .rec{background:#eef8ee;border:1px solid #9c9;padding:12px 16px;border-radius:6px}
.none{background:#fff3f0;border-color:#d99} code,pre{background:#f4f4f4;padding:2px 4px;border-radius:3px;font-size:12.5px}
pre{padding:8px;white-space:pre-wrap;word-break:break-all} table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:right} th{background:#f0f0f0}
td.l,th.l{text-align:left} tr.best td{background:#e4f6e4;font-weight:600} tr.failed td{color:#a33}
.tag{font-size:11px;padding:1px 5px;border-radius:8px;background:#fde;color:#a02}
details{margin:4px 0} summary{cursor:pointer}
"""


def _fmt(v: Any) -> str:
    if v is None or v == "":
        return "unknown"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _name(r: dict[str, Any]) -> str:
    return f"{r.get('target')} {r.get('precision')} threads={r.get('threads')} batch={r.get('batch')}"


def _recommendation(o: dict[str, Any]) -> str:
    best = o.get("best")
    if best is None:
        return f'<div class="rec none" id="recommendation"><b>No recommendation:</b> {escape(o.get("why_none", ""))}</div>'
    metric = o["objective_metric"]
    return (f'<div class="rec" id="recommendation"><b>Recommended:</b> {escape(_name(best))} — '
            f'{escape(METRICS[metric][2])} {escape(_fmt(best.get(metric)))} {escape(METRICS[metric][1])}, '
            f'accuracy {escape(_fmt(best.get("accuracy")))}<br>Reproduce:<pre>{escape(o["reproduce"])}</pre></div>')


def _table(o: dict[str, Any]) -> str:
    best, front = o.get("best"), o.get("front") or []
    head = ["target", "precision", "threads", "batch", *TABLE_METRICS, "status", "notes"]
    out = ['<table id="points"><thead><tr>'
           + "".join(f'<th class="{"l" if h in ("target", "precision", "status", "notes") else ""}">'
                     f'{escape(METRICS[h][2] + (" (" + METRICS[h][1] + ")" if METRICS[h][1] else "") if h in METRICS else h)}'
                     "</th>" for h in head) + "</tr></thead><tbody>"]
    for r in o["rows"]:
        cls = "best" if r is best else ("failed" if r.get("status") != "ok" else "")
        notes = []
        if r in front:
            notes.append('<span class="tag">Pareto</span>')
        if r.get("infeasible"):
            notes.append(escape("; ".join(r["infeasible"])))
        if r.get("cached"):
            notes.append(f"cached: {escape(r['cached'])}")
        if r.get("error"):
            notes.append(escape(r["error"]))
        cells = [r.get("target"), r.get("precision"), r.get("threads"), r.get("batch"),
                 *[r.get(m) for m in TABLE_METRICS], r.get("status")]
        out.append(f'<tr class="{cls}">' + "".join(
            f'<td class="{"l" if k in (0, 1, len(cells) - 1) else ""}">{escape(_fmt(c))}</td>'
            for k, c in enumerate(cells)) + f'<td class="l">{" ".join(notes)}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _details(o: dict[str, Any]) -> str:
    out = []
    for r in o["rows"]:
        body = json.dumps({k: v for k, v in r.items() if not k.endswith("_data")}, indent=2, sort_keys=True,
                          default=str)
        out.append(f"<details><summary>{escape(_name(r))}</summary><pre>{escape(body)}</pre></details>")
    return "".join(out)


def html(o: dict[str, Any]) -> str:
    """The whole report as one HTML document."""
    metric = o["objective_metric"]
    svg = plot.svg(o["rows"], metric, "accuracy", o.get("front") or [], o.get("best"))
    cons = ", ".join(o.get("constraints") or []) or "none"
    env = json.dumps(o.get("environment") or {}, indent=2, sort_keys=True, default=str)
    skipped = "".join(f"<li>{escape(s)}</li>" for s in o.get("skipped") or [])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Best stack for {escape(o['model'])}</title>
<style>{CSS}</style></head><body>
<h1>Best stack for <code>{escape(o['model'])}</code> on {escape(str(o.get('environment', {}).get('host', '')))}</h1>
<div class="sub">objective: {escape(o['objective'])} ({escape(metric)}) · constraints: {escape(cons)} ·
scenario: {escape(o['scenario'])} · search: {escape(o['method'])}, {o['evaluations']} of {o['grid_size']} points
measured · {escape(o.get('created_at', ''))}</div>
{_recommendation(o)}
<h2>Pareto front: {escape(METRICS[metric][2])} vs accuracy</h2>
{svg}
<h2>All points</h2>
{_table(o)}
<h2>Per-point details</h2>
{_details(o)}
<h2>Environment</h2>
{f"<p>Not searched:</p><ul>{skipped}</ul>" if skipped else ""}
<pre id="environment">{escape(env)}</pre>
</body></html>
"""


def summary(o: dict[str, Any]) -> str:
    """A few lines for the terminal: what was searched, the front, the recommendation."""
    metric = o["objective_metric"]
    unit = METRICS[metric][1]
    ok = [r for r in o["rows"] if r.get("status") == "ok"]
    failed = len(o["rows"]) - len(ok)
    lines = [f"Searched {o['evaluations']} of {o['grid_size']} points ({o['method']}) for {o['model']}, "
             f"{o['scenario']}, objective {o['objective']}"
             + (f", constraints {', '.join(o['constraints'])}" if o.get("constraints") else "")
             + (f"; {failed} failed" if failed else "")]
    front = sorted(o.get("front") or [], key=lambda r: -float(r.get(metric) or 0))
    if front:
        lines.append("Pareto front:")
        for r in front[:6]:
            mark = "*" if r is o.get("best") else " "
            lines.append(f" {mark} {_name(r):48s} {metric}={_fmt(r.get(metric))} {unit}  "
                         f"accuracy={_fmt(r.get('accuracy'))}")
    best = o.get("best")
    if best is None:
        lines.append(f"No recommendation: {o.get('why_none', '')}")
    else:
        lines.append(f"Recommended: {_name(best)}: {metric}={_fmt(best.get(metric))} {unit}, "
                     f"accuracy={_fmt(best.get('accuracy'))}")
        lines.append(f"Reproduce:   {o['reproduce']}")
    if o.get("report"):
        lines.append(f"Report:      {o['report']}")
    return "\n".join(lines)
