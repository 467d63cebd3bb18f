"""A PDF's text layer -> the report's text, one paragraph a line, each line mapped to its page.

pypdfium2 gives each page's characters in the order the page draws them (for a browser's or a word
processor's PDF, the reading order, columns one after the other) with their boxes. Lines are then:
- dropped when they are running heads, footers or page numbers: in the page's top or bottom band
  and either repeated on other pages (digits aside), in small print, or a page number or print
  header by intake/furniture.yaml;
- rejoined when a line ran to the edge of its column and the next does not start a paragraph
  (it is not indented, its print is the same size: a heading's is larger): inside a word, between a number and its
  measure word (48 / 次), across a column or a page.
A PDF without a text layer (a scan) is refused: it needs OCR.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pipeline.errors import UnreadableDocument
from pipeline.intake.derived import Derived, TextBuilder
from pipeline.intake.formats import furniture, furniture_reason


@dataclass
class Line:
    page: int  # 1-based
    text: str
    left: float
    bottom: float
    right: float
    top: float
    size: float  # the height of its tallest character: the print size

    @property
    def box(self) -> list[float]:
        return [round(self.left, 1), round(self.bottom, 1), round(self.right, 1), round(self.top, 1)]


def _page_lines(textpage: Any, number: int) -> list[Line]:
    """The page's characters as lines: a line ends at PDFium's line break, and also where the next
    character stands on another baseline or goes back to the left (a running head drawn after
    the body text, a new column)."""
    text = textpage.get_text_range()
    count = min(len(text), textpage.count_chars())
    lines: list[Line] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []

    def close() -> None:
        line = "".join(chars)
        if line.strip() and boxes:
            lines.append(
                Line(
                    page=number,
                    text=line,
                    left=min(b[0] for b in boxes),
                    bottom=min(b[1] for b in boxes),
                    right=max(b[2] for b in boxes),
                    top=max(b[3] for b in boxes),
                    size=statistics.median(b[3] - b[1] for b in boxes),
                )
            )
        chars.clear()
        boxes.clear()

    for i in range(count):
        ch = text[i]
        if ch in "\r\n":
            close()
            continue
        if ch.isspace():
            chars.append(ch)
            continue
        box = textpage.get_charbox(i, loose=True)
        if boxes:
            last = boxes[-1]
            size = max(last[3] - last[1], box[3] - box[1], 1.0)
            other_line = abs((box[1] + box[3]) / 2 - (last[1] + last[3]) / 2) > 0.5 * size
            if other_line or box[0] < last[0] - size:
                close()
        chars.append(ch)
        boxes.append(box)
    close()
    return lines


def _open(data: bytes, name: str) -> tuple[list[list[Line]], list[float]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument(
            f"{name}: a PDF that cannot be opened ({exc}); is it damaged or password-protected?"
        ) from exc
    try:
        pages, heights = [], []
        for index in range(len(pdf)):
            page = pdf[index]
            heights.append(page.get_height())
            textpage = page.get_textpage()
            pages.append(_page_lines(textpage, index + 1))
            textpage.close()
            page.close()
    finally:
        pdf.close()
    return pages, heights


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _margin_lines(pages: list[list[Line]], heights: list[float], body_size: float) -> dict[int, str]:
    """id(line) -> why it is a running head, footer or page number."""
    rules = furniture()["pdf"]
    band = rules["margin_band"]
    in_band = [
        (line, h)
        for lines, h in zip(pages, heights, strict=True)
        for line in lines
        if line.bottom >= h * (1 - band) or line.top <= h * band
    ]
    shapes = Counter(_shape(line.text) for line, _h in in_band)
    # counted once a page: a shape on most pages is a running head
    pages_with = Counter()
    for lines in pages:
        for shape in {_shape(line.text) for line in lines}:
            pages_with[shape] += 1
    need = max(2, round(rules["repeat_share"] * len(pages)))
    why: dict[int, str] = {}
    for line, _h in in_band:
        shape = _shape(line.text)
        reason = furniture_reason(line.text)
        if reason in ("page number", "print header"):
            why[id(line)] = reason
        elif len(pages) >= 2 and pages_with[shape] >= need and shapes[shape] >= 2:
            why[id(line)] = "running head or foot"
        elif line.size < rules["small_print"] * body_size:
            why[id(line)] = "small print in the margin"
    return why


def _right_edges(lines: list[Line], body_size: float) -> list[float]:
    """The right edges that several lines run to: the columns' right margins."""
    tolerance = 0.3 * body_size
    edges: list[list[float]] = []
    for right in sorted(line.right for line in lines):
        if edges and right - edges[-1][-1] <= tolerance:
            edges[-1].append(right)
        else:
            edges.append([right])
    need = max(3, len(lines) // 25)  # two paragraph ends may meet by chance; three rarely
    return [statistics.median(group) for group in edges if len(group) >= need]


def _left_edges(lines: list[Line], body_size: float) -> list[float]:
    tolerance = 0.3 * body_size
    edges: list[list[float]] = []
    for left in sorted(line.left for line in lines):
        if edges and left - edges[-1][-1] <= tolerance:
            edges[-1].append(left)
        else:
            edges.append([left])
    return [min(group) for group in edges if len(group) >= 2]


def _runs_to_edge(line: Line, edges: list[float], size: float) -> bool:
    """The line ends at a right edge that other lines run to too (a full line of a column)."""
    return any(abs(line.right - edge) <= 0.5 * size for edge in edges)


def _starts_paragraph(line: Line, lefts: list[float], size: float) -> bool:
    """Indented from its column's left edge (the leftmost edge up to four characters to its left):
    the first line of a paragraph."""
    edge = min((e for e in lefts if line.left - 4 * size <= e <= line.left + 0.3 * size), default=line.left)
    return line.left - edge > 0.8 * size


def _joiner(before: str, after: str) -> tuple[str, str]:
    """How two wrapped lines meet: (end of the first, separator)."""
    if re.search(r"[A-Za-z]-$", before) and re.match(r"[a-z]", after):
        return before[:-1], ""  # a word hyphenated at the edge
    if before.endswith("\xad"):
        return before[:-1], ""
    if re.search(r"[A-Za-z,.;:]$", before) and re.match(r"[A-Za-z]", after) and not before.endswith(" "):
        return before, " "
    return before, ""


def read_pdf(data: bytes, name: str = "<pdf>") -> Derived:
    pages, heights = _open(data, name)
    every = [line for lines in pages for line in lines]
    characters = sum(len(re.sub(r"\s", "", line.text)) for line in every)
    if characters < furniture()["pdf"]["min_text_chars"]:
        raise UnreadableDocument(
            f"{name}: this PDF has no text layer ({characters} characters on {len(pages)} page(s)); "
            "it is a scan and needs OCR - run OCR on it first (e.g. save it as text) and add that"
        )
    body_size = statistics.median(line.size for line in every)
    margins = _margin_lines(pages, heights, body_size)
    body = [line for line in every if id(line) not in margins]
    dropped = [
        {"text": line.text, "rule": margins[id(line)], "page": line.page} for line in every if id(line) in margins
    ]
    rights, lefts = _right_edges(body, body_size), _left_edges(body, body_size)
    builder = TextBuilder()
    for i, line in enumerate(body):
        text = line.text.rstrip() if i + 1 == len(body) else line.text
        follows = body[i + 1] if i + 1 < len(body) else None
        joined = (
            follows is not None
            and _runs_to_edge(line, rights, line.size)
            and not _starts_paragraph(follows, lefts, follows.size)
            and abs(follows.size - line.size) <= 0.05 * max(line.size, follows.size)
        )
        if joined:
            text, separator = _joiner(text.rstrip(" "), follows.text.lstrip())
            text = text.lstrip() if not builder.parts or builder.parts[-1] == "\n" else text
            builder.add(text + separator, page=line.page, box=line.box)
        else:
            text = text.strip() if not builder.parts or builder.parts[-1] == "\n" else text.rstrip()
            builder.add(text, page=line.page, box=line.box)
            builder.newline()
    return Derived(
        text=builder.text(),
        format="pdf",
        encoding="pdf text layer",
        segments=builder.segments,
        meta={"pages": len(pages)},
        dropped=dropped,
    )
