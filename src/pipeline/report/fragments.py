"""The report's HTML: a `ReportData` rendered by the Jinja2 templates under templates/fragments/.

notebooks/30-report.ipynb displays one fragment per section; `report.render` writes the index page
(templates/pages/). Python hands the templates data and plain-text filters (`report.format`); the
markup is all in the templates. Autoescaping is on, and every value a template prints passes
through `esc` first (the environment's finalize step): control characters and bidi overrides are
stripped and the rest escaped, whichever template prints it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.ext import Extension
from markupsafe import Markup

from pipeline import __version__
from pipeline.report import chart_data
from pipeline.report import charts as plotting
from pipeline.report import format as fmt
from pipeline.report.data import (
    IndexEntry,
    ReportData,
    body_names,
    check_counts,
    comparison_groups,
    evidence_groups,
    evidence_rows,
    figure_counts,
    first_starts,
    headline,
    not_reported,
    own_baselines,
    published_facts,
    short_names,
    tuples,
    unmapped_figures,
    without_baseline,
)
from pipeline.report.svg import Drawing, glyph_sheet

ONE_LINE_FOLDER = "fragments/"


class OneLine(Extension):
    """Templates under fragments/ render to one line of HTML, as the notebook's outputs always were:
    each source line loses its indentation and its line break, so the templates can be laid out
    for reading without the layout reaching the page (a space that matters sits inside a line)."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None or not name.startswith(ONE_LINE_FOLDER):
            return source
        return "".join(line.lstrip() for line in source.splitlines())


def escaped(value: Any) -> Markup:
    """What a template prints: markup from a macro as it is, any value cleaned and escaped."""
    if isinstance(value, Markup):
        return value
    if type(value) is str or type(value) is int:  # thousands per report, most of them many times over
        return _escaped_plain(value)
    return Markup(fmt.esc(value))


@lru_cache(maxsize=8192, typed=True)
def _escaped_plain(value: str | int) -> Markup:
    return Markup(fmt.esc(value))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline.report", "templates"),
        autoescape=True,
        finalize=escaped,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=[OneLine],
    )
    env.filters.update(
        clean=fmt.clean_keeping_line_breaks,
        number=fmt.number,
        signed=fmt.signed,
        percent=fmt.percent,
        plain_number=fmt.plain_number,
        period=fmt.period_label,
        url_host=fmt.url_host,
    )
    env.globals.update(
        labels=fmt.LABEL_TABLES,
        sections=fmt.SECTIONS,
        label_pair=fmt.label_pair,
        safe_url=fmt.safe_url,
        highlight_tokens=fmt.highlight_tokens,
        version=__version__,
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def _macro(name: str):
    return getattr(environment().get_template("fragments/macros.html.j2").module, name)


def link(url: Any, text: Any = None) -> str:
    """An <a> for a plain http(s) URL; anything else (javascript:, data:, junk) stays visible text."""
    return str(_macro("link")(url, text))


def highlight(sentence: Any, offset: int | None, text: Any) -> str:
    """The sentence, escaped, with the figure's text marked where the offsets say it is."""
    return str(_macro("highlight")(sentence, offset, text))


# ---------------------------------------------------------------- the sections


def header_html(data: ReportData) -> str:
    zh, en = body_names(data, data.body)
    return render(
        "fragments/header.html.j2",
        data=data,
        body_zh=zh,
        body_en=en,
        counts=figure_counts(data),
        checks=check_counts(data),
    )


def headline_html(data: ReportData) -> str:
    baselines = own_baselines(data)
    cards = [(r, baselines.get(r.indicator_id)) for r in tuples(headline(data))]
    return render("fragments/headline.html.j2", cards=cards)


def comparison_html(data: ReportData) -> str:
    facts = published_facts(data)
    own, peer = comparison_groups(data, facts)
    starts = first_starts(data)
    return render(
        "fragments/comparison.html.j2",
        data=data,
        compared=not data.comparison.empty,
        body_zh=short_names(data, data.body)[0],
        own=own,
        peer=peer,
        without_baseline=[
            (starts.get(r.indicator_id, ""), r.indicator_zh, r.indicator_en) for r in tuples(without_baseline(data))
        ],
        not_reported=not_reported(data, facts),
    )


@dataclass(frozen=True)
class Chart:
    svg: Markup  # the <svg> element, inlined in the page; its <desc> is the alt text
    alt: str  # what it shows, in words: the labels and values it draws
    missing: tuple[str, ...] = ()  # characters no font had, drawn as boxes

    @classmethod
    def of(cls, drawing: Drawing, alt: str, glyphs: str | None = None) -> Chart:
        """`drawing` with its own glyph definitions, or (`glyphs`, a prefix) with those of the page's
        `glyph_sheet`."""
        return cls(Markup(drawing.markup(fmt.one_line(alt), glyphs)), alt, tuple(sorted(drawing.missing)))


# the id prefix of the glyphs the report's charts share (theirs are p, b and s: report.charts)
GLYPHS = "g"


def report_charts(data: ReportData) -> dict[str, Chart | None]:
    """The report's three charts (None where there is nothing to draw): parts, baselines, series.
    Their glyphs are defined once, by `report_glyphs` of the same drawings, not in each chart."""
    return _charts(_drawings(data))


def _charts(drawings: dict[str, tuple[Drawing | None, str]]) -> dict[str, Chart | None]:
    return {name: Chart.of(drawing, alt, GLYPHS) if drawing else None for name, (drawing, alt) in drawings.items()}


def report_glyphs(drawings: Iterable[Drawing | None]) -> Markup:
    """The hidden <svg> that defines every glyph the report's charts draw, once each."""
    return Markup(glyph_sheet([d for d in drawings if d is not None], GLYPHS))


def _drawings(data: ReportData) -> dict[str, tuple[Drawing | None, str]]:
    parts = chart_data.parts_of_work(data)
    panels = chart_data.baseline_panels(data)
    series = chart_data.series_list(data)
    parts_alt = "; ".join(f"{p[0]}: {p[1] + p[2]}" for p in parts)
    panels_alt = "; ".join(f"{p.title}: " + ", ".join(f"{b.label} {b.value:g}" for b in p.bars) for p in panels)
    series_alt = "; ".join(f"{s.title}: " + ", ".join(f"{p[2]} {p[1]:g}" for p in s.points) for s in series)
    return {
        "parts": (plotting.parts_chart(parts) if parts else None, parts_alt),
        "baselines": (plotting.baselines_chart(panels) if panels else None, panels_alt),
        "series": (plotting.series_chart(series) if series else None, series_alt),
    }


def charts_html(data: ReportData) -> str:
    """The charts section: the glyphs of its charts defined once, then the charts (a fragment that
    shows as it is on its own, in the analyst's notebook, as in the page)."""
    drawings = _drawings(data)
    glyphs = report_glyphs(drawing for drawing, _ in drawings.values())
    return render("fragments/charts.html.j2", glyphs=glyphs, **_charts(drawings))


def evidence_html(data: ReportData) -> str:
    facts = [(r, *body_names(data, r.body)) for r in tuples(published_facts(data))]
    return render("fragments/evidence.html.j2", data=data, groups=evidence_groups(evidence_rows(data)), facts=facts)


def quality_html(data: ReportData) -> str:
    return render(
        "fragments/quality.html.j2",
        data=data,
        check_counts=check_counts(data),
        checks=tuples(data.checks),
        unmapped=unmapped_figures(data),
        figure_count=len(data.figures),
        repairs=tuples(data.repairs),
        rejections=tuples(data.rejections),
    )


def footer_html(data: ReportData) -> str:
    return render("fragments/footer.html.j2")


# ---------------------------------------------------------------- the index


def index_html(
    entries: Iterable[IndexEntry], downloads: Iterable[tuple[str, str, str]], css: str, corpus: dict | None = None
) -> str:
    """reports/index.html: every report, newest first, and the CSV downloads (name, href, plain-text
    description); `css` is the package's own stylesheet, inlined as it is. `corpus` is what
    `publish.corpus.publish_corpus` returns: the coverage view, the indicator pages, more downloads."""
    newest_first = sorted(entries, key=lambda e: (-e.year, e.body))
    corpus = corpus or {}
    downloads = [*downloads, *corpus.get("downloads", [])]
    return render("pages/index.html.j2", entries=newest_first, downloads=downloads, css=css, corpus=corpus)
