"""What one report shows, as data: `ReportData` and the rows each section of the report lists.

`load` reads the panel (data/processed/), the comparison and checks, the document's interim tables
and its source.yaml into one `ReportData`; the functions below pick and order what a section
shows. They are pure over a `ReportData`, so the report can be tested on tiny tables, and they
return values, never markup: the templates under templates/fragments/ turn them into HTML.
"""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import pandas as pd

from pipeline import interim_csv, paths
from pipeline.compare.baselines import BASELINE_KINDS, NO_BASELINE, OWN_BASELINE_KINDS, PEER_KIND, year_figures
from pipeline.csv_safety import restore_frame
from pipeline.reference.indicators import by_id
from pipeline.reference.readers import known_bodies
from pipeline.reference.sources import find_source
from pipeline.report.format import (
    CATEGORIES,
    clean_keeping_line_breaks,
    figure_span,
    label_pair,
    marks_tokens,
    number,
    period_label,
    plain_number,
)

# the body's own figures of a single year: what a headline figure is set beside
HEADLINE_KINDS = ("earlier_year", "term_total_annualised")


@dataclass
class ReportData:
    body: str
    year: int
    meta: dict[str, Any]
    doc_id: str
    bodies: dict[str, dict[str, str]]
    figures: pd.DataFrame  # this document's figures: panel columns + sentence_start
    panel: pd.DataFrame
    comparison: pd.DataFrame
    checks: pd.DataFrame
    repairs: pd.DataFrame
    rejections: pd.DataFrame
    indicators: dict[str, Any] = field(default_factory=dict)


def _read_csv(path) -> pd.DataFrame:
    return restore_frame(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"))


def load(body: str, year: int, panel: pd.DataFrame | None = None) -> ReportData:
    """Read what the report shows: the panel's rows of the body and the published ones (`panel`, when
    the caller picked them already), the body-year's comparison and checks, the interim tables."""
    source = find_source(body, year)
    if panel is None:
        panel = report_rows(pd.read_parquet(paths.PROCESSED / "figures.parquet"), body)
    doc = panel[(panel["source_type"] == "document") & (panel["source"] == source.doc_id)].copy()
    interim = paths.interim_dir(body, year)
    detail = _read_csv(interim_csv.path_of(interim, "figures.csv"))
    offsets = {
        (int(s), int(e)): int(ss)
        for s, e, ss in zip(detail["start"], detail["end"], detail["sentence_start"], strict=True)
    }
    doc["sentence_start"] = [offsets.get((int(s), int(e))) for s, e in zip(doc["start"], doc["end"], strict=True)]
    # a PDF's figures name their page (the clean step writes the column only for a PDF)
    pages = (
        dict(zip(zip(detail["start"].astype(int), detail["end"].astype(int), strict=True), detail["page"], strict=True))
        if "page" in detail
        else {}
    )
    doc["page"] = [pages.get((int(s), int(e)), "") for s, e in zip(doc["start"], doc["end"], strict=True)]
    doc = doc.sort_values("start", kind="mergesort").reset_index(drop=True)
    return ReportData(
        body=body,
        year=year,
        meta=dict(source.meta),
        doc_id=source.doc_id,
        bodies=known_bodies(),
        figures=doc,
        panel=panel,
        comparison=_part(interim_csv.path_of(interim, "comparison.csv"), ["body", "report_year", "indicator_id"]),
        checks=_part(interim_csv.path_of(interim, "checks.csv"), ["body", "report_year", "check", "indicator_id"]),
        repairs=_read_csv(interim_csv.path_of(interim, "layout_repairs.csv")),
        rejections=_read_csv(interim_csv.path_of(interim, "rejected_numerals.csv")),
        indicators=by_id(),
    )


def report_rows(panel: pd.DataFrame, body: str) -> pd.DataFrame:
    """What a report reads of the panel: the body's own rows and every published row, in panel order."""
    return panel[(panel["body"] == body) | (panel["source_type"] == "published")]


@lru_cache(maxsize=64)
def _row_type(columns: tuple[str, ...]) -> type:
    return namedtuple("Row", columns, rename=True)


def tuples(frame: pd.DataFrame) -> list[tuple]:
    """The rows of a frame as named tuples, a template reading their fields as attributes: like
    DataFrame.itertuples(index=False), without making a new tuple type each call."""
    row = _row_type(tuple(frame.columns))
    return [row._make(values) for values in zip(*(frame[c].tolist() for c in frame.columns), strict=True)]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as plain dicts, read column by column once. A section reads each field of
    hundreds of rows; a pandas row (iterrows, .iloc) costs microseconds per field it is asked for."""
    columns = list(frame.columns)
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*(frame[c].tolist() for c in columns), strict=True)
    ]


def _part(path, keys: list[str]) -> pd.DataFrame:
    """The body-year's rows of comparison.csv / checks.csv, from its own part, in the table's order."""
    frame = _read_csv(path)
    return frame.sort_values(keys, kind="mergesort").reset_index(drop=True) if len(frame) else frame


# ---------------------------------------------------------------- names


def body_names(data: ReportData, body: Any) -> tuple[str, str]:
    row = data.bodies.get(clean_keeping_line_breaks(body), {})
    return clean_keeping_line_breaks(row.get("name_zh") or body), clean_keeping_line_breaks(row.get("name_en") or "")


def short_names(data: ReportData, body: Any) -> tuple[str, str]:
    """Short chart labels: 湖州市人大常委会 -> 湖州市; '... of the Huzhou Municipal ...' -> Huzhou."""
    zh, en = body_names(data, body)
    short_zh = re.sub(r"（.*?）|\(.*?\)", "", zh).replace("人大常委会", "").strip()
    if len(short_zh) < 2:
        inside = re.search(r"（(.*?)[，）]", zh)
        short_zh = inside.group(1) if inside else clean_keeping_line_breaks(body)
    match = re.search(r"of the (.+?) (?:Municipal|Provincial|County|District|People's)", en)
    if match:
        short_en = match.group(1)
    else:
        unnamed = re.search(r"unnamed (\w+)", en)
        short_en = f"unnamed {unnamed.group(1)}" if unnamed else clean_keeping_line_breaks(body)
    return short_zh, short_en


def report_title(body: str, year: int, bodies: dict[str, dict[str, str]]) -> str:
    row = bodies.get(body, {})
    zh = clean_keeping_line_breaks(row.get("name_zh") or body)
    en = re.sub(r"\s*\(.*\)$", "", clean_keeping_line_breaks(row.get("name_en") or ""))
    return f"{zh} {year} 年工作数字 · {en}: figures of {year}" if en else f"{zh} {year} 年工作数字"


# ---------------------------------------------------------------- counts and the headline


def headline(data: ReportData) -> pd.DataFrame:
    """The year's figure for each indicator (its first mention), in the order the text gives them."""
    mapped = year_figures(data.panel, data.body, data.year)
    mapped = mapped[mapped["source"] == data.doc_id]
    return mapped.sort_values("start", kind="mergesort").reset_index(drop=True)


def check_counts(data: ReportData) -> dict[str, int]:
    counts = data.checks["status"].value_counts().to_dict() if not data.checks.empty else {}
    return {k: int(counts.get(k, 0)) for k in ("pass", "fail", "inconclusive") if counts.get(k)}


@dataclass(frozen=True)
class FigureCounts:
    figures: int
    mapped: int
    indicators: int


def figure_counts(data: ReportData) -> FigureCounts:
    mapped = data.figures["indicator_id"] != ""
    return FigureCounts(len(data.figures), int(mapped.sum()), data.figures.loc[mapped, "indicator_id"].nunique())


def summary_text(data: ReportData, figures: int = 3) -> str:
    """One line for the index: the first headline figures, counts, and the checks' outcome (plain text)."""
    top = headline(data).head(figures)
    shown = "、".join(
        f"{r.indicator_zh} {number(r.value)}{'余' if r.approx == 'more_than' else ''} {r.unit}"
        for r in top.itertuples()
    )
    counts = figure_counts(data)
    checks = ", ".join(f"{v} {k_}" for k_, v in check_counts(data).items()) or "none"
    counted = f"{counts.figures} figures, {counts.mapped} mapped to {counts.indicators} indicators; checks: {checks}"
    return f"{shown} · {counted}" if shown else counted


def own_baselines(data: ReportData) -> dict[str, dict[str, Any]]:
    """Each indicator's first single-year baseline of the body's own (a comparison row), in one pass."""
    firsts: dict[str, dict[str, Any]] = {}
    for row in records(data.comparison):
        if row["baseline_kind"] in HEADLINE_KINDS:
            firsts.setdefault(row["indicator_id"], row)
    return firsts


def own_baseline(data: ReportData, ident: str) -> dict[str, Any] | None:
    """The first of the body's own single-year baselines of an indicator, if it has one."""
    return own_baselines(data).get(ident)


def first_starts(data: ReportData) -> dict[str, str]:
    """Where the document first gives a figure of each indicator, in one pass over its figures."""
    firsts: dict[str, int] = {}
    for ident, start in zip(data.figures["indicator_id"].tolist(), data.figures["start"].tolist(), strict=True):
        if not _missing(start) and (ident not in firsts or start < firsts[ident]):
            firsts[ident] = start
    return {ident: str(int(start)) for ident, start in firsts.items()}


def first_start(data: ReportData, ident: str) -> str:
    """Where the document first gives a figure of the indicator ('' when it gives none)."""
    return first_starts(data).get(ident, "")


# ---------------------------------------------------------------- published figures and the comparison


def published_facts(data: ReportData) -> pd.DataFrame:
    """Published figures the comparison rests on: the body's own facts of the compared indicators,
    and the peers' facts it cites; numbered P1, P2, … for reference."""
    if data.comparison.empty:
        return data.panel.iloc[0:0].assign(ref="")
    ids = set(data.comparison["indicator_id"])
    peers = data.comparison[data.comparison["baseline_kind"] == PEER_KIND]
    cited = set(zip(peers["baseline_body"], peers["baseline_source"], peers["indicator_id"], strict=True))
    panel = data.panel
    # a handful of the panel's published rows: picked and ordered in one pass over five columns, the
    # panel then taken once (pandas filters and sorts cost a millisecond each, whatever the rows)
    keys: dict[int, tuple] = {}
    for i, (kind, ident, body, source, end) in enumerate(
        zip(*(panel[c].tolist() for c in ("source_type", "indicator_id", "body", "source", "period_end")), strict=True)
    ):
        if kind == "published" and ident in ids and (body == data.body or (body, source, ident) in cited):
            keys[i] = tuple(_sort_key(v) for v in (ident, body, end, source))
    facts = panel.iloc[sorted(keys, key=keys.__getitem__)].reset_index(drop=True)
    return facts.assign(ref=[f"P{i + 1}" for i in range(len(facts))])


def _missing(value: Any) -> bool:
    """None, NaN or pd.NA: what a frame's cell holds for nothing, by dtype."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _sort_key(value: Any) -> tuple[bool, Any]:
    """A text cell as DataFrame.sort_values orders it: missing last."""
    return (True, "") if _missing(value) else (False, value)


def refs_for(facts: pd.DataFrame, row: pd.Series) -> list[str]:
    """The published figures (P1, …) a comparison row rests on."""
    return FactIndex(facts).refs(row)


class FactIndex:
    """The published figures by what a comparison row names, built once per report: looking each
    row's references up in a dict, not by filtering the facts again (a body with ten years has a
    thousand comparison rows)."""

    def __init__(self, facts: pd.DataFrame) -> None:
        self.same: dict[tuple, list[str]] = {}
        self.cumulative_end: dict[tuple, list[str]] = {}
        for ident, body, source, kind, end, ref in zip(
            facts["indicator_id"], facts["body"], facts["source"], facts["period_kind"], facts["period_end"],
            facts["ref"], strict=True,
        ):  # fmt: skip
            self.same.setdefault((ident, body, source), []).append(ref)
            if kind == "cumulative":
                self.cumulative_end.setdefault((ident, body, end), []).append(ref)

    def refs(self, row: pd.Series) -> list[str]:
        refs = list(self.same.get((row["indicator_id"], row["baseline_body"], row["baseline_source"]), []))
        if row["baseline_kind"] == "cumulative_difference":  # the earlier end of the window too
            earlier = self.cumulative_end.get((row["indicator_id"], row["baseline_body"], row["baseline_start"]), [])
            refs = list(earlier) + [r for r in refs if r not in set(earlier)]
        return refs


@dataclass(frozen=True)
class Baseline:
    """One comparison row as the report shows it."""

    kind: str
    row: dict[str, Any]  # the comparison.csv row
    period: str
    refs: list[str]
    peer_zh: str = ""
    peer_en: str = ""


@dataclass(frozen=True)
class IndicatorGroup:
    """An indicator with its baselines: its name and this year's value span their rows."""

    indicator_id: str
    first_start: str
    head: dict[str, Any]  # the comparison row whose indicator and value head the group
    baselines: list[Baseline]


def comparison_groups(
    data: ReportData, facts: pd.DataFrame | None = None
) -> tuple[list[IndicatorGroup], list[IndicatorGroup]]:
    """The baselines of each indicator: the body's own earlier periods, and peers (in file order).
    `facts`: published_facts(data), when the caller has them already."""
    refs = FactIndex(published_facts(data) if facts is None else facts)
    own: dict[str, list[Baseline]] = {}
    peer: dict[str, list[Baseline]] = {}
    heads: dict[str, dict[str, Any]] = {}
    names: dict[str, tuple[str, str]] = {}  # the peers' short names: a peer is listed beside many figures
    for r in records(data.comparison):
        kind = r["baseline_kind"]
        if kind not in BASELINE_KINDS:
            continue
        heads[r["indicator_id"]] = r
        period = period_label(r["baseline_start"], r["baseline_end"])
        if kind in OWN_BASELINE_KINDS:
            own.setdefault(r["indicator_id"], []).append(Baseline(kind, r, period, refs.refs(r)))
        elif kind == PEER_KIND:
            if r["baseline_body"] not in names:
                names[r["baseline_body"]] = short_names(data, r["baseline_body"])
            zh, en = names[r["baseline_body"]]
            peer.setdefault(r["indicator_id"], []).append(Baseline(kind, r, period, refs.refs(r), zh, en))
    starts = first_starts(data)

    def grouped(groups: dict[str, list[Baseline]]) -> list[IndicatorGroup]:
        return [IndicatorGroup(i, starts.get(i, ""), heads[i], rows) for i, rows in groups.items()]

    return grouped(own), grouped(peer)


def without_baseline(data: ReportData) -> pd.DataFrame:
    return data.comparison[data.comparison["baseline_kind"] == NO_BASELINE]


def not_reported(data: ReportData, facts: pd.DataFrame | None = None) -> list[Baseline]:
    """Indicators the body reported in an earlier period but not this year (their kind: the period's).
    `facts`: published_facts(data), when the caller has them already."""
    comp = data.comparison
    gone = comp[comp["value"].eq("") & ~comp["baseline_kind"].isin([*BASELINE_KINDS, NO_BASELINE])]
    refs = FactIndex(published_facts(data) if facts is None else facts)
    return [
        Baseline(r["baseline_kind"], r, period_label(r["baseline_start"], r["baseline_end"]), refs.refs(r))
        for r in records(gone)
    ]


# ---------------------------------------------------------------- evidence


class EvidenceRow(NamedTuple):
    """A figure as the evidence section lists it: fields a template reads as attributes (a dict's
    field, read as an attribute, costs Jinja a failed getattr and an exception)."""

    start: int
    end: int
    value: Any
    unit: Any
    approx: Any
    indicator_id: Any
    indicator_zh: Any
    indicator_en: Any
    indicator: Any  # the label as written
    category: Any
    section: Any
    evidence: Any  # the sentence
    text: Any  # the figure as written
    offset: int | None  # of the figure into its sentence, None when not known
    page: Any  # of a PDF, '' otherwise
    # as shown, worked out once per figure (the macros quantity, indicator_cell and label would,
    # in the template, for each of hundreds of rows)
    value_text: str  # format.number
    value_attr: str  # format.plain_number: the data-value attribute
    mapped: bool  # to an indicator
    indicator_en_shown: str  # indicator_en, '' when it has nothing to show
    category_zh: str
    category_en: str  # '' when none


_FIGURE_COLUMNS = ("value", "unit", "approx", "indicator_id", "indicator_zh", "indicator_en", "indicator",
                   "category", "section", "evidence", "text")  # fmt: skip


def evidence_rows(data: ReportData) -> list[EvidenceRow]:
    """The document's figures, each with its offset into its sentence (None when not known)."""
    figures = data.figures
    pages = [p or "" for p in figures["page"].tolist()] if "page" in figures else [""] * len(figures)
    columns = zip(
        figures["start"].tolist(), figures["end"].tolist(), figures["sentence_start"].tolist(), pages,
        *(figures[c].tolist() for c in _FIGURE_COLUMNS), strict=True,
    )  # fmt: skip
    rows = []
    for start, end, sentence_start, page, *cells in columns:
        row = dict(zip(_FIGURE_COLUMNS, cells, strict=True))
        category_zh, category_en = label_pair(CATEGORIES, row["category"])
        rows.append(
            EvidenceRow(
                start=int(start),
                end=int(end),
                **row,
                offset=None if _missing(sentence_start) else int(start) - int(sentence_start),
                page=page,
                value_text=number(row["value"]),
                value_attr=plain_number(row["value"]),
                mapped=bool(clean_keeping_line_breaks(row["indicator_id"])),
                indicator_en_shown=row["indicator_en"] if clean_keeping_line_breaks(row["indicator_en"]) else "",
                category_zh=category_zh,
                category_en=category_en if clean_keeping_line_breaks(category_en) else "",
            )
        )
    return rows


class EvidenceGroup(NamedTuple):
    """Figures of one sentence, in order, as the evidence section lists them: the sentence and its
    section written once, every figure of it marked (`tokens`, format.marks_tokens: each mark named
    by its figure's start), a row per figure."""

    rows: list[EvidenceRow]
    section: Any
    tokens: list[tuple[str, str]]
    one_part: bool  # every figure of it in the same part of the work: the part cell written once too


def evidence_groups(rows: list[EvidenceRow]) -> list[EvidenceGroup]:
    """`rows` (evidence_rows) in their order, those next to each other from one sentence (the same
    text, section and start) grouped; a figure whose mark would overlap another's in the sentence
    starts a group of its own, so every figure's text is marked whole, once."""
    groups: list[EvidenceGroup] = []
    key, spans, members = None, [], []

    def close() -> None:
        if members:
            marks = [(b, e, r.start) for (b, e), r in zip(spans, members, strict=True) if (b, e) != (-1, -1)]
            tokens = marks_tokens(members[0].evidence, marks)
            one_part = len({(r.category_zh, r.category_en) for r in members}) == 1
            groups.append(EvidenceGroup(list(members), members[0].section, tokens, one_part))

    for r in rows:
        sentence = clean_keeping_line_breaks(r.evidence)
        span = figure_span(sentence, r.offset, clean_keeping_line_breaks(r.text)) or (-1, -1)
        here = (sentence, clean_keeping_line_breaks(r.section), None if r.offset is None else r.start - r.offset)
        found = [s for s in spans if s != (-1, -1)]
        after = span == (-1, -1) or not found or found[-1][1] <= span[0]  # marks in order, none overlapping
        if here != key or here[2] is None or not after:
            close()
            key, spans, members = here, [], []
        spans.append(span)
        members.append(r)
    close()
    return groups


def unmapped_figures(data: ReportData) -> list[EvidenceRow]:
    return [r for r in evidence_rows(data) if r.indicator_id == ""]


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class IndexEntry:
    body: str
    year: int
    body_zh: str
    body_en: str
    title: str
    summary: str
    href: str


def index_entry(data: ReportData) -> IndexEntry:
    zh, en = body_names(data, data.body)
    return IndexEntry(
        body=data.body,
        year=data.year,
        body_zh=zh,
        body_en=en,
        title=clean_keeping_line_breaks(data.meta.get("title")),
        summary=summary_text(data),
        href=f"{data.body}/{data.year}.html",
    )
