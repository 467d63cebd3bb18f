"""An extraction as rows: the columns `pipeline extract` prints and the clean step writes."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, TextIO

from pipeline.csv_safety import safe_cell, safe_row
from pipeline.display import clean_text
from pipeline.extract.figures import Extraction, extract
from pipeline.text.document import Document
from pipeline.text.numerals import CN_NUMERAL_CHARS, format_value

# The columns `pipeline extract` prints, in order.
FIGURE_COLUMNS = [
    "start",
    "end",
    "text",
    "value",
    "unit",
    "approx",
    "indicator",
    "indicator_id",
    "category",
    "section",
    "sentence",
    "sentence_start",
    "sentence_end",
]
# What a column holds, as `pipeline extract --format json` types it: "integer" and "number" are
# JSON numbers (a value is an integer when it is whole), "text" a string, and an empty text field
# (a label that maps to no indicator, a figure outside any section) is null.
COLUMN_TYPES = {
    "document": "text",
    "start": "integer",
    "end": "integer",
    "text": "text",
    "value": "number",
    "unit": "text",
    "approx": "text",
    "indicator": "text",
    "indicator_id": "text",
    "category": "text",
    "section": "text",
    "sentence": "text",
    "sentence_start": "integer",
    "sentence_end": "integer",
    "page": "integer",  # a PDF's page; null for other formats
}
LAYOUT_COLUMNS = ["kind", "line", "other_line", "at", "detail"]
REJECTION_COLUMNS = ["start", "end", "text", "reason"]


def figure_rows(extraction: Extraction) -> list[dict[str, Any]]:
    """One row per figure. `text` is exactly raw[start:end]; the fields people read (label, section,
    evidence) have control characters and bidi marks removed, tabs and line breaks made spaces
    (pipeline.display)."""
    return [dict(zip(FIGURE_COLUMNS, row, strict=True)) for row in figure_tuples(extraction)]


def figure_tuples(extraction: Extraction, shift: int = 0) -> list[tuple]:
    """figure_rows as tuples in FIGURE_COLUMNS order, without a dict per figure (the batch path).
    `shift` is added to every offset (the start of the piece `extraction` was made from)."""
    return [
        (
            f.start + shift,
            f.end + shift,
            f.text,
            format_value(f.value),
            f.unit,
            f.approx,
            clean_text(f.indicator),
            f.indicator_id,
            f.category,
            clean_text(f.section),
            clean_text(f.sentence),
            f.sentence_start + shift,
            f.sentence_end + shift,
        )
        for f in extraction.figures
    ]


def json_record(columns: list[str], values: tuple) -> dict[str, Any]:
    """One row for JSON output, typed by COLUMN_TYPES: numbers as numbers, an empty text as null."""
    record: dict[str, Any] = {}
    for name, value in zip(columns, values, strict=True):
        kind = COLUMN_TYPES[name]
        if kind == "integer":
            record[name] = int(value) if value != "" else None
        elif kind == "number":
            number = Decimal(str(value))
            record[name] = int(number) if number == number.to_integral_value() else float(number)
        else:
            record[name] = value if value != "" else None
    return record


def layout_rows(extraction: Extraction) -> list[dict[str, Any]]:
    return [
        {"kind": r.kind, "line": r.line, "other_line": r.other_line or "", "at": r.at, "detail": clean_text(r.detail)}
        for r in extraction.layout.repairs
    ]


def rejection_rows(extraction: Extraction) -> list[dict[str, Any]]:
    return [{"start": r.start, "end": r.end, "text": r.text, "reason": r.reason} for r in extraction.rejections]


def to_csv_text(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:  # a CSV a person may open: no cell a spreadsheet runs as a formula
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return buffer.getvalue()


# A document longer than this many characters is extracted in pieces of about this size, cut at a
# line end (else a sentence or clause end), so memory stays bounded whatever the file holds. A work
# report is well under 400,000 characters (the 20 MiB file limit is about 7 million): only a dump or
# a concatenation is cut, and there a column break rejoined across a cut, or a section heading
# before it, is lost at the cut.
PIECE_CHARS = 1_000_000
_CUT_MARKS = ("\n", "。", "！", "？", "；", "，", ",", " ")


def pieces(text: str, size: int | None = None) -> list[tuple[int, int]]:
    """(start, end) spans that cover `text` in order, each at most `size` characters (PIECE_CHARS)."""
    size = size or PIECE_CHARS
    spans, start = [], 0
    while len(text) - start > size:
        end = start + size
        for mark in _CUT_MARKS:  # the last such mark in the second half of the window
            cut = text.rfind(mark, start + size // 2, end)
            if cut != -1:
                end = cut + 1
                break
        else:  # no mark at all: never cut inside a numeral
            while end > start + 1 and _numeral_char(text[end - 1]) and _numeral_char(text[end]):
                end -= 1
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    return spans


def _numeral_char(ch: str) -> bool:
    return ch.isdigit() or ch in CN_NUMERAL_CHARS or ch in ".,%"


def document_figure_tuples(document: Document, size: int | None = None) -> Iterator[tuple]:
    """figure_tuples of a whole document, piece by piece (see PIECE_CHARS), offsets into the whole
    raw text: a caller that writes each row as it comes holds one piece's figures at a time."""
    spans = pieces(document.norm, size)
    if len(spans) == 1:
        yield from figure_tuples(extract(document))
        return
    for start, end in spans:
        part = Document(
            doc_id=document.doc_id,
            raw=document.raw[start:end],
            encoding=document.encoding,
            path=document.path,
            norm=document.norm[start:end],
            traditional=document.traditional,
        )
        yield from figure_tuples(extract(part), shift=start)


def write_figure_table(rows: Iterable[tuple], out: TextIO, fmt: str = "csv", columns: list[str] | None = None) -> int:
    """Write figure tuples to `out` as they come (csv, or json as `json.dumps(list, indent=1)` would
    lay it out); return how many. CSV cells are made safe for spreadsheets (pipeline.csv_safety)."""
    columns = columns or FIGURE_COLUMNS
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(safe_row(row))
            count += 1
        return count
    for row in rows:
        item = json.dumps(json_record(columns, row), ensure_ascii=False, indent=1)
        out.write(("[\n " if count == 0 else ",\n ") + item.replace("\n", "\n "))
        count += 1
    out.write("\n]\n" if count else "[]\n")
    return count
