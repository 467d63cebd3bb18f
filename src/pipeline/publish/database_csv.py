"""Reading the processed CSVs for the database (publish.database): their columns and rows with
Arrow's reader, and the parts they fall into.

The CSVs are read with Arrow's reader (one thread, small blocks): first only the columns the
lookups hold, dictionary-encoded, so each distinct sentence or note is held once in memory; then
the rows, a block at a time, on their way into SQLite, never all as Python objects. A CSV's parts
(each run of one body's rows) are found from its bytes (numpy: the line breaks outside quotes, the
first cell of each record), each with the sha256 of its bytes and row ids that never shift.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import mmap
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from pipeline.csv_records import record_starts
from pipeline.errors import DataCheckError
from pipeline.publish.datapackage import TABLES, field

RUN_BITS = 24  # a part's rows are ids lo .. lo + rows - 1: at most 2**24 rows in one part
CELL_BYTES, CELL_ROWS = 32, 1 << 16  # records' first cells compared as this many bytes, so many records at a time
BLOCK_BYTES = 1 << 20  # the CSV reader's blocks: small, read in one thread, so it holds little beyond the table
DICTIONARY = pa.dictionary(pa.int32(), pa.string())
BATCH_ROWS = 20_000  # rows made Python objects at a time, on their way into SQLite


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


Source = Path | bytes  # a processed CSV, or some of its parts' bytes after its header line


def _opened(source: Source) -> Any:
    return pa.BufferReader(source) if isinstance(source, bytes) else source


def read_columns(name: str, source: Source, columns: Sequence[str]) -> pa.Table:
    """These columns of a processed CSV, whole and dictionary-encoded (what the lookups are made of)."""
    return pacsv.read_csv(_opened(source), **_csv_options(name, columns, frozenset(columns)))


def read_batches(name: str, source: Source, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """These columns of a processed CSV, a block at a time: the rows are never all in memory."""
    yield from pacsv.open_csv(_opened(source), **_csv_options(name, columns, frozenset()))


Converter = Callable[[list[str]], list]


def converter(column: str) -> Converter:
    """CSV texts as the values SQLite is given: '' is NULL; a number field's floats (Python's
    conversion: SQLite's own text-to-real conversion is not correctly rounded in every version);
    other texts as they are, for the column's affinity (an integer field's digits become an integer)."""
    if field(column)["type"] == "number":
        return lambda texts: [float(t) if t else None for t in texts]
    return lambda texts: [t or None for t in texts]


def rows_of(columns: Sequence[pa.ChunkedArray | np.ndarray], converters: Sequence[Converter | None]) -> Iterator[tuple]:
    """The rows of these columns, a batch at a time (never all as Python objects): an Arrow column's
    texts through its converter (`converter`), an id column (numpy, 0 for none) as it is."""
    total = len(columns[0]) if columns else 0
    for offset in range(0, total, BATCH_ROWS):
        batch = []
        for column, convert in zip(columns, converters, strict=True):
            piece = column[offset : offset + BATCH_ROWS]
            batch.append([i or None for i in piece.tolist()] if convert is None else convert(piece.to_pylist()))
        yield from zip(*batch, strict=True)


def digest_id(values: Sequence[str], bits: int = 63) -> int:
    """A content-derived id: the first `bits` bits of a BLAKE2b of the texts (never 0, which is none)."""
    digest = hashlib.blake2b(json.dumps(list(values), ensure_ascii=False).encode("utf-8"), digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> (64 - bits)) or 1


@dataclass(frozen=True)
class Part:
    """A run of consecutive rows of one body in a processed CSV: its bytes' range and digest, and the
    row ids it is stored under (lo .. lo + rows - 1, from (body, run) alone: they never shift)."""

    body: str
    run: int  # how many runs of this body come before it in the table (0 when its rows are together)
    start: int
    end: int
    rows: int
    sha256: str

    @property
    def lo(self) -> int:
        return digest_id([self.body, str(self.run)], 63 - RUN_BITS) << RUN_BITS


def _first_cell(cell: bytes) -> str:
    """A record's first cell (its body) from its bytes up to the first comma (the whole record when quoted)."""
    text = cell.decode("utf-8", errors="replace").rstrip("\r\n")
    return next(csv.reader(io.StringIO(text, newline="")), [""])[0] if text.startswith('"') else text


def _new_cells(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """The records (indices) whose first cell differs from the one before's, the first included:
    compared as their first CELL_BYTES bytes up to the first comma. None when a first cell is
    quoted or longer (then each is read in Python)."""
    width = np.arange(CELL_BYTES)
    changed, last = [np.zeros(1, dtype=np.int64)], None
    for at in range(0, len(starts), CELL_ROWS):
        begin, end = starts[at : at + CELL_ROWS], ends[at : at + CELL_ROWS]
        window = data[np.minimum(begin[:, None] + width, len(data) - 1)]
        commas = window == 44
        first = commas.argmax(axis=1)
        if not commas.any(axis=1).all() or (first >= end - begin).any() or (window[:, 0] == 34).any():
            return None
        cells = np.where(width < first[:, None], window, 0)
        if last is not None:
            cells = np.concatenate([last, cells])
        step = np.flatnonzero((cells[1:] != cells[:-1]).any(axis=1)) + 1
        changed.append(step + (at - (last is not None)))
        last = cells[-1:]
    return np.unique(np.concatenate(changed))


def scan(path: Path) -> tuple[bytes, list[Part]]:
    """A processed CSV's header line (its bytes) and its parts, in order."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return b"", []
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            data = np.frombuffer(view, dtype=np.uint8)
            starts, _ = record_starts(data)  # an unclosed quote: Arrow's reader says so
            if not len(starts):
                del data
                return bytes(view), []
            header = bytes(view[: int(starts[0])])
            bounds = starts[starts < size]
            ends = np.append(bounds[1:], size)
            firsts = _new_cells(data, bounds, ends) if len(bounds) else np.zeros(0, dtype=np.int64)
            if firsts is None:
                cells = [
                    _first_cell(view[s : _cut(view, s, e)]) for s, e in zip(bounds.tolist(), ends.tolist(), strict=True)
                ]
                firsts = np.array([i for i in range(len(cells)) if not i or cells[i] != cells[i - 1]], dtype=np.int64)
            del data
            runs: dict[str, int] = {}
            parts: list[Part] = []
            edges = [*firsts.tolist(), len(bounds)]
            for i, j in itertools.pairwise(edges):
                start, end = int(bounds[i]), int(ends[j - 1])
                body = _first_cell(view[start : _cut(view, start, end)])
                parts.append(_part(view, body, runs, start, end, j - i))
    if len({p.lo for p in parts}) != len(parts):
        raise DataCheckError(f"{path}: two parts' row ids collide")
    if any(p.rows >= 1 << RUN_BITS for p in parts):
        raise DataCheckError(f"{path}: a part of more than {1 << RUN_BITS} rows")
    return header, parts


def _cut(view: Any, start: int, end: int) -> int:
    """Where a record's first cell ends: its first comma (or the record's end when it is quoted)."""
    cut = view.find(b",", start, end)
    return end if cut < 0 or view[start] == 34 else cut


def _part(view: Any, body: str, runs: dict[str, int], start: int, end: int, rows: int) -> Part:
    run = runs.get(body, 0)
    runs[body] = run + 1
    return Part(body, run, start, end, rows, hashlib.sha256(view[start:end]).hexdigest())
