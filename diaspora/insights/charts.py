"""The insights' charts, drawn on the server as SVG: inline in the page, no JavaScript, no
inline style (the Content-Security-Policy allows none). Each comes with the same numbers in a
table, which is what screen readers read: the SVG is an image with a short title. A hidden
figure ("<5") draws no bar and no shade: its size would tell it. Bars are the survey results'
(surveys/charts.py); months and the map are drawn here, every text escaped.

The map is a tile map of Kyrgyzstan's regions laid out by geography (north to south, west to
east), drawn by the project itself: no package on PyPI or npm ships the regions' boundaries
under a licence and at a size that fit (Natural Earth's admin-1 set is worldwide, 40 MB), and
tiles of equal size let a small region's shade read as well as a large one's. A region's
districts are tiles in a grid, in the gazetteer's order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from diaspora.i18n import localized_text
from diaspora.insights.tables import SUPPRESSED, UNKNOWN
from diaspora.surveys.charts import Bar, bar_chart

WIDTH = 640
SHADES = ("#d8ece8", "#a6d4cb", "#6cb5a8", "#2f8c7d", "#0b5e52")  # light to dark
EMPTY = "#f1f1f1"

# (column, row, width, height) on a 4 x 3 grid: Talas, Bishkek, Chüy and Issyk-Kul along
# the north; Jalal-Abad and Naryn across the middle; Batken, Osh City and Osh in the south.
REGION_TILES: dict[str, tuple[int, int, int, int]] = {
    "KG-T": (0, 0, 1, 1), "KG-GB": (1, 0, 1, 1), "KG-C": (2, 0, 1, 1), "KG-Y": (3, 0, 1, 1),
    "KG-J": (0, 1, 2, 1), "KG-N": (2, 1, 2, 1),
    "KG-B": (0, 2, 1, 1), "KG-GO": (1, 2, 1, 1), "KG-O": (2, 2, 2, 1),
}
TILE_W, TILE_H, GAP = 156, 84, 4


def _figure(value: Any, formatted: Callable[[Any], str]) -> str:
    """"<5" for a hidden figure, "—" for none, else the figure as people read it."""
    if value is None:
        return "—"
    return SUPPRESSED if value == SUPPRESSED else formatted(value)


def shown(value: Any) -> str:
    """A count: "1 234", "<5" or "—"."""
    return _figure(value, format_decimal)


def shown_share(value: Any) -> str:
    return _figure(value, lambda share: format_percent(share, format="#,##0%"))


def shown_days(value: Any) -> str:
    return _figure(value, lambda days: format_decimal(days, format="#,##0.#"))


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def label_of(cell: dict[str, Any], locale: str, kind: str) -> str:
    if kind == "months":
        year, month = (int(part) for part in cell["key"].split("-"))
        return format_date(date(year, month, 1), "LLLL y")
    return localized_text(cell["label"], locale) or cell["key"]


def _clip(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def bars(table: dict[str, Any], locale: str) -> Markup:
    """Horizontal bars: counts, or for a table of rates the share answered (median days
    beside it)."""
    rows = []
    for cell in table["cells"]:
        label = label_of(cell, locale, table["kind"])
        if table["kind"] == "rates":
            rate = cell["rate"]
            value = round(rate * 100) if isinstance(rate, int | float) else None
            days = cell["median_days"]
            rows.append(Bar(label, value, shown_share(rate),
                            "" if days is None else _("median %(days)s d",
                                                      days=shown_days(days))))
        else:
            count = cell["count"]
            rows.append(Bar(label, count if isinstance(count, int) else None, shown(count)))
    return bar_chart(rows, localized_text(table["title"], locale))


def _svg(width: int | float, height: int | float, title: str, css: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" role="img" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'preserveAspectRatio="xMinYMin meet">', f"<title>{escape(title)}</title>"]


def months(table: dict[str, Any], locale: str) -> Markup:
    """Twelve columns, oldest month first, the month's short name under each."""
    cells = table["cells"]
    values = [_number(cell["count"]) for cell in cells]
    top = max(values, default=0) or 1.0
    plot, step, base = 150.0, WIDTH / max(len(cells), 1), 176.0
    parts = _svg(WIDTH, 200, localized_text(table["title"], locale), "month-chart")
    for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
        year, month = (int(part) for part in cell["key"].split("-"))
        first = date(year, month, 1)
        x, height = index * step, value / top * plot
        middle = x + step / 2
        if height:
            parts.append(f'<rect x="{x + 6:.1f}" y="{base - height:.1f}" '
                         f'width="{step - 12:.1f}" height="{height:.1f}" rx="2" '
                         f'fill="#1f6feb"><title>{escape(format_date(first, "LLLL y"))}: '
                         f'{escape(shown(cell["count"]))}</title></rect>')
        parts.append(f'<text x="{middle:.1f}" y="{base - height - 4:.1f}" text-anchor="middle" '
                     f'font-size="11" fill="currentColor">{escape(shown(cell["count"]))}</text>')
        parts.append(f'<text x="{middle:.1f}" y="{base + 16:.1f}" text-anchor="middle" '
                     f'font-size="11" fill="currentColor">'
                     f'{escape(_clip(format_date(first, "LLL"), 6))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text is escaped above)


def shade(count: Any, top: float) -> str:
    """The fill of a tile: five equal steps of the largest count; none for 0 or hidden."""
    value = _number(count)
    if count == SUPPRESSED or value == 0:
        return EMPTY
    return SHADES[min(int(value / (top or 1.0) * len(SHADES)), len(SHADES) - 1)]


def tile_map(table: dict[str, Any], locale: str, codes: dict[str, str]) -> Markup:
    """Regions on their tiles (`codes`: place id -> gazetteer code), or a region's districts
    in a grid, each shaded by its count."""
    cells = [cell for cell in table["cells"] if cell["key"] != UNKNOWN]
    top = max((_number(cell["count"]) for cell in cells), default=0) or 1.0
    layout = {cell["key"]: REGION_TILES.get(codes.get(cell["key"], "")) for cell in cells}
    by_geography = bool(layout) and all(layout.values())
    columns = 4
    width = columns * (TILE_W + GAP) - GAP
    places = []
    for index, cell in enumerate(cells):
        col, row, w, h = layout[cell["key"]] if by_geography else (
            index % columns, index // columns, 1, 1)
        places.append((cell, col * (TILE_W + GAP), row * (TILE_H + GAP),
                       w * TILE_W + (w - 1) * GAP, h * TILE_H + (h - 1) * GAP))
    height = max((y + h for _cell, _x, y, _w, h in places), default=TILE_H)
    parts = _svg(width, height, localized_text(table["title"], locale), "tile-map")
    for cell, x, y, w, h in places:
        fill = shade(cell["count"], top)
        ink = "#ffffff" if fill in SHADES[3:] else "#1b1b1b"
        label = label_of(cell, locale, "bars")
        figure = shown(cell["count"])
        parts.append(f'<g><title>{escape(label)}: {escape(figure)}</title>'
                     f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" '
                     f'stroke="#8a8a8a" stroke-width="1"/>'
                     f'<text x="{x + 8}" y="{y + 24}" font-size="15" fill="{ink}">'
                     f'{escape(_clip(label, 18 if w == TILE_W else 36))}</text>'
                     f'<text x="{x + 8}" y="{y + h - 14}" font-size="26" font-weight="bold" '
                     f'fill="{ink}">{escape(figure)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every piece of text is escaped above)
