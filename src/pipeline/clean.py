"""The clean step: one raw document -> interim tables; all interim tables -> the processed panel."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import paths
from pipeline.errors import DataCheckError, UsageError
from pipeline.extract import Extraction, extract
from pipeline.numerals import APPROX_CLASSES, UNIT_CANONICAL, UNITS
from pipeline.sources import Source, find_source
from pipeline.tables import (
    FIGURE_COLUMNS,
    LAYOUT_COLUMNS,
    PANEL_COLUMNS,
    REJECTION_COLUMNS,
    figure_rows,
    iter_csv,
    layout_rows,
    rejection_rows,
    write_atomic,
    write_text_atomic,
)

BODY_ID = re.compile(r"^[a-z][a-z0-9_]*$")
KNOWN_UNITS = {UNIT_CANONICAL.get(u, u) for u in UNITS}
# Beyond these a count in one annual report is a mistake (a year read as a count, a phone number).
MAX_PLAUSIBLE = {"元": 1e13, "%": 1000, "百分点": 100}
MAX_PLAUSIBLE_COUNT = 1e9


def check_body_year(body: object, year: object) -> tuple[str, int]:
    """Validate notebook/CLI parameters; a body id is never a path."""
    if not isinstance(body, str) or not BODY_ID.match(body):
        raise UsageError(f"body {body!r} is not an id like 'lvliang' (lower-case letters, digits, _)")
    if isinstance(year, bool) or not isinstance(year, int):
        try:
            year = int(str(year), 10)
        except ValueError as exc:
            raise UsageError(f"year {year!r} is not a whole number") from exc
    if not 1949 <= year <= 2100:
        raise UsageError(f"year {year} is out of range")
    return body, year


@dataclass
class CleanResult:
    source: Source
    extraction: Extraction
    figures: pd.DataFrame
    repairs: pd.DataFrame
    rejections: pd.DataFrame
    interim: Path


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def clean_document(body: str, year: int) -> CleanResult:
    """Read data/raw/<body>/<year>/, extract its figures, write data/interim/<body>/<year>/."""
    body, year = check_body_year(body, year)
    source = find_source(body, year)
    document = source.read()
    extraction = extract(document)
    figures = figure_rows(extraction)
    for row in figures:
        row.update({"doc_id": source.doc_id, "body": body, "report_year": year, "kind": "actual"})
    check_figures(figures, source.doc_id)
    out = paths.interim_dir(body, year)
    write_text_atomic(out / "figures.csv", iter_csv(figures, PANEL_COLUMNS))
    write_text_atomic(out / "layout_repairs.csv", iter_csv(layout_rows(extraction), LAYOUT_COLUMNS))
    write_text_atomic(out / "rejected_numerals.csv", iter_csv(rejection_rows(extraction), REJECTION_COLUMNS))
    return CleanResult(
        source=source,
        extraction=extraction,
        figures=_frame(figures, PANEL_COLUMNS),
        repairs=_frame(layout_rows(extraction), LAYOUT_COLUMNS),
        rejections=_frame(rejection_rows(extraction), REJECTION_COLUMNS),
        interim=out,
    )


def check_figures(rows: list[dict], where: str) -> None:
    """Hard checks before anything is written: unique spans, known units and classes, sane values."""
    seen: set[tuple] = set()
    problems = []
    for row in rows:
        key = (row["doc_id"], row["start"], row["end"])
        if key in seen:
            problems.append(f"duplicate figure at {row['start']}-{row['end']}")
        seen.add(key)
        if row["unit"] not in KNOWN_UNITS:
            problems.append(f"unknown unit {row['unit']!r} at {row['start']}")
        if row["approx"] not in APPROX_CLASSES:
            problems.append(f"unknown approx {row['approx']!r} at {row['start']}")
        value = float(row["value"])
        limit = MAX_PLAUSIBLE.get(row["unit"], MAX_PLAUSIBLE_COUNT)
        if not math.isfinite(value) or value < 0 or value > limit:
            problems.append(f"implausible value {row['value']} {row['unit']} at {row['start']}")
    if problems:
        raise DataCheckError(f"{where}: {len(problems)} check(s) failed: " + "; ".join(problems[:5]))


PANEL_SORT = ["body", "report_year", "doc_id", "start", "end"]


def build_panel(interim_root: Path | None = None, processed_root: Path | None = None) -> pd.DataFrame:
    """Gather every data/interim/<body>/<year>/figures.csv into data/processed/figures.{csv,parquet}."""
    interim_root = interim_root or paths.INTERIM
    processed_root = processed_root or paths.PROCESSED
    frames = []
    for path in sorted(interim_root.glob("*/*/figures.csv")):
        frames.append(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8"))
    panel = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PANEL_COLUMNS)
    panel = panel[PANEL_COLUMNS]
    for column in ("report_year", "start", "end", "sentence_start", "sentence_end"):
        panel[column] = panel[column].astype("int64")
    panel["value"] = panel["value"].astype("float64")
    panel = panel.sort_values(PANEL_SORT, kind="mergesort").reset_index(drop=True)
    if panel.duplicated(["doc_id", "start", "end"]).any():
        raise DataCheckError("data/processed/figures: two figures share a document and span")
    write_atomic(
        processed_root / "figures.csv",
        lambda tmp: panel.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.15g", lineterminator="\n"),
    )
    write_atomic(processed_root / "figures.parquet", lambda tmp: panel.to_parquet(tmp, index=False))
    return panel


__all__ = ["FIGURE_COLUMNS", "CleanResult", "build_panel", "check_body_year", "clean_document"]
