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
    short: str = ""  # label drawn in the chart when the full one is long (the table keeps the full one)


CHAR_W = 6.6  # average width of a 12px system-ui character, to size the label column


def _fit(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(title: str, bars: Sequence[Bar], unit: str = "", plot_w: int = 200) -> SafeString:
    """Horizontal bars, one row per label, with the value printed after each bar.

    The label column is as wide as the longest label, so nothing is clipped;
    the chart is drawn at its natural size and only ever shrinks to fit.
    """
    labels = [_fit(b.short or b.label) for b in bars]
    row, value_w = 26, 48
    label_w = round(min(max((len(t) for t in labels), default=8) * CHAR_W + 14, 190))
    width = label_w + plot_w + value_w
    top = max((b.value for b in bars), default=0) or 1
    height = row * max(len(bars), 1) + 8
    rows = []
    for i, (bar, text) in enumerate(zip(bars, labels, strict=True)):
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
                text,
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


def line_chart(title: str, points: Sequence[tuple[str, float | None]], unit: str = "", width: int = 360) -> SafeString:
    """A line over labelled points (e.g. weeks); a None value is a gap (nothing decided that week).

    With many points only every few labels and values are printed so they never overlap;
    the table beside the chart carries every number.
    """
    height, pad_x, pad_top, pad_bottom = 150, 28, 24, 28
    known = [v for _, v in points if v is not None]
    if not known:
        return bar_chart(title, [], unit)
    top = max(known) or 1
    step = (width - 2 * pad_x) / max(len(points) - 1, 1)
    every = max(1, -(-len(points) // 6))  # at most six labels along the axis
    parts: list[str] = []
    path, pen_down = [], False
    for i, (_, value) in enumerate(points):
        if value is None:
            pen_down = False
            continue
        x, y = pad_x + i * step, pad_top + (height - pad_top - pad_bottom) * (1 - value / top)
        path.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
    base_y = height - pad_bottom
    parts.append(
        format_html('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>', 8, base_y, width - 8, base_y)
    )
    parts.append(format_html('<path class="line" d="{}"></path>', " ".join(path)))
    for i, (label, value) in enumerate(points):
        # format_html escapes its arguments into strings: format numbers first.
        cx = f"{pad_x + i * step:.1f}"
        shown = (len(points) - 1 - i) % every == 0  # counted from the newest week, which is always labelled
        if shown:
            parts.append(format_html('<text x="{}" y="{}" text-anchor="middle">{}</text>', cx, height - 8, label))
        if value is None:
            continue
        y = pad_top + (height - pad_top - pad_bottom) * (1 - value / top)
        parts.append(format_html('<circle cx="{}" cy="{}" r="3"></circle>', cx, f"{y:.1f}"))
        if shown or len(points) <= 12:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" class="value">{}</text>',
                    cx,
                    f"{y - 7:.1f}",
                    f"{value:g}{unit}",
                )
            )
    return _svg(title, width, height, parts)


def _svg(title: str, width: int, height: int, parts: Sequence[str], desc: str = "") -> SafeString:
    # Every piece above went through format_html, so joining them is safe.
    body = "".join(parts)
    desc = desc or "The same figures are in the table beside this chart."
    return mark_safe(  # noqa: S308
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>{body}</svg>"
    )
