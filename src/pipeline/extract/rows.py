"""An extraction as rows: the columns `pipeline extract` prints and the clean step writes."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pipeline.display import clean_text
from pipeline.extract.figures import Extraction
from pipeline.text.numerals import format_value

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
}
LAYOUT_COLUMNS = ["kind", "line", "other_line", "at", "detail"]
REJECTION_COLUMNS = ["start", "end", "text", "reason"]


def figure_rows(extraction: Extraction) -> list[dict[str, Any]]:
    """One row per figure. `text` is exactly raw[start:end]; the fields people read (label, section,
    evidence) have control characters and bidi marks removed, tabs and line breaks made spaces
    (pipeline.display)."""
    return [dict(zip(FIGURE_COLUMNS, row, strict=True)) for row in figure_tuples(extraction)]


def figure_tuples(extraction: Extraction) -> list[tuple]:
    """figure_rows as tuples in FIGURE_COLUMNS order, without a dict per figure (the batch path)."""
    return [
        (
            f.start,
            f.end,
            f.text,
            format_value(f.value),
            f.unit,
            f.approx,
            clean_text(f.indicator),
            f.indicator_id,
            f.category,
            clean_text(f.section),
            clean_text(f.sentence),
            f.sentence_start,
            f.sentence_end,
        )
        for f in extraction.figures
    ]


def json_record(columns: list[str], values: tuple) -> dict[str, Any]:
    """One row for JSON output, typed by COLUMN_TYPES: numbers as numbers, an empty text as null."""
    record: dict[str, Any] = {}
    for name, value in zip(columns, values, strict=True):
        kind = COLUMN_TYPES[name]
        if kind == "integer":
            record[name] = int(value)
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
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()
