"""Scoring a copy of a document (web page, PDF, .docx) against the same text given as .txt: the
(value, unit) figures of each, compared as multisets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.extract.figures import extract
from pipeline.extract.rows import figure_rows
from pipeline.intake.read import read_path
from pipeline.text.document import Document


@dataclass
class Score:
    true_positive: int
    expected: int
    found: int
    missing: list[tuple[str, str]]
    extra: list[tuple[str, str]]

    @property
    def f1(self) -> float:
        if self.expected == 0 and self.found == 0:
            return 1.0
        return 2 * self.true_positive / (self.expected + self.found)


def text_figures(text: str) -> list[dict]:
    return figure_rows(extract(Document(doc_id="text", raw=text, encoding="utf-8")))


def file_figures(path: Path) -> tuple[list[dict], str]:
    """The figures of a file of any format, and the text they index."""
    intake = read_path(path)
    return figure_rows(extract(intake.document)), intake.document.raw


def score(expected: list[dict], found: list[dict]) -> Score:
    want = Counter((r["value"], r["unit"]) for r in expected)
    got = Counter((r["value"], r["unit"]) for r in found)
    hits = sum((want & got).values())
    return Score(
        true_positive=hits,
        expected=sum(want.values()),
        found=sum(got.values()),
        missing=sorted((want - got).elements()),
        extra=sorted((got - want).elements()),
    )


def pooled_f1(scores: list[Score]) -> float:
    hits = sum(s.true_positive for s in scores)
    total = sum(s.expected + s.found for s in scores)
    return 1.0 if total == 0 else 2 * hits / total
