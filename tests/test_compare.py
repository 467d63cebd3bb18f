"""Period arithmetic, the comparison on tiny frames, and each consistency check passing and failing."""

import pandas as pd
import pytest

from pipeline.compare.baselines import compare
from pipeline.compare.checks import check_cumulative, check_ordinals, check_summary_against_details, named_laws
from pipeline.compare.periods import month_index, term_period
from pipeline.panel import PANEL_COLUMNS
from pipeline.text.document import Document

BODIES = pd.DataFrame(
    {"body": ["a", "b", "c"], "name_zh": ["甲", "乙", "丙"], "name_en": ["A", "B", "C"],
     "level": ["city", "city", "county"], "province": ["", "", ""]}
)  # fmt: skip


def fact(body, start, end, kind, ident, value, source_type="published", report_year=None, start_at=None):
    row = dict.fromkeys(PANEL_COLUMNS, "")
    row.update(
        body=body, period_start=start, period_end=end, period_kind=kind, kind="actual", indicator_id=ident,
        indicator_zh=ident, indicator_en=ident, value=float(value), unit="次", approx="exact",
        source_type=source_type, source=f"{body}-{start}-{end}-{ident}", report_year=report_year, start=start_at,
    )  # fmt: skip
    return row


def panel_of(*rows):
    return pd.DataFrame(list(rows), columns=PANEL_COLUMNS)


def test_month_index_and_term_length():
    assert month_index("2023") == 2023 * 12
    assert month_index("2023", end=True) == 2023 * 12 + 11
    assert month_index("2023-05-17") == 2023 * 12 + 4
    assert month_index("undated") is None
    term, assumption = term_period("2017", "2022-02")
    assert term.months == 60 and term.years == 5.0
    assert "2017-02" in assumption
    assert term_period("2018-03", "2023-03")[0].months == 60
    assert term_period("2019", "2023")[0].months == 60
    assert term_period("2023", "2019") is None


def test_term_total_is_annualised_with_its_length_stated():
    panel = panel_of(
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "sc_sessions", 9, "document", 2023, 100),
        fact("a", "2017", "2022-02", "term_total", "sc_sessions", 60),
    )
    table = compare(panel, "a", 2023, BODIES)
    row = table[table["baseline_kind"] == "term_total_annualised"].iloc[0]
    assert row["baseline_value"] == 12.0 and row["change"] == -3.0
    assert "5.0 years" in row["note"] and "60 / 5.0 = 12.0 a year" in row["note"]


def test_earlier_year_peers_cumulative_and_not_reported():
    panel = panel_of(
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 4, "document", 2023, 10),
        fact("a", "2022-01-01", "2022-12-31", "calendar_year", "laws_enacted", 2, report_year=2022),
        fact("a", "2015-11", "2021-12", "cumulative", "laws_enacted", 20),
        fact("a", "2015-11", "2022-12", "cumulative", "laws_enacted", 24),
        fact("b", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 3, report_year=2023),
        fact("c", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 1, report_year=2023),  # county
        fact("b", "2017-01-01", "2017-12-31", "calendar_year", "laws_enacted", 9, report_year=2017),  # too far
        fact("a", "2022-01-01", "2022-12-31", "calendar_year", "chair_meetings", 20, report_year=2022),
    )
    table = compare(panel, "a", 2023, BODIES).set_index("baseline_kind")
    earlier = table.loc["earlier_year"]
    assert (earlier["baseline_value"], earlier["change"], earlier["pct_change"]) == (2, 2, 100.0)
    assert table.loc["cumulative_difference", "baseline_value"] == 4
    peer = table.loc["peer"]
    assert (peer["baseline_body"], peer["baseline_value"]) == ("b", 3)  # same level, nearby year only
    gone = table[table["indicator_id"] == "chair_meetings"]
    assert len(gone) == 1 and pd.isna(gone.iloc[0]["value"]) and "not in 2023" in gone.iloc[0]["note"]


def test_a_baseline_counted_in_another_unit_is_shown_but_not_differenced():
    target = fact("a", "2023-01-01", "2023-12-31", "calendar_year", "deputy_suggestions", 20000, "document", 2023, 1)
    target["unit"] = "条"
    same_family = fact("b", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 3, report_year=2023)
    same_family["unit"] = "部"
    mine = fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 4, "document", 2023, 5)
    mine["unit"] = "件"
    other = fact("b", "2023-01-01", "2023-12-31", "calendar_year", "deputy_suggestions", 404, report_year=2023)
    other["unit"] = "件"
    table = compare(panel_of(target, other, mine, same_family), "a", 2023, BODIES)
    rows = table[table["indicator_id"] == "deputy_suggestions"].set_index("baseline_kind")
    # shown as not comparable, never a peer bar or a change; the figure counts as having no baseline
    assert list(rows.index) == ["not_comparable", "none"]
    suggestions = rows.loc["not_comparable"]
    assert suggestions["baseline_value"] == 404 and pd.isna(suggestions["change"])
    assert "counted in 件, not 条" in suggestions["note"] and suggestions["note"].startswith("peer:")
    table = table.set_index("indicator_id")
    assert table.loc["laws_enacted", "change"] == 1  # 件 and 部 both count laws


def test_indicator_without_baseline_is_listed():
    panel = panel_of(fact("a", "2023-01-01", "2023-12-31", "calendar_year", "party_lectures", 5, "document", 2023, 1))
    table = compare(panel, "a", 2023, BODIES)
    assert list(table["baseline_kind"]) == ["none"]


def test_each_baseline_kind_states_the_period_it_covers():
    panel = panel_of(
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "sc_sessions", 9, "document", 2023, 1),
        fact("a", "2022-01-01", "2022-12-31", "calendar_year", "sc_sessions", 8, report_year=2022),
        fact("a", "2017", "2022-02", "term_total", "sc_sessions", 60),
        fact("a", "2015-11", "2021-12", "cumulative", "sc_sessions", 20),
        fact("a", "2015-11", "2022-12", "cumulative", "sc_sessions", 30),
        fact("a", "2023-12-20", "2023-12-20", "ordinal", "sc_sessions", 39),
        fact("b", "2023-01-01", "2023-12-31", "calendar_year", "sc_sessions", 7, report_year=2023),
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "party_lectures", 5, "document", 2023, 2),
        fact("a", "2021-01-01", "2021-12-31", "calendar_year", "chair_meetings", 20, report_year=2021),
    )
    table = compare(panel, "a", 2023, BODIES)
    periods = {
        (row.indicator_id, row.baseline_kind): (row.baseline_start, row.baseline_end, row.baseline_period)
        for row in table.itertuples()
        if row.baseline_kind != "none"
    }
    assert periods == {
        ("sc_sessions", "earlier_year"): ("2022-01-01", "2022-12-31", "2022-01-01 to 2022-12-31"),
        ("sc_sessions", "term_total_annualised"): ("2017", "2022-02", "2017 to 2022-02"),
        # the window between two cumulative dates, not either total's own period
        ("sc_sessions", "cumulative_difference"): ("2021-12", "2022-12", "2021-12 to 2022-12"),
        # an ordinal is a count up to one date: no start
        ("sc_sessions", "ordinal"): ("", "2023-12-20", "2023-12-20"),
        ("sc_sessions", "peer"): ("2023-01-01", "2023-12-31", "2023-01-01 to 2023-12-31"),
        # reported before, not this year: the latest period it was reported for
        ("chair_meetings", "calendar_year"): ("2021-01-01", "2021-12-31", "2021-01-01 to 2021-12-31"),
    }
    none = table[table["baseline_kind"] == "none"]
    assert list(none["indicator_id"]) == ["party_lectures"]
    assert none[["baseline_start", "baseline_end", "baseline_period"]].isna().all(axis=None)
    assert list(table.columns).index("baseline_start") + 1 == list(table.columns).index("baseline_end")


def test_an_ordinal_alone_is_no_baseline():
    panel = panel_of(
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "sc_sessions", 9, "document", 2023, 1),
        fact("a", "2023-12-20", "2023-12-20", "ordinal", "sc_sessions", 39),
    )
    table = compare(panel, "a", 2023, BODIES)
    assert list(table["baseline_kind"]) == ["ordinal", "none"]
    assert pd.isna(table.iloc[0]["change"])


def _doc(text):
    return Document(doc_id="t", raw=text, encoding="utf-8")


def test_named_laws_and_summary_check_pass_and_fail():
    text = "制定《城市绿化条例》《集中供热条例》,修订《物业管理条例》。检查《土壤污染防治法》实施情况。"
    assert named_laws(_doc(text)) == {
        "laws_enacted": ["城市绿化条例", "集中供热条例"],
        "laws_revised": ["物业管理条例"],
    }
    figures = panel_of(
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 2, "document", 2023, 1),
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_revised", 2, "document", 2023, 5),
    )
    rows = {r["indicator_id"]: r["status"] for r in check_summary_against_details(_doc(text), figures, "a", 2023)}
    assert rows == {"laws_enacted": "pass", "laws_revised": "fail"}


@pytest.mark.parametrize(("later", "status"), [(25, "pass"), (21, "fail")])
def test_cumulative_window_holding_the_year(later, status):
    panel = panel_of(
        fact("a", "2015", "2022-11", "cumulative", "laws_enacted", 20),
        fact("a", "2015", "2024-02", "cumulative", "laws_enacted", later),
    )
    figures = panel_of(fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 3, "document", 2023, 1))
    rows = [r for r in check_cumulative(panel, figures, "a", 2023) if r["check"] == "cumulative_vs_year"]
    assert [r["status"] for r in rows] == [status]


def test_cumulative_that_falls_fails():
    panel = panel_of(
        fact("a", "2015", "2022-11", "cumulative", "laws_enacted", 20),
        fact("a", "2015", "2024-02", "cumulative", "laws_enacted", 18),
    )
    rows = [r for r in check_cumulative(panel, panel_of(), "a", 2023) if r["check"] == "cumulative_never_falls"]
    assert [r["status"] for r in rows] == ["fail"]


@pytest.mark.parametrize(("count", "status"), [(23, "pass"), (40, "fail")])
def test_count_against_ordinal(count, status):
    panel = panel_of(fact("a", "2023-12-20", "2023-12-20", "ordinal", "chair_meetings", 39))
    figures = panel_of(
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "chair_meetings", count, "document", 2023, 1)
    )
    assert [r["status"] for r in check_ordinals(panel, figures, "a", 2023)] == [status]


def test_peers_are_bounded_to_the_nearest_years_then_by_body():
    from pipeline.compare.baselines import MAX_PEERS

    names = [f"p{i:02d}" for i in range(MAX_PEERS + 4)]
    bodies = pd.DataFrame({"body": ["a", *names], "name_zh": "x", "name_en": "x", "level": "city", "province": ""})
    rows = [fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 4, "document", 2023, 10)]
    # two peers two years away, listed first, and the rest in 2023 and 2022, in reverse body order
    rows += [fact(n, "2021-01-01", "2021-12-31", "calendar_year", "laws_enacted", 1, report_year=2021)
             for n in names[:2]]  # fmt: skip
    for i, n in reversed(list(enumerate(names[2:]))):
        year = 2023 if i % 2 == 0 else 2022
        rows.append(fact(n, f"{year}-01-01", f"{year}-12-31", "calendar_year", "laws_enacted", 2, report_year=year))
    table = compare(panel_of(*rows), "a", 2023, bodies)
    peers = table[table["baseline_kind"] == "peer"]
    same_year = sorted(n for i, n in enumerate(names[2:]) if i % 2 == 0)
    year_before = sorted(n for i, n in enumerate(names[2:]) if i % 2 == 1)
    expected = sorted((same_year + year_before)[:MAX_PEERS])
    assert list(peers["baseline_body"]) == expected  # nearest years first, then by body; listed by body
    assert len(peers) == MAX_PEERS and "p00" not in set(peers["baseline_body"])
