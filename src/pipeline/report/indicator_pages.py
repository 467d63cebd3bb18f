"""reports/indicators/<id>.html: one page per indicator that has data, across bodies and years.

Each page gives the taxonomy's definition (Chinese and English, what counts and what does not), a
chart of every body's series (one line per body, peers in grey, term totals annualised and marked;
past SPREAD_BODIES bodies with a document, their spread year by year instead of a line each),
a table of every figure with its source (the report's evidence row, or the published URL), the
indicator's rows as gzip-compressed CSV (<id>.csv.gz), and how to cite them. The date in the
citation is the newest date the data carry, never the clock, so the same data give the same bytes.
Also the index's coverage view: bodies × years, which years have a document and how many figures
each has.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

import pandas as pd

from pipeline.compare.semantics import chart_unit_key
from pipeline.reference.indicators import Indicator
from pipeline.report import charts as plotting
from pipeline.report import fonts, svg
from pipeline.report.fragments import Chart
from pipeline.report.scales import Scale, decade_ticks, fit, nice_ticks, thousands

FOLDER = "indicators"
TITLE = "人大常委会工作报告数字 · Figures from people's congress standing committee work reports"
ANNUAL_KINDS = ("calendar_year", "session_year", "partial_year")
BODY_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")


class Row(NamedTuple):
    """One figure of a page (a tuple: a page has thousands, made anew each time it is rendered)."""

    body: str
    body_zh: str
    body_en: str
    year: str
    period: str
    value: float
    unit: str
    period_kind: str
    approx: str
    source_type: str
    href: str  # the report's evidence row or the published URL
    source: str


@dataclass(frozen=True)
class Page:
    indicator: Indicator
    rows: list[Row]
    chart: Chart | None
    csv_name: str
    date: str
    spread: bool = False  # an axis of the chart draws the spread of many bodies, not a line each


def _year(report_year, period_end) -> str:
    if report_year is not pd.NA and str(report_year) not in ("", "<NA>", "nan", "None"):
        return str(int(float(report_year)))
    return str(period_end)[:4]


PAGE_COLUMNS = ["body", "report_year", "period_start", "period_end", "value", "unit", "period_kind", "approx",
                "source_type", "source", "start"]  # fmt: skip


ROW_ORDER = itemgetter(0, 3, 4, 11)  # body, year, period, source


def page_rows(frame: pd.DataFrame, bodies: dict[str, dict[str, str]], documents: set[tuple[str, str]]) -> list[Row]:
    """The page's figures, sorted by body, year, period and source. What repeats from row to row (a
    body's names, a row's year, its period) is worked out once for each distinct value."""
    columns = [frame[c].tolist() for c in PAGE_COLUMNS]
    names = {b: (bodies.get(b, {}).get("name_zh", b), bodies.get(b, {}).get("name_en", "")) for b in set(columns[0])}
    years = {pair: _year(*pair) for pair in set(zip(columns[1], columns[3], strict=True))}
    periods = {pair: str(f"{pair[0]}–{pair[1]}" if pair[0] != pair[1] else pair[1])
               for pair in set(zip(columns[2], columns[3], strict=True))}  # fmt: skip
    rows = []
    for body, report_year, start_p, end_p, value, unit, period_kind, approx, source_type, source, start in zip(
        *columns, strict=True
    ):
        year = years[report_year, end_p]
        if source_type == "document":
            href = f"../{body}/{year}.html#fig-{int(start)}" if (body, year) in documents else ""
        else:
            href = str(source)
        zh, en = names[body]
        rows.append(Row(body, zh, en, year, periods[start_p, end_p], float(value), unit, period_kind, approx,
                        source_type, href, str(source)))  # fmt: skip
    return sorted(rows, key=ROW_ORDER)


def _term_years(row: Row) -> float:
    start, _, end = row.period.partition("–")
    try:
        return max(1.0, (int(end[:4]) * 12 + int(end[5:7] or 12) - int(start[:4]) * 12 - int(start[5:7] or 1) + 1) / 12)
    except (ValueError, IndexError):
        return 0.0


def series_of(rows: Iterable[Row], indicator: Indicator) -> dict[str, dict[str, list[tuple[float, float, bool]]]]:
    """unit key -> body -> [(year, value, annualised)]: annual figures as they are, term totals per year
    of the term (plotted at the term's last year, marked)."""
    out: dict[str, dict[str, list[tuple[float, float, bool]]]] = {}
    keys: dict[str, str] = {}  # each unit's key, worked out once (a page has a few units, thousands of rows)
    for r in rows:
        key = keys.get(r.unit)
        if key is None:
            key = keys[r.unit] = chart_unit_key(indicator, r.unit)
        if r.period_kind in ANNUAL_KINDS and r.year.isdigit():
            point = (float(r.year), r.value, False)
        elif r.period_kind == "term_total" and _term_years(r) and r.year.isdigit():
            point = (float(r.year), r.value / _term_years(r), True)
        else:
            continue
        out.setdefault(key, {}).setdefault(r.body, []).append(point)
    return out


MARKERS = ("o", "s", "^", "v", "D", "P", "X", "<", ">", "h")
LEGEND_BODIES = 24  # past this many bodies on one axis, further peers are drawn without a legend entry
LOG_RATIO = 30  # a y-axis spanning more than this (a province's count beside a county's) is drawn on a log scale
WIDTH, PLOT_HEIGHT, ROW = 900, 260, 19  # px: the chart, one axis's plot, one row of its legend


@dataclass(frozen=True)
class Line:
    """One body on one axis: its annual figures joined, its annualised term totals as hollow diamonds."""

    name: str
    annual: tuple[tuple[float, float], ...]  # (year, value), the first figure of a year
    terms: tuple[tuple[float, float], ...]
    colour: str
    marker: str
    own: bool
    legend: bool  # past LEGEND_BODIES a peer is drawn without a legend entry
    alt: str  # every figure of the body, in words


def _line(name: str, points: list[tuple[float, float, bool]], colour: str, marker: str, own: bool, legend: bool):
    annual: dict[float, float] = {}
    for x, y, annualised in points:
        if not annualised:
            annual.setdefault(x, y)
    terms = tuple((x, y) for x, y, a in points if a)
    alt = f"{name}: " + ", ".join(f"{int(x)} {thousands(y)}" for x, y, _ in points)
    return Line(name, tuple(sorted(annual.items())), terms, colour, marker, own, legend, alt)


def _lines(by_body, bodies, own: set[str]) -> list[Line]:
    """A line per body, those with a document first (in colour), then the published peers (grey,
    a legend entry each for the first LEGEND_BODIES of them)."""
    colours, markers = iter(BODY_COLOURS), iter(MARKERS * 10)
    out, peers = [], 0
    for body, points in sorted(by_body.items(), key=lambda t: (t[0] not in own, t[0])):
        points.sort()
        name = bodies.get(body, {}).get("name_zh", body).replace("人大常委会", "") or body
        colour = next(colours, plotting.OWN_PAST) if body in own else plotting.PEER
        marker = "o" if body in own else next(markers)
        out.append(_line(name, points, colour, marker, body in own, body in own or peers < LEGEND_BODIES))
        peers += body not in own
    return out


SPREAD_BODIES = len(BODY_COLOURS)  # past this many bodies with a document, an axis draws their spread


@dataclass(frozen=True)
class Spread:
    """The bodies with a document on one axis, when there are too many for a line each (a corpus):
    for each year, the lowest, lower quartile, median, upper quartile and highest of their figures
    (each body's first figure of the year). Their term averages stay markers, one colour for all."""

    bodies: int
    years: tuple[float, ...]
    stats: tuple[tuple[float, float, float, float, float], ...]
    terms: tuple[tuple[float, float], ...]
    alt: str


def _quantile(ordered: list[float], p: float) -> float:
    """The p-quantile of sorted values, interpolated between the two nearest (numpy's default)."""
    at = (len(ordered) - 1) * p
    low = math.floor(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (at - low) * (ordered[high] - ordered[low])


def _spread(lines: list[Line]) -> Spread:
    by_year: dict[float, list[float]] = {}
    for ln in lines:
        for x, y in ln.annual:
            by_year.setdefault(x, []).append(y)
    years = tuple(sorted(by_year))
    stats = []
    for x in years:
        v = sorted(by_year[x])
        stats.append((v[0], _quantile(v, 0.25), _quantile(v, 0.5), _quantile(v, 0.75), v[-1]))
    words = [f"{int(x)}: {len(by_year[x])} 个机关 bodies, 中位数 median {thousands(m)}, 四分位 quartiles "
             f"{thousands(q1)}–{thousands(q3)}, 范围 range {thousands(lo)}–{thousands(hi)}"
             for x, (lo, q1, m, q3, hi) in zip(years, stats, strict=True)]  # fmt: skip
    terms = tuple(sorted(t for ln in lines for t in ln.terms))
    if terms:
        words.append(f"{sum(1 for ln in lines if ln.terms)} 个机关的任期年均 term averages of bodies")
    return Spread(len(lines), years, tuple(stats), terms, "; ".join(words))


@dataclass(frozen=True)
class AxisPlan:
    """What one axis draws: a line per body, or the spread of the bodies with a document (past
    SPREAD_BODIES of them) and a line per published peer; and its legend entries."""

    unit: str
    lines: list[Line]  # each drawn as a line
    spread: Spread | None
    legend: list[tuple[str, Line | None, str]]  # (kind, line, label); kinds: line, term, more, median, band, range
    alt: str


def _plan(unit: str, lines: list[Line]) -> AxisPlan:
    own = [ln for ln in lines if ln.own]
    spread = _spread(own) if len(own) > SPREAD_BODIES else None
    drawn = [ln for ln in lines if not ln.own] if spread is not None else lines
    legend: list[tuple[str, Line | None, str]] = []
    if spread is not None and spread.years:
        legend += [
            ("median", None, f"中位数 median of {spread.bodies} 个机关 bodies"),
            ("band", None, "中间一半 middle half (quartiles)"),
            ("range", None, "最低–最高 lowest–highest"),
        ]
    if spread is not None and spread.terms:
        legend.append(("term", None, "任期年均 term averages"))
    for line in drawn:
        if line.legend and line.annual:
            legend.append(("line", line, line.name))
        if line.legend and line.terms:
            legend.append(("term", line, f"{line.name} 年均 term average"))
    if hidden := sum(not ln.legend for ln in drawn):
        legend.append(("more", None, f"另有 {hidden} 个同级机关 more peers"))
    alt = "; ".join(([spread.alt] if spread else []) + [ln.alt for ln in drawn])
    return AxisPlan(unit, drawn, spread, legend, alt)


def indicator_chart(indicator: Indicator, rows: list[Row], bodies: dict[str, dict[str, str]], own: set[str]):
    """One axis per unit key; each body a line, or past SPREAD_BODIES bodies with a document their
    spread year by year; bodies with a document in colour, published peers in grey with a marker
    each; the legend below. Returns (drawing or None, alt text)."""
    drawing, alt, _ = _chart(indicator, rows, bodies, own)
    return drawing, alt


def _chart(indicator: Indicator, rows: list[Row], bodies: dict[str, dict[str, str]], own: set[str]):
    """indicator_chart's drawing and alt text, and whether an axis draws a spread."""
    series = series_of(rows, indicator)
    if not series:
        return None, "", False
    plans = [_plan(unit, _lines(by_body, bodies, own)) for unit, by_body in sorted(series.items())]
    heights = [PLOT_HEIGHT + 58 + ROW * math.ceil(len(plan.legend) / 2) for plan in plans]
    title = f"{indicator.zh} · {indicator.en}"
    d = svg.Drawing(WIDTH, 40 + sum(heights), title, "i")
    text, size = fit(title, 15, WIDTH - 16, 10)
    d.text(8, 24, text, size)  # at the left: where a phone's reader starts, the chart scrolling in its box
    top = 40.0
    for plan, height in zip(plans, heights, strict=True):
        _axis(d, plan, top)
        top += height
    return d, "; ".join(plan.alt for plan in plans), any(plan.spread for plan in plans)


def _axis(d: svg.Drawing, plan: AxisPlan, top: float) -> None:
    points = [p for ln in plan.lines for p in ln.annual + ln.terms]
    if plan.spread is not None:
        s = plan.spread
        points += [(x, v) for x, st in zip(s.years, s.stats, strict=True) for v in (st[0], st[4])] + list(s.terms)
    values, years = [y for _, y in points], sorted({x for x, _ in points})
    log = min(values) > 0 and max(values) / min(values) > LOG_RATIO
    counts = all(float(v).is_integer() for v in values)
    ticks = decade_ticks(min(values), max(values)) if log else nice_ticks(min(0.0, min(values)), max(values), 5, counts)
    left = 8 + max(fonts.text_width(thousands(t), 11) for t in ticks) + 8
    right, bottom = WIDTH - 16, top + 22 + PLOT_HEIGHT
    d.text(8, top + 12, f"{plan.unit}（对数刻度 log scale）" if log else plan.unit, 11, fill=plotting.SOFT)
    y = Scale(ticks[0], ticks[-1], bottom, top + 22, log)
    d.rules([y(t) for t in ticks], left, right, plotting.GRID)
    for t in ticks:
        d.text(left - 5, y(t) + 4, thousands(t), 11, "end")
    d.line(left, top + 22, left, bottom, plotting.AXIS)
    x = _year_axis(d, years, left, right, bottom)
    for ln in sorted(plan.lines, key=lambda ln: ln.own):  # peers below, the bodies with a document on top
        _draw_line(d, ln, x, y)
    if plan.spread is not None:
        _draw_spread(d, plan.spread, x, y)
    for n, (kind, ln, label) in enumerate(plan.legend):
        lx, ly = 8 + (n % 2) * (WIDTH - 16) / 2, bottom + 40 + (n // 2) * ROW
        _legend_key(d, kind, ln, lx, ly)
        text, size = fit(label, 11, (WIDTH - 16) / 2 - 34, 8)
        d.text(lx + 28, ly + 4, text, size)


SPREAD_COLOUR = BODY_COLOURS[0]
RANGE_OPACITY, BAND_OPACITY = 0.1, 0.3


def _draw_spread(d: svg.Drawing, s: Spread, x: Scale, y: Scale) -> None:
    """The range and the middle half as bands (a year alone: as bars), the median as a line with markers."""
    for low, high, opacity in ((0, 4, RANGE_OPACITY), (1, 3, BAND_OPACITY)) if s.years else ():
        if len(s.years) > 1:
            edge = [(x(a), y(st[high])) for a, st in zip(s.years, s.stats, strict=True)]
            edge += [(x(a), y(st[low])) for a, st in reversed(list(zip(s.years, s.stats, strict=True)))]
            d.path("M" + "L".join(f"{svg.num(px)} {svg.num(py)}" for px, py in edge) + "Z", SPREAD_COLOUR,
                   fill_opacity=opacity)  # fmt: skip
        else:
            px = x(s.years[0])
            d.rect(px - 9, y(s.stats[0][high]), 18, y(s.stats[0][low]) - y(s.stats[0][high]), SPREAD_COLOUR,
                   fill_opacity=opacity)  # fmt: skip
    median = [(x(a), y(st[2])) for a, st in zip(s.years, s.stats, strict=True)]
    if len(median) > 1:
        d.polyline(median, SPREAD_COLOUR, 2.2)
    with d.group(f' fill="{SPREAD_COLOUR}"'):
        for px, py in median:
            d.marker("o", px, py, 3.6, None)
    if s.terms:
        with d.group(f' fill="none" stroke="{plotting.OWN_PAST}" stroke-width="1.4"'):
            for a, b in s.terms:
                d.marker("D", x(a), y(b), 4.2, None)


def _legend_key(d: svg.Drawing, kind: str, ln: Line | None, lx: float, ly: float) -> None:
    if kind == "more":
        d.line(lx, ly, lx + 22, ly, plotting.PEER, 1.0)
    elif kind == "term":
        d.marker("D", lx + 11, ly, 4.2, "none", stroke=ln.colour if ln else plotting.OWN_PAST, stroke_width=1.4)
    elif kind in ("band", "range"):
        d.rect(lx, ly - 6, 22, 12, SPREAD_COLOUR, fill_opacity=BAND_OPACITY if kind == "band" else RANGE_OPACITY)
    elif kind == "median":
        d.line(lx, ly, lx + 22, ly, SPREAD_COLOUR, 2.2)
        d.marker("o", lx + 11, ly, 3.6, SPREAD_COLOUR)
    elif ln is not None:
        d.line(lx, ly, lx + 22, ly, ln.colour, 2.2 if ln.own else 1.0)
        d.marker(ln.marker, lx + 11, ly, 3.6 if ln.own else 2.6, ln.colour)


def _year_axis(d: svg.Drawing, years: list[float], left: float, right: float, y: float) -> Scale:
    """The x axis: a tick at every year from the first to the last, a label wherever it has room."""
    first, last = int(years[0]), int(years[-1])
    x = Scale(first - 0.5, last + 0.5, left, right) if first == last else Scale(first, last, left + 14, right - 14)
    d.line(left, y, right, y, plotting.AXIS)
    room, at = fonts.text_width("0000", 11) + 8, -math.inf
    d.ticks([x(year) for year in range(first, last + 1)], y, plotting.AXIS)
    for year in range(first, last + 1):
        if x(year) - at >= room:
            d.text(x(year), y + 15, str(year), 11, "middle")
            at = x(year)
    return x


def _draw_line(d: svg.Drawing, ln: Line, x: Scale, y: Scale) -> None:
    if ln.annual:
        pts = [(x(a), y(b)) for a, b in ln.annual]
        if len(pts) > 1:
            d.polyline(pts, ln.colour, 2.2 if ln.own else 1.0)
        with d.group(f' fill="{ln.colour}"'):  # the markers share their line's colour
            for px, py in pts:
                d.marker(ln.marker, px, py, 3.6 if ln.own else 2.6, None)
    if ln.terms:
        with d.group(f' fill="none" stroke="{ln.colour}" stroke-width="1.4"'):
            for a, b in ln.terms:
                d.marker("D", x(a), y(b), 4.2, None)


def indicator_page(indicator: Indicator, frame: pd.DataFrame, bodies, documents, date: str) -> Page:
    rows = page_rows(frame, bodies, documents)
    own = {b for b, _ in documents}
    drawing, alt, spread = _chart(indicator, rows, bodies, own)
    chart = Chart.of(drawing, alt) if drawing is not None else None
    return Page(indicator, rows, chart, f"{indicator.id}.csv.gz", date, spread)


def coverage(panel: pd.DataFrame, sources: Iterable[tuple[str, int]], bodies) -> dict:
    """Bodies × years: for each body with a document, each year from its first to its last document,
    the number of figures its document has, or None where there is no document of that year."""
    docs = panel[panel["source_type"] == "document"]
    counts = docs.groupby(["body", "report_year"]).size().to_dict()
    have: dict[str, set[int]] = {}
    for body, year in sources:
        have.setdefault(body, set()).add(int(year))
    years = sorted({y for ys in have.values() for y in ys})
    span = list(range(years[0], years[-1] + 1)) if years else []
    grid = []
    for body in sorted(have):
        cells = [(y, int(counts.get((body, y), 0)) if y in have[body] else None) for y in span]
        grid.append((body, bodies.get(body, {}).get("name_zh", body), bodies.get(body, {}).get("name_en", ""), cells))
    return {"years": span, "grid": grid}
