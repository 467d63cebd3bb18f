"""The database's layout (publish.database): its tables, lookups, parts, views and the DDL that
makes them; the module's doc there says what each holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.hashing import package_sha256
from pipeline.publish.datapackage import TABLES, field

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
    # ids clustered by body, its first column (a body's base, then each of its entries in order), so
    # that the full-text index's row ids stay close; a body's entries are all made again when it changes
    by_body: bool = False


# in the order they are written; `sentences` first, with its full-text index (see the module's doc)
LOOKUPS = {
    "sentences": Lookup("sentence_id", SENTENCE, ("evidence",), required="evidence", by_body=True),
    "labels": Lookup("label_id", LABEL, LABEL[1:]),
    "origins": Lookup("origin_id", ORIGIN, ORIGIN),
    "notes": Lookup("note_id", NOTE, NOTE),
    "baselines": Lookup("baseline_id", BASELINE, BASELINE),
}
# the tables stored with their repeated parts factored out, and the lookups each row points at
FACTORED = {"figures": ("origins", "labels", "sentences"), "comparison": ("labels", "notes", "baselines")}
STORED = {"figures": "figure_rows", "comparison": "comparison_rows"}  # where a factored table's rows are
PARTS = {"figures": "figure_parts", "comparison": "comparison_parts"}  # its parts: their order, ids and digests
FORMAT = "parts-1"  # the file's layout (with the code's digest in `meta`): a base of another is not updated
FTS_HASH_BYTES = 256 << 20  # the full-text index's pending terms (memory) before it writes a segment
PART_BY = "body"  # every factored table's first column: its parts are runs of one value of it
assert all(TABLES[n][0][0] == PART_BY for n in FACTORED) and SENTENCE[0] == ORIGIN[0] == PART_BY
SCHEMA_VERSION = 1  # the schema cookie every file is written with, whatever DDL its history ran
KEYS = {lookup.key for lookup in LOOKUPS.values()}
PAGE_SIZE = 8192  # fewer, fuller pages than the default 4096: 2-3 % smaller at corpus scale


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_type(column: str) -> str:
    return "INTEGER" if column in KEYS else SQL_TYPES[field(column)["type"]]


def stored_name(column: str) -> str:
    return "sentence" if column == "evidence" else column


def create(con: sqlite3.Connection, name: str, columns: Sequence[str], key: str = "") -> None:
    spec = [f"{key} INTEGER PRIMARY KEY"] if key else []
    spec += [f"{quote(stored_name(c))} {sql_type(c)}" for c in columns]
    con.execute(f"CREATE TABLE {quote(name)} ({', '.join(spec)})")


def create_schema(con: sqlite3.Connection, tables: Sequence[str]) -> None:
    """Every table, index and view of the file, empty."""
    factored = [n for n in FACTORED if n in tables]
    for name, lookup in LOOKUPS.items():
        if any(name in FACTORED[n] for n in factored):
            create(con, name, lookup.columns, key="id")
    if "sentences" in LOOKUPS and any("sentences" in FACTORED[n] for n in factored):
        con.execute(
            "CREATE VIRTUAL TABLE evidence_fts USING fts5(sentence, body UNINDEXED, report_year UNINDEXED, "
            'source UNINDEXED, content="sentences", content_rowid="id", tokenize="trigram")'
        )
        con.execute("INSERT INTO evidence_fts (evidence_fts, rank) VALUES ('automerge', 0)")  # one merge, at the end
        # the rebuild's terms held in memory, written once: half the CPU of flushing 1 MiB at a time and merging
        con.execute(f"INSERT INTO evidence_fts (evidence_fts, rank) VALUES ('hashsize', {FTS_HASH_BYTES})")
    for name in tables:
        if name in FACTORED:
            moved = moved_to(name)
            kept = [c for c in TABLES[name][0] if c not in moved]
            create(con, STORED[name], [*kept, *(LOOKUPS[n].key for n in FACTORED[name])], key="id")
            con.execute(
                f"CREATE TABLE {PARTS[name]} (ord INTEGER PRIMARY KEY, body TEXT, run INTEGER, "
                "lo INTEGER, hi INTEGER, rows INTEGER, sha256 TEXT)"
            )
            create_view(con, name)
        else:
            create(con, name, TABLES[name][0])
    con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")


def schema_rows(con: sqlite3.Connection) -> list[tuple]:
    return con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()


def meta_rows() -> list[tuple[str, str]]:
    return [("code", package_sha256()), ("format", FORMAT)]


def moved_to(name: str) -> dict[str, str]:
    """The columns of `name` its rows do not carry -> the lookup holding them."""
    return {c: lookup for lookup in FACTORED[name] for c in LOOKUPS[lookup].moved}


def create_view(con: sqlite3.Connection, name: str) -> None:
    """`name` as the package's table: its fields in order, from the stored rows and their lookups,
    in the CSV's order (its parts' order, then each part's rows')."""
    moved = moved_to(name)
    picks = []
    for column in TABLES[name][0]:
        if column == PART_BY:  # the part's own (the same text): a query of one body reads its parts alone
            picks.append(f"p.{quote(column)}")
        elif column in moved:
            stored = stored_name(column)
            alias = f" AS {quote(column)}" if stored != column else ""
            picks.append(f"{moved[column]}.{quote(stored)}{alias}")
        else:
            picks.append(f"r.{quote(column)}")
    joins = " ".join(f"LEFT JOIN {n} ON {n}.id = r.{LOOKUPS[n].key}" for n in FACTORED[name])
    body = (
        f"SELECT {', '.join(picks)} FROM {PARTS[name]} p CROSS JOIN {STORED[name]} r "
        f"ON r.id BETWEEN p.lo AND p.hi {joins} ORDER BY p.ord, r.id"
    )
    con.execute(f"CREATE VIEW {quote(name)} AS {body}")
