"""data/reference/published_figures.csv: facts of other years and bodies, each with its source."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from pipeline import paths
from pipeline.errors import DataCheckError
from pipeline.reference.indicators import HarmonisationWarning, harmonise
from pipeline.reference.readers import read_bodies, read_csv_rows
from pipeline.reference.sources import PERIOD_KINDS, is_period_end
from pipeline.text.numerals import APPROX_CLASSES, is_plausible

PUBLISHED_COLUMNS = {"row", "body", "period_start", "period_end", "period_kind", "indicator_raw", "value", "unit",
                     "approx", "source_url", "source_title", "source_date"}  # fmt: skip


def read_published(path: Path | None = None) -> pd.DataFrame:
    """data/reference/published_figures.csv, checked row by row, with indicator ids from the taxonomy."""
    path = path or paths.reference("published_figures.csv")
    rows = read_csv_rows(path, PUBLISHED_COLUMNS)
    bodies = read_bodies()
    seen: set[str] = set()
    for line, row in rows:
        where = f"{path}: line {line} (row {row['row']!r})"
        problem = ""
        if row["row"] in seen:
            problem = "duplicate row number; give each row its own number"
        elif row["body"] not in bodies:
            problem = f"body {row['body']!r} is not in data/reference/bodies.csv; add it there first"
        elif row["period_kind"] not in PERIOD_KINDS:
            problem = f"period_kind {row['period_kind']!r} is not one of {', '.join(PERIOD_KINDS)}"
        elif not (is_period_end(row["period_start"]) and is_period_end(row["period_end"])):
            problem = f"period {row['period_start']!r} to {row['period_end']!r} is not YYYY, YYYY-MM or YYYY-MM-DD"
        elif row["approx"] not in APPROX_CLASSES:
            problem = f"approx {row['approx']!r} is not one of {', '.join(APPROX_CLASSES)}"
        else:
            try:
                value = float(row["value"])
            except ValueError:
                value = float("nan")
            if not is_plausible(value, row["unit"]):
                problem = (
                    f"value {row['value']!r} is not a plausible number of {row['unit'] or 'units'}; "
                    "give the figure as the source states it, in its unit"
                )
        if problem:
            raise DataCheckError(f"{where}: {problem}")
        seen.add(row["row"])
    columns = list(rows[0][1]) if rows else sorted(PUBLISHED_COLUMNS)
    table = pd.DataFrame([row for _, row in rows], columns=columns, dtype=str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HarmonisationWarning)
        ids = harmonise(list(zip(table["indicator_raw"], table["unit"], strict=True)), warn=False).ids
    table["indicator_id"] = ids
    return table
