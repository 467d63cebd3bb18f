"""reports/indicators/<id>.html: one page per indicator that has data, across bodies and years.

Each page gives the taxonomy's definition (Chinese and English, what counts and what does not), a
chart of every body's series (one line per body, peers in grey, term totals annualised and marked),
a table of every figure with its source (the report's evidence row, or the published URL), the
indicator's rows as CSV, and how to cite them. The date in the citation is the newest date the data
carry, never the clock, so the same data give the same bytes. Also the index's coverage view:
bodies × years, which years have a document and how many figures each has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from pipeline.compare.semantics import chart_unit_key
from pipeline.reference.indicators import Indicator
from pipeline.report import charts as plotting
from pipeline.report.fragments import Chart

FOLDER = "indicators"
TITLE = "人大常委会工作报告数字 · Figures from people's congress standing committee work reports"
ANNUAL_KINDS = ("calendar_year", "session_year", "partial_year")
BODY_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")


@dataclass(frozen=True)
class Row:
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


def _year(report_year, period_end) -> str:
    if report_year is not pd.NA and str(report_year) not in ("", "<NA>", "nan", "None"):
        return str(int(float(report_year)))
    return str(period_end)[:4]


PAGE_COLUMNS = ["body", "report_year", "period_start", "period_end", "value", "unit", "period_kind", "approx",
                "source_type", "source", "start"]  # fmt: skip


def page_rows(frame: pd.DataFrame, bodies: dict[str, dict[str, str]], documents: set[tuple[str, str]]) -> list[Row]:
    rows = []
    for body, report_year, start_p, end_p, value, unit, period_kind, approx, source_type, source, start in zip(
        *(frame[c].tolist() for c in PAGE_COLUMNS), strict=True
    ):
        names = bodies.get(body, {})
        year = _year(report_year, end_p)
        if source_type == "document":
            href = f"../{body}/{year}.html#fig-{int(start)}" if (body, year) in documents else ""
        else:
            href = str(source)
        period = f"{start_p}–{end_p}" if start_p != end_p else end_p
        rows.append(Row(body, names.get("name_zh", body), names.get("name_en", ""), year, str(period), float(value),
                        unit, period_kind, approx, source_type, href, str(source)))  # fmt: skip
    return sorted(rows, key=lambda x: (x.body, x.year, x.period, x.source))


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
    for r in rows:
        key = chart_unit_key(indicator, r.unit)
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


def _draw_body(
    ax, name: str, points: list[tuple[float, float, bool]], colour: str, marker: str, own: bool, legend: bool = True
) -> None:
    """A body's annual figures as one line (the first figure of a year), its annualised term totals as
    hollow diamonds beside it, never joined to the line. `legend=False` draws it without a legend entry."""
    name = name if legend else f"_{name}"  # matplotlib leaves labels starting with _ out of the legend
    annual: dict[float, float] = {}
    for x, y, annualised in points:
        if not annualised:
            annual.setdefault(x, y)
    if annual:
        xs = sorted(annual)
        ax.plot(xs, [annual[x] for x in xs], color=colour, marker=marker, linewidth=2.2 if own else 1,
                markersize=6 if own else 4, label=name, zorder=3 if own else 2)  # fmt: skip
    terms = [(x, y) for x, y, a in points if a]
    if terms:
        ax.scatter(*zip(*terms, strict=True), marker="D", s=44, facecolors="none", edgecolors=colour, zorder=3,
                   label=f"{name} 年均 term average")  # fmt: skip


def indicator_chart(indicator: Indicator, rows: list[Row], bodies: dict[str, dict[str, str]], own: set[str]):
    """One axis per unit key; each body a line; bodies with a document in colour, published peers in
    grey with a marker each; the legend below, one entry per body."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    series = series_of(rows, indicator)
    if not series:
        return None, ""
    entries = min(LEGEND_BODIES, max(len(b) for b in series.values())) * len(series)
    figure = plotting._new_figure(7.5, 3.0 * len(series) + 0.22 * (entries // 2 + 1))
    axes = figure.subplots(len(series), 1, squeeze=False)[:, 0]
    alt = []
    for ax, (unit, by_body) in zip(axes, sorted(series.items()), strict=True):
        colours, markers = iter(BODY_COLOURS), iter(MARKERS * 10)
        ordered = sorted(by_body.items(), key=lambda t: (t[0] not in own, t[0]))
        for n, (body, points) in enumerate(ordered):
            points.sort()
            name = bodies.get(body, {}).get("name_zh", body).replace("人大常委会", "") or body
            colour = next(colours, plotting.OWN_PAST) if body in own else plotting.PEER
            shown = body in own or n < LEGEND_BODIES
            _draw_body(ax, name, points, colour, "o" if body in own else next(markers), body in own, shown)
            alt.append(f"{name}: " + ", ".join(f"{int(x)} {plotting._fmt(y)}" for x, y, _ in points))
        values = [y for pts in by_body.values() for _, y, _ in pts]
        if min(values) > 0 and max(values) / min(values) > LOG_RATIO:
            ax.set_yscale("log")
            ax.set_ylabel(f"{unit}（对数刻度 log scale）")
        else:
            ax.set_ylim(bottom=0)
            ax.set_ylabel(unit)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: plotting._fmt(v)))
        if len(ordered) > LEGEND_BODIES:
            ax.plot([], [], color=plotting.PEER, label=f"另有 {len(ordered) - LEGEND_BODIES} 个同级机关 more peers")
        ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
        plotting._tidy(ax)
    figure.suptitle(f"{indicator.zh} · {indicator.en}", fontsize=11)
    return figure, "; ".join(alt)


def indicator_page(indicator: Indicator, frame: pd.DataFrame, bodies, documents, date: str) -> Page:
    rows = page_rows(frame, bodies, documents)
    own = {b for b, _ in documents}
    figure, alt = indicator_chart(indicator, rows, bodies, own)
    chart = Chart(plotting.png_data_uri(figure), alt) if figure is not None else None
    return Page(indicator, rows, chart, f"{indicator.id}.csv", date)


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
