"""What a figure is about: its indicator id in the taxonomy, else the part of the work it belongs to.

The category words are data: lexicons/categories.yaml.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.wordlists import groups
from pipeline.reference.indicators import Indicator, by_id, default_taxonomy, titles_as_kinds
from pipeline.text.patterns import literal_alternation

CATEGORY_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = groups("categories", "label_keywords")
SECTION_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = groups("categories", "section_keywords")

# each category's words as one pattern: one search per category instead of one `in` per word
_CATEGORY_PATTERNS = tuple((category, re.compile(literal_alternation(words))) for category, words in CATEGORY_KEYWORDS)
_SECTION_PATTERNS = tuple((category, re.compile(literal_alternation(words))) for category, words in SECTION_CATEGORIES)


@lru_cache(maxsize=65536)  # labels and sections recur across reports
def categorise(label: str, section: str) -> str:
    for category, pattern in _CATEGORY_PATTERNS:
        if pattern.search(label):
            return category
    for category, pattern in _SECTION_PATTERNS:
        if pattern.search(section):
            return category
    return "other"


class _IndicatorMemo:
    """map_label and the id -> indicator table for one taxonomy, remembered per (label, unit).

    The same labels (召开常委会会议, 次) recur in every report; the taxonomy is read once."""

    def __init__(self, taxonomy: tuple) -> None:
        self.taxonomy = taxonomy
        self.by_id = by_id(taxonomy)
        self.fitting: dict[tuple[str, str], tuple[Indicator, ...]] = {}
        # the entries that take each unit, in taxonomy order: a label is matched against those only
        # (a unit is taken by a third of the entries at most)
        by_unit: dict[str, list[Indicator]] = {}
        for indicator in taxonomy:
            for unit in dict.fromkeys(indicator.units):
                by_unit.setdefault(unit, []).append(indicator)
        self.taking_unit = {unit: tuple(indicators) for unit, indicators in by_unit.items()}

    def map(self, label: str, unit: str, context: str = "", clause: str = "") -> str:
        # what fits the label and unit is remembered; the sentence around it is checked each time,
        # and only for the few entries that ask for it
        for indicator in self.fits(label, unit):
            if indicator.context_allows(label, context, clause):
                return indicator.id
        return ""

    def fits(self, label: str, unit: str) -> tuple[Indicator, ...]:
        """The entries whose pattern and units fit the label and unit (their context not looked at), best first."""
        key = (label, unit)
        fitting = self.fitting.get(key)
        if fitting is None:
            if len(self.fitting) > 100_000:  # bounded, for a run over tens of thousands of reports
                self.fitting.clear()
            matchable = titles_as_kinds(label)  # 制定《…条例》等 is matched as 制定条例, as map_label does
            fitting = self.fitting[key] = tuple(
                i for i in self.taking_unit.get(unit, ()) if i.fits_label(matchable, unit)
            )
        return fitting


_MEMO: _IndicatorMemo | None = None


def _indicator_memo() -> _IndicatorMemo:
    global _MEMO
    taxonomy = default_taxonomy()
    if _MEMO is None or _MEMO.taxonomy is not taxonomy:
        _MEMO = _IndicatorMemo(taxonomy)
    return _MEMO
