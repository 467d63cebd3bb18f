"""The compare step: the panel -> per body-year parts data/interim/<body>/<year>/comparison.csv and
checks.csv -> data/processed/comparison.csv and checks.csv.

`compare_rows` computes one body-year from the rows it reads (pipeline.compare.peers); `write_parts`
writes its parts; `assemble_tables` puts every part into the processed tables, re-reading only the
parts that changed. `compare_year` does all three for one body-year, as an analyst would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import paths
from pipeline.atomic import write_atomic, write_processed_csv
from pipeline.compare.baselines import compare
from pipeline.compare.checks import run_checks
from pipeline.compare.peers import RowIndex
from pipeline.csv_safety import restore_frame, safe_frame
from pipeline.errors import DataCheckError
from pipeline.extract.clean import check_body_year
from pipeline.reference.sources import find_source

TABLES = {
    "comparison.csv": ["body", "report_year", "indicator_id"],
    "checks.csv": ["body", "report_year", "check", "indicator_id"],
}


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


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Everything as text, so a part read back and written again keeps its bytes."""
    return frame.astype(object).map(_as_text) if len(frame) else frame.astype(object)


def compare_rows(rows: pd.DataFrame, body: str, year: int, bodies: pd.DataFrame | None = None) -> CompareResult:
    """The comparison and checks of one body-year, from the panel rows it reads (or the whole panel)."""
    comparison = compare(rows, body, year, bodies)
    checks = run_checks(rows, find_source(body, year).read(), body, year)
    return CompareResult(comparison=as_text(comparison), checks=as_text(checks))


def part_paths(body: str, year: int) -> list[Path]:
    return [paths.interim_dir(body, year) / name for name in TABLES]


def write_parts(body: str, year: int, result: CompareResult) -> list[Path]:
    out = []
    for frame, path in zip((result.comparison, result.checks), part_paths(body, year), strict=True):
        safe = safe_frame(frame)  # a part is a CSV a person may open too
        write_atomic(path, lambda tmp, f=safe: f.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n"))
        out.append(path)
    return out


def _read(path: Path) -> pd.DataFrame:
    return restore_frame(pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str))


def assemble_tables(items: list[tuple[str, int]], changed: set[tuple[str, int]] | None) -> dict[str, int]:
    """data/processed/comparison.csv and checks.csv from the parts of `items` (body, year), sorted.

    The rows of items not in `changed` come from the table written last time (one file), the rest
    from their parts; `changed` None reads every part. The same bytes as a build from every part."""
    order = {item: i for i, item in enumerate(sorted(items))}
    read = 0
    for number, (name, keys) in enumerate(TABLES.items()):
        target = paths.PROCESSED / name
        frames = []
        fresh_items = [i for i in sorted(items) if changed is None or i in changed or not target.is_file()]
        if changed is not None and target.is_file():
            old = _read(target)
            keep = {f"{b}/{y}" for b, y in items if (b, y) not in changed}
            if len(old):
                frames.append(old[[f"{b}/{y}" in keep for b, y in zip(old["body"], old["report_year"], strict=True)]])
        for body, year in fresh_items:
            frames.append(_read(part_paths(body, year)[number]))
        read += len(fresh_items)
        frames = [f for f in frames if len(f.columns)]
        if not frames:
            raise DataCheckError(f"{target}: no comparison part to assemble; run the compare step first")
        table = pd.concat(frames, ignore_index=True)
        part = [order.get((b, int(y)), -1) for b, y in zip(table["body"], table["report_year"], strict=True)]
        table = table.assign(_part=part).sort_values("_part", kind="mergesort").drop(columns="_part")
        table = table.sort_values(keys, kind="mergesort").reset_index(drop=True)
        write_processed_csv(target, table)
    return {"parts_read": read}


def compare_year(body: str, year: int) -> CompareResult:
    """One body-year compared against the whole panel; its parts written and the tables assembled."""
    body, year = check_body_year(body, year)
    panel_path = paths.PROCESSED / "figures.parquet"
    if not panel_path.is_file():
        raise DataCheckError(f"{panel_path}: no panel yet; run the clean step (notebooks/10-clean.ipynb) first")
    panel = pd.read_parquet(panel_path)
    bodies = pd.read_csv(paths.reference("bodies.csv"), dtype=str, keep_default_na=False)
    result = compare_rows(RowIndex.of(panel, bodies).compare_rows(body, year), body, year, bodies)
    write_parts(body, year, result)
    done = [
        (t.parent.parent.name, int(t.parent.name))
        for t in sorted(paths.INTERIM.glob("*/*/comparison.csv"))
        if (paths.raw_dir(t.parent.parent.name, int(t.parent.name)) / "source.yaml").is_file()
    ]
    assemble_tables(done, {(body, year)})
    return result
