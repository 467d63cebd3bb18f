"""What the baseline chart draws from a comparison table: which indicators get a panel, in what
order, and which bars (and labels) each has."""

import pandas as pd

from pipeline.report import chart_data
from pipeline.report import data as report_data

COLUMNS = ("indicator_id", "indicator_zh", "indicator_en", "unit", "value", "baseline_kind", "baseline_value",
           "baseline_body", "baseline_start", "baseline_end")  # fmt: skip


def _data(rows: list[tuple]) -> report_data.ReportData:
    empty = pd.DataFrame()
    bodies = {
        "demo": {
            "name_zh": "示例市人大常委会",
            "name_en": "Standing Committee of the Demo Municipal People's Congress",
        },
        "peer": {"name_zh": "邻市人大常委会", "name_en": "Standing Committee of the Peer Municipal People's Congress"},
    }
    return report_data.ReportData(body="demo", year=2023, meta={}, doc_id="demo_2023", bodies=bodies, figures=empty,
                                  panel=empty, comparison=pd.DataFrame(rows, columns=list(COLUMNS)), checks=empty,
                                  repairs=empty, rejections=empty)  # fmt: skip


def test_panels_keep_the_comparisons_order_of_indicators_and_chart_only_counted_baselines():
    rows = [
        # `laws` first appears with a meeting number (no bar), then a count: it keeps its first place
        ("laws", "法规", "Laws", "件", "5", "ordinal", "12", "", "2023-01-01", "2023-12-31"),
        ("sessions", "会议", "Sessions", "次", "9", "earlier_year", "8", "", "2022-01-01", "2022-12-31"),
        ("laws", "法规", "Laws", "件", "5", "earlier_year", "4", "", "2022-01-01", "2022-12-31"),
        ("laws", "法规", "Laws", "件", "5", "peer", "7", "peer", "2023-01-01", "2023-12-31"),
        ("sessions", "会议", "Sessions", "次", "9", "term_total_annualised", "7.5", "", "2018-01-01", "2022-12-31"),
        ("sessions", "会议", "Sessions", "次", "9", "earlier_year", "约十", "", "2021-01-01", "2021-12-31"),
        ("blank", "空", "Blank", "项", "", "earlier_year", "3", "", "2022-01-01", "2022-12-31"),
        ("words", "文", "Words", "项", "4", "ordinal", "2", "", "2022-01-01", "2022-12-31"),
    ]
    panels = chart_data.baseline_panels(_data(rows))
    assert [p.title for p in panels] == ["法规（件）\nLaws", "会议（次）\nSessions"]
    laws, sessions = panels
    assert [(b.label, b.value, b.role) for b in laws.bars] == [
        ("示例市 2023 本年", 5.0, "this_year"), ("示例市 2022", 4.0, "own_past"), ("邻市 Peer 2023", 7.0, "peer")
    ]  # fmt: skip
    assert [(b.label, b.value) for b in sessions.bars] == [
        ("示例市 2023 本年", 9.0), ("示例市 2022", 8.0), ("示例市 2018-01-01–2022-12-31 任期年均", 7.5)
    ]  # fmt: skip
    assert sessions.bars[-1].hatch and not laws.bars[1].hatch


def test_panels_are_ordered_by_their_number_of_bars_keeping_ties_in_place():
    rows = [
        ("a", "甲", "A", "件", "1", "earlier_year", "2", "", "2022-01-01", "2022-12-31"),
        ("a", "甲", "A", "件", "1", "peer", "3", "peer", "2023-01-01", "2023-12-31"),
        ("b", "乙", "B", "件", "1", "earlier_year", "2", "", "2022-01-01", "2022-12-31"),
        ("c", "丙", "C", "件", "1", "earlier_year", "2", "", "2022-01-01", "2022-12-31"),
    ]
    assert [p.title[0] for p in chart_data.baseline_panels(_data(rows))] == ["乙", "丙", "甲"]
    assert chart_data.baseline_panels(_data([])) == []
