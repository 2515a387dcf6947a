"""Horizontal bar charts drawn on the server as SVG: inline in the page, no JavaScript, no
inline style (the Content-Security-Policy allows none). The page puts the same numbers in a
table beside each chart, which is what screen readers read: the SVG is marked as an image
with a short title.

Every label is escaped here (option texts are staff-written and may hold & or <).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 90
BAR_HEIGHT = 22
GAP = 8
LABEL_CHARS = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None  # None: hidden ("<5"), drawn without a bar
    shown: str  # the number as the table shows it ("1 234", "<5")
    percent: str = ""


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart(bars: Sequence[Bar], title: str) -> Markup:
    """An SVG of one bar per row, the longest bar the largest shown value."""
    largest = max((bar.value or 0 for bar in bars), default=0)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2 + 5
        label = escape(_shorten(bar.label))
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{middle:.0f}" text-anchor="end" '
                     f'font-size="13" fill="currentColor">{label}'
                     f"<title>{escape(bar.label)}</title></text>")
        if bar.value:
            length = max(2.0, plot * bar.value / largest) if largest else 0
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
                         f'height="{BAR_HEIGHT}" rx="2" fill="#1f6feb"/>')
        else:
            length = 0
        figure = bar.shown + (f" ({bar.percent})" if bar.percent else "")
        parts.append(f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.0f}" '
                     f'font-size="13" fill="currentColor">{escape(figure)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text is escaped above)
