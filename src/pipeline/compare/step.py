"""The compare step: the panel -> per body-year parts data/interim/<body>/<year>/comparison.csv.gz and
checks.csv.gz (gzip-compressed CSV, pipeline.interim_csv) -> data/processed/comparison.csv and checks.csv.

`compare_inputs` computes one body-year from what it reads (pipeline.compare.peers.CompareInputs:
its body's rows and its chosen peers'), `compare_rows` from a frame of the panel; `write_parts`
writes its parts; `assemble_tables` lays every part into the processed tables. `compare_year` does
all three for one body-year, as an analyst would.

Every cell is text by the time it is written (`cell_text`), so a table is its parts' lines laid end
to end: a comparison part is written in its table's order (by indicator), and the processed table is
the header and each part's lines, parts in (body, year) order; the bytes a rebuild from frames gave.
A part in another order (checks), or with other columns (one left by an older version), is read as
CSV and sorted or aligned instead. A part that did not change since the table was last written is
not read at all: its lines are copied from that table (pipeline.splice).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline import interim_csv, paths, splice
from pipeline.compare.baselines import COMPARISON_COLUMNS, comparison_rows
from pipeline.compare.checks import CHECK_COLUMNS, check_rows
from pipeline.compare.peers import CompareIndex, CompareInputs
from pipeline.compare.rows import records
from pipeline.csv_safety import safe_row
from pipeline.errors import DataCheckError
from pipeline.extract.clean import check_body_year
from pipeline.reference.sources import find_source


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    keys: list[str]  # the processed table's sort keys
    parts_in_order: bool  # each part's rows already in the order of `keys`


COMPARISON = Table("comparison.csv", COMPARISON_COLUMNS, ["body", "report_year", "indicator_id"], True)
CHECKS = Table("checks.csv", CHECK_COLUMNS, ["body", "report_year", "check", "indicator_id"], False)
TABLES = {t.name: t.keys for t in (COMPARISON, CHECKS)}


@dataclass
class CompareResult:
    comparison: pd.DataFrame
    checks: pd.DataFrame


def cell_text(value: object) -> str:
    """A cell as written: '' for None/NaN/NA, a float in up to 15 significant digits (2.0 -> '2')."""
    if type(value) is str:
        return value
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, float):
        return f"{value:.15g}"
    return str(value)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Everything as text, so a part read back and written again keeps its bytes."""
    return frame.astype(object).map(cell_text) if len(frame) else frame.astype(object)


def text_frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """Rows (dicts; a missing key an empty cell) as a frame of text cells."""
    cells = [[cell_text(row.get(c)) for c in columns] for row in rows]
    return pd.DataFrame(cells, columns=columns, dtype=object)


def compare_inputs(inputs: CompareInputs) -> CompareResult:
    """The comparison and checks of one body-year, from its body's rows and its chosen peer rows."""
    body, year, own = inputs.body, inputs.year, inputs.own.records()
    comparison = comparison_rows(own, records(inputs.peers), body, year, inputs.own.level)
    checks = check_rows(own, find_source(body, year).read(), body, year)
    return CompareResult(text_frame(comparison, COMPARISON.columns), text_frame(checks, CHECKS.columns))


def _bodies() -> pd.DataFrame:
    return pd.read_csv(paths.reference("bodies.csv"), dtype=str, keep_default_na=False)


def compare_rows(rows: pd.DataFrame, body: str, year: int, bodies: pd.DataFrame | None = None) -> CompareResult:
    """The comparison and checks of one body-year, from the panel (or any rows holding its own and its peers')."""
    return compare_inputs(CompareIndex.of(rows, _bodies() if bodies is None else bodies).inputs(body, year))


def part_paths(body: str, year: int) -> list[Path]:
    """The parts the compare step writes for a body-year: <table>.csv.gz."""
    return [paths.interim_dir(body, year) / interim_csv.stored_name(name) for name in TABLES]


def found_parts(body: str, year: int) -> list[Path] | None:
    """The body-year's parts as they are on disk (a plain .csv an older version left counts, when
    no .csv.gz replaced it yet), or None when one is missing."""
    found = [interim_csv.find(paths.interim_dir(body, year), name) for name in TABLES]
    return None if None in found else found  # type: ignore[return-value]


def csv_text(columns: list[str], rows: list[list[str]]) -> str:
    """A header and rows of text cells as CSV, as pandas' to_csv writes them (minimal quoting, LF)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def write_parts(body: str, year: int, result: CompareResult) -> list[Path]:
    out = []
    for frame, path in zip((result.comparison, result.checks), part_paths(body, year), strict=True):
        # a part is a CSV a person may open too: no cell a spreadsheet would run as a formula
        text = csv_text(list(frame.columns), [safe_row(row) for row in frame.to_numpy().tolist()])
        interim_csv.write_table(path, text)
        out.append(path)
    return out


def _part_lines(table: Table, part: Path) -> tuple[str, bool]:
    """A part's rows as the processed table's lines: as they are, or read, aligned and sorted (True)."""
    text = interim_csv.read_text(part)  # no newline translation: a cell may hold a CR
    head, _, lines = text.partition("\n")
    if table.parts_in_order and head + "\n" == csv_text(table.columns, []):
        return lines, False
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for key in reversed(table.keys[2:]):  # body and year are the part's own: a stable sort by the rest
        rows.sort(key=lambda r, k=key: r.get(k) or "")
    return csv_text(table.columns, [[r.get(c) or "" for c in table.columns] for r in rows]).partition("\n")[2], True


def assemble_tables(items: list[tuple[str, int]], changed: set[tuple[str, int]] | None = None) -> dict[str, int]:
    """data/processed/comparison.csv and checks.csv from the parts of `items` (body, year): the header,
    then each part's lines, parts in (body, year) order. A part not in `changed` is not read: its
    lines are copied from last time's table at the byte offsets recorded then (pipeline.splice;
    data/interim/.corpus/<table>.offsets.json); `changed` None, or no record of the table as it is,
    reads every part. Returns how many parts were read, and how many of those had to be parsed as
    CSV (a table whose parts are not in its order, or a part with other columns)."""
    read = parsed = 0
    basis = splice.basis()
    for table in (COMPARISON, CHECKS):
        target = paths.PROCESSED / table.name
        parts = [
            (f"{b}/{y}", p) for b, y in sorted(items) if (p := interim_csv.find(paths.interim_dir(b, y), table.name))
        ]
        if not parts:
            raise DataCheckError(f"{target}: no comparison part to assemble; run the compare step first")
        record = splice.read_record(table.name, target, basis) if changed is not None else None
        known = record["blocks"] if record else {}
        pieces: list[tuple[str, bytes | tuple[int, int]]] = []
        digests = {}
        for name, part in parts:
            body, _, year = name.partition("/")
            digests[name] = digest = splice.file_digest(part)
            # copied when its lines are the part's as it is now (`changed` need not be the whole story)
            if name in known and (body, int(year)) not in changed and known[name].get("sha256") == digest:  # type: ignore[operator]
                pieces.append((name, tuple(known[name]["bytes"])))
                continue
            lines, was_parsed = _part_lines(table, part)
            pieces.append((name, lines.encode("utf-8")))
            read += 1
            parsed += was_parsed
        # UTF-8 with BOM, as every processed table (pipeline.atomic.write_processed_csv)
        header = ("\ufeff" + csv_text(table.columns, [])).encode("utf-8")
        header_end, offsets = splice.write_blocks(target, target if record else None, header, pieces)
        splice.write_record(
            table.name, target, basis, header_end, {n: {"bytes": s, "sha256": digests[n]} for n, s in offsets.items()}
        )
    return {"parts_read": read, "parts_parsed": parsed}


def compare_year(body: str, year: int) -> CompareResult:
    """One body-year compared against the whole panel; its parts written and the tables assembled."""
    body, year = check_body_year(body, year)
    panel_path = paths.PROCESSED / "figures.parquet"
    if not panel_path.is_file():
        raise DataCheckError(f"{panel_path}: no panel yet; run the clean step (notebooks/10-clean.ipynb) first")
    result = compare_rows(pd.read_parquet(panel_path), body, year)
    write_parts(body, year, result)
    done = [
        (t.parent.name, int(t.name))
        for t in sorted({p.parent for p in paths.INTERIM.glob("*/*/comparison.csv*")})
        if interim_csv.find(t, COMPARISON.name)
        and (paths.raw_dir(t.parent.name, int(t.name)) / "source.yaml").is_file()
    ]
    assemble_tables(done, {(body, year)})
    return result
