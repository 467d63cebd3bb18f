"""The reports' charts as SVG: figures by part of the work, this year against its baselines, series.

Each chart function returns a `svg.Drawing` (text as glyph outlines from `report.fonts`, so Chinese
shows without a CJK font on the reader's side, and the same input gives the same bytes). Layout is
computed from the labels' measured advance widths: bar value labels get the room they need at the
end of the bar, value labels above a series' points get headroom below the panel title, y ticks
carry thousands separators and a series' x axis has a tick at every year that has a point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.report import fonts
from pipeline.report.scales import Scale, fit, nice_ticks, thousands
from pipeline.report.svg import HALO, INK, Drawing

# at most this many panels (baselines) or series in one chart; a note says how many more there are
MAX_PANELS = 8

# colours: this year, the body's own earlier periods, peers; colour-blind safe (Okabe-Ito)
THIS_YEAR = "#0072B2"
OWN_PAST = "#E69F00"
PEER = "#999999"
MUTED = "#56B4E9"
AXIS = "#555"
GRID = "#e6e6e6"
SOFT = "#5b6470"  # English lines of titles, as the page's muted text

WIDE = 1100  # px: the small multiples fill the report's column (1124 px)
TICK = 11  # px: tick labels, value labels, bar labels
TITLE = 13
NOTE = 11


def cjk_font_path():
    """The Simplified Chinese font file inside its package (see `report.fonts`)."""
    return fonts.cjk_font_path()


def _not_drawn_note(d: Drawing, hidden: int, y: float) -> None:
    if hidden > 0:
        d.text(8, y, f"另有 {hidden} 个序列未绘出 · {hidden} more not drawn", NOTE)


def _title(d: Drawing, x: float, y: float, title: str, width: float) -> float:
    """A panel title: its first line (Chinese) dark, the others (English) muted; returns the y below."""
    for n, line in enumerate(title.split("\n")):
        size = TITLE if n == 0 else TITLE - 1
        text, size = fit(line, size, width, 9)
        y += size * 1.25
        d.text(x, y - size * 0.25, text, size, fill=INK if n == 0 else SOFT)
    return y


def _title_height(title: str) -> float:
    return TITLE * 1.25 + title.count("\n") * (TITLE - 1) * 1.25


def _x_axis(d: Drawing, scale: Scale, ticks: Sequence[float], y: float, size: float = TICK) -> None:
    d.line(scale.start, y, scale.end, y, AXIS)
    d.ticks([scale(t) for t in ticks], y, AXIS)
    for t in ticks:
        d.text(scale(t), y + 5 + size * fonts.ASCENT / fonts.EM, thousands(t), size, "middle")


def _swatch(d: Drawing, x: float, y: float, fill: str, label: str) -> float:
    """A legend entry: a colour box and its label, centred on y; returns the x after it."""
    d.rect(x, y - 5, 14, 10, fill)
    d.text(x + 19, y + NOTE * 0.36, label, NOTE)
    return x + 19 + fonts.text_width(label, NOTE) + 18


def _bar_scale(values: Sequence[float], labels: Sequence[str], start: float, end: float) -> Scale:
    """Bars from 0 at `start`, as long as they can be with each value label after its bar by `end`."""
    px = min([(end - start - 5 - fonts.text_width(t, TICK)) / v for v, t in zip(values, labels, strict=True) if v > 0]
             + [end - start])  # fmt: skip
    return Scale(0, (end - start) / max(px, 1e-9), start, end)


# ---------------------------------------------------------------- figures by part of the work


def parts_chart(parts: Sequence[tuple[str, int, int]], title: str = "") -> Drawing:
    """Horizontal stacked bars: per part of the work (label), figures mapped / not mapped to an indicator."""
    row, width = 26, 760
    labels, size = [p[0] for p in parts], TICK + 1
    left = min(max([fonts.text_width(t, size) for t in labels] + [0]), width * 0.45) + 16
    lines = title.count("\n") + 1 if title else 0
    top = 10 + lines * TITLE * 1.25
    height = top + row * len(parts) + 84
    d = Drawing(width, height, title or "各部分工作的数字 · Figures by part of the work", "p")
    if title:
        _title(d, 8, 4, title, width - 16)
    totals = [m + u for _, m, u in parts]
    scale = _bar_scale(totals, [thousands(t) for t in totals], left, width - 12)
    for n, (label, mapped, unmapped) in enumerate(parts):
        mid = top + row * (n + 0.5)
        text, fitted = fit(label, size, left - 16, 8)
        d.text(left - 8, mid + fitted * 0.36, text, fitted, "end")
        d.rect(left, mid - 9, scale(mapped) - left, 18, THIS_YEAR)
        d.rect(scale(mapped), mid - 9, scale(mapped + unmapped) - scale(mapped), 18, MUTED)
        d.text(scale(mapped + unmapped) + 4, mid + TICK * 0.36, thousands(mapped + unmapped), TICK)
    axis_y = top + row * len(parts) + 2
    d.line(left, top, left, axis_y, AXIS)
    ticks = [t for t in nice_ticks(0, scale.hi, 6, integer=True) if t <= scale.hi]
    _x_axis(d, scale, ticks, axis_y)
    d.text((left + width - 12) / 2, axis_y + 38, "数字个数 number of figures", TICK, "middle")
    x = _swatch(d, left, axis_y + 62, THIS_YEAR, "归入指标 mapped to an indicator")
    _swatch(d, x, axis_y + 62, MUTED, "未归入指标 not mapped")
    return d


# ---------------------------------------------------------------- this year against baselines


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    role: str  # "this_year", "own_past" or "peer"
    hatch: bool = False  # an annualised term total or a differenced cumulative count: derived, not reported


@dataclass(frozen=True)
class Panel:
    title: str  # may hold a line break: Chinese label (unit) / English label
    bars: tuple[Bar, ...]


_ROLE_COLOUR = {"this_year": THIS_YEAR, "own_past": OWN_PAST, "peer": PEER}
SLOT = 22  # px per bar
PANEL_FOOT = 26  # px: its x axis and tick labels
LEGEND = (
    (THIS_YEAR, False, "本年 this year"),
    (OWN_PAST, False, "本机关往期 same body, earlier period"),
    (OWN_PAST, True, "推算：任期年均或累计之差 derived: annualised / differenced"),
    (PEER, False, "同级机关 peer body"),
)


def baselines_chart(panels: Sequence[Panel], columns: int = 2) -> Drawing:
    """Small multiples: per indicator, this year's value beside each baseline, each on its own scale
    (at most MAX_PANELS; a note says how many more there are)."""
    hidden = max(0, len(panels) - MAX_PANELS)
    panels = list(panels[:MAX_PANELS])
    columns = max(1, min(columns, len(panels)))
    rows = [panels[r : r + columns] for r in range(0, len(panels), columns)]
    heights = [max(_title_height(p.title) for p in row) + 4 + max(len(p.bars) for p in row) * SLOT + PANEL_FOOT + 18
               for row in rows]  # fmt: skip
    legend_y = 8 + sum(heights) + 8
    height = legend_y + 2 * 20 + (22 if hidden else 4)
    d = Drawing(WIDE, height, "本年与基准 · This year against its baselines", "b")
    cell = (WIDE - 16) / columns
    top = 8.0
    for row, row_height in zip(rows, heights, strict=True):
        slots, head = max(len(p.bars) for p in row), max(_title_height(p.title) for p in row)
        for c, panel in enumerate(row):
            _baseline_panel(d, panel, 8 + c * cell, top, cell - 24, slots, head)
        top += row_height
    for n, (colour, hatched, label) in enumerate(LEGEND):
        x, y = 8 + (n % 2) * WIDE / 2, legend_y + 10 + (n // 2) * 20
        _swatch(d, x, y, d.hatch(colour) if hatched else colour, label)
    _not_drawn_note(d, hidden, height - 8)
    return d


def _baseline_panel(d: Drawing, panel: Panel, x0: float, top: float, width: float, slots: int, head: float) -> None:
    # the same bar thickness in every panel of a row: unused slots stay empty at the bottom; the bars
    # of a row start at the same height below titles of one or more lines
    _title(d, x0, top, panel.title, width)
    below = top + head
    labels, size = [b.label for b in panel.bars], TICK
    label_width = min(max(fonts.text_width(t, size) for t in labels), width * 0.55)
    left = x0 + label_width + 8
    values = [b.value for b in panel.bars]
    texts = [thousands(v) for v in values]
    scale = _bar_scale(values, texts, left, x0 + width)
    y0 = below + 4
    for n, (bar, text) in enumerate(zip(panel.bars, texts, strict=True)):
        mid = y0 + SLOT * (n + 0.5)
        label, fitted = fit(bar.label, size, label_width, 8)
        d.text(left - 6, mid + fitted * 0.36, label, fitted, "end")
        colour = _ROLE_COLOUR[bar.role]
        d.rect(left, mid - 7.5, scale(max(bar.value, 0)) - left, 15, d.hatch(colour) if bar.hatch else colour)
        d.text(scale(max(bar.value, 0)) + 4, mid + TICK * 0.36, text, TICK)
    axis_y = y0 + SLOT * slots + 2
    d.line(left, y0, left, axis_y, AXIS)
    counts = all(float(v).is_integer() for v in values)  # counts get whole-number ticks
    ticks = [t for t in nice_ticks(0, scale.hi, 3, integer=counts) if t <= scale.hi]
    _x_axis(d, scale, ticks, axis_y, TICK - 0.5)


# ---------------------------------------------------------------- series


@dataclass(frozen=True)
class Series:
    title: str
    unit: str
    points: tuple[tuple[float, float, str], ...]  # (x as a fractional year, value, label of the point)
    this_year: float | None = None  # x of this document's point, drawn in the accent colour


CELL_HEIGHT = 280
HEADROOM = 36  # px above the highest point: its two-line value label, inside the plot, below the title
LABEL = 10.5


def series_chart(series: Sequence[Series], columns: int = 2) -> Drawing:
    """One small line chart per series (two or more points), points labelled with value and period, a
    tick at each point's year (at most MAX_PANELS; a note says how many more there are)."""
    hidden = max(0, len(series) - MAX_PANELS)
    series = list(series[:MAX_PANELS])
    columns = max(1, min(columns, len(series)))
    rows = math.ceil(len(series) / columns)
    height = 8 + rows * CELL_HEIGHT + (24 if hidden else 0)
    d = Drawing(WIDE, height, "时间序列 · Series over time", "s")
    cell = (WIDE - 16) / columns
    for index, s in enumerate(series):
        r, c = divmod(index, columns)
        _series_panel(d, s, 8 + c * cell, 8 + r * CELL_HEIGHT, cell - 24)
    _not_drawn_note(d, hidden, height - 8)
    return d


def _series_panel(d: Drawing, s: Series, x0: float, top: float, width: float) -> None:
    below = _title(d, x0, top, f"{s.title}（{s.unit}）", width)
    ys = [p[1] for p in s.points]
    ticks = nice_ticks(min(0.0, min(ys)), max(ys), 5, integer=all(float(v).is_integer() for v in ys))
    left = x0 + max(fonts.text_width(thousands(t), TICK) for t in ticks) + 10
    plot_top, plot_bottom = below + 6, top + CELL_HEIGHT - 44
    y = Scale(ticks[0], max(ticks[-1], max(ys)), plot_bottom, plot_top + HEADROOM)
    ticks = [t for t in ticks if y(t) >= plot_top]
    d.rules([y(t) for t in ticks], left, x0 + width, GRID)
    for t in ticks:
        d.text(left - 5, y(t) + TICK * 0.36, thousands(t), TICK, "end")
    x = _year_scale(s, left, x0 + width)
    d.line(left, plot_top, left, plot_bottom, AXIS)
    _year_ticks(d, s, x, plot_bottom, left, x0 + width)
    d.polyline([(x(px), y(v)) for px, v, _ in s.points], OWN_PAST, 1.6)
    for px, v, _ in s.points:
        accent = s.this_year is not None and px == s.this_year
        d.circle(x(px), y(v), 4.2 if accent else 3.6, THIS_YEAR if accent else OWN_PAST)
    placed: list[tuple[float, float, float, float]] = []
    with d.group(HALO):  # over the line and the points, legible where the line runs behind
        for px, v, label in s.points:
            _point_label(d, x(px), y(v), f"{thousands(v)}\n{label}", placed, (plot_top, plot_bottom))


def _year_scale(s: Series, start: float, end: float) -> Scale:
    """Years to px, wide enough for the first and last point labels and the first year's tick."""
    xs = [p[0] for p in s.points]
    lo, hi = math.floor(min(xs)), max(xs)
    half = max(fonts.text_width(f"{thousands(v)}\n{label}", LABEL) for _, v, label in s.points) / 2 + 4
    return Scale(lo, hi, start + max(half, 14), end - half)


def _year_ticks(d: Drawing, s: Series, x: Scale, y: float, left: float, right: float) -> None:
    """A tick at every year that has a point; a year's label left out only where it would touch the last."""
    d.line(left, y, right, y, AXIS)
    room, last = fonts.text_width("0000", TICK) + 6, -math.inf
    years = sorted({math.floor(p[0]) for p in s.points})
    d.ticks([x(year) for year in years], y, AXIS)
    for year in years:
        if x(year) - last >= room:
            d.text(x(year), y + 5 + TICK * fonts.ASCENT / fonts.EM, str(year), TICK, "middle")
            last = x(year)


def _point_label(d: Drawing, x: float, y: float, text: str, placed: list, band: tuple[float, float]) -> None:
    """The value and period above the point, or below it where that would touch a label already
    drawn; neither free (points closer than their labels), the point keeps no label (the alt text has it)."""
    width, height = fonts.text_width(text, LABEL), LABEL * 2.25
    for top in (y - 7 - height, y + 7):
        box = (x - width / 2, top, x + width / 2, top + height)
        inside = band[0] <= box[1] and box[3] <= band[1]
        if inside and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            placed.append(box)
            d.text(x, top + LABEL * fonts.ASCENT / fonts.EM, text, LABEL, "middle")
            return
