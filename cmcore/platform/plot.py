"""The Pareto plot: an inline SVG (no dependencies, for the HTML report) and a PNG (matplotlib, Agg).

x = the objective metric, y = accuracy; every measured point is a dot, the Pareto front is
a line through its points, and the recommendation is a ring.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from cmcore.platform.metrics import METRICS

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 680, 400, 70, 50, 30, 50


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _axis_label(metric: str) -> str:
    _, unit, label = METRICS.get(metric, ("max", "", metric))
    return f"{label} ({unit})" if unit else label


def _label(r: dict[str, Any]) -> str:
    return f"{r.get('target')} {r.get('precision')} t={r.get('threads')} b={r.get('batch')}"


def svg(rows: Sequence[dict[str, Any]], x: str, y: str, front: Sequence[dict[str, Any]],
        best: dict[str, Any] | None) -> str:
    """A self-contained ``<svg>`` element (id ``pareto-plot``)."""
    pts = [r for r in rows if _num(r.get(x)) and _num(r.get(y))]
    head = (f'<svg id="pareto-plot" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" role="img" aria-label="Pareto plot">')
    if not pts:
        return head + f'<text x="{W // 2}" y="{H // 2}" text-anchor="middle">no point has both {escape(x)} ' \
                      f'and {escape(y)}</text></svg>'
    xs, ys = [float(r[x]) for r in pts], [float(r[y]) for r in pts]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 * 0.9 - 1e-9, x1 * 1.1 + 1e-9
    if y1 == y0:
        y0, y1 = y0 - 0.01, y1 + 0.01
    mx, my = (x1 - x0) * 0.05, (y1 - y0) * 0.08
    # pad the ranges, but never below zero for metrics that cannot be negative
    x0, x1 = (max(0.0, x0 - mx) if x0 >= 0 else x0 - mx), x1 + mx
    y0, y1 = (max(0.0, y0 - my) if y0 >= 0 else y0 - my), y1 + my

    def px(v: float) -> float:
        return PAD_L + (v - x0) / (x1 - x0) * (W - PAD_L - PAD_R)

    def py(v: float) -> float:
        return H - PAD_B - (v - y0) / (y1 - y0) * (H - PAD_T - PAD_B)

    parts = [head, f'<rect x="{PAD_L}" y="{PAD_T}" width="{W - PAD_L - PAD_R}" height="{H - PAD_T - PAD_B}" '
                   'fill="#fafafa" stroke="#888"/>']
    for k in range(5):  # ticks
        tx, ty = x0 + (x1 - x0) * k / 4, y0 + (y1 - y0) * k / 4
        parts.append(f'<text x="{px(tx):.1f}" y="{H - PAD_B + 16}" font-size="11" text-anchor="middle">'
                     f'{tx:.4g}</text>')
        parts.append(f'<text x="{PAD_L - 6}" y="{py(ty) + 4:.1f}" font-size="11" text-anchor="end">{ty:.4g}</text>')
    parts.append(f'<text x="{(W + PAD_L) / 2:.0f}" y="{H - 10}" font-size="13" text-anchor="middle">'
                 f'{escape(_axis_label(x))}</text>')
    parts.append(f'<text x="16" y="{H / 2:.0f}" font-size="13" text-anchor="middle" '
                 f'transform="rotate(-90 16 {H / 2:.0f})">{escape(_axis_label(y))}</text>')
    line = sorted((r for r in front if r in pts), key=lambda r: float(r[x]))
    if len(line) > 1:
        path = " ".join(f"{px(float(r[x])):.1f},{py(float(r[y])):.1f}" for r in line)
        parts.append(f'<polyline class="front" points="{path}" fill="none" stroke="#d62728" stroke-width="2"/>')
    for r in pts:
        on = r in front
        parts.append(f'<circle class="{"front-point" if on else "point"}" cx="{px(float(r[x])):.1f}" '
                     f'cy="{py(float(r[y])):.1f}" r="{6 if on else 4}" fill="{"#d62728" if on else "#1f77b4"}" '
                     f'fill-opacity="0.8"><title>{escape(_label(r))}</title></circle>')
    if best is not None and best in pts:
        parts.append(f'<circle class="best" cx="{px(float(best[x])):.1f}" cy="{py(float(best[y])):.1f}" r="11" '
                     'fill="none" stroke="#2ca02c" stroke-width="3"/>')
    parts.append(f'<text x="{PAD_L + 8}" y="{PAD_T + 16}" font-size="12" fill="#d62728">— Pareto front</text>'
                 f'<text x="{PAD_L + 8}" y="{PAD_T + 32}" font-size="12" fill="#2ca02c">○ recommended</text>')
    return "".join(parts) + "</svg>"


def png(rows: Sequence[dict[str, Any]], x: str, y: str, front: Sequence[dict[str, Any]],
        best: dict[str, Any] | None, path: Path) -> Path | None:
    """Write the plot as a PNG with matplotlib (Agg backend); None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed, and never a GUI window from a CLI
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    pts = [r for r in rows if _num(r.get(x)) and _num(r.get(y))]
    fig, ax = plt.subplots(figsize=(7, 4.4), dpi=110)
    try:
        ax.scatter([r[x] for r in pts], [r[y] for r in pts], c="#1f77b4", s=22, label="measured", zorder=2)
        line = sorted((r for r in front if r in pts), key=lambda r: float(r[x]))
        if line:
            ax.plot([r[x] for r in line], [r[y] for r in line], "o-", c="#d62728", label="Pareto front", zorder=3)
        if best is not None and best in pts:
            ax.scatter([best[x]], [best[y]], s=220, facecolors="none", edgecolors="#2ca02c", linewidths=2.5,
                       label="recommended", zorder=4)
        ax.set_xlabel(_axis_label(x))
        ax.set_ylabel(_axis_label(y))
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
