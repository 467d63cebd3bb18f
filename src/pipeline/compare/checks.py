"""Consistency checks of a body's year: each with pass / fail / inconclusive and why.

The checks take the body's panel rows as records (pipeline.compare.rows) or as a frame."""

from __future__ import annotations

import itertools

import pandas as pd

from pipeline.compare.laws import named_laws
from pipeline.compare.periods import month_index
from pipeline.compare.rows import Rows, by_indicator, first_by_start, records
from pipeline.text.document import Document

CHECK_COLUMNS = ["body", "report_year", "check", "indicator_id", "status", "expected", "found", "explanation"]


def _row(body, year, check, ident, status, expected, found, explanation) -> dict:
    return {
        "body": body,
        "report_year": year,
        "check": check,
        "indicator_id": ident,
        "status": status,
        "expected": expected,
        "found": found,
        "explanation": explanation,
    }


def _stated_count(stated: Rows) -> float:
    """The figure the text states first (a preface summary before the body repeats it)."""
    return first_by_start(stated)["value"]


def check_summary_against_details(document: Document, figures: pd.DataFrame | Rows, body: str, year: int) -> list[dict]:
    """The year's law counts (制定法规3件) against the laws the text names with the same verb."""
    rows = []
    laws = named_laws(document)
    figures = records(figures)
    for ident in ("laws_enacted", "laws_revised", "laws_repealed"):
        stated = [f for f in figures if f["indicator_id"] == ident]
        titles = laws.get(ident, [])
        if not stated and not titles:
            continue
        if not stated:
            status, expected = "inconclusive", ""
            why = f"the text names {len(titles)} ({'、'.join(titles)}) but states no count"
        elif not titles:  # absent evidence: the text names no law, which neither confirms nor contradicts
            count = _stated_count(stated)
            status, expected = "inconclusive", f"{count:g}"
            why = f"the summary says {count:g}; the text names no law with this verb, so there is nothing to check"
        else:
            count = _stated_count(stated)
            status, expected = ("pass" if len(titles) == count else "fail"), f"{count:g}"
            listed = "、".join(f"《{t}》" for t in titles) or "none"
            why = f"the summary says {count:g}; the text names {len(titles)}: {listed}"
        rows.append(_row(body, year, "summary_vs_named_laws", ident, status, expected, str(len(titles)), why))
    return rows


def _running_totals(panel: Rows, body: str) -> list[tuple[str, list[tuple[str, float]]]]:
    """The body's cumulative counts by indicator id: (period end, value), in the order of their dates."""
    cumulative = [
        r for r in panel if r["body"] == body and r["period_kind"] == "cumulative" and r["indicator_id"] != ""
    ]
    out = []
    for ident, group in sorted(by_indicator(cumulative).items()):
        dated = [(month_index(r["period_end"], end=True), r) for r in group]
        dated = sorted(((m, r) for m, r in dated if m is not None), key=lambda pair: pair[0])
        out.append((ident, [(r["period_end"], r["value"]) for _, r in dated]))
    return out


def check_cumulative(panel: pd.DataFrame | Rows, figures: pd.DataFrame | Rows, body: str, year: int) -> list[dict]:
    """Cumulative counts never fall, and bound the year's count where their window allows."""
    rows = []
    figures = records(figures)
    for ident, values in _running_totals(records(panel), body):
        falling = [(a, b) for a, b in itertools.pairwise(values) if b[1] < a[1]]
        rows.append(
            _row(
                body,
                year,
                "cumulative_never_falls",
                ident,
                "fail" if falling else "pass",
                "non-decreasing",
                " → ".join(f"{v:g} ({e})" for e, v in values),
                "a running total went down" if falling else "each later total is at least the earlier one",
            )
        )
        stated = [f for f in figures if f["indicator_id"] == ident]
        if not stated:
            continue
        count = _stated_count(stated)
        year_start, year_end = year * 12, year * 12 + 11
        for (e1, v1), (e2, v2) in itertools.pairwise(values):
            m1, m2 = month_index(e1, end=True), month_index(e2, end=True)
            difference = v2 - v1
            if m2 < year_start or m1 > year_end:  # the window lies wholly before or after the year
                continue
            if m1 < year_start and m2 >= year_end:  # the window holds the whole year
                status = "pass" if difference >= count else "fail"
                why = f"{difference:g} between {e1} and {e2}, a window that holds {year}, must be at least {count:g}"
            elif m1 >= year_start and m2 <= year_end:  # the year holds the window
                status = "pass" if difference <= count else "fail"
                why = f"{difference:g} between {e1} and {e2}, inside {year}, can be at most {count:g}"
            else:
                status = "inconclusive"
                why = (
                    f"{difference:g} between {e1} and {e2} overlaps {year} only in part, so it neither "
                    f"confirms nor contradicts {count:g} in {year}"
                )
            rows.append(_row(body, year, "cumulative_vs_year", ident, status, f"{count:g}", f"{difference:g}", why))
        last_before_end = [v for e, v in values if month_index(e, end=True) >= year_end]
        if last_before_end:
            status = "pass" if last_before_end[0] >= count else "fail"
            rows.append(
                _row(
                    body,
                    year,
                    "cumulative_covers_year",
                    ident,
                    status,
                    f">= {count:g}",
                    f"{last_before_end[0]:g}",
                    f"a running total after {year} must be at least the {count:g} of {year}",
                )
            )
    return rows


def check_ordinals(panel: pd.DataFrame | Rows, figures: pd.DataFrame | Rows, body: str, year: int) -> list[dict]:
    """A meeting count of the year against the Nth meeting held by a date in that year."""
    rows = []
    figures = records(figures)
    ordinals = [
        r for r in records(panel) if r["body"] == body and r["period_kind"] == "ordinal" and r["indicator_id"] != ""
    ]
    for ordinal in ordinals:
        at = month_index(ordinal["period_end"], end=True)
        if at is None or at // 12 != year:
            continue
        stated = [f for f in figures if f["indicator_id"] == ordinal["indicator_id"]]
        if not stated:
            continue
        count = _stated_count(stated)
        number = ordinal["value"]
        status = "pass" if number >= count else "fail"
        rows.append(
            _row(
                body,
                year,
                "count_vs_ordinal",
                ordinal["indicator_id"],
                status,
                f"<= {number:g}",
                f"{count:g}",
                f"meeting no. {number:g} by {ordinal['period_end']} ({ordinal['indicator']}); {count:g} held in "
                f"{year} means nos. {number - count + 1:g}-{number:g} fell in {year} if no. {number:g} was the "
                f"year's last, and no count can exceed the ordinal",
            )
        )
    return rows


def run_checks(panel: pd.DataFrame | Rows, document: Document, body: str, year: int) -> pd.DataFrame:
    """Every check of the body's year, from its panel rows (or the whole panel) and its document."""
    return pd.DataFrame(check_rows(panel, document, body, year), columns=CHECK_COLUMNS)


def check_rows(panel: pd.DataFrame | Rows, document: Document, body: str, year: int) -> list[dict]:
    """The rows of `run_checks`, as dicts."""
    panel = records(panel)
    figures = [r for r in panel if r["body"] == body and r["report_year"] == year and r["source_type"] == "document"]
    rows = check_summary_against_details(document, figures, body, year)
    rows += check_cumulative(panel, figures, body, year)
    rows += check_ordinals(panel, figures, body, year)
    return rows
