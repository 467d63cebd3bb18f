"""What extraction produces (Figure, Rejection, Extraction) and the working record of one quantity."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.text.document import Document
from pipeline.text.layout import Layout
from pipeline.text.numerals import Quantity


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    text: str
    value: Decimal
    unit: str
    approx: str
    indicator: str
    section: str
    sentence: str
    sentence_start: int
    sentence_end: int
    category: str = ""
    indicator_id: str = ""
    kind: str = "actual"


@dataclass(frozen=True)
class Rejection:
    start: int
    end: int
    text: str
    reason: str


@dataclass
class Extraction:
    document: Document
    layout: Layout
    figures: list[Figure] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(slots=True)
class Candidate:
    """A quantity taken as a figure, while its sentence is labelled."""

    s: int  # positions in the paragraph text
    e: int
    quantity: Quantity
    label: str = ""
    verb: str = ""
    obj: str = ""
    subject: str = ""
    label_start: int = 0  # where the words that name it start: before a colon, for a list item (主任会议：21次)
    label_end: int = 0  # where the words that name it end: after the figure when it opens its clause
    # the words before a figure that opens its noun (召开 of 召开9次常委会会议), which the next item
    # of a number-before-noun list shares (、21次主任会议 -> 召开主任会议); None when it does not
    lead: str | None = None
