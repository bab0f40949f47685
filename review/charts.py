"""Server-rendered SVG charts (pure functions: values in, markup out).

Every chart carries its numbers as text too, so it reads without the picture
and with a screen reader; no JavaScript charting bundle is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    css: str = ""  # extra class, e.g. a status name for its colour


def bar_chart(title: str, bars: Sequence[Bar], unit: str = "", width: int = 360) -> SafeString:
    """Horizontal bars, one row per label, with the value printed after each bar."""
    row, label_w, value_w = 26, 150, 56
    plot_w = width - label_w - value_w
    top = max((b.value for b in bars), default=0) or 1
    height = row * max(len(bars), 1) + 8
    rows = []
    for i, bar in enumerate(bars):
        y = 4 + i * row
        w = round(plot_w * bar.value / top)
        value = f"{bar.value:g}{unit}"
        rows.append(
            format_html(
                '<g class="bar {}"><text x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3"></rect>'
                '<text x="{}" y="{}" class="value">{}</text></g>',
                bar.css,
                label_w - 8,
                y + 16,
                bar.label,
                label_w,
                y + 3,
                w,
                row - 8,
                label_w + w + 6,
                y + 16,
                value,
            )
        )
    if not bars:
        rows.append(format_html('<text x="8" y="20" class="value">{}</text>', "No data yet"))
    return _svg(title, width, height, rows)


def line_chart(title: str, points: Sequence[tuple[str, float]], unit: str = "", width: int = 360) -> SafeString:
    """A line over labelled points (e.g. weeks), values printed above each point."""
    height, pad_x, pad_top, pad_bottom = 150, 28, 24, 28
    if not points:
        return bar_chart(title, [], unit, width)
    top = max(v for _, v in points) or 1
    step = (width - 2 * pad_x) / max(len(points) - 1, 1)
    coords = [
        (pad_x + i * step, pad_top + (height - pad_top - pad_bottom) * (1 - v / top)) for i, (_, v) in enumerate(points)
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
    parts = [format_html('<path class="line" d="{}"></path>', path)]
    for (label, value), (x, y) in zip(points, coords, strict=True):
        # format_html escapes its arguments into strings: format numbers first.
        cx, cy, above = f"{x:.1f}", f"{y:.1f}", f"{y - 7:.1f}"
        parts.append(
            format_html(
                '<circle cx="{}" cy="{}" r="3"></circle>'
                '<text x="{}" y="{}" text-anchor="middle" class="value">{}</text>'
                '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                cx,
                cy,
                cx,
                above,
                f"{value:g}{unit}",
                cx,
                height - 8,
                label,
            )
        )
    return _svg(title, width, height, parts)


def _svg(title: str, width: int, height: int, parts: Sequence[str]) -> SafeString:
    # Every piece above went through format_html, so joining them is safe.
    body = "".join(parts)
    return mark_safe(  # noqa: S308
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>{body}</svg>'
    )
