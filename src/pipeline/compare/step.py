"""The compare step: the panel -> data/processed/comparison.csv and checks.csv for one body/year."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline import paths
from pipeline.atomic import write_processed_csv
from pipeline.compare.baselines import compare
from pipeline.compare.checks import run_checks
from pipeline.csv_safety import restore_frame
from pipeline.errors import DataCheckError
from pipeline.extract.clean import check_body_year
from pipeline.reference.sources import find_source


@dataclass
class CompareResult:
    comparison: pd.DataFrame
    checks: pd.DataFrame


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:.15g}"
    return str(value)


def _merge_into(name: str, frame: pd.DataFrame, body: str, year: int, keys: list[str]) -> pd.DataFrame:
    """Replace this body/year's rows of a processed table, keeping other bodies' and years'.

    Everything is text by the time it is merged, so a re-run writes the same bytes."""
    frame = frame.astype(object).map(_as_text)
    path = paths.PROCESSED / name
    if path.is_file():
        old = restore_frame(pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str))
        if list(old.columns) == list(frame.columns):
            old = old[~((old["body"] == body) & (old["report_year"] == str(year)))]
            frame = pd.concat([old, frame], ignore_index=True)
    return frame.sort_values(keys, kind="mergesort").reset_index(drop=True)


def compare_year(body: str, year: int) -> CompareResult:
    body, year = check_body_year(body, year)
    panel_path = paths.PROCESSED / "figures.parquet"
    if not panel_path.is_file():
        raise DataCheckError(f"{panel_path}: no panel yet; run the clean step (notebooks/10-clean.ipynb) first")
    panel = pd.read_parquet(panel_path)
    comparison = compare(panel, body, year)
    checks = run_checks(panel, find_source(body, year).read(), body, year)
    comparison_key = ["body", "report_year", "indicator_id"]
    checks_key = ["body", "report_year", "check", "indicator_id"]
    write_processed_csv(
        paths.PROCESSED / "comparison.csv", _merge_into("comparison.csv", comparison, body, year, comparison_key)
    )
    write_processed_csv(paths.PROCESSED / "checks.csv", _merge_into("checks.csv", checks, body, year, checks_key))
    return CompareResult(comparison=comparison, checks=checks)
