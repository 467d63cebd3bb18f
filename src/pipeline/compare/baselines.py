"""Comparing one body's year with what it can honestly be compared with.

Like with like: an earlier single year as it is; a term total only annualised over the term's
stated length; cumulative counts only as the difference between two dates; ordinals ("the 39th
meeting") only as a cross-check; peers of the same level in nearby years, marked as peers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pandas as pd

from pipeline import paths
from pipeline.compare.notes import WORDINGS, Note, label
from pipeline.compare.peers import CompareIndex
from pipeline.compare.periods import month_index, term_period
from pipeline.compare.rows import Row, Rows, by_indicator, records
from pipeline.compare.semantics import (  # noqa: F401 - PEER_YEARS and MAX_PEERS: the bound, read from here too
    EARLIER,
    LATER_KIND,
    MAX_PEERS,
    NOT_COMPARABLE_KIND,
    NOT_STATED,
    OVERLAPPING_KIND,
    PEER_YEARS,
    REPORTED,
    SAME_DOCUMENT_KIND,
    SINGLE_YEAR_PERIODS,
    coverage_status,
    not_earlier_kind,
    peer_rank,
    period_months,
    refusal,
    timing,
)
from pipeline.reference.indicators import by_id

COMPARISON_COLUMNS = [
    "body",
    "report_year",
    "indicator_id",
    "indicator_zh",
    "indicator_en",
    "value",
    "unit",
    "approx",
    "baseline_body",
    "baseline_value",
    "baseline_unit",
    "baseline_start",
    "baseline_end",
    "baseline_period",
    "baseline_kind",
    "change",
    "pct_change",
    "note",  # how the row was computed, in English; note_zh says the same in Chinese (compare.notes)
    "note_zh",
    "baseline_source",
    # reported / not_stated for this body, year and indicator; previous_year_coverage: the same for the
    # year before, or no_document where the body has no document of it (compare.semantics, rule 5)
    "coverage",
    "previous_year_coverage",
]
# Peers: PEER_YEARS and MAX_PEERS (compare.semantics, rule 6) bound what a figure is shown beside.
# The baseline methods, in the order a comparison lists them: the body's own earlier periods, then
# peers. An indicator with none of them gets one row of kind NO_BASELINE.
OWN_BASELINE_KINDS = ("earlier_year", "term_total_annualised", "cumulative_difference", "ordinal")
PEER_KIND = "peer"
BASELINE_KINDS = (*OWN_BASELINE_KINDS, PEER_KIND)
NO_BASELINE = "none"


def baseline_period(start: str, end: str) -> str:
    """The period a baseline covers, for display: "2017 to 2022-02", or the one date of an ordinal."""
    return f"{start} to {end}" if start else str(end)


def _fmt(value: float) -> str:
    return f"{value:.15g}"


def _row(target: Row, **kw) -> dict:
    base = {
        "body": target["body"],
        "report_year": int(target["report_year"]),
        "indicator_id": target["indicator_id"],
        "indicator_zh": target["indicator_zh"],
        "indicator_en": target["indicator_en"],
        "value": target["value"],
        "unit": target["unit"],
        "approx": target["approx"],
        "coverage": REPORTED,
    }
    base.update(kw)
    if "baseline_end" in base:
        base["baseline_period"] = baseline_period(base.get("baseline_start", ""), base["baseline_end"])
    value, baseline = base.get("value"), base.get("baseline_value")
    baseline_unit = base.get("baseline_unit")
    unit, other_unit = str(base["unit"]), str(baseline_unit)
    refused = (  # the taxonomy is looked at only where the units differ
        refusal(by_id().get(str(base["indicator_id"])), unit, other_unit)
        if baseline_unit and unit != other_unit
        else None
    )
    if refused:  # rule 2: shown beside it, never differenced, never charted as one series
        method = label("method", base["baseline_kind"])
        base["note"] = Note.of("not_comparable", method=method, note=base["note"], reason=refused)
        base["baseline_kind"] = NOT_COMPARABLE_KIND
        return base
    if "change" not in kw and pd.notna(value) and baseline is not None and pd.notna(baseline):
        base["change"] = round(value - baseline, 6)
        base["pct_change"] = round(100 * (value - baseline) / baseline, 2) if baseline else None
    return base


def _against(target: Row, b: Row, kind: str, note: Note, **overrides) -> dict:
    """A comparison row of `target` against the panel row `b` (its value, unit, period, source)."""
    fields = {
        "baseline_body": b["body"],
        "baseline_value": b["value"],
        "baseline_unit": b["unit"],
        "baseline_start": b["period_start"],
        "baseline_end": b["period_end"],
        "baseline_kind": kind,
        "note": note,
        "baseline_source": b["source"],
    }
    fields.update(overrides)
    return _row(target, **fields)


def year_figures(panel: pd.DataFrame, body: str, year: int) -> pd.DataFrame:
    """The body's own figures of the year, one per indicator: the first mention in the text."""
    rows = panel[
        (panel["body"] == body)
        & (panel["report_year"] == year)
        & (panel["source_type"] == "document")
        & (panel["indicator_id"] != "")
        & (panel["kind"] == "actual")
    ]
    return rows.sort_values(["indicator_id", "start"], kind="mergesort").drop_duplicates("indicator_id")


def year_targets(rows: Rows, body: str, year: int) -> Rows:
    """year_figures on records: the body's own figures of the year, one per indicator, by indicator id."""
    stated = [
        r for r in rows
        if r["body"] == body and r["report_year"] == year and r["source_type"] == "document"
        and r["indicator_id"] != "" and r["kind"] == "actual"
    ]  # fmt: skip
    stated.sort(key=lambda r: (r["indicator_id"], r["start"] is None, r["start"] or 0))
    first: dict[str, Row] = {}
    for r in stated:
        first.setdefault(r["indicator_id"], r)
    return list(first.values())


@dataclass(frozen=True)
class YearScope:
    """What the baseline methods of one body's year read: the body's own figures and its peers',
    each split once by indicator, so a method reads a few rows per indicator, not the whole panel
    (a panel of every body and year has millions of rows)."""

    body: str
    year: int
    level: str | None
    own: Rows
    own_by_id: dict[str, Rows]
    peers_by_id: dict[str, Rows]

    def own_rows(self, target: Row) -> Rows:
        """The body's figures of the target's indicator from every source but the target's."""
        return [r for r in self.own_by_id.get(target["indicator_id"], ()) if r["source"] != target["source"]]

    def peer_rows(self, target: Row) -> Rows:
        return self.peers_by_id.get(target["indicator_id"], [])


def year_scope(own_rows: Rows, peer_rows: Rows, body: str, year: int, level: str | None) -> YearScope:
    """The body's actual figures with an indicator, and the peer rows it may be shown beside (rule 6:
    CompareIndex picks them; `nearest_peers` keeps MAX_PEERS of whatever it is given)."""
    own = [r for r in own_rows if r["body"] == body and r["indicator_id"] != "" and r["kind"] == "actual"]
    return YearScope(body, year, level, own, by_indicator(own), by_indicator(peer_rows))


def _is_year(value: object) -> bool:
    return value is not None and value == value  # neither None nor NaN


def earlier_year(target: Row, same: Rows, scope: YearScope) -> list[dict]:
    """The latest earlier single year of the body's own, as it is (its first mention, when it has several)."""
    single = [
        r for r in same
        if r["period_kind"] in SINGLE_YEAR_PERIODS and _is_year(r["report_year"]) and r["report_year"] < scope.year
    ]  # fmt: skip
    if not single:
        return []
    b = single[_latest(single)]
    note = Note.of("earlier_year", period=label("period", b["period_kind"]), year=int(b["report_year"]))
    return [_against(target, b, "earlier_year", note)]


def _latest(rows: Rows) -> int:
    """The position of the latest year's headline figure: of that year's figures, the one its own
    document states first (as year_figures picks a year's figure), then a published one."""
    latest = max(r["report_year"] for r in rows)
    return min(
        (i for i, r in enumerate(rows) if r["report_year"] == latest),
        key=lambda i: (rows[i]["source_type"] != "document", rows[i]["start"] is None, rows[i]["start"] or 0),
    )


def term_total_annualised(target: Row, same: Rows, scope: YearScope) -> list[dict]:
    """Term totals divided by the term's length in years, the length and any assumption stated."""
    rows = []
    for b in (r for r in same if r["period_kind"] == "term_total"):
        period = term_period(b["period_start"], b["period_end"])
        if period is None:
            continue
        term = period[0]
        rate = b["value"] / term.years
        note = Note.of(
            "term_total_annualised", total=_fmt(b["value"]), years=f"{term.years:.1f}", start=b["period_start"],
            end=b["period_end"], rate=f"{rate:.1f}",
        )  # fmt: skip
        if term.assumed_start:
            note = Note.of("joined", first=note, second=Note.of("term_start_assumed", month=term.assumed_start))
        overrides = {"baseline_body": scope.body, "baseline_value": round(rate, 2)}
        rows.append(_against(target, b, "term_total_annualised", note, **overrides))
    return rows


def cumulative_difference(target: Row, same: Rows, scope: YearScope) -> list[dict]:
    """Cumulative counts of successive dates: the difference between two is the count in between."""
    ends = [(month_index(r["period_end"], end=True), r) for r in same if r["period_kind"] == "cumulative"]
    cumulative = sorted(((e, r) for e, r in ends if e is not None), key=lambda pair: pair[0])
    rows = []
    for (a_end, a), (b_end, b) in itertools.pairwise(cumulative):
        months = b_end - a_end
        if months <= 0:
            continue
        difference = b["value"] - a["value"]
        note = Note.of(
            "cumulative_difference", later=_fmt(b["value"]), later_end=b["period_end"], earlier=_fmt(a["value"]),
            earlier_end=a["period_end"], difference=_fmt(difference), months=months, year=scope.year,
        )  # fmt: skip
        overrides = {"baseline_body": scope.body, "baseline_value": difference, "baseline_start": a["period_end"]}
        rows.append(_against(target, b, "cumulative_difference", note, **overrides))
    return rows


def ordinal_cross_check(target: Row, same: Rows, scope: YearScope) -> list[dict]:
    """The Nth meeting by a date of the year bounds the count from above: a cross-check, no change."""
    rows = []
    for b in (r for r in same if r["period_kind"] == "ordinal"):
        at = month_index(b["period_end"], end=True)
        if at is None or at // 12 != scope.year:
            continue
        note = Note.of(
            "ordinal", number=_fmt(b["value"]), end=b["period_end"], count=_fmt(target["value"]), year=scope.year,
            first=_fmt(b["value"] - target["value"] + 1),
        )  # fmt: skip
        overrides = {"baseline_body": scope.body, "baseline_start": "", "change": None}
        rows.append(_against(target, b, "ordinal", note, **overrides))
    return rows


def peers(target: Row, scope: YearScope) -> list[dict]:
    """Other bodies of the same level, single years within PEER_YEARS of this one: the MAX_PEERS
    nearest (in years, then by body id), listed by body and year."""
    rows = []
    for b in nearest_peers(scope.peer_rows(target), scope.year):
        note = Note.of("peer", level=label("level", str(scope.level)), year=int(b["report_year"]))
        rows.append(_against(target, b, "peer", note))
    return rows


def nearest_peers(candidates: Rows, year: int, limit: int = MAX_PEERS) -> Rows:
    """The `limit` peer rows nearest to `year` (rule 6: same year, then earlier before later, then body
    id; of one body's rows of a year, the first in the panel), in body and year order."""
    if len(candidates) > limit:
        candidates = sorted(candidates, key=lambda r: (*peer_rank(r["report_year"], year), r["body"]))[:limit]
    return sorted(candidates, key=lambda r: (r["body"], r["report_year"]))


def baselines_of(target: Row, scope: YearScope) -> list[dict]:
    """Every honest baseline of one figure, or a row saying there is none. An ordinal is only a
    cross-check: with nothing else, the figure still has no baseline."""
    same = scope.own_rows(target)
    earlier = earlier_year(target, same, scope)
    annualised = term_total_annualised(target, same, scope)
    differences = cumulative_difference(target, same, scope)
    ordinals = ordinal_cross_check(target, same, scope)
    peer_rows = peers(target, scope)
    own = _earlier_only(target, earlier + annualised + differences, scope)
    rows = own + ordinals + peer_rows + other_mentions(target, scope)
    if not any(r["baseline_kind"] in (*OWN_BASELINE_KINDS, PEER_KIND) for r in own + peer_rows):
        rows.append(_row(target, baseline_kind="none", note=Note.of("none")))
    return rows


def target_months(target: Row, year: int) -> tuple[int, int]:
    return period_months(str(target.get("period_start") or ""), str(target.get("period_end") or ""), year) or (
        year * 12,
        year * 12 + 11,
    )


def label_of_when(when: str, year: int) -> Note | str:
    """'later' / 'overlapping' as a note, against the compared year."""
    return Note.of(f"when.{when}", year=year) if f"when.{when}" in WORDINGS else when


def _earlier_only(target: Row, rows: list[dict], scope: YearScope) -> list[dict]:
    """Rule 1: a baseline of the body's own that does not end before the compared period starts is
    no earlier period: it stays, labelled later or overlapping, without a change."""
    own_period = target_months(target, scope.year)
    out = []
    for row in rows:
        period = period_months(str(row.get("baseline_start") or ""), str(row.get("baseline_end") or ""))
        when = timing(period, own_period)
        if when != EARLIER and row["baseline_kind"] != NOT_COMPARABLE_KIND:
            method, place = label("method", row["baseline_kind"]), label_of_when(when, scope.year)
            note = Note.of("not_earlier", method=method, when=place, year=scope.year, note=row["note"])
            row = {**row, "baseline_kind": not_earlier_kind(when), "change": None, "pct_change": None, "note": note}
        out.append(row)
    return out


def other_mentions(target: Row, scope: YearScope) -> list[dict]:
    """Rule 3: every other figure of the indicator in the same document, shown with a note that says
    which one the comparison uses and why."""
    same = [
        r for r in scope.own_by_id.get(target["indicator_id"], ())
        if r["source"] == target["source"] and r["start"] is not None and r["start"] != target["start"]
        and r["period_kind"] == target["period_kind"]
        and not (r["value"] == target["value"] and r["unit"] == target["unit"])  # a repeat of the same figure
    ]  # fmt: skip
    rows = []
    for b in sorted(same, key=lambda r: r["start"]):
        note = Note.of(
            "same_document", start=b["start"], value=_fmt(b["value"]), unit=b["unit"], label=b["indicator"],
            first_start=target["start"], first_value=_fmt(target["value"]), first_unit=target["unit"],
        )  # fmt: skip
        rows.append(
            _row(
                target,
                baseline_body=scope.body,
                baseline_value=b["value"],
                baseline_unit=b["unit"],
                baseline_start=b["period_start"],
                baseline_end=b["period_end"],
                baseline_kind=SAME_DOCUMENT_KIND,
                change=None,
                note=note,
                baseline_source=b["source"],
            )
        )
    return rows


def previous_year_coverage(rows: Rows, body: str, year: int):
    """Rule 5 for the year before: a function of the indicator id giving reported (a document or a
    published single-year figure states it), not_stated (a document of that year is there and does
    not) or no_document."""
    mine = [r for r in rows if r["body"] == body and r["report_year"] == year - 1]
    documents = [year - 1] if any(r["source_type"] == "document" for r in mine) else []
    stated = {r["indicator_id"] for r in mine if r["period_kind"] in SINGLE_YEAR_PERIODS and r["kind"] == "actual"}
    return lambda ident: coverage_status(documents, [year - 1] if ident in stated else [], year - 1)


def not_reported(scope: YearScope, reported: set[str]) -> list[dict]:
    """Indicators the body reported for an earlier year or term but not this year, with the latest."""
    indicators = by_id()
    year_start = scope.year * 12
    earlier = [
        r for r in scope.own
        if r["indicator_id"] not in reported and r["period_kind"] in (*SINGLE_YEAR_PERIODS, "term_total")
        and _ends_before(r, year_start)  # rule 1: a later year's figure is not "reported before"
    ]  # fmt: skip
    rows = []
    for ident, group in sorted(by_indicator(earlier).items()):
        b = sorted(group, key=lambda r: r["period_end"])[-1]
        indicator = indicators.get(ident)
        rows.append(
            {
                "body": scope.body,
                "report_year": scope.year,
                "indicator_id": ident,
                "indicator_zh": indicator.zh if indicator else "",
                "indicator_en": indicator.en if indicator else "",
                "value": None,
                "unit": "",
                "approx": "",
                "baseline_body": scope.body,
                "baseline_value": b["value"],
                "baseline_unit": b["unit"],
                "baseline_start": b["period_start"],
                "baseline_end": b["period_end"],
                "baseline_period": baseline_period(b["period_start"], b["period_end"]),
                "baseline_kind": b["period_kind"],
                "change": None,
                "pct_change": None,
                "note": Note.of("not_reported", start=b["period_start"], end=b["period_end"], year=scope.year),
                "baseline_source": b["source"],
                "coverage": NOT_STATED,  # this year's document is there and does not state it
            }
        )
    return rows


def _ends_before(row: Row, month: int) -> bool:
    months = period_months(str(row["period_start"]), str(row["period_end"]))
    return months is not None and months[1] < month


# the order of a figure's rows: its own earlier years first, peers last; anything else after
BASELINE_ORDER = {
    "earlier_year": 0,
    "term_total_annualised": 1,
    "cumulative_difference": 2,
    "ordinal": 3,
    "peer": 4,
    SAME_DOCUMENT_KIND: 5,
    NOT_COMPARABLE_KIND: 6,
    OVERLAPPING_KIND: 7,
    LATER_KIND: 8,
}


def compare(panel: pd.DataFrame, body: str, year: int, bodies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every indicator of the year against every honest baseline, and indicators not reported: from
    the whole panel (or any rows that hold the body's and its peers')."""
    if bodies is None:
        bodies = pd.read_csv(paths.reference("bodies.csv"), dtype=str, keep_default_na=False)
    inputs = CompareIndex.of(panel, bodies).inputs(body, year)
    return compare_records(inputs.own.records(), records(inputs.peers), body, year, inputs.own.level)


def compare_records(own_rows: Rows, peer_rows: Rows, body: str, year: int, level: str | None) -> pd.DataFrame:
    """`compare` on records: the body's own rows (every year) and the peer rows it may be shown beside."""
    return pd.DataFrame(comparison_rows(own_rows, peer_rows, body, year, level), columns=COMPARISON_COLUMNS)


def comparison_rows(own_rows: Rows, peer_rows: Rows, body: str, year: int, level: str | None) -> list[dict]:
    """The rows of `compare_records`, as dicts (a key a row lacks is an empty cell), in the table's order."""
    scope = year_scope(own_rows, peer_rows, body, year, level)
    targets = year_targets(own_rows, body, year)
    out = [row for target in targets for row in baselines_of(target, scope)]
    out += not_reported(scope, {t["indicator_id"] for t in targets})
    previous = previous_year_coverage(own_rows, body, year)
    for row in out:
        row["previous_year_coverage"] = previous(str(row["indicator_id"]))
        note = row["note"]
        row["note"], row["note_zh"] = note.en, note.zh  # one note, in both languages
    return sorted(out, key=_table_order)


def _table_order(row: dict) -> tuple:
    """By indicator, the kind of baseline (BASELINE_ORDER), baseline body and period; an empty one last."""
    return (
        row["indicator_id"],
        BASELINE_ORDER.get(row["baseline_kind"], 9),
        *_empty_last(row.get("baseline_body")),
        *_empty_last(row.get("baseline_period")),
    )


def _empty_last(value: object) -> tuple[bool, str]:
    return (True, "") if value is None or value != value else (False, str(value))
