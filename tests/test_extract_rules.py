"""The rejection rules (pipeline.extract.rejects.RULES) and the word lists kept as data.

Every rule's example goes through the whole extractor (layout repair, quantities, labels): the rule
must fire on it with its own reason, which also means no earlier rule took the numeral first."""

import re

import pytest

from pipeline.extract import figures, labels, rejects, wordlists
from pipeline.extract.rejects import RULES
from pipeline.text.document import Document


def _rejections(text: str) -> list[tuple[str, str]]:
    extraction = figures.extract(Document(doc_id="rule-example", raw=text, encoding="utf-8"))
    return [(r.text, r.reason) for r in extraction.rejections]


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_each_rule_fires_on_its_example_with_its_reason(rule):
    found = _rejections(rule.example)
    assert any(rule.gives(reason) for _text, reason in found), (rule.name, found)
    # the reason it gave is its own, not also the template of another rule
    reason = next(reason for _text, reason in found if rule.gives(reason))
    assert [r.name for r in RULES if r.gives(reason)] == [rule.name]


# not_a_numeral is left out: every rule after it reads the value it found missing
@pytest.mark.parametrize("rule", RULES[1:], ids=[r.name for r in RULES[1:]])
def test_the_example_needs_its_rule(rule):
    """The rule fires on the example because of itself: drop it and the numeral is taken or
    rejected for another reason."""
    index = RULES.index(rule)
    without = RULES[:index] + RULES[index + 1 :]
    original = rejects.RULES
    try:
        rejects.RULES = without
        rejects._BY_UNIT.clear()  # the rules by measure word are picked from RULES as units come up
        found = _rejections(rule.example)
    finally:
        rejects.RULES = original
        rejects._BY_UNIT.clear()
    assert not any(rule.gives(reason) for _text, reason in found), (rule.name, found)


def test_rule_names_are_unique_and_reasons_filled_in():
    assert len({r.name for r in RULES}) == len(RULES)
    found = _rejections("全市14亿人民。")
    assert ("14亿人", "measure word is part of the word 人民") in found
    found = _rejections("受理来信13912345678件。")
    assert [reason for _t, reason in found] == ["implausible magnitude for 件 (a typo, a phone or document number?)"]


def test_a_figure_passes_every_rule():
    extraction = figures.extract(Document(doc_id="t", raw="常委会召开会议9次。", encoding="utf-8"))
    assert [(f.text, f.indicator) for f in extraction.figures] == [("9次", "召开常委会会议")]
    assert extraction.rejections == []


def test_gives_matches_the_template_and_nothing_else():
    collision = next(r for r in RULES if r.name == "unit_word_collision")
    assert collision.gives("measure word is part of the word 期间")
    assert not collision.gives("measure word is part of the word ")
    assert not collision.gives("ordinal (第…)")


def test_word_lists_come_from_the_yaml_files():
    assert "八项规定" in rejects.FIXED_EXPRESSIONS and "一岗双责" in rejects.FIXED_EXPRESSIONS
    assert rejects.UNIT_WORD_COLLISIONS["期"] == "间限望待盼刊"
    assert "召开" in labels.VERBS and labels.VERBS == sorted(labels.VERBS, key=len, reverse=True)
    assert figures.CATEGORY_KEYWORDS[0][0] == "party" and figures.SECTION_CATEGORIES[-1][0] == "self_building"
    # read once: the same object each time
    assert wordlists.load("verbs") is wordlists.load("verbs")


def test_every_lexicon_file_says_what_it_is_for():
    from importlib import resources

    folder = resources.files("pipeline.extract").joinpath("lexicons")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    assert names == [
        "categories.yaml",
        "fixed_expressions.yaml",
        "label_words.yaml",
        "unit_word_collisions.yaml",
        "verbs.yaml",
    ]
    for name in names:
        text = folder.joinpath(name).read_text(encoding="utf-8")
        assert re.match(r"# \S", text), name


def test_a_malformed_word_list_is_refused(monkeypatch):
    monkeypatch.setattr(wordlists, "load", lambda name: {"verbs": ["召开", ""]})
    with pytest.raises(TypeError, match="non-empty strings"):
        wordlists.words("verbs", "verbs")
    monkeypatch.setattr(wordlists, "load", lambda name: {"label_keywords": ["党组"]})
    with pytest.raises(TypeError, match="map names"):
        wordlists.groups("categories", "label_keywords")


def test_a_rule_limited_to_some_measure_words_is_skipped_for_others():
    limited = [r for r in RULES if r.units]
    assert {r.name for r in limited} == {"session_ordinal", "slogan_length", "announced_list"}
    for rule in limited:  # the filter only saves work: with another measure word the rule does not fire
        unit = next(iter(rule.units))
        assert unit in rule.example
        found = _rejections(rule.example.replace(unit, "项"))
        assert not any(rule.gives(reason) for _t, reason in found), (rule.name, found)


def test_steps_that_lean_on_the_previous_figure_give_nothing_for_the_first():
    from pipeline.extract.model import Candidate
    from pipeline.text.numerals import Quantity

    cand = Candidate(0, 2, Quantity(value=3, unit="件", approx="exact"))
    around = labels._Around(0, cand, None, "修订", "修订", "", False, "", "修订", "", {})
    for step in labels._LEANING:
        assert step(around) is None, step.__name__
    assert [s.__name__ for s in labels._FIRST_STEPS] == ["_given_out", "_named_after", "_own_words"]


def test_steps_that_read_the_words_before_give_nothing_when_there_are_none():
    from pipeline.extract.model import Candidate
    from pipeline.text.numerals import Quantity

    previous = Candidate(0, 2, Quantity(value=3, unit="人", approx="exact"), label="发放补贴", verb="发放", obj="补贴")
    cand = Candidate(3, 5, Quantity(value=4, unit="元", approx="exact"))
    around = labels._Around(1, cand, previous, "", "", "", False, ",", "", "", {})
    for step in labels._READING_LEFT:
        assert step(around) is None, step.__name__
    assert [s.__name__ for s in labels._AFTER_NOTHING_STEPS] == [
        "_given_out", "_named_after", "_measured_otherwise", "_own_words"
    ]  # fmt: skip
    assert labels._measured_otherwise(around) == "发放补贴金额"
