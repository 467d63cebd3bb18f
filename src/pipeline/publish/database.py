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
  of 4,009 baselines: the file went from 250 to 160 MB (188 MB with the 64-bit ids below, issue 12).
- `evidence_fts`: an FTS5 index over `sentences` (external content: it keeps no copy of the text)
  with the `trigram` tokenizer, so a Chinese substring of three or more characters finds its
  sentences: SELECT sentence, body, report_year FROM evidence_fts WHERE evidence_fts MATCH '常委会会议'.

Python's sqlite3 opens it as it is; so does datasette.

One canonical form, whatever the history (the same CSVs give the same bytes):
- a lookup's id is derived from its content (63 bits of a BLAKE2b of its texts), so adding rows
  elsewhere never shifts it; `sentences` are numbered per body (a body's base, then each of its
  sentences in order), so the full-text index's row ids stay close. Two texts under one id fail
  loudly (DataCheckError).
- a table's rows come in parts: each run of one body's rows in the CSV. `figure_parts` and
  `comparison_parts` hold each part's place in the CSV (`ord`), its row ids (lo .. hi, derived
  from (body, run): they never shift) and the sha256 of its bytes; the views read the parts in
  order and each part's rows by id. `meta` holds the layout's version and the code's digest.
- written last: the full-text index rebuilt (`rebuild`, `optimize`), then the file copied with
  VACUUM INTO (its bytes depend on what it holds, not on the pages' history) to a temporary file
  renamed over the target.

So the last file can be updated rather than built again (write_database's `base_sha256`: the sha256
it was recorded with): copied, the parts of the bodies whose bytes changed (or that are gone)
deleted, their new rows inserted, lookup entries no row points at any more dropped. Any doubt (no
base, other bytes, another code's layout or schema, an error on the way) and it is built from
scratch. The old file stays as it was until the new one is renamed over it. At 1,000 documents
plus one year of one body: ~3 s of CPU, against ~10 s for a fresh build.

The CSVs are read, and cut into parts, by publish.database_csv.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import paths
from pipeline.atomic import atomic_path, scratch_copy
from pipeline.errors import DataCheckError
from pipeline.hashing import sha256_of
from pipeline.publish.database_csv import (
    BATCH_ROWS,
    DICTIONARY,
    RUN_BITS,
    Part,
    Source,
    check_header,
    converter,
    digest_id,
    read_batches,
    read_columns,
    rows_of,
    scan,
)
from pipeline.publish.database_schema import (
    FACTORED,
    LOOKUPS,
    PAGE_SIZE,
    PARTS,
    SCHEMA_VERSION,
    STORED,
    create_schema,
    meta_rows,
    moved_to,
    quote,
    schema_rows,
    stored_name,
)
from pipeline.publish.datapackage import TABLES

NAME = "annual_figures.sqlite"
CACHE_KIB = 16 * 1024  # the build's page cache
# a file of our own, renamed into place only when complete: no journal needed
PRAGMAS = (f"page_size = {PAGE_SIZE}", "journal_mode = OFF", "synchronous = OFF", f"cache_size = -{CACHE_KIB}")


# --- rows in


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
    """Rows of codes (one array per column) -> each row's place among the distinct rows, and the
    first row of each. Renumbered column by column (np.unique), so the number never overflows."""
    inverse = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        _, inverse = np.unique(inverse * (int(column.max(initial=0)) + 1) + column, return_inverse=True)
    _, first = np.unique(inverse, return_index=True)
    return inverse.reshape(-1), first


def _lookup(con: sqlite3.Connection, name: str, staged: dict[str, pa.Table]) -> dict[str, np.ndarray]:
    """The distinct combinations of lookup `name`'s columns in the staged tables added to it (those
    not there yet), each under its content's id (digest_id); returns each staged table's ids, row
    by row (0: none). Two combinations under one id fail loudly."""
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
    whole = [np.concatenate([c[keep] for c, keep in zip(per_table, kept, strict=True)]) for per_table in codes]
    ids = {n: np.zeros(len(keep), dtype=np.int64) for n, keep in zip(names, kept, strict=True)}
    if not len(whole[0]):
        return ids
    inverse, first = _combined(whole)
    distinct = [t.take(pa.array(code[first])) for t, code in zip(texts, whole, strict=True)]
    found = _by_body(distinct) if lookup.by_body else _hashed(distinct)
    if len(np.unique(found)) != len(found):
        raise DataCheckError(f"{name}: two distinct rows have one id")
    # into the lookup itself when it is empty (a fresh build), else by way of a table of them, to
    # find an id already standing for other texts (a collision: fails loudly)
    empty = con.execute(f"SELECT 1 FROM main.{name} LIMIT 1").fetchone() is None
    into = f"main.{name}" if empty else f"temp.{name}_new"
    if not empty:
        con.execute(f"DROP TABLE IF EXISTS {into}")
        con.execute(f"CREATE TEMP TABLE {name}_new AS SELECT * FROM main.{name} WHERE 0")
    marks = ", ".join("?" for _ in range(len(lookup.columns) + 1))
    order = np.argsort(found, kind="stable")  # in id order, a batch at a time
    cells = [converter(c) for c in lookup.columns]
    con.executemany(
        f"INSERT INTO {into} VALUES ({marks})",
        rows_of([found[order], *(d.take(pa.array(order)) for d in distinct)], [None, *cells]),
    )
    if not empty:
        same = " AND ".join(f"m.{quote(stored_name(c))} IS n.{quote(stored_name(c))}" for c in lookup.columns)
        clash = f"SELECT n.id FROM {into} n JOIN main.{name} m ON m.id = n.id WHERE NOT ({same})"
        if con.execute(clash).fetchone() is not None:
            raise DataCheckError(f"{name}: two distinct rows have one id")
        columns = ", ".join(quote(stored_name(c)) for c in lookup.columns)
        con.execute(f"INSERT OR IGNORE INTO main.{name} (id, {columns}) SELECT * FROM {into} ORDER BY id")
        con.execute(f"DROP TABLE {into}")
    at = 0
    for table, keep in zip(names, kept, strict=True):
        count = int(keep.sum())
        ids[table][keep] = found[inverse[at : at + count]]
        at += count
    return ids


def _body_base(body: str) -> int:
    """The first id of a body's entries in a lookup `by_body`."""
    return digest_id(["body", body], 63 - RUN_BITS) << RUN_BITS


def _hashed(distinct: list[pa.Array]) -> np.ndarray:
    """Each distinct combination's content id (digest_id), a batch at a time."""
    found = np.zeros(len(distinct[0]), dtype=np.int64)
    for at in range(0, len(found), BATCH_ROWS):
        texts = [d[at : at + BATCH_ROWS].to_pylist() for d in distinct]
        found[at : at + BATCH_ROWS] = [digest_id(c) for c in zip(*texts, strict=True)]
    return found


def _by_body(distinct: list[pa.Array]) -> np.ndarray:
    """Ids of a lookup `by_body`: its body's base plus the entry's place among the body's entries
    in the order of their texts (code points: Arrow's order of UTF-8 bytes)."""
    names = [str(i) for i in range(len(distinct))]
    order = pc.sort_indices(pa.table(distinct, names=names), sort_keys=[(n, "ascending") for n in names])
    encoded = pc.dictionary_encode(distinct[0].take(order))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    at = np.arange(len(codes))
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else at
    place = at - np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    if len(place) and int(place.max()) >= 1 << RUN_BITS:
        raise DataCheckError(f"more than {1 << RUN_BITS} entries of one body")
    bases = np.array([_body_base(b) for b in encoded.dictionary.to_pylist()] or [0], dtype=np.int64)
    found = np.zeros(len(codes), dtype=np.int64)
    found[order.to_numpy()] = bases[codes] + place
    return found


def _insert(con: sqlite3.Connection, name: str, columns: list, cells: list) -> None:
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {quote(name)} VALUES ({marks})", rows_of(columns, cells))


def _factored(
    con: sqlite3.Connection, name: str, source: Source, ids: dict[str, np.ndarray], rowids: np.ndarray
) -> int:
    """The stored rows of `name` (STORED) read from `source` a block at a time, under `rowids`: what
    its lookups hold replaced by their ids (`ids`: lookup -> this table's ids, row by row). Returns
    how many rows."""
    moved = moved_to(name)
    kept = [c for c in TABLES[name][0] if c not in moved]
    lookups = FACTORED[name]
    cells = [None] + [converter(c) for c in kept] + [None] * len(lookups)
    at = 0
    for batch in read_batches(name, source, kept):
        rows = batch.num_rows
        if at + rows > len(rowids):
            raise DataCheckError(f"{name}: changed while the database was built from it")
        columns = [rowids[at : at + rows], *(batch.column(c) for c in kept)]
        _insert(con, STORED[name], columns + [ids[n][at : at + rows] for n in lookups], cells)
        at += rows
    if at != len(rowids) or any(len(ids[n]) != at for n in lookups):
        raise DataCheckError(f"{name}: changed while the database was built from it")
    return at


def _plain(con: sqlite3.Connection, name: str, path: Path) -> int:
    """A table stored as it is, read a block at a time, in place of what it held; returns how many rows."""
    columns = TABLES[name][0]
    con.execute(f"DELETE FROM {quote(name)}")
    cells, at = [converter(c) for c in columns], 0
    for batch in read_batches(name, path, columns):
        _insert(con, name, [batch.column(c) for c in columns], cells)
        at += batch.num_rows
    return at


def _stored_parts(con: sqlite3.Connection, name: str) -> dict[tuple[str, int], tuple[int, int, str]]:
    rows = con.execute(f"SELECT body, run, lo, hi, sha256 FROM {PARTS[name]}").fetchall()
    return {(body, run): (lo, hi, sha) for body, run, lo, hi, sha in rows}


def _drop_rows(con: sqlite3.Connection, name: str, ranges: list[tuple[int, int]], unused: dict[str, set[int]]) -> None:
    """The stored rows of `name` in these id ranges deleted; the lookup ids they pointed at noted in `unused`."""
    keys = [(n, LOOKUPS[n].key) for n in FACTORED[name]]
    for lo, hi in ranges:
        where = f"FROM {STORED[name]} WHERE id BETWEEN ? AND ?"
        for lookup, key in keys:
            unused.setdefault(lookup, set()).update(
                i for (i,) in con.execute(f"SELECT DISTINCT {key} {where} AND {key} IS NOT NULL", (lo, hi))
            )
        con.execute(f"DELETE {where}", (lo, hi))


def _drop_unused(con: sqlite3.Connection, unused: dict[str, set[int]], tables: Sequence[str]) -> None:
    """The lookups' entries among `unused` that no stored row points at any more deleted."""
    for lookup, candidates in unused.items():
        if not candidates:
            continue
        users = [f"SELECT {LOOKUPS[lookup].key} FROM {STORED[n]}" for n in tables if lookup in FACTORED.get(n, ())]
        con.execute("CREATE TEMP TABLE unused (id INTEGER PRIMARY KEY)")
        con.executemany("INSERT INTO temp.unused VALUES (?)", ((i,) for i in sorted(candidates)))
        con.execute(
            f"DELETE FROM {lookup} WHERE id IN (SELECT id FROM temp.unused) AND id NOT IN ({' UNION '.join(users)})"
        )
        con.execute("DROP TABLE temp.unused")


def load(con: sqlite3.Connection, tables: dict[str, Path], whole: bool) -> dict[str, int]:
    """The tables given (name -> its CSV) made what `con` holds: `whole` (an empty schema), every
    part read; else only the parts whose bytes differ from what `con` records, the rows of the
    others kept. Returns the rows of each table."""
    factored = [n for n in FACTORED if n in tables]
    sources: dict[str, Source] = {}
    rowids: dict[str, np.ndarray] = {}
    parts: dict[str, list[Part]] = {}
    unused: dict[str, set[int]] = {}
    for name in factored:
        header, parts[name] = scan(tables[name])
        if any(LOOKUPS[n].by_body for n in FACTORED[name]):  # two bodies' sentences under one base: fail loudly
            bodies = {p.body for p in parts[name]}
            if len({_body_base(b) for b in bodies}) != len(bodies):
                raise DataCheckError(f"{tables[name]}: two bodies' ids collide")
        old = {} if whole else _stored_parts(con, name)
        new = {(p.body, p.run): p.sha256 for p in parts[name]}
        # a body whose rows changed anywhere is read again whole (its entries of a lookup `by_body` with it)
        changed = {p.body for p in parts[name] if old.get((p.body, p.run), (0, 0, ""))[2] != p.sha256}
        changed |= {body for (body, run), (_, _, sha) in old.items() if new.get((body, run)) != sha}
        fresh = [p for p in parts[name] if whole or p.body in changed]
        _drop_rows(con, name, sorted((lo, hi) for (body, _), (lo, hi, _) in old.items() if body in changed), unused)
        for lookup in (n for n in FACTORED[name] if LOOKUPS[n].by_body and not whole):
            con.executemany(
                f"DELETE FROM {lookup} WHERE id BETWEEN ? AND ?",
                ((_body_base(b), _body_base(b) + (1 << RUN_BITS) - 1) for b in sorted(changed)),
            )
        if whole:
            sources[name] = tables[name]
        else:
            with tables[name].open("rb") as handle:
                chunks = [header]
                for p in fresh:
                    handle.seek(p.start)
                    chunks.append(handle.read(p.end - p.start))
            sources[name] = b"".join(chunks)
        rowids[name] = np.concatenate(
            [np.zeros(0, dtype=np.int64), *(p.lo + np.arange(p.rows, dtype=np.int64) for p in fresh)]
        )
    held = {n: sorted({c for lookup in FACTORED[n] for c in LOOKUPS[lookup].columns}) for n in factored}
    keys = {n: read_columns(n, sources[n], held[n]) for n in factored}
    ids: dict[str, dict[str, np.ndarray]] = {n: {} for n in factored}  # table -> lookup -> its rows' ids
    for lookup in LOOKUPS:
        staged = {n: keys[n] for n in factored if lookup in FACTORED[n]}
        if staged:
            for n, row_ids in _lookup(con, lookup, staged).items():
                ids[n][lookup] = row_ids
                if unused.get(lookup):  # pointed at by a row written now: in use, no need to look for others
                    unused[lookup].difference_update(np.unique(row_ids).tolist())
    del keys
    counts: dict[str, int] = {}
    for name in tables:
        if name in FACTORED:
            _factored(con, name, sources[name], ids[name], rowids[name])
            con.execute(f"DELETE FROM {PARTS[name]}")
            con.executemany(
                f"INSERT INTO {PARTS[name]} VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((i, p.body, p.run, p.lo, p.lo + p.rows - 1, p.rows, p.sha256) for i, p in enumerate(parts[name], 1)),
            )
            counts[name] = sum(p.rows for p in parts[name])
        else:
            counts[name] = _plain(con, name, tables[name])
    _drop_unused(con, unused, list(tables))
    con.execute("DELETE FROM meta")
    con.executemany("INSERT INTO meta VALUES (?, ?)", meta_rows())
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'evidence_fts'").fetchone():
        con.execute("INSERT INTO evidence_fts (evidence_fts) VALUES ('rebuild')")
        con.execute("INSERT INTO evidence_fts (evidence_fts) VALUES ('optimize')")
    return counts


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        con.execute(f"PRAGMA {pragma}")
    con.execute("BEGIN")
    return con


def _finish(con: sqlite3.Connection, final: Path) -> None:
    """The file written canonically (VACUUM INTO: its bytes depend on what it holds, not on its history)."""
    con.execute(f"PRAGMA schema_version = {SCHEMA_VERSION}")  # DDL counted by history otherwise
    con.execute("COMMIT")
    con.execute("VACUUM INTO ?", (str(final),))


def _update(base: Path, tables: dict[str, Path], final: Path) -> dict[str, int]:
    """`base` (a file this code wrote) copied aside, brought up to the CSVs, written to `final`."""
    # A plain file copy: the base was written whole by VACUUM INTO, has no journal beside it, and the
    # run lock keeps writers away (a quarter of the time of sqlite3's page-by-page backup).
    with scratch_copy(base, base) as work:
        con = _connect(work)
        try:
            if con.execute("SELECT key, value FROM meta ORDER BY key").fetchall() != meta_rows():
                raise DataCheckError(f"{base}: not this code's database")
            empty = sqlite3.connect(":memory:")
            try:
                create_schema(empty, list(tables))
                if schema_rows(empty) != schema_rows(con):
                    raise DataCheckError(f"{base}: not the schema of these tables")
            finally:
                empty.close()
            counts = load(con, tables, whole=False)
            _finish(con, final)
        finally:
            con.close()
    return counts


def _fresh(tables: dict[str, Path], target: Path, final: Path) -> dict[str, int]:
    with scratch_copy(None, target) as work:
        con = _connect(work)
        try:
            create_schema(con, list(tables))
            counts = load(con, tables, whole=True)
            _finish(con, final)
        finally:
            con.close()
    return counts


def write_database(
    processed: Path | None = None, target: Path | None = None, base_sha256: str | None = None
) -> dict[str, int]:
    """Build the SQLite file from the processed CSVs present (figures.csv is required); returns the
    rows of each table. With `base_sha256` (what the last one written was recorded as), the file at
    `target`, when it has these bytes and this code's layout, is updated: only the parts of the
    tables whose bytes changed are read again. Either way the bytes are those of a fresh build."""
    processed = processed or paths.PROCESSED
    target = target or processed / NAME
    if not (processed / "figures.csv").is_file():
        raise DataCheckError(f"{processed / 'figures.csv'}: no panel yet; run the clean step first")
    tables = {n: processed / f"{n}.csv" for n in TABLES if (processed / f"{n}.csv").is_file()}
    for name, path in tables.items():
        check_header(name, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as final:  # the work file changes on its way; `final` is its canonical copy
        final.unlink()
        if base_sha256 and target.is_file() and sha256_of(target) == base_sha256:
            try:
                return _update(target, tables, final)
            except Exception:  # any doubt about the base: the fresh build says what is wrong
                final.unlink(missing_ok=True)
        return _fresh(tables, target, final)


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
