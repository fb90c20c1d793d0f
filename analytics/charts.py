"""Charts drawn on the server as inline SVG: no JavaScript, no build step, no chart library.

Horizontal grouped bars are enough for every figure on the page (times per process and per step,
before versus now), and read well with long Russian labels. Every text is escaped; the SVG carries
a title and a description so a screen reader gets the numbers too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

LABEL_WIDTH = 260
BAR_AREA = 380
VALUE_WIDTH = 90
BAR_HEIGHT = 14
BAR_GAP = 3
ROW_GAP = 12
LEGEND_HEIGHT = 24
CHAR_WIDTH = 7  # a rough average at 12px, to shorten labels that would not fit


@dataclass(frozen=True)
class Series:
    name: Any
    colour: str


@dataclass(frozen=True)
class Row:
    label: str
    values: Sequence[float | None]


MEDIAN_P90 = (Series(_("медиана"), "#2f6fb0"), Series(_("90-й перцентиль"), "#a9c6e8"))
BEFORE_NOW = (Series(_("до внедрения"), "#b0b0b0"), Series(_("сейчас"), "#2e8b57"))


def bar_chart(
    rows: Sequence[Row],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    per_row_scale: bool = False,
) -> SafeString:
    """Grouped horizontal bars, one group per row, one bar per series.

    ``per_row_scale``: each row is scaled to its own largest value (for comparing "before" and
    "now" of figures with different units on one chart). An empty value draws no bar and says «—».
    """
    if not rows:
        return mark_safe("")
    group = len(series) * (BAR_HEIGHT + BAR_GAP) + ROW_GAP
    height = LEGEND_HEIGHT + group * len(rows) + 4
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    overall = max((v for row in rows for v in row.values if v is not None), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(_describe(rows, series, unit))}</desc>",
    ]
    x = LABEL_WIDTH
    for s in series:
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{s.colour}"/>')
        parts.append(f'<text x="{x + 16}" y="14">{escape(s.name)}</text>')
        x += 16 + CHAR_WIDTH * len(str(s.name)) + 20
    y = LEGEND_HEIGHT
    for row in rows:
        scale = (max((v for v in row.values if v is not None), default=0) or 1) if per_row_scale else overall
        label_y = y + (len(series) * (BAR_HEIGHT + BAR_GAP)) / 2 + 4
        label = escape(_fit(str(row.label)))
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{label_y:.1f}" text-anchor="end">{label}</text>')
        for s, value in zip(series, row.values, strict=False):
            if value is not None and value > 0:
                bar = max(1.0, BAR_AREA * value / scale)
                parts.append(
                    f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar:.1f}" height="{BAR_HEIGHT}" fill="{s.colour}">'
                    f"<title>{escape(s.name)}: {escape(_number(value, unit))}</title></rect>"
                )
            else:
                bar = 0.0
            parts.append(
                f'<text x="{LABEL_WIDTH + bar + 4:.1f}" y="{y + BAR_HEIGHT - 3}">{escape(_number(value, unit))}</text>'
            )
            y += BAR_HEIGHT + BAR_GAP
        y += ROW_GAP
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = number_format(round(value, 1), decimal_pos=1 if value % 1 else 0)
    return f"{text} {unit}".strip()


def _fit(label: str) -> str:
    limit = (LABEL_WIDTH - 12) // CHAR_WIDTH
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _describe(rows: Sequence[Row], series: Sequence[Series], unit: str) -> str:
    return "; ".join(
        f"{row.label}: " + ", ".join(f"{s.name} {_number(v, unit)}" for s, v in zip(series, row.values, strict=False))
        for row in rows
    )
