"""Each rule of compare.semantics, on tiny inputs, and as compare() applies it."""

import pandas as pd
import pytest

from pipeline.compare.baselines import compare
from pipeline.compare.checks import check_summary_against_details
from pipeline.compare.semantics import (
    EARLIER,
    LATER,
    OVERLAPPING,
    chart_unit_key,
    coverage_status,
    differencing_refused,
    is_earlier,
    period_months,
    timing,
)
from pipeline.reference.indicators import by_id
from pipeline.text.document import Document

from .test_compare import BODIES, fact, panel_of

Y2023 = (2023 * 12, 2023 * 12 + 11)


@pytest.mark.parametrize(
    ("start", "end", "when"),
    [
        ("2022-01-01", "2022-12-31", EARLIER),
        ("2017", "2022-02", EARLIER),  # a term that ended before the year
        ("2015-11", "2022-12", EARLIER),
        ("2022-12", "2024-01", OVERLAPPING),  # a window that holds the year is no earlier period
        ("2023-01-01", "2023-12-31", OVERLAPPING),  # the year itself
        ("2022-03", "2023-03", OVERLAPPING),  # a session year that ends inside the calendar year
        ("2024-06", "2025-09", LATER),  # starts after the year: later, never "earlier"
        ("2024-01-01", "2024-12-31", LATER),
        ("2023-06", "2024-06", LATER),
    ],
)
def test_only_earlier_periods_are_earlier(start, end, when):
    assert timing(period_months(start, end), Y2023) == when
    assert is_earlier(start, end, 2023) == (when == EARLIER)


def test_a_session_year_before_a_session_year_is_earlier():
    assert timing(period_months("2022-03", "2023-03"), period_months("2023-03", "2024-03")) == EARLIER
    assert timing(None, Y2023) == LATER  # undated: never taken as earlier


def test_units_that_do_not_count_the_same_thing_are_never_differenced():
    table = by_id()
    assert differencing_refused(table["laws_enacted"], "件", "部") == ""
    assert differencing_refused(table["special_work_reports"], "个", "项") == ""
    assert differencing_refused(table["satisfaction_evaluations"], "个", "次") == "counted in 次, not 个"
    assert differencing_refused(table["deputy_suggestions"], "件", "条") == "counted in 条, not 件"
    assert differencing_refused(None, "件", "部") == "counted in 部, not 件"  # no taxonomy entry: units must agree
    # a combined count is never differenced against a single one
    combined = table["inspections_and_surveys_combined"]
    assert differencing_refused(combined, "次", "次", other_kind="single") == "a combined count against a single one"
    assert differencing_refused(combined, "次", "次", other_kind="combined") == ""


def test_chart_keys_keep_non_equivalent_counts_apart():
    table = by_id()
    evaluations = table["satisfaction_evaluations"]
    assert chart_unit_key(evaluations, "个") == chart_unit_key(evaluations, "家")
    assert chart_unit_key(evaluations, "个") != chart_unit_key(evaluations, "次")
    suggestions = table["deputy_suggestions"]
    assert chart_unit_key(suggestions, "件") != chart_unit_key(suggestions, "条")


def test_coverage():
    assert coverage_status([2022, 2023], [2023], 2023) == "reported"
    assert coverage_status([2022, 2023], [2023], 2022) == "not_stated"
    assert coverage_status([2022, 2023], [2023], 2021) == "no_document"


def test_a_later_window_is_labelled_later_and_a_later_year_is_not_reported_before():
    panel = panel_of(
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 4, "document", 2023, 10),
        fact("a", "2015-11", "2024-06", "cumulative", "laws_enacted", 20),
        fact("a", "2015-11", "2025-09", "cumulative", "laws_enacted", 26),
        fact("a", "2024-01-01", "2024-12-31", "calendar_year", "laws_enacted", 7, report_year=2024),
        fact("a", "2024-01-01", "2024-12-31", "calendar_year", "chair_meetings", 20, report_year=2024),
        fact("a", "2022-01-01", "2022-12-31", "calendar_year", "sc_sessions", 8, report_year=2022),
    )
    table = compare(panel, "a", 2023, BODIES)
    laws = table[table["indicator_id"] == "laws_enacted"]
    assert list(laws["baseline_kind"]) == ["later_period", "none"]
    later = laws.iloc[0]
    assert (later["baseline_start"], later["baseline_end"]) == ("2024-06", "2025-09")
    assert pd.isna(later["change"]) and "later, not earlier than 2023" in later["note"]
    # a 2024 figure is not "reported before, not this year" for 2023; a 2022 one is
    gone = table[table["value"].isna()]
    assert list(gone["indicator_id"]) == ["sc_sessions"]
    assert list(gone["coverage"]) == ["not_stated"]
    assert set(table[table["value"].notna()]["coverage"]) == {"reported"}


def test_the_later_year_compares_with_the_earlier_one_year_on_year():
    panel = panel_of(
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 4, "document", 2023, 10),
        fact("a", "2024-01-01", "2024-12-31", "calendar_year", "laws_enacted", 7, "document", 2024, 10),
    )
    later = compare(panel, "a", 2024, BODIES)
    assert list(later["baseline_kind"]) == ["earlier_year"] and later.iloc[0]["change"] == 3
    earlier = compare(panel, "a", 2023, BODIES)
    assert list(earlier["baseline_kind"]) == ["none"]  # 2024 is no baseline of 2023


def test_two_figures_of_one_indicator_in_one_document_are_both_shown():
    first = fact("a", "2023-01-01", "2023-12-31", "calendar_year", "deputy_suggestions", 256, "document", 2023, 10)
    first.update(unit="件", source="doc")
    second = fact("a", "2023-01-01", "2023-12-31", "calendar_year", "deputy_suggestions", 18000, "document", 2023, 90)
    second.update(unit="条", source="doc", indicator="收集意见建议")
    repeat = dict(first, start=200)  # the same figure again (a heading repeated in the body): no row
    table = compare(panel_of(first, second, repeat), "a", 2023, BODIES)
    same = table[table["baseline_kind"] == "not_comparable"]
    assert len(same) == 1 and same.iloc[0]["baseline_value"] == 18000
    note = same.iloc[0]["note"]
    assert note.startswith("same_document:") and "offset 90" in note and "uses the first mention, at offset 10" in note
    assert table.iloc[0]["value"] == 256


def test_absent_evidence_is_inconclusive_not_a_failure():
    figures = panel_of(fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 3, "document", 2023, 1))
    document = Document(doc_id="t", raw="制定地方性法规3件。", encoding="utf-8")
    (row,) = check_summary_against_details(document, figures, "a", 2023)
    assert row["status"] == "inconclusive" and "names no law" in row["explanation"]
    named = Document(doc_id="t", raw="制定地方性法规3件。制定《城市绿化条例》。", encoding="utf-8")
    (row,) = check_summary_against_details(named, figures, "a", 2023)
    assert row["status"] == "fail"  # evidence that disagrees still fails


def test_the_previous_year_is_reported_not_stated_or_without_a_document():
    panel = panel_of(
        fact("a", "2024-01-01", "2024-12-31", "calendar_year", "laws_enacted", 4, "document", 2024, 10),
        fact("a", "2024-01-01", "2024-12-31", "calendar_year", "sc_sessions", 8, "document", 2024, 20),
        fact("a", "2023-01-01", "2023-12-31", "calendar_year", "laws_enacted", 3, "document", 2023, 10),
    )
    table = compare(panel, "a", 2024, BODIES).drop_duplicates("indicator_id").set_index("indicator_id")
    assert table.loc["laws_enacted", "previous_year_coverage"] == "reported"
    assert table.loc["sc_sessions", "previous_year_coverage"] == "not_stated"  # 2023's document omits it
    earlier = compare(panel, "a", 2023, BODIES).set_index("indicator_id")
    assert earlier.loc["laws_enacted", "previous_year_coverage"] == "no_document"  # no 2022 document


def test_the_earlier_year_is_its_first_mention_whatever_the_order_of_the_rows():
    target = fact("a", "2023-01-01", "2023-12-31", "calendar_year", "sc_sessions", 9, "document", 2023, 10)
    target["source"] = "a/2023"
    earlier = []
    for i, start in enumerate([900, 300, 40, 700, 120, 500, 60, 800, 200, 400, 600, 1000, 1100, 1200, 1300, 20]):
        row = fact("a", "2022-01-01", "2022-12-31", "calendar_year", "sc_sessions", 30 + i, "document", 2022, start)
        row["source"] = "a/2022"  # one document stating it sixteen times; the first, at offset 20, says 45
        earlier.append(row)
    published = fact("a", "2022-01-01", "2022-12-31", "calendar_year", "sc_sessions", 7, report_year=2022)
    for rows in (earlier, earlier[::-1]):
        table = compare(panel_of(target, published, *rows), "a", 2023, BODIES).set_index("baseline_kind")
        assert table.loc["earlier_year", "baseline_value"] == 45 and table.loc["earlier_year", "change"] == -36
    alone = compare(panel_of(target, published), "a", 2023, BODIES).set_index("baseline_kind")
    assert alone.loc["earlier_year", "baseline_value"] == 7  # a published figure where no document states it
