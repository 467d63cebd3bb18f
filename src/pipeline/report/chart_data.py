"""What the report's three charts draw, taken from a `ReportData`; `report.charts` draws them."""

from __future__ import annotations

import pandas as pd

from pipeline.compare.baselines import BASELINE_KINDS, PEER_KIND
from pipeline.compare.periods import month_index
from pipeline.compare.semantics import chart_unit_key
from pipeline.report import charts as plotting
from pipeline.report.data import ReportData, short_names
from pipeline.report.format import CATEGORIES, PERIOD_KINDS, as_float, period_label

# a meeting number bounds a count but is not one: it gets no bar
CHARTED_KINDS = tuple(kind for kind in BASELINE_KINDS if kind != "ordinal")
# the bars of derived baselines, hatched, and the words that say how they were derived
DERIVED = {"term_total_annualised": "任期年均", "cumulative_difference": "累计之差"}


def parts_of_work(data: ReportData) -> list[tuple[str, int, int]]:
    """(label, mapped, unmapped) per category, the largest first."""
    figures = data.figures
    if figures.empty:
        return []
    grouped = figures.assign(mapped=figures["indicator_id"] != "").groupby("category", sort=True)["mapped"]
    rows = [(cat, int(m.sum()), int((~m).sum())) for cat, m in grouped]
    rows.sort(key=lambda r: (-(r[1] + r[2]), r[0]))
    return [(f"{CATEGORIES.get(c, (c, c))[0]} {CATEGORIES.get(c, (c, c))[1]}", m, u) for c, m, u in rows]


def baseline_panels(data: ReportData) -> list[plotting.Panel]:
    """Per indicator, this year's bar beside each baseline that is a count."""
    body_zh, _ = short_names(data, data.body)
    columns = ("indicator_id", "baseline_kind", "baseline_value", "value", "baseline_start", "baseline_end",
               "baseline_body", "indicator_zh", "indicator_en", "unit")  # fmt: skip
    comparison = data.comparison
    # plain tuples, grouped once in the comparison's order: a pandas filter and iterrows per
    # indicator cost ~0.3 s per report
    groups: dict[object, list[tuple]] = {}
    for row in zip(*(comparison[c].tolist() for c in columns), strict=True):
        if row[0] is None or row[0] is pd.NA or row[0] != row[0]:
            continue  # no indicator: in no group (as pandas' groupby drops a missing key)
        kept = groups.setdefault(row[0], [])  # a group's place: its first row, charted or not
        if isinstance(row[1], str) and row[1] in CHARTED_KINDS and as_float(row[2]) is not None:
            kept.append(row)
    panels = []
    for rows in groups.values():
        if not rows or as_float(rows[0][3]) is None:
            continue
        first = rows[0]
        bars = [plotting.Bar(f"{body_zh} {data.year} 本年", float(first[3]), "this_year")]
        for _, kind, value, _, start, end, baseline_body, _, _, _ in rows:
            period, value = period_label(start, end), float(value)
            if kind == PEER_KIND:
                zh, en = short_names(data, baseline_body)
                bars.append(plotting.Bar(f"{zh} {en} {period}", value, "peer"))
            elif kind in DERIVED:
                bars.append(plotting.Bar(f"{body_zh} {period} {DERIVED[kind]}", value, "own_past", True))
            else:
                bars.append(plotting.Bar(f"{body_zh} {period}", value, "own_past"))
        title = f"{first[7]}（{first[9]}）\n{first[8]}"
        panels.append(plotting.Panel(title, tuple(bars)))
    # panels of similar length side by side, so a row wastes little space
    return sorted(panels, key=lambda p: len(p.bars))


def series_list(data: ReportData) -> list[plotting.Series]:
    """The body's own figures over time, per indicator and kind of period, wherever there are two or
    more points: single years (calendar or session years apart) and cumulative counts."""
    own = data.panel[
        (data.panel["body"] == data.body)
        & (data.panel["indicator_id"] != "")
        & (data.panel["kind"] == "actual")
        & data.panel["period_kind"].isin(["calendar_year", "session_year", "cumulative"])
    ]
    # one series per unit that counts the same thing (compare.semantics): 件 of suggestions and 条 of
    # opinions, or 个 departments and 次 of evaluation, are never one line
    # plain tuples, grouped once: a pandas sort and de-duplication per group cost seconds per report
    groups: dict[tuple[str, str, str], list[tuple]] = {}
    columns = ("indicator_id", "period_kind", "unit", "period_start", "period_end", "source_type", "start", "value",
               "source")  # fmt: skip
    for ident, kind, unit, p_start, p_end, s_type, start, value, source in zip(
        *(own[c].tolist() for c in columns), strict=True
    ):
        xm = month_index(p_end, end=True)
        if xm is None:
            continue
        key = (ident, kind, chart_unit_key(data.indicators.get(ident), unit))
        late = start is None or start is pd.NA or start != start  # no offset sorts last, as pandas does
        groups.setdefault(key, []).append((xm, s_type, (1, 0) if late else (0, start), p_start, p_end, value, unit,
                                           source))  # fmt: skip
    out = []
    for (ident, kind, _), found in sorted(groups.items(), key=lambda g: g[0]):
        rows, seen = [], set()
        for row in sorted(found, key=lambda r: r[:3]):  # stable: the panel's order breaks ties
            if row[0] not in seen:
                seen.add(row[0])
                rows.append(row)
        if len(rows) < 2:
            continue
        points = []
        this_x = None
        for xm, _, _, _, p_end, value, _, source in rows:
            x = (xm + 0.5) / 12 if kind == "cumulative" else float(xm // 12)
            span = p_end if kind == "cumulative" else str(xm // 12)
            points.append((x, float(value), span))
            if source == data.doc_id:
                this_x = x
        indicator = data.indicators.get(ident)
        zh, en = (indicator.zh, indicator.en) if indicator else (ident, "")
        kind_zh, kind_en = PERIOD_KINDS[kind]
        starts = sorted({r[3] for r in rows}) if kind == "cumulative" else []
        since = f"，起点 {'/'.join(starts)}" if starts else ""
        title = f"{zh}（{kind_zh}{since}）\n{en}, {kind_en}"
        out.append(plotting.Series(title, "/".join(sorted({r[6] for r in rows})), tuple(points), this_x))
    return out
