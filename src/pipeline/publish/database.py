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

The CSVs are read with Arrow's reader (one thread, small blocks): first only the columns the
lookups hold, dictionary-encoded, so each distinct sentence or note is held once in memory, and
the lookups' ids come from those codes (numpy); then the rows, a block at a time, on their way into
SQLite. Against staging every row as text in SQLite and factoring there, at 1,000 documents:
15 -> 10 s of CPU, 231 -> 453 MB peak.
"""

from __future__ import annotations

import csv
import itertools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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
    """A table holding each distinct combination of some columns of the tables once, which rows point at."""

    key: str  # the rows' column holding its id
    columns: tuple[str, ...]  # the tables' columns it holds
    moved: tuple[str, ...]  # of those, the ones the rows no longer carry (the view reads them from here)
    required: str = ""  # a column the rows that have one are not empty in (the others point at NULL)


# in the order they are written; `sentences` first, with its full-text index (see the module's doc)
LOOKUPS = {
    "sentences": Lookup("sentence_id", SENTENCE, ("evidence",), required="evidence"),
    "labels": Lookup("label_id", LABEL, LABEL[1:]),
    "origins": Lookup("origin_id", ORIGIN, ORIGIN),
    "notes": Lookup("note_id", NOTE, NOTE),
    "baselines": Lookup("baseline_id", BASELINE, BASELINE),
}
# the tables stored with their repeated parts factored out, and the lookups each row points at
FACTORED = {"figures": ("origins", "labels", "sentences"), "comparison": ("labels", "notes", "baselines")}
STORED = {"figures": "figure_rows", "comparison": "comparison_rows"}  # where a factored table's rows are
KEYS = {lookup.key for lookup in LOOKUPS.values()}
CACHE_KIB = 16 * 1024  # the build's page cache
BLOCK_BYTES = 1 << 20  # the CSV reader's blocks: small, read in one thread, so it holds little beyond the table
DICTIONARY = pa.dictionary(pa.int32(), pa.string())
BATCH_ROWS = 20_000  # rows made Python objects at a time, on their way into SQLite
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


def _csv_options(name: str, columns: Sequence[str], repeated: frozenset[str]) -> dict[str, Any]:
    """How a processed CSV is read: every cell the text between its commas ('' when empty), its
    header the package's fields (check_header), a quoted cell may hold a line break; only
    `columns`, the `repeated` ones dictionary-encoded (each distinct text held once per block)."""
    return {
        "read_options": pacsv.ReadOptions(
            column_names=TABLES[name][0], skip_rows=1, block_size=BLOCK_BYTES, use_threads=False
        ),
        "parse_options": pacsv.ParseOptions(newlines_in_values=True),
        "convert_options": pacsv.ConvertOptions(
            include_columns=list(columns),
            column_types={c: DICTIONARY if c in repeated else pa.string() for c in columns},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def read_columns(name: str, path: Path, columns: Sequence[str]) -> pa.Table:
    """These columns of a processed CSV, whole and dictionary-encoded (what the lookups are made of)."""
    return pacsv.read_csv(path, **_csv_options(name, columns, frozenset(columns)))


def read_batches(name: str, path: Path, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """These columns of a processed CSV, a block at a time: the rows are never all in memory."""
    yield from pacsv.open_csv(path, **_csv_options(name, columns, frozenset()))


Converter = Callable[[list[str]], list]


def _cells(column: str) -> Converter:
    """CSV texts as the values SQLite is given: '' is NULL; a number field's floats (Python's
    conversion: SQLite's own text-to-real conversion is not correctly rounded in every version);
    other texts as they are, for the column's affinity (an integer field's digits become an integer)."""
    if field(column)["type"] == "number":
        return lambda texts: [float(t) if t else None for t in texts]
    return lambda texts: [t or None for t in texts]


def _rows(columns: Sequence[pa.ChunkedArray | np.ndarray], converters: Sequence[Converter | None]) -> Iterator[tuple]:
    """The rows of these columns, a batch at a time (never all as Python objects): an Arrow column's
    texts through its converter (_cells), an id column (numpy, 0 for none) as it is."""
    total = len(columns[0]) if columns else 0
    for offset in range(0, total, BATCH_ROWS):
        batch = []
        for column, convert in zip(columns, converters, strict=True):
            piece = column[offset : offset + BATCH_ROWS]
            batch.append([i or None for i in piece.tolist()] if convert is None else convert(piece.to_pylist()))
        yield from zip(*batch, strict=True)


def _ranked(texts: pa.Array, integer: bool) -> np.ndarray:
    """Each distinct text's place in a lookup's order: NULL ('') first, an integer field's by number,
    others by code point (Arrow's order of UTF-8 bytes, SQLite's BINARY order)."""
    if integer:
        values = texts.to_pylist()
        order = sorted(range(len(values)), key=lambda i: (values[i] != "", _as_integer(values[i])))
    else:  # '' sorts first of all texts
        order = pc.array_sort_indices(texts).to_numpy()
    rank = np.empty(len(texts), dtype=np.int64)
    rank[order] = np.arange(len(texts))
    return rank


def _as_integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0  # as CAST(text AS INTEGER) orders what is not a number (never in our tables)


def _sql_type(column: str) -> str:
    return "INTEGER" if column in KEYS else SQL_TYPES[field(column)["type"]]


def _stored_name(column: str) -> str:
    return "sentence" if column == "evidence" else column


def _create(con: sqlite3.Connection, name: str, columns: Sequence[str], key: str = "") -> None:
    spec = [f"{key} INTEGER PRIMARY KEY"] if key else []
    spec += [f"{_quote(_stored_name(c))} {_sql_type(c)}" for c in columns]
    con.execute(f"CREATE TABLE {_quote(name)} ({', '.join(spec)})")


def _codes(tables: Sequence[pa.Table], column: str) -> tuple[pa.Array, list[np.ndarray]]:
    """One column over the tables as integer codes into one array of its distinct texts."""
    both = pa.chunked_array([chunk for t in tables for chunk in t.column(column).chunks], type=DICTIONARY)
    encoded = pa.table([both], names=[column]).unify_dictionaries().column(0).chunks  # one dictionary for all
    if not encoded:
        return pa.array([], pa.string()), [np.zeros(0, dtype=np.int64) for _ in tables]
    codes = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False).astype(np.int64) for chunk in encoded])
    bounds = np.cumsum([0, *(len(t) for t in tables)])
    return encoded[-1].dictionary, [codes[a:b] for a, b in itertools.pairwise(bounds)]


def _combined(columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ranks (one array per column) -> each row's place among the distinct rows in their
    order (column by column), and the first row of each. Renumbered column by column (np.unique
    sorts), so the combined number never overflows and keeps the order."""
    inverse = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        _, inverse = np.unique(inverse * (int(column.max(initial=0)) + 1) + column, return_inverse=True)
    _, first = np.unique(inverse, return_index=True)
    return inverse.reshape(-1), first


def _lookup(con: sqlite3.Connection, name: str, staged: dict[str, pa.Table]) -> dict[str, np.ndarray]:
    """Table `name` (id, its columns): each distinct combination of its columns in the staged tables
    once, ids in the order of its columns' values (_ranked); returns each staged table's ids, row by
    row (0: none)."""
    lookup = LOOKUPS[name]
    names, tables = list(staged), list(staged.values())
    texts, codes = [], []
    for column in lookup.columns:
        values, per_table = _codes(tables, column)
        texts.append(values)
        codes.append(per_table)
    if lookup.required:  # rows without a value of its own (an empty evidence) point at none
        at = lookup.columns.index(lookup.required)
        empty = pc.index(texts[at], "").as_py()  # -1 when none is empty
        kept = [column != empty for column in codes[at]]
    else:
        kept = [np.ones(len(t), dtype=bool) for t in tables]
    ranks = [_ranked(t, field(c)["type"] == "integer") for t, c in zip(texts, lookup.columns, strict=True)]
    columns = [
        np.concatenate([rank[c[keep]] for c, keep in zip(per_table, kept, strict=True)])
        for rank, per_table in zip(ranks, codes, strict=True)
    ]
    inverse, first = _combined(columns)
    whole = [np.concatenate([c[keep] for c, keep in zip(per_table, kept, strict=True)]) for per_table in codes]
    _create(con, name, lookup.columns, key="id")
    marks = ", ".join("?" for _ in range(len(lookup.columns) + 1))
    # each distinct row's texts, in id order, taken from the dictionaries a batch at a time
    values = [t.take(pa.array(code[first])) for t, code in zip(texts, whole, strict=True)]
    cells = [_cells(c) for c in lookup.columns]
    con.executemany(
        f"INSERT INTO {name} VALUES ({marks})", _rows([np.arange(1, len(first) + 1), *values], [None, *cells])
    )
    ids, at = {}, 0
    for table, keep in zip(names, kept, strict=True):
        row_ids = np.zeros(len(keep), dtype=np.int64)
        row_ids[keep] = inverse[at : at + int(keep.sum())] + 1
        at += int(keep.sum())
        ids[table] = row_ids
    return ids


def write_sentences(con: sqlite3.Connection, staged: dict[str, pa.Table]) -> dict[str, np.ndarray]:
    """`sentences` and its full-text index `evidence_fts`, before the large tables are written."""
    ids = _lookup(con, "sentences", staged)
    con.execute(
        "CREATE VIRTUAL TABLE evidence_fts USING fts5(sentence, body UNINDEXED, report_year UNINDEXED, "
        'source UNINDEXED, content="sentences", content_rowid="id", tokenize="trigram")'
    )
    con.execute("INSERT INTO evidence_fts (evidence_fts, rank) VALUES ('automerge', 0)")  # one merge, at the end
    con.execute("INSERT INTO evidence_fts (rowid, sentence) SELECT id, sentence FROM sentences ORDER BY id")
    con.execute("INSERT INTO evidence_fts (evidence_fts) VALUES ('optimize')")
    return ids


def _moved_to(name: str) -> dict[str, str]:
    """The columns of `name` its rows do not carry -> the lookup holding them."""
    return {c: lookup for lookup in FACTORED[name] for c in LOOKUPS[lookup].moved}


def _insert(con: sqlite3.Connection, name: str, columns: list, cells: list) -> None:
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {_quote(name)} VALUES ({marks})", _rows(columns, cells))


def _factored(con: sqlite3.Connection, name: str, path: Path, ids: dict[str, np.ndarray]) -> int:
    """The stored rows of `name` (STORED), in the CSV's order, read a block at a time: what its
    lookups hold replaced by their ids (`ids`: lookup -> this table's ids, row by row). Returns
    how many rows."""
    moved = _moved_to(name)
    kept = [c for c in TABLES[name][0] if c not in moved]
    lookups = FACTORED[name]
    _create(con, STORED[name], [*kept, *(LOOKUPS[n].key for n in lookups)])
    cells = [_cells(c) for c in kept] + [None] * len(lookups)
    at = 0
    for batch in read_batches(name, path, kept):
        rows = batch.num_rows
        _insert(con, STORED[name], [batch.column(c) for c in kept] + [ids[n][at : at + rows] for n in lookups], cells)
        at += rows
    if any(len(ids[n]) != at for n in lookups):
        raise DataCheckError(f"{path}: changed while the database was built from it")
    return at


def _plain(con: sqlite3.Connection, name: str, path: Path) -> int:
    """A table stored as it is, read a block at a time; returns how many rows."""
    columns = TABLES[name][0]
    _create(con, name, columns)
    cells, at = [_cells(c) for c in columns], 0
    for batch in read_batches(name, path, columns):
        _insert(con, name, [batch.column(c) for c in columns], cells)
        at += batch.num_rows
    return at


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
    """Every table given (name -> its CSV) into `con`; returns the rows of each. The lookups are
    made from their columns alone, read first; the rows follow a block at a time."""
    factored = [n for n in FACTORED if n in tables]
    held = {n: sorted({c for lookup in FACTORED[n] for c in LOOKUPS[lookup].columns}) for n in factored}
    keys = {n: read_columns(n, tables[n], held[n]) for n in factored}
    ids: dict[str, dict[str, np.ndarray]] = {n: {} for n in factored}  # table -> lookup -> its rows' ids
    for lookup in LOOKUPS:
        staged = {n: keys[n] for n in factored if lookup in FACTORED[n]}
        if not staged:
            continue
        found = write_sentences(con, staged) if lookup == "sentences" else _lookup(con, lookup, staged)
        for n, row_ids in found.items():
            ids[n][lookup] = row_ids
    del keys, staged
    counts = {}
    for name, path in tables.items():
        if name in FACTORED:
            counts[name] = _factored(con, name, path, ids[name])
            _view(con, name)
        else:
            counts[name] = _plain(con, name, path)
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
