"""The clean step: one raw document -> interim tables; all interim tables -> the processed panel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import interim_csv, paths
from pipeline.errors import DataCheckError
from pipeline.extract.figures import Extraction, extract
from pipeline.extract.rows import (
    FIGURE_COLUMNS,
    LAYOUT_COLUMNS,
    REJECTION_COLUMNS,
    figure_rows,
    layout_rows,
    rejection_rows,
    to_csv_text,
)
from pipeline.intake.derived import write_derived
from pipeline.reference.sources import Source, check_body_year, find_source
from pipeline.text.numerals import APPROX_CLASSES, KNOWN_UNITS, is_plausible

INTERIM_COLUMNS = [
    "doc_id", "body", "report_year", "period_start", "period_end", "period_kind", "source_date", "kind",
    *FIGURE_COLUMNS,
]  # fmt: skip


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
    """Read data/raw/<body>/<year>/, extract its figures, write data/interim/<body>/<year>/*.csv.gz."""
    body, year = check_body_year(body, year)
    source = find_source(body, year)
    intake = source.intake()
    extraction = extract(intake.document)
    figures = figure_rows(extraction)
    columns = INTERIM_COLUMNS
    if intake.has_pages:  # a PDF's figures say their page; a text's table keeps its columns
        columns = [*INTERIM_COLUMNS, "page"]
        for row in figures:
            row["page"] = intake.page_at(int(row["start"])) or ""
    period_start = str(source.meta.get("period_start") or f"{year}-01-01")
    period_end = str(source.meta.get("period_end") or f"{year}-12-31")
    for row in figures:
        row.update(
            {
                "doc_id": source.doc_id,
                "body": body,
                "report_year": year,
                "period_start": period_start,
                "period_end": period_end,
                "period_kind": str(source.meta.get("period_kind") or "calendar_year"),
                "source_date": str(source.meta.get("date_published") or ""),
                "kind": "actual",
            }
        )
    check_figures(figures, source.doc_id)
    out = paths.interim_dir(body, year)
    if intake.derived is not None:  # the text the offsets index, and its map back to the source
        write_derived(intake.derived, out, source.path.name, source.sha256)
    # gzip-compressed, deterministically (pipeline.interim_csv); a plain .csv left by an older version goes
    interim_csv.write_table(out / "figures.csv.gz", to_csv_text(figures, columns))
    interim_csv.write_table(out / "layout_repairs.csv.gz", to_csv_text(layout_rows(extraction), LAYOUT_COLUMNS))
    interim_csv.write_table(
        out / "rejected_numerals.csv.gz", to_csv_text(rejection_rows(extraction), REJECTION_COLUMNS)
    )
    return CleanResult(
        source=source,
        extraction=extraction,
        figures=_frame(figures, columns),
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
        if not is_plausible(float(row["value"]), row["unit"]):
            problems.append(f"implausible value {row['value']} {row['unit']} at {row['start']}")
    if problems:
        raise DataCheckError(f"{where}: {len(problems)} check(s) failed: " + "; ".join(problems[:5]))


__all__ = ["FIGURE_COLUMNS", "CleanResult", "check_body_year", "clean_document"]
