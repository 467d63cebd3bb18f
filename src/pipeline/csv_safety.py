"""CSV cells a spreadsheet would run as a formula, made inert; and the original text back.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (OWASP, "CSV Injection"): `=cmd|' /C calc'!A0` in a label runs a
program when the panel is opened. Every CSV a person may open is written through `safe_cell`,
which puts a `'` before such a cell, as OWASP advises. A plain number (`-3`, `+1.5`, `-1e3`) is a
value, not a formula, and stays as it is.

The rule is one to one, so `restore_cell` gives back the exact original: a cell that already begins
with `'`s followed by one of those characters gets one `'` more, and `restore_cell` takes one off.
Readers of our own CSVs call it, so every later step sees the document's text; Parquet and SQLite
keep the text as it is and need nothing.
"""

from __future__ import annotations

import re
from typing import Any

_TRIGGER = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def safe_cell(value: Any) -> Any:
    """`value` as it may go into a CSV a person opens: a formula-like text cell prefixed with `'`."""
    if isinstance(value, str) and _TRIGGER.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The original text of a cell that `safe_cell` wrote."""
    if isinstance(value, str) and _NEUTRALISED.match(value) and not _PLAIN_NUMBER.fullmatch(value[1:]):
        return value[1:]
    return value


def safe_row(row: Any) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_frame(frame: Any) -> Any:
    """A copy of a pandas frame with every text cell made safe (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        if _is_text(out[column]):
            out[column] = _map_matching(out[column], _TRIGGER, safe_cell)
    return out


def restore_frame(frame: Any) -> Any:
    """A frame read back from a CSV we wrote, with every text cell as it was before `safe_frame`."""
    for column in frame.columns:
        if _is_text(frame[column]):
            frame[column] = _map_matching(frame[column], _NEUTRALISED, restore_cell)
    return frame


def _map_matching(series: Any, trigger: re.Pattern[str], cell: Any) -> Any:
    """`series.map(cell)`, where `cell` changes only strings that `trigger` matches at their start:
    the few such cells are found by one vectorised match and only they are mapped (mapping all
    4.9 million text cells of a 1,000-document panel cost 8 s of each panel write)."""
    if series.dtype == object:  # not pandas' string dtype: cell by cell, as map infers the result's dtype
        return series.map(cell)
    hits = series.str.match(trigger.pattern)
    hits = hits.fillna(False).astype(bool)
    if not hits.any():
        return series
    out = series.copy()
    out[hits] = series[hits].map(cell)
    return out


def _is_text(series: Any) -> bool:
    return getattr(series.dtype, "kind", "") == "O"  # object and pandas' string dtypes; never a number
