"""data/processed/annual_figures.sqlite: the processed tables in one SQLite file, with full-text search.

Every table of the data package (figures, comparison, checks, documents) can be queried under its
own name with exactly its fields, in the CSV's order and row order, typed as its Table Schema says.
`checks` and `documents` are tables as they are. `figures` and `comparison` are views, so that
what repeats is stored once:

- `sentences`: each distinct evidence sentence of a document once (id, body, report_year, source,
  sentence); `figure_rows.sentence_id` points at it. A sentence holding five figures was stored
  six times before (five rows and the full-text index's own copy).
- `labels`: each (indicator_id, indicator_zh, indicator_en) once; `figure_rows.label_id` and
  `comparison_rows.label_id` point at it.
- `evidence_fts`: an FTS5 index over `sentences` (external content: it keeps no copy of the text)
  with the `trigram` tokenizer, so a Chinese substring of three or more characters finds its
  sentences: SELECT sentence, body, report_year FROM evidence_fts WHERE evidence_fts MATCH '常委会会议'.

Python's sqlite3 opens it as it is; so does datasette. Built from scratch in a temporary file beside
the target and renamed over it: the same CSVs give the same bytes. The full-text index is written
before the large tables, so the pages its merge frees are filled by them and no VACUUM (a copy of
the whole file) is needed.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipeline import paths
from pipeline.atomic import atomic_path
from pipeline.errors import DataCheckError
from pipeline.publish.datapackage import TABLES, field

NAME = "annual_figures.sqlite"
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "string": "TEXT"}
SENTENCE = ("body", "report_year", "source", "evidence")  # a document's sentence: stored once in `sentences`
LABEL = ("indicator_id", "indicator_zh", "indicator_en")  # stored once in `labels`
# the tables stored with their repeated parts factored out, and the lookups each row points at
FACTORED = {"figures": ("labels", "sentences"), "comparison": ("labels",)}
STORED = {"figures": "figure_rows", "comparison": "comparison_rows"}  # where a factored table's rows are
CACHE_KIB = 64 * 1024  # the build's page cache; the staged rows beyond it go to a temporary file, not to memory
PAGE_SIZE = 8192  # fewer, fuller pages than the default 4096: 2-3 % smaller at corpus scale
# a file of our own, renamed into place only when complete: no journal needed
PRAGMAS = (f"page_size = {PAGE_SIZE}", "journal_mode = OFF", "synchronous = OFF", f"cache_size = -{CACHE_KIB}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def check_header(name: str, path: Path) -> None:
    """A processed CSV's header must be the package's fields of its table."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    if header != TABLES[name][0]:
        raise DataCheckError(f"{path}: columns {header} are not the package's {TABLES[name][0]}")


def read_table(name: str, path: Path) -> Iterator[list]:
    """The rows of a processed CSV, one at a time, as text, except its number fields, which are
    floats (None when empty): SQLite's own text-to-real conversion is not correctly rounded in every
    version, Python's is."""
    numbers = [i for i, c in enumerate(TABLES[name][0]) if field(c)["type"] == "number"]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        for row in reader:
            for i in numbers:
                row[i] = float(row[i]) if row[i] else None
            yield row


def _stage(con: sqlite3.Connection, name: str, path: Path) -> int:
    """temp.stage_<name>: the rows as read, in order, streamed (never all in memory); typed and
    factored from there, in SQL. Returns their number."""
    columns = TABLES[name][0]
    con.execute(f"CREATE TEMP TABLE stage_{name} ({', '.join(_quote(c) for c in columns)})")
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO stage_{name} VALUES ({marks})", read_table(name, path))
    return con.execute(f"SELECT count(*) FROM stage_{name}").fetchone()[0]


def _value(column: str, alias: str = "") -> str:
    """A staged text as its field's value: '' is NULL, integers by the column's affinity (exact)."""
    return f"NULLIF({alias}{_quote(column)}, '')"


def _sql_type(column: str) -> str:
    return "INTEGER" if column in ("label_id", "sentence_id") else SQL_TYPES[field(column)["type"]]


def _create(con: sqlite3.Connection, name: str, columns: Sequence[str], key: str = "") -> None:
    spec = [f"{key} INTEGER PRIMARY KEY"] if key else []
    spec += [f"{_quote(c)} {_sql_type(c)}" for c in columns]
    con.execute(f"CREATE TABLE {_quote(name)} ({', '.join(spec)})")


def _lookup(con: sqlite3.Connection, name: str, columns: Sequence[str], staged: Sequence[str], where: str = "") -> None:
    """Table `name` (id, columns): each distinct value of `columns` in the staged tables once, ids in
    sorted order; and temp.keys_<name>, the staged texts -> id, indexed, for the joins that follow."""
    picks = ", ".join(_quote(c) for c in columns)
    union = " UNION ".join(f"SELECT DISTINCT {picks} FROM stage_{t} {where}" for t in staged)
    order = ", ".join(_order(c) for c in columns)
    con.execute(
        f"CREATE TEMP TABLE keys_{name} AS SELECT ROW_NUMBER() OVER (ORDER BY {order}) AS id, {picks} FROM ({union})"
    )
    con.execute(f"CREATE UNIQUE INDEX temp.keys_{name}_index ON keys_{name} ({picks})")
    stored = [c if c != "evidence" else "sentence" for c in columns]
    _create(con, name, stored, key="id")
    values = ", ".join(_value(c) for c in columns)
    con.execute(f"INSERT INTO {name} SELECT id, {values} FROM keys_{name} ORDER BY id")


def _order(column: str) -> str:
    value = _value(column)
    return f"CAST({value} AS INTEGER)" if field(column)["type"] == "integer" else value


def write_sentences(con: sqlite3.Connection) -> None:
    """`sentences` and its full-text index `evidence_fts`, before the large tables are written."""
    _lookup(con, "sentences", SENTENCE, ["figures"], "WHERE evidence != ''")
    con.execute(
        "CREATE VIRTUAL TABLE evidence_fts USING fts5(sentence, body UNINDEXED, report_year UNINDEXED, "
        'source UNINDEXED, content="sentences", content_rowid="id", tokenize="trigram")'
    )
    con.execute("INSERT INTO evidence_fts (evidence_fts, rank) VALUES ('automerge', 0)")  # one merge, at the end
    con.execute("INSERT INTO evidence_fts (rowid, sentence) SELECT id, sentence FROM sentences ORDER BY id")
    con.execute("INSERT INTO evidence_fts (evidence_fts) VALUES ('optimize')")


def _factored(con: sqlite3.Connection, name: str) -> list[str]:
    """The stored rows of `name` (STORED) from the staged rows, labels (and sentences) replaced by
    their ids; their columns."""
    columns = TABLES[name][0]
    sentences = "sentences" in FACTORED[name]
    dropped = set(LABEL[1:]) | ({"evidence"} if sentences else set())
    kept = [c for c in columns if c not in dropped]
    stored = [*kept, "label_id", *(["sentence_id"] if sentences else [])]
    picks = [_value(c, "s.") for c in kept] + ["l.id"] + (["e.id"] if sentences else [])
    joins = "JOIN keys_labels l ON " + " AND ".join(f"l.{_quote(c)} = s.{_quote(c)}" for c in LABEL)
    if sentences:
        joins += " LEFT JOIN keys_sentences e ON " + " AND ".join(f"e.{_quote(c)} = s.{_quote(c)}" for c in SENTENCE)
    _create(con, STORED[name], stored)
    con.execute(f"INSERT INTO {STORED[name]} SELECT {', '.join(picks)} FROM stage_{name} s {joins} ORDER BY s.rowid")
    return stored


def _view(con: sqlite3.Connection, name: str, stored: list[str]) -> None:
    """`name` as the package's table: its fields in order, from the stored rows and their lookups."""
    picks = []
    for column in TABLES[name][0]:
        if column in LABEL[1:]:
            picks.append(f"l.{_quote(column)}")
        elif column == "evidence" and "sentence_id" in stored:
            picks.append('s."sentence" AS "evidence"')
        else:
            picks.append(f"r.{_quote(column)}")
    joins = "LEFT JOIN labels l ON l.id = r.label_id"
    if "sentence_id" in stored:
        joins += " LEFT JOIN sentences s ON s.id = r.sentence_id"
    body = f"SELECT {', '.join(picks)} FROM {STORED[name]} r {joins} ORDER BY r.rowid"
    con.execute(f"CREATE VIEW {_quote(name)} AS {body}")


def build(con: sqlite3.Connection, tables: dict[str, Path]) -> dict[str, int]:
    """Every table given (name -> its CSV) into `con`; returns the rows of each."""
    counts = {name: _stage(con, name, path) for name, path in tables.items()}
    if "figures" in tables:
        write_sentences(con)
    _lookup(con, "labels", LABEL, [n for n in FACTORED if n in tables])
    for name in tables:
        if name in FACTORED:
            _view(con, name, _factored(con, name))
        else:
            _create(con, name, TABLES[name][0])
            values = ", ".join(_value(c) for c in TABLES[name][0])
            con.execute(f"INSERT INTO {_quote(name)} SELECT {values} FROM stage_{name} ORDER BY rowid")
    return counts


def write_database(processed: Path | None = None, target: Path | None = None) -> dict[str, int]:
    """Build the SQLite file from the processed CSVs present (figures.csv is required); returns the
    rows of each table."""
    processed = processed or paths.PROCESSED
    target = target or processed / NAME
    if not (processed / "figures.csv").is_file():
        raise DataCheckError(f"{processed / 'figures.csv'}: no panel yet; run the clean step first")
    tables = {n: processed / f"{n}.csv" for n in TABLES if (processed / f"{n}.csv").is_file()}
    for name, path in tables.items():
        check_header(name, path)
    with atomic_path(target) as tmp:
        tmp.unlink()
        con = sqlite3.connect(tmp)
        try:
            for pragma in PRAGMAS:
                con.execute(f"PRAGMA {pragma}")
            counts = build(con, tables)
            con.commit()
        finally:
            con.close()
    return counts


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
