"""Figures: quantities (number + measure word or unit) that count or measure what a body did.

For each figure: offsets into the raw text, value in the base unit, unit, how exact the text is,
and a label of what was counted, with what a list leaves implicit restored
(召开立法听证会3次、座谈会17次 -> 召开座谈会; 制定法规3件、修订1件 -> 修订法规).

This module is the orchestration, paragraph by paragraph: quantities (extract.quantities, rejected
by the rules of extract.rejects), sentences and clauses (extract.clauses), labels
(extract.labels), indicator ids and categories (extract.classify).
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.extract.classify import CATEGORY_KEYWORDS, SECTION_CATEGORIES, _indicator_memo, _IndicatorMemo, categorise
from pipeline.extract.clauses import (
    CLAUSE_DELIMITERS,
    EVIDENCE_WINDOW,
    MAX_EVIDENCE,
    SENTENCE_END,
    _delimiter_positions,
    _last_delimiter,
    _raw_span,
    _sentences,
)
from pipeline.extract.labels import VERBS, _label_sentence
from pipeline.extract.model import Candidate, Extraction, Figure, Rejection
from pipeline.extract.quantities import find_quantities
from pipeline.extract.rejects import FIXED_EXPRESSIONS, UNIT_WORD_COLLISIONS
from pipeline.text.document import Document
from pipeline.text.layout import Layout, Paragraph, repair
from pipeline.text.normalise import traditional_character

__all__ = [
    "CATEGORY_KEYWORDS",
    "CLAUSE_DELIMITERS",
    "FIXED_EXPRESSIONS",
    "SECTION_CATEGORIES",
    "SENTENCE_END",
    "UNIT_WORD_COLLISIONS",
    "VERBS",
    "Extraction",
    "Figure",
    "Rejection",
    "categorise",
    "extract",
    "find_quantities",
]

_WHITE_SPACE = re.compile(r"\s")


def _indicator_id(text: str, delimiters: list[int], s0: int, cand: Candidate, memo: _IndicatorMemo) -> str:
    """The taxonomy's id for what `cand` counts ("" when none fits)."""
    fitting = memo.fits(cand.label, cand.quantity.unit)
    if not fitting or not fitting[0].context:
        # the usual case: no entry fits, or the best one does not look at the words around the figure
        return fitting[0].id if fitting else ""
    # bounded, as the evidence is: a text without sentence ends is one long sentence
    context_start = max(s0, cand.s - MAX_EVIDENCE)
    clause_start = min(_last_delimiter(delimiters, context_start, cand.s), max(cand.label_start, s0))
    # up to the figure, or through the words that name it (Candidate.label_end)
    context_end = max(cand.e, cand.label_end)
    return memo.map(cand.label, cand.quantity.unit, text[context_start:context_end], text[clause_start:context_end])


def _sentence_figures(
    paragraph: Paragraph,
    raw: str,
    raw_text: str,
    span: tuple[int, int],
    in_sentence: list[Candidate],
    delimiters: list[int],
    memo: _IndicatorMemo,
    own_forms: dict[int, str] | None,
    rejected: list[tuple[int, int, str]],
) -> list[Figure]:
    """The figures of one labelled sentence (text[s0:s1]); those split by a column break go to `rejected`."""
    text, offsets = paragraph.text, paragraph.offsets
    s0, s1 = span
    # strip white space around the sentence so the evidence reads cleanly
    while s0 < s1 and text[s0].isspace():
        s0 += 1
    sentence = raw_text[s0:s1].strip()
    section = paragraph.section.translate(own_forms) if own_forms else paragraph.section
    figures = []
    for cand in in_sentence:
        start, end = offsets[cand.s], offsets[cand.e - 1] + 1
        figure_text = raw[start:end]
        joined = raw_text[cand.s : cand.e]  # the same characters, unless a line or column break lies between
        if figure_text != joined and _WHITE_SPACE.sub("", figure_text) != _WHITE_SPACE.sub("", joined):
            # 十 | caption | 二次: the parts were joined across a column break, so raw[start:end]
            # would hold the caption too; a figure is one span of the text (a line wrap aside)
            rejected.append((cand.s, cand.e, "split by a column break: its parts lie apart in the text"))
            continue
        indicator_id = _indicator_id(text, delimiters, s0, cand, memo)
        e0, e1, evidence = s0, s1, sentence
        if s1 - s0 > MAX_EVIDENCE:
            # text without sentence ends (a page whose 。 were lost): a window around the figure,
            # or every figure would carry the whole text and the output grow with its square
            e0 = max(s0, cand.s - EVIDENCE_WINDOW)
            e1 = min(s1, cand.e + EVIDENCE_WINDOW)
            evidence = raw_text[e0:e1].strip()
        figures.append(
            Figure(
                start=start,
                end=end,
                text=figure_text,
                value=cand.quantity.value,
                unit=cand.quantity.unit,
                approx=cand.quantity.approx,
                indicator=cand.label.translate(own_forms) if own_forms else cand.label,
                section=section,
                sentence=evidence,
                sentence_start=offsets[e0],
                sentence_end=offsets[e1 - 1] + 1,
                category=memo.by_id[indicator_id].category
                if indicator_id
                else categorise(cand.label, paragraph.section),
                indicator_id=indicator_id,
            )
        )
    return figures


def _paragraph_figures(
    document: Document, paragraph: Paragraph, memo: _IndicatorMemo, own_forms: dict[int, str] | None = None
) -> tuple[list[Figure], list[Rejection]]:
    """The figures and rejections of one paragraph. `own_forms` (a traditional text's: _own_forms)
    puts labels and the section back into the document's own characters."""
    text = paragraph.text
    offsets = paragraph.offsets
    raw = document.raw
    candidates, rejected = find_quantities(text)
    # the paragraph's raw characters, position for position with `text` (offsets may jump at a join)
    raw_text = _raw_span(raw, offsets, 0, len(offsets)) if candidates else ""
    figures: list[Figure] = []
    delimiters = _delimiter_positions(text) if candidates else []
    next_candidate = 0
    for s0, s1 in _sentences(text) if candidates else ():
        # candidates are in text order: skip those before the sentence, take those inside it
        while next_candidate < len(candidates) and candidates[next_candidate].s < s0:
            next_candidate += 1
        first = next_candidate
        while next_candidate < len(candidates) and candidates[next_candidate].s < s1:
            next_candidate += 1
        in_sentence = candidates[first:next_candidate]
        if not in_sentence:
            continue
        _label_sentence(text, delimiters, s0, s1, in_sentence)
        figures.extend(
            _sentence_figures(paragraph, raw, raw_text, (s0, s1), in_sentence, delimiters, memo, own_forms, rejected)
        )
    rejections = [
        Rejection(offsets[s], offsets[e - 1] + 1, raw[offsets[s] : offsets[e - 1] + 1], reason)
        for s, e, reason in rejected
    ]
    return figures, rejections


def extract(document: Document, layout: Layout | None = None) -> Extraction:
    """All figures of a document, in raw-text order."""
    layout = layout or repair(document.norm)
    result = Extraction(document=document, layout=layout)
    memo = _indicator_memo()
    # labels are read in simplified characters; a reader of a traditional text sees them in its own
    own_forms = _own_forms(document) if document.traditional else None
    for paragraph in layout.paragraphs:
        figures, rejections = _paragraph_figures(document, paragraph, memo, own_forms)
        result.figures.extend(figures)
        result.rejections.extend(rejections)
    result.figures.sort(key=lambda f: (f.start, f.end))
    result.rejections.sort(key=lambda r: (r.start, r.end))
    return result


def _own_forms(document: Document) -> dict[int, str]:
    """simplified -> the traditional form this document writes it in (the commonest, where it uses two)."""
    norm = document.norm
    pairs = Counter((norm[m.start()], m.group()) for m in traditional_character().finditer(document.raw))
    forms: dict[int, str] = {}
    for (simplified, written), _count in pairs.most_common():
        if simplified != written:
            forms.setdefault(ord(simplified), written)
    return forms
