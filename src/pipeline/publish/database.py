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
- `origins`: each place figures were read from once (body, report_year, the period, source_type,
  source, source_date); `figure_rows.origin_id` points at it.
- `notes`: each distinct (note, note_zh) of the comparison once; `baselines`: each figure compared
  with once (baseline_body, its period, kind and source); `comparison_rows.note_id` and
  `.baseline_id` point at them. At 1,000 documents the comparison's 370,792 rows say 120,633 notes
  of 4,009 baselines: the file went from 250 to 160 MB.
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
from dataclasses import dataclass
from pathlib import Path

from pipeline import paths
from pipeline.atomic import atomic_path
from pipeline.errors import DataCheckError
from pipeline.publish.datapackage import TABLES, field

NAME = "annual_figures.sqlite"
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "string": "TEXT"}
SENTENCE = ("body", "report_year", "source", "evidence")  # a document's sentence: stored once in `sentences`
LABEL = ("indicator_id", "indicator_zh", "indicator_en")  # stored once in `labels`
# where a figure was read: its document's (or published source's) period and citation, in `origins`
ORIGIN = ("body", "report_year", "period_start", "period_end", "period_kind", "source_type", "source", "source_date")
# what a comparison row says of itself, and the figure it is compared with: `notes`, `baselines`
NOTE = ("note", "note_zh")
BASELINE = ("baseline_body", "baseline_start", "baseline_end", "baseline_period", "baseline_kind", "baseline_source")


@dataclass(frozen=True)
class Lookup:
    """A table holding each distinct combination of some staged columns once, which rows point at."""

    key: str  # the rows' column holding its id
    columns: tuple[str, ...]  # the staged columns it holds
    moved: tuple[str, ...]  # of those, the ones the rows no longer carry (the view reads them from here)
    where: str = ""  # the staged rows that have one (the others point at NULL)


# in the order they are written; `sentences` first, with its full-text index (see the module's doc)
LOOKUPS = {
    "sentences": Lookup("sentence_id", SENTENCE, ("evidence",), "WHERE evidence != ''"),
    "labels": Lookup("label_id", LABEL, LABEL[1:]),
    "origins": Lookup("origin_id", ORIGIN, ORIGIN),
    "notes": Lookup("note_id", NOTE, NOTE),
    "baselines": Lookup("baseline_id", BASELINE, BASELINE),
}
# the tables stored with their repeated parts factored out, and the lookups each row points at
FACTORED = {"figures": ("origins", "labels", "sentences"), "comparison": ("labels", "notes", "baselines")}
STORED = {"figures": "figure_rows", "comparison": "comparison_rows"}  # where a factored table's rows are
KEYS = {lookup.key for lookup in LOOKUPS.values()}
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
    return "INTEGER" if column in KEYS else SQL_TYPES[field(column)["type"]]


def _stored_name(column: str) -> str:
    return "sentence" if column == "evidence" else column


def _create(con: sqlite3.Connection, name: str, columns: Sequence[str], key: str = "") -> None:
    spec = [f"{key} INTEGER PRIMARY KEY"] if key else []
    spec += [f"{_quote(_stored_name(c))} {_sql_type(c)}" for c in columns]
    con.execute(f"CREATE TABLE {_quote(name)} ({', '.join(spec)})")


def _lookup(con: sqlite3.Connection, name: str, staged: Sequence[str]) -> None:
    """Table `name` (id, its columns): each distinct value of its columns in the staged tables once,
    ids in sorted order; and temp.keys_<name>, the staged texts -> id, indexed, for the joins that follow."""
    lookup = LOOKUPS[name]
    picks = ", ".join(_quote(c) for c in lookup.columns)
    union = " UNION ".join(f"SELECT DISTINCT {picks} FROM stage_{t} {lookup.where}" for t in staged)
    order = ", ".join(_order(c) for c in lookup.columns)
    con.execute(
        f"CREATE TEMP TABLE keys_{name} AS SELECT ROW_NUMBER() OVER (ORDER BY {order}) AS id, {picks} FROM ({union})"
    )
    con.execute(f"CREATE UNIQUE INDEX temp.keys_{name}_index ON keys_{name} ({picks})")
    _create(con, name, lookup.columns, key="id")
    values = ", ".join(_value(c) for c in lookup.columns)
    con.execute(f"INSERT INTO {name} SELECT id, {values} FROM keys_{name} ORDER BY id")


def _order(column: str) -> str:
    value = _value(column)
    return f"CAST({value} AS INTEGER)" if field(column)["type"] == "integer" else value


def write_sentences(con: sqlite3.Connection) -> None:
    """`sentences` and its full-text index `evidence_fts`, before the large tables are written."""
    _lookup(con, "sentences", ["figures"])
    con.execute(
        "CREATE VIRTUAL TABLE evidence_fts USING fts5(sentence, body UNINDEXED, report_year UNINDEXED, "
        'source UNINDEXED, content="sentences", content_rowid="id", tokenize="trigram")'
    )
    con.execute("INSERT INTO evidence_fts (evidence_fts, rank) VALUES ('automerge', 0)")  # one merge, at the end
    con.execute("INSERT INTO evidence_fts (rowid, sentence) SELECT id, sentence FROM sentences ORDER BY id")
    con.execute("INSERT INTO evidence_fts (evidence_fts) VALUES ('optimize')")


def _moved_to(name: str) -> dict[str, str]:
    """The columns of `name` its rows do not carry -> the lookup holding them."""
    return {c: lookup for lookup in FACTORED[name] for c in LOOKUPS[lookup].moved}


def _factored(con: sqlite3.Connection, name: str) -> list[str]:
    """The stored rows of `name` (STORED) from the staged rows, what its lookups hold replaced by
    their ids; their columns."""
    moved = _moved_to(name)
    kept = [c for c in TABLES[name][0] if c not in moved]
    lookups = FACTORED[name]
    stored = [*kept, *(LOOKUPS[n].key for n in lookups)]
    picks = [_value(c, "s.") for c in kept] + [f"k_{n}.id" for n in lookups]
    joins = " ".join(
        f"LEFT JOIN keys_{n} k_{n} ON " + " AND ".join(f"k_{n}.{_quote(c)} = s.{_quote(c)}" for c in LOOKUPS[n].columns)
        for n in lookups
    )
    _create(con, STORED[name], stored)
    con.execute(f"INSERT INTO {STORED[name]} SELECT {', '.join(picks)} FROM stage_{name} s {joins} ORDER BY s.rowid")
    return stored


def _view(con: sqlite3.Connection, name: str) -> None:
    """`name` as the package's table: its fields in order, from the stored rows and their lookups."""
    moved = _moved_to(name)
    picks = []
    for column in TABLES[name][0]:
        if column in moved:
            stored = _stored_name(column)
            alias = f" AS {_quote(column)}" if stored != column else ""
            picks.append(f"{moved[column]}.{_quote(stored)}{alias}")
        else:
            picks.append(f"r.{_quote(column)}")
    joins = " ".join(f"LEFT JOIN {n} ON {n}.id = r.{LOOKUPS[n].key}" for n in FACTORED[name])
    body = f"SELECT {', '.join(picks)} FROM {STORED[name]} r {joins} ORDER BY r.rowid"
    con.execute(f"CREATE VIEW {_quote(name)} AS {body}")


def build(con: sqlite3.Connection, tables: dict[str, Path]) -> dict[str, int]:
    """Every table given (name -> its CSV) into `con`; returns the rows of each."""
    counts = {name: _stage(con, name, path) for name, path in tables.items()}
    factored = [n for n in FACTORED if n in tables]
    for lookup in LOOKUPS:
        staged = [n for n in factored if lookup in FACTORED[n]]
        if lookup == "sentences" and staged:
            write_sentences(con)
        elif staged:
            _lookup(con, lookup, staged)
    for name in tables:
        if name in FACTORED:
            _factored(con, name)
            _view(con, name)
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
