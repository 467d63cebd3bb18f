"""The seed document against the gold list an analyst made of it (tests/fixtures)."""

import re

import pytest

from pipeline.extract.figures import extract
from pipeline.text.document import read_document

from .conftest import FIXTURES, SEED
from .scoring import f1, full_ok, load_gold, match, value_ok

GOLD = load_gold(FIXTURES / "lvliang_2023.gold.csv")


@pytest.fixture(scope="module")
def figures():
    return extract(read_document(SEED)).figures


@pytest.mark.parametrize("row", [r for r in GOLD if r["required"] == "1"], ids=lambda r: f"{r['start']}-{r['text']}")
def test_every_required_figure_is_found_with_value_unit_approx_and_label(figures, row):
    pairs, _ = match(figures, [row])
    m = pairs[0]
    assert m.figure is not None, f"missed {row['text']} ({row['indicator']})"
    assert value_ok(m), (m.figure.value, m.figure.unit)
    assert full_ok(m), (m.figure.approx, m.figure.indicator, row["key"])


def test_no_figure_outside_the_gold_list(figures):
    _, false_alarms = match(figures, GOLD)
    assert [f.text for f in false_alarms] == []


def test_f1(figures):
    assert f1(figures, GOLD, value_ok) == 1.0
    assert f1(figures, GOLD, full_ok) >= 0.95


def test_offsets_point_at_the_figure_text(figures, seed_text):
    for f in figures:
        assert seed_text[f.start : f.end] == f.text
        assert seed_text[f.sentence_start : f.sentence_end] in (
            f.sentence,
            seed_text[f.sentence_start : f.sentence_end],
        )
        assert f.text in f.sentence


NOT_FIGURES = [
    "第九次会议",
    "十四届",
    "2024年",
    "12.4宪法日",
    "75周年",
    "70周年",
    "两个确立",
    "两个维护",
    "十四五",
    "三区三线",
    "八项规定",
    "985重点产业链",
    "十要",
    "一年来",
    "一批",
    "一盘棋",
    "征程万里",
    "重任千钧",
    "百姓",
    "一项重要内容",
    "一幅",
    "一起补短板",
    "四个机关",
    "一举",
    "一线",
]


@pytest.mark.parametrize("phrase", NOT_FIGURES)
def test_non_figures_are_not_extracted(figures, seed_text, phrase):
    spans = [(m.start(), m.end()) for m in re.finditer(re.escape(phrase), seed_text)]
    assert spans, f"{phrase} should occur in the seed"
    clashes = [f.text for f in figures for s, e in spans if f.start < e and s < f.end]
    assert clashes == []


def test_sections_and_repairs(figures):
    by_text = {(f.start, f.text): f for f in figures}
    # 14次 (常委会党组会议) sits in a column continued from "固基础、提效能…" across a photo caption
    party = by_text[(4220, "14次")]
    assert party.section.startswith("固基础")
    # the evidence of 14件 is the sentence joined across the column cut 提升审查质 | 效
    reviewed = by_text[(3026, "14件")]
    assert "提升审查质效,维护法制统一。" in reviewed.sentence
    assert by_text[(103, "9次")].section == "前言"
