"""Comparing one body's year with what it can honestly be compared with.

Like with like: an earlier single year as it is; a term total only annualised over the term's
stated length; cumulative counts only as the difference between two dates; ordinals ("the 39th
meeting") only as a cross-check; peers of the same level in nearby years, marked as peers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline import paths
from pipeline.compare.periods import month_index, term_period
from pipeline.compare.semantics import (
    EARLIER,
    LATER_KIND,
    NOT_COMPARABLE_KIND,
    NOT_STATED,
    OVERLAPPING_KIND,
    REPORTED,
    SAME_DOCUMENT_KIND,
    coverage_status,
    differencing_refused,
    not_earlier_kind,
    period_months,
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
    "note",
    "baseline_source",
    # reported / not_stated for this body, year and indicator; previous_year_coverage: the same for the
    # year before, or no_document where the body has no document of it (compare.semantics, rule 5)
    "coverage",
    "previous_year_coverage",
]
PEER_YEARS = 2
# At most this many peer rows per figure: the nearest years first (the same year, then earlier before
# later), then by body id. A deliberate bound: a level with hundreds of bodies would otherwise list
# every one of them beside every figure (quadratic in the bodies of a level, megabytes per report).
MAX_PEERS = 5
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


def _row(target: pd.Series, **kw) -> dict:
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
    refused = (
        differencing_refused(by_id().get(str(base["indicator_id"])), str(base["unit"]), str(baseline_unit))
        if baseline_unit
        else ""
    )
    if refused:  # rule 2: shown beside it, never differenced, never charted as one series
        method = base.get("baseline_kind", "")
        base["note"] = f"{method}: {base.get('note', '')}; {refused}: shown, not differenced".replace(": ; ", ": ")
        base["baseline_kind"] = NOT_COMPARABLE_KIND
        return base
    if "change" not in kw and pd.notna(value) and baseline is not None and pd.notna(baseline):
        base["change"] = round(value - baseline, 6)
        base["pct_change"] = round(100 * (value - baseline) / baseline, 2) if baseline else None
    return base


def _against(target: pd.Series, b: pd.Series, kind: str, note: str, **overrides) -> dict:
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


def _by_indicator(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of each indicator id, in the frame's order."""
    return {ident: rows for ident, rows in frame.groupby("indicator_id", sort=False)}


@dataclass(frozen=True)
class YearScope:
    """What the baseline methods of one body's year read: the body's own figures and its peers',
    each split once by indicator, so a method reads a few rows per indicator, not the whole panel
    (a panel of every body and year has millions of rows)."""

    body: str
    year: int
    level: str | None
    own: pd.DataFrame
    own_by_id: dict[str, pd.DataFrame]
    peers_by_id: dict[str, pd.DataFrame]
    no_peers: pd.DataFrame

    def own_rows(self, target: pd.Series) -> pd.DataFrame:
        """The body's figures of the target's indicator from every source but the target's."""
        mine = self.own_by_id.get(target["indicator_id"], self.own.iloc[:0])
        return mine[mine["source"] != target["source"]]

    def peer_rows(self, target: pd.Series) -> pd.DataFrame:
        return self.peers_by_id.get(target["indicator_id"], self.no_peers)


def year_scope(panel: pd.DataFrame, body: str, year: int, bodies: pd.DataFrame) -> YearScope:
    """The body's actual figures with an indicator, and its peers': bodies of the same level
    (bodies.csv), single years within PEER_YEARS of this one."""
    level = dict(zip(bodies["body"], bodies["level"], strict=True))
    own = panel[(panel["body"] == body) & (panel["indicator_id"] != "") & (panel["kind"] == "actual")]
    peer_pool = panel[
        (panel["indicator_id"] != "")
        & (panel["body"] != body)
        & (panel["period_kind"].isin(["calendar_year", "session_year"]))
        & (panel["kind"] == "actual")
    ]
    peer_pool = peer_pool[peer_pool["body"].map(level) == level.get(body)]
    peer_pool = peer_pool[(peer_pool["report_year"] - year).abs() <= PEER_YEARS]
    return YearScope(body, year, level.get(body), own, _by_indicator(own), _by_indicator(peer_pool), peer_pool.iloc[:0])


def earlier_year(target: pd.Series, same: pd.DataFrame, scope: YearScope) -> list[dict]:
    """The latest earlier single year of the body's own, as it is."""
    single = same[same["period_kind"].isin(["calendar_year", "session_year"]) & (same["report_year"] < scope.year)]
    rows = []
    for _, b in single.sort_values("report_year", ascending=False).head(1).iterrows():
        note = f"{b['period_kind'].replace('_', ' ')} {int(b['report_year'])}"
        rows.append(_against(target, b, "earlier_year", note))
    return rows


def term_total_annualised(target: pd.Series, same: pd.DataFrame, scope: YearScope) -> list[dict]:
    """Term totals divided by the term's length in years, the length and any assumption stated."""
    rows = []
    for _, b in same[same["period_kind"] == "term_total"].iterrows():
        period = term_period(b["period_start"], b["period_end"])
        if period is None:
            continue
        term, assumption = period
        rate = b["value"] / term.years
        note = (
            f"term total {_fmt(b['value'])} over {term.years:.1f} years ({b['period_start']} to {b['period_end']}) "
            f"annualised: {_fmt(b['value'])} / {term.years:.1f} = {rate:.1f} a year"
        )
        if assumption:
            note += f"; {assumption}"
        overrides = {"baseline_body": scope.body, "baseline_value": round(rate, 2)}
        rows.append(_against(target, b, "term_total_annualised", note, **overrides))
    return rows


def cumulative_difference(target: pd.Series, same: pd.DataFrame, scope: YearScope) -> list[dict]:
    """Cumulative counts of successive dates: the difference between two is the count in between."""
    cumulative = same[same["period_kind"] == "cumulative"].copy()
    cumulative["_end"] = [month_index(e, end=True) for e in cumulative["period_end"]]
    cumulative = cumulative.dropna(subset=["_end"]).sort_values("_end", kind="mergesort")
    rows = []
    for (_, a), (_, b) in zip(cumulative.iloc[:-1].iterrows(), cumulative.iloc[1:].iterrows(), strict=True):
        months = int(b["_end"] - a["_end"])
        if months <= 0:
            continue
        difference = b["value"] - a["value"]
        note = (
            f"cumulative {_fmt(b['value'])} at {b['period_end']} minus {_fmt(a['value'])} at "
            f"{a['period_end']}: {_fmt(difference)} in {months} months, a window that is not "
            f"the calendar year {scope.year}"
        )
        overrides = {"baseline_body": scope.body, "baseline_value": difference, "baseline_start": a["period_end"]}
        rows.append(_against(target, b, "cumulative_difference", note, **overrides))
    return rows


def ordinal_cross_check(target: pd.Series, same: pd.DataFrame, scope: YearScope) -> list[dict]:
    """The Nth meeting by a date of the year bounds the count from above: a cross-check, no change."""
    rows = []
    for _, b in same[same["period_kind"] == "ordinal"].iterrows():
        at = month_index(b["period_end"], end=True)
        if at is None or at // 12 != scope.year:
            continue
        note = (
            f"an ordinal, not a count: meeting no. {_fmt(b['value'])} by {b['period_end']}, so "
            f"{_fmt(target['value'])} in {scope.year} means nos. {_fmt(b['value'] - target['value'] + 1)}"
            f"-{_fmt(b['value'])} fell in {scope.year}"
        )
        overrides = {"baseline_body": scope.body, "baseline_start": "", "change": None}
        rows.append(_against(target, b, "ordinal", note, **overrides))
    return rows


def peers(target: pd.Series, scope: YearScope) -> list[dict]:
    """Other bodies of the same level, single years within PEER_YEARS of this one: the MAX_PEERS
    nearest (in years, then by body id), listed by body and year."""
    rows = []
    for _, b in nearest_peers(scope.peer_rows(target), scope.year).iterrows():
        note = f"another {scope.level} body, {int(b['report_year'])}: a peer, not a trend"
        rows.append(_against(target, b, "peer", note))
    return rows


def nearest_peers(candidates: pd.DataFrame, year: int, limit: int = MAX_PEERS) -> pd.DataFrame:
    """The `limit` peer rows nearest to `year` (same year, then earlier before later, then body id),
    in body and year order; deterministic whatever the order of `candidates`."""
    if len(candidates) > limit:
        order = candidates.assign(_gap=(candidates["report_year"] - year).abs())
        order = order.sort_values(["_gap", "report_year", "body"], kind="mergesort")
        candidates = candidates.loc[order.index[:limit]]
    return candidates.sort_values(["body", "report_year"], kind="mergesort")


def baselines_of(target: pd.Series, scope: YearScope) -> list[dict]:
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
        note = "no earlier or peer figure for this indicator that can be compared"
        rows.append(_row(target, baseline_kind="none", note=note))
    return rows


def target_months(target: pd.Series, year: int) -> tuple[int, int]:
    return period_months(str(target.get("period_start") or ""), str(target.get("period_end") or ""), year) or (
        year * 12,
        year * 12 + 11,
    )


def _earlier_only(target: pd.Series, rows: list[dict], scope: YearScope) -> list[dict]:
    """Rule 1: a baseline of the body's own that does not end before the compared period starts is
    no earlier period: it stays, labelled later or overlapping, without a change."""
    own_period = target_months(target, scope.year)
    out = []
    for row in rows:
        period = period_months(str(row.get("baseline_start") or ""), str(row.get("baseline_end") or ""))
        when = timing(period, own_period)
        if when != EARLIER and row["baseline_kind"] != NOT_COMPARABLE_KIND:
            row = {
                **row,
                "baseline_kind": not_earlier_kind(when),
                "change": None,
                "pct_change": None,
                "note": f"{row['baseline_kind']} {when}, not earlier than {scope.year}: shown, not a baseline; "
                + str(row["note"]),
            }
        out.append(row)
    return out


def other_mentions(target: pd.Series, scope: YearScope) -> list[dict]:
    """Rule 3: every other figure of the indicator in the same document, shown with a note that says
    which one the comparison uses and why."""
    mine = scope.own_by_id.get(target["indicator_id"], scope.own.iloc[:0])
    same = mine[
        (mine["source"] == target["source"])
        & (mine["start"] != target["start"])
        & (mine["period_kind"] == target["period_kind"])
        & ~((mine["value"] == target["value"]) & (mine["unit"] == target["unit"]))  # a repeat of the same figure
    ]
    rows = []
    for _, b in same.sort_values("start", kind="mergesort").iterrows():
        note = (
            f"also stated in this document at offset {b['start']}: {_fmt(b['value'])} {b['unit']} "
            f"({b['indicator']}); the comparison uses the first mention, at offset {target['start']} "
            f"({_fmt(target['value'])} {target['unit']}), as the text's own summary of the year"
        )
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


def previous_year_coverage(panel: pd.DataFrame, body: str, year: int):
    """Rule 5 for the year before: a function of the indicator id giving reported (a document or a
    published single-year figure states it), not_stated (a document of that year is there and does
    not) or no_document."""
    mine = panel[(panel["body"] == body) & (panel["report_year"] == year - 1)]
    documents = [year - 1] if (mine["source_type"] == "document").any() else []
    single = mine[mine["period_kind"].isin(["calendar_year", "session_year"]) & (mine["kind"] == "actual")]
    stated = set(single["indicator_id"])
    return lambda ident: coverage_status(documents, [year - 1] if ident in stated else [], year - 1)


def not_reported(scope: YearScope, reported: set[str]) -> list[dict]:
    """Indicators the body reported for an earlier year or term but not this year, with the latest."""
    indicators = by_id()
    earlier = scope.own[
        ~scope.own["indicator_id"].isin(reported)
        & scope.own["period_kind"].isin(["calendar_year", "session_year", "term_total"])
    ]
    # rule 1: only what was reported for an earlier period; a later year's figure is not "reported before"
    year_start = scope.year * 12
    ends = [period_months(str(s), str(e)) for s, e in zip(earlier["period_start"], earlier["period_end"], strict=True)]
    earlier = earlier[pd.Series([m is not None and m[1] < year_start for m in ends], index=earlier.index, dtype=bool)]
    rows = []
    for ident, group in earlier.groupby("indicator_id", sort=True):
        b = group.sort_values("period_end", kind="mergesort").iloc[-1]
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
                "note": f"reported for {b['period_start']}-{b['period_end']} but not in {scope.year}",
                "baseline_source": b["source"],
                "coverage": NOT_STATED,  # this year's document is there and does not state it
            }
        )
    return rows


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
    """Every indicator of the year against every honest baseline, and indicators not reported."""
    if bodies is None:
        bodies = pd.read_csv(paths.reference("bodies.csv"), dtype=str, keep_default_na=False)
    scope = year_scope(panel, body, year, bodies)
    targets = year_figures(panel, body, year)
    out = [row for _, target in targets.iterrows() for row in baselines_of(target, scope)]
    out += not_reported(scope, set(targets["indicator_id"]))
    previous = previous_year_coverage(panel, body, year)
    for row in out:
        row["previous_year_coverage"] = previous(str(row["indicator_id"]))
    table = pd.DataFrame(out, columns=COMPARISON_COLUMNS)
    table["_order"] = table["baseline_kind"].map(BASELINE_ORDER).fillna(9)
    table = table.sort_values(["indicator_id", "_order", "baseline_body", "baseline_period"], kind="mergesort")
    return table.drop(columns="_order").reset_index(drop=True)
