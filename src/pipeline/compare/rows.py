"""Panel rows as the compare step reads them: plain records (one dict per row), not a frame.

The comparison of one body-year looks at a few rows per figure, thousands of times per corpus run;
a pandas selection costs about a millisecond whatever its size, a list comprehension over a handful
of dicts microseconds. `records` converts a frame once, column by column; a missing integer
(pd.NA) becomes None, so a test `row["report_year"] == year` is simply False, as pandas' masks
treat it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# the panel's columns that the comparison and the checks read (pipeline.panel.PANEL_COLUMNS has more)
COMPARE_COLUMNS = (
    "body",
    "report_year",
    "period_start",
    "period_end",
    "period_kind",
    "kind",
    "indicator_id",
    "indicator_zh",
    "indicator_en",
    "indicator",
    "value",
    "unit",
    "approx",
    "source_type",
    "source",
    "start",
)

Row = dict[str, Any]
Rows = list[Row]


def records(frame: pd.DataFrame | Rows) -> Rows:
    """The rows of `frame` as dicts, in its order (a list of records is returned as it is)."""
    if not isinstance(frame, pd.DataFrame):
        return frame
    names = [str(c) for c in frame.columns]
    columns = [[None if v is pd.NA else v for v in frame[c].tolist()] for c in frame.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def by_indicator(rows: Rows) -> dict[str, Rows]:
    """The rows of each indicator id, in their order (rows without an id string are left out)."""
    out: dict[str, Rows] = {}
    for row in rows:
        ident = row["indicator_id"]
        if isinstance(ident, str):
            out.setdefault(ident, []).append(row)
    return out


def first_by_start(rows: Rows) -> Row:
    """The row stated first in its text (smallest offset; one without an offset last)."""
    return min(rows, key=lambda r: (r["start"] is None, r["start"] or 0))
