"""Every method note in Chinese and in English: the wordings table, and every kind of comparison row."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.compare import notes
from pipeline.compare.baselines import BASELINE_KINDS, COMPARISON_COLUMNS, NO_BASELINE, compare
from pipeline.compare.notes import WORDINGS, Note, label, placeholders
from pipeline.compare.semantics import LATER_KIND, NOT_COMPARABLE_KIND, OVERLAPPING_KIND, SAME_DOCUMENT_KIND, refusal
from pipeline.reference.indicators import KINDS, by_id
from pipeline.reference.readers import BODY_LEVELS

from .test_compare import BODIES, fact, panel_of

CJK = re.compile(r"[\u4e00-\u9fff]")
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # characters and full-width punctuation
ROW_KINDS = (*BASELINE_KINDS, NO_BASELINE, SAME_DOCUMENT_KIND, NOT_COMPARABLE_KIND, LATER_KIND, OVERLAPPING_KIND)


def _doc(ident, value, start, unit="次"):
    row = fact("a", "2023-01-01", "2023-12-31", "calendar_year", ident, value, "document", 2023, start)
    row.update(source="a/2023/report.txt", unit=unit, indicator=f"{ident} as written")
    return row


def _peer_in(unit):
    return dict(
        fact("b", "2023-01-01", "2023-12-31", "calendar_year", "deputy_suggestions", 404, report_year=2023), unit=unit
    )


def every_kind_of_row() -> pd.DataFrame:
    """One body-year with a row of every kind: each baseline method, a peer, none, a second mention,
    a peer counted in another unit, a later and an overlapping window, an indicator not reported."""
    panel = panel_of(
        _doc("sc_sessions", 9, 1),
        _doc("sc_sessions", 10, 50),  # a second mention in the same document
        _doc("deputy_suggestions", 20000, 80, unit="条"),
        _doc("party_lectures", 5, 120),  # nothing to compare with
        fact("a", "2022-01-01", "2022-12-31", "calendar_year", "sc_sessions", 8, report_year=2022),
        fact("a", "2017", "2022-02", "term_total", "sc_sessions", 60),  # start month assumed
        fact("a", "2015-11", "2021-12", "cumulative", "sc_sessions", 20),
        fact("a", "2015-11", "2022-12", "cumulative", "sc_sessions", 30),
        fact("a", "2015-11", "2024-06", "cumulative", "sc_sessions", 40),  # 2022-12 .. 2024-06 overlaps 2023
        fact("a", "2015-11", "2025-06", "cumulative", "sc_sessions", 50),  # 2024-06 .. 2025-06 is later
        fact("a", "2023-12-20", "2023-12-20", "ordinal", "sc_sessions", 39),
        fact("b", "2023-01-01", "2023-12-31", "calendar_year", "sc_sessions", 7, report_year=2023),
        _peer_in("件"),
        fact("a", "2021-01-01", "2021-12-31", "calendar_year", "chair_meetings", 20, report_year=2021),
    )
    return compare(panel, "a", 2023, BODIES)


@pytest.mark.parametrize("key", sorted(WORDINGS))
def test_every_wording_has_both_languages_with_the_same_values(key):
    zh, en = WORDINGS[key]
    assert CHINESE.search(zh), f"{key}: the Chinese wording has no Chinese"
    assert en.strip() and not CJK.search(en), f"{key}: the English wording is empty or not English"
    if key.startswith("when."):  # the English says "later"; the Chinese says later than which year
        assert placeholders(en) <= placeholders(zh)
    else:
        assert placeholders(en) == placeholders(zh)
    values = {name: Note.of("period.calendar_year") if name == "period" else "7" for name in placeholders(zh)}
    for text in (Note.of(key, **values).zh, Note.of(key, **values).en):
        assert "{" not in text and "}" not in text


def test_every_kind_of_comparison_row_says_how_it_was_computed_in_both_languages(monkeypatch):
    used: set[str] = set()
    render = Note.render
    monkeypatch.setattr(Note, "render", lambda self, language: used.add(self.key) or render(self, language))
    table = every_kind_of_row()
    assert COMPARISON_COLUMNS.index("note_zh") == COMPARISON_COLUMNS.index("note") + 1
    kinds = set(table["baseline_kind"])
    assert set(ROW_KINDS) <= kinds | {"peer"}, f"kinds missing from the example: {set(ROW_KINDS) - kinds}"
    assert "calendar_year" in kinds  # the indicator reported before, not this year
    for kind in sorted(kinds):
        for row in table[table["baseline_kind"] == kind].itertuples():
            # the English names units and labels as the text gives them (件, 召开常委会会议), in English words
            assert CJK.search(row.note_zh) and re.match(r"[a-z]", row.note), (kind, row)
            assert "{" not in row.note_zh + row.note, (kind, row)
    # every wording a comparison row can have was used; the rest are labels, or rule 2's other reason
    sentences = {k for k in WORDINGS if "." not in k and k != "kind_differs"}
    assert sentences <= used, f"never rendered: {sentences - used}"


def test_the_two_languages_state_the_same_figures():
    table = every_kind_of_row().set_index("baseline_kind")
    for kind in ("term_total_annualised", "cumulative_difference", "ordinal", "earlier_year"):
        note, note_zh = table.loc[kind, "note"], table.loc[kind, "note_zh"]
        assert re.findall(r"\d+(?:\.\d+)?", note) and sorted(re.findall(r"\d+", note)) == sorted(
            re.findall(r"\d+", note_zh)
        ), kind
    term = table.loc["term_total_annualised"]
    assert "60 / 5.0 = 12.0 a year" in term["note"] and "按年数折合年均：60 ÷ 5.0 = 每年12.0" in term["note_zh"]
    assert "起始月份未载明，按2017-02计" in term["note_zh"]
    assert "两个累计数之差为10" in table.loc["cumulative_difference", "note_zh"]
    peer = table.loc[NOT_COMPARABLE_KIND]
    assert peer["note"].startswith("peer:") and "counted in 件, not 条" in peer["note"]
    assert peer["note_zh"].startswith("同级机关数字：") and "基准以件计，本年数字以条计" in peer["note_zh"]


def test_every_level_and_indicator_kind_a_note_names_has_a_chinese_label():
    for level in BODY_LEVELS:
        assert CJK.search(label("level", level).zh), level
    for kind in KINDS:
        assert CJK.search(label("indicator_kind", kind).zh), kind
    assert label("level", "no-such-level") == "no-such-level"  # an unknown value is shown as it is


def test_a_combined_count_against_a_single_one_is_said_in_both_languages():
    combined = next(i for i in by_id().values() if i.kind == "combined")
    why = refusal(combined, "次", "次", other_kind="single")
    assert why.en == "a combined count against a single one" and why.zh == "合计数与单项数相比"


def test_a_note_with_an_unknown_wording_is_refused():
    with pytest.raises(KeyError, match="no wording"):
        notes.Note.of("no_such_note")
