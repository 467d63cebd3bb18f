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
]
PEER_YEARS = 2
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


# Measure words that count the same kind of thing: 3部 and 3件 laws, 18个 and 18项 reports. Across
# families (人次 against 人, 条 of opinions against 件 of suggestions) the counting differs.
UNIT_FAMILIES = ({"个", "项", "件", "部", "篇", "份"}, {"次", "场"}, {"人", "名", "位"})


def units_comparable(a: str, b: str) -> bool:
    return a == b or any(a in family and b in family for family in UNIT_FAMILIES)


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
    }
    base.update(kw)
    if "baseline_end" in base:
        base["baseline_period"] = baseline_period(base.get("baseline_start", ""), base["baseline_end"])
    value, baseline = base.get("value"), base.get("baseline_value")
    baseline_unit = base.get("baseline_unit")
    if baseline_unit and not units_comparable(str(base["unit"]), str(baseline_unit)):
        base["note"] = (
            f"{base.get('note', '')}; counted in {baseline_unit}, not {base['unit']}: shown, not differenced"
        ).lstrip("; ")
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
    """Other bodies of the same level, single years within PEER_YEARS of this one."""
    rows = []
    for _, b in scope.peer_rows(target).sort_values(["body", "report_year"], kind="mergesort").iterrows():
        note = f"another {scope.level} body, {int(b['report_year'])}: a peer, not a trend"
        rows.append(_against(target, b, "peer", note))
    return rows


def baselines_of(target: pd.Series, scope: YearScope) -> list[dict]:
    """Every honest baseline of one figure, or a row saying there is none. An ordinal is only a
    cross-check: with nothing else, the figure still has no baseline."""
    same = scope.own_rows(target)
    earlier = earlier_year(target, same, scope)
    annualised = term_total_annualised(target, same, scope)
    differences = cumulative_difference(target, same, scope)
    ordinals = ordinal_cross_check(target, same, scope)
    peer_rows = peers(target, scope)
    rows = earlier + annualised + differences + ordinals + peer_rows
    if not (earlier or annualised or differences or peer_rows):
        rows.append(_row(target, baseline_kind="none", note="no earlier or peer figure for this indicator"))
    return rows


def not_reported(scope: YearScope, reported: set[str]) -> list[dict]:
    """Indicators the body reported for an earlier year or term but not this year, with the latest."""
    indicators = by_id()
    earlier = scope.own[
        ~scope.own["indicator_id"].isin(reported)
        & scope.own["period_kind"].isin(["calendar_year", "session_year", "term_total"])
    ]
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
            }
        )
    return rows


# the order of a figure's rows: its own earlier years first, peers last; anything else after
BASELINE_ORDER = {"earlier_year": 0, "term_total_annualised": 1, "cumulative_difference": 2, "ordinal": 3, "peer": 4}


def compare(panel: pd.DataFrame, body: str, year: int, bodies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every indicator of the year against every honest baseline, and indicators not reported."""
    if bodies is None:
        bodies = pd.read_csv(paths.reference("bodies.csv"), dtype=str, keep_default_na=False)
    scope = year_scope(panel, body, year, bodies)
    targets = year_figures(panel, body, year)
    out = [row for _, target in targets.iterrows() for row in baselines_of(target, scope)]
    out += not_reported(scope, set(targets["indicator_id"]))
    table = pd.DataFrame(out, columns=COMPARISON_COLUMNS)
    table["_order"] = table["baseline_kind"].map(BASELINE_ORDER).fillna(9)
    table = table.sort_values(["indicator_id", "_order", "baseline_body", "baseline_period"], kind="mergesort")
    return table.drop(columns="_order").reset_index(drop=True)
