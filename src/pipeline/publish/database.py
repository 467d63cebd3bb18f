"""data/processed/annual_figures.sqlite: the processed tables in one SQLite file, with full-text search.

The tables of the data package (figures, comparison, checks, documents) with the column types of
its Table Schema, and `evidence_fts`, an FTS5 index over every distinct evidence sentence with the
`trigram` tokenizer, so a Chinese substring of three or more characters finds its sentences
(SELECT sentence FROM evidence_fts WHERE evidence_fts MATCH '常委会会议'). Python's sqlite3 opens it
as it is; so does datasette. Built in a temporary file beside the target and renamed over it.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from pipeline import paths
from pipeline.atomic import atomic_path
from pipeline.errors import DataCheckError
from pipeline.publish.datapackage import TABLES, field

NAME = "annual_figures.sqlite"
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "string": "TEXT"}


def _typed(value: str, kind: str) -> object:
    if value == "":
        return None
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_table(con: sqlite3.Connection, name: str, path: Path) -> None:
    """Create table `name` from a processed CSV with the package's column types."""
    columns = TABLES[name][0]
    kinds = [field(c)["type"] for c in columns]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        if header != columns:
            raise DataCheckError(f"{path}: columns {header} are not the package's {columns}")
        rows = [[_typed(v, k) for v, k in zip(row, kinds, strict=True)] for row in reader]
    spec = ", ".join(f"{_quote(c)} {SQL_TYPES[k]}" for c, k in zip(columns, kinds, strict=True))
    con.execute(f"CREATE TABLE {_quote(name)} ({spec})")
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {_quote(name)} VALUES ({marks})", rows)


def index_evidence(con: sqlite3.Connection) -> None:
    """evidence_fts: each distinct evidence sentence once, with the body, year and source it came from."""
    con.execute(
        "CREATE VIRTUAL TABLE evidence_fts USING fts5(sentence, body UNINDEXED, report_year UNINDEXED, "
        "source UNINDEXED, tokenize='trigram')"
    )
    con.execute(
        "INSERT INTO evidence_fts (sentence, body, report_year, source) "
        "SELECT DISTINCT evidence, body, report_year, source FROM figures WHERE evidence IS NOT NULL "
        "ORDER BY body, report_year, source, evidence"
    )
    con.execute("INSERT INTO evidence_fts (evidence_fts) VALUES ('optimize')")


def write_database(processed: Path | None = None, target: Path | None = None) -> Path:
    """Build the SQLite file from the processed CSVs present (figures.csv is required)."""
    processed = processed or paths.PROCESSED
    target = target or processed / NAME
    if not (processed / "figures.csv").is_file():
        raise DataCheckError(f"{processed / 'figures.csv'}: no panel yet; run the clean step first")
    with atomic_path(target) as tmp:
        tmp.unlink()
        con = sqlite3.connect(tmp)
        try:
            for name in TABLES:
                if (processed / f"{name}.csv").is_file():
                    load_table(con, name, processed / f"{name}.csv")
            index_evidence(con)
            con.commit()
            con.execute("VACUUM")
        finally:
            con.close()
    return target


def search(database: Path, query: str) -> list[tuple[str, str, int, str]]:
    """The evidence sentences containing `query` (three characters or more): sentence, body, year, source."""
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        phrase = '"' + query.replace('"', '""') + '"'
        rows = con.execute(
            "SELECT sentence, body, report_year, source FROM evidence_fts WHERE evidence_fts MATCH ? "
            "ORDER BY body, report_year, source, sentence",
            (phrase,),
        ).fetchall()
    finally:
        con.close()
    return [tuple(r) for r in rows]
