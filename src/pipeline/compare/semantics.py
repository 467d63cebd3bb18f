"""What may be compared with what, in one place; each rule has a test (tests/test_compare_semantics.py).

1. Only earlier periods are "earlier": a baseline is the body's own earlier period only when it ends
   by the time the compared period starts. A window that ends after that (2024-06 -> 2025-09 against
   2023) is no earlier period: it is shown labelled later (or overlapping), never as a trend.
2. Never a difference across units that do not count the same thing (the taxonomy's
   `unit_equivalences`: 件 = 部 for laws; 个 departments evaluated are not 次 of evaluation), nor
   across a combined count (视察、执法检查、专题调研32次) and a single one.
3. Two figures of one indicator in one document are both shown: the comparison uses the first mention
   and says so, and lists the other.
4. Absent evidence is inconclusive: a check with nothing to check against neither passes nor fails.
5. Coverage of a body, year and indicator is `reported`, `not_stated` (a document of that year is
   there and does not state it) or `no_document` (no document of that year).
6. Peers are other bodies of the same level (bodies.csv), their mapped actual single-year figures
   within PEER_YEARS of the compared year: at most MAX_PEERS per figure, the nearest years first (the
   same year, then earlier before later), then by body id.
"""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.compare.notes import Note, label
from pipeline.compare.periods import month_index
from pipeline.reference.indicators import Indicator

EARLIER, OVERLAPPING, LATER = "earlier", "overlapping", "later"
# the baseline kinds of rows that are shown but are no baseline: charts and headlines leave them out
LATER_KIND = "later_period"
OVERLAPPING_KIND = "overlapping_period"
NOT_COMPARABLE_KIND = "not_comparable"
SAME_DOCUMENT_KIND = "same_document"
REPORTED, NOT_STATED, NO_DOCUMENT = "reported", "not_stated", "no_document"
COVERAGE = (REPORTED, NOT_STATED, NO_DOCUMENT)
SINGLE_YEAR_PERIODS = ("calendar_year", "session_year")
PEER_YEARS = 2
# At most this many peer rows per figure (rule 6). A deliberate bound: a level with hundreds of bodies
# would otherwise list every one of them beside every figure (quadratic in the bodies of a level,
# megabytes per report), and every body-year would read, and be recomputed for, every peer's rows.
MAX_PEERS = 5


def period_months(start: str, end: str, year: int | None = None) -> tuple[int, int] | None:
    """The first and last month of a period ('2023' .. '2023-12-31'); a year alone where none is given."""
    s = month_index(str(start)) if start else None
    e = month_index(str(end), end=True) if end else None
    if s is None and e is None:
        return (year * 12, year * 12 + 11) if year is not None else None
    return (s if s is not None else e, e if e is not None else s)


def timing(baseline: tuple[int, int] | None, target: tuple[int, int]) -> str:
    """Where a baseline period lies against the compared one: earlier only if it ends by the month the
    compared period starts (a session year ending in March against one starting in March is earlier);
    later if it starts after the compared period ends; otherwise overlapping. An undated one is later:
    nothing undated is taken as earlier."""
    if baseline is None:
        return LATER
    b_start, b_end = baseline
    t_start, t_end = target
    if b_end <= t_start and b_start < t_start:
        return EARLIER
    if b_start > t_end or (b_start >= t_start and b_end > t_end):
        return LATER
    return OVERLAPPING


def is_earlier(start: str, end: str, year: int, target: tuple[int, int] | None = None) -> bool:
    """Rule 1 for a period given as text, against the report year (or the target's own period)."""
    return timing(period_months(start, end), target or (year * 12, year * 12 + 11)) == EARLIER


def not_earlier_kind(when: str) -> str:
    return LATER_KIND if when == LATER else OVERLAPPING_KIND


def refusal(indicator: Indicator | None, unit: str, other_unit: str, other_kind: str = "") -> Note | None:
    """Rule 2: why two figures may not be differenced, as a note (None when they may). `other_kind` is
    the other figure's taxonomy kind where it is another indicator's (a combined count against a
    single one)."""
    if indicator is not None and other_kind and other_kind != indicator.kind:
        kind, other = label("indicator_kind", indicator.kind), label("indicator_kind", other_kind)
        return Note.of("kind_differs", kind=kind, other_kind=other)
    if unit == other_unit:
        return None
    if indicator is None or not indicator.units_equivalent(unit, other_unit):
        return Note.of("unit_differs", unit=unit, other_unit=other_unit)
    return None


def differencing_refused(indicator: Indicator | None, unit: str, other_unit: str, other_kind: str = "") -> str:
    """`refusal` in English ('' when the two may be differenced)."""
    why = refusal(indicator, unit, other_unit, other_kind)
    return why.en if why else ""


def chart_unit_key(indicator: Indicator | None, unit: str) -> str:
    """One series or bar group per indicator and key: units of one equivalence group share a key."""
    if indicator is not None:
        for group in indicator.unit_equivalences:
            if unit in group:
                return "/".join(sorted(group))
    return unit


def coverage_status(documents: Iterable[int], stated: Iterable[int], year: int) -> str:
    """Rule 5 for one body and indicator: `documents` are the years with a document of the body,
    `stated` the years whose document states the indicator."""
    if year in set(stated):
        return REPORTED
    return NOT_STATED if year in set(documents) else NO_DOCUMENT


def peer_rank(peer_year: int, year: int) -> tuple[int, int]:
    """Rule 6: how near a peer's year is to the compared year (sort key; the body id breaks ties)."""
    return (abs(peer_year - year), peer_year)


def peer_years(year: int) -> list[int]:
    """The years a peer figure may come from, nearest first: 2023, 2022, 2024, 2021, 2025."""
    return sorted(range(year - PEER_YEARS, year + PEER_YEARS + 1), key=lambda y: peer_rank(y, year))
