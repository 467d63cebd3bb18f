"""The per-document interim tables (data/interim/<body>/<year>/figures, layout_repairs,
rejected_numerals, comparison, checks) are CSV text stored gzip-compressed as `<name>.csv.gz`.

The gzip is deterministic: no file name and mtime 0 in the header, one fixed compression level,
so the same rows give the same bytes (the sidecars' output hashes, the hash memory, the notebooks'
stored outputs and the Dask-vs-pool comparisons stay stable). A table is written atomically (a
temp file beside it, renamed over it); once its `.csv.gz` is in place, a plain `.csv` of the same
name left by an older version is removed, so the space is really saved.

Reading accepts both: a folder's `.csv.gz` when it has one, else the plain `.csv` an older version
wrote (a document whose steps failed since the upgrade keeps its figures). The processed tables
(data/processed/*.csv) are the downloads and stay plain CSV.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from pipeline.atomic import write_atomic

SUFFIX = ".gz"
LEVEL = 6  # zlib's default: within a few percent of 9 on these tables, at a fraction of the time


def stored_name(name: str) -> str:
    """'figures.csv' -> 'figures.csv.gz': the name a table is written under."""
    return name if name.endswith(SUFFIX) else name + SUFFIX


def plain_name(name: str) -> str:
    """'figures.csv.gz' -> 'figures.csv': the name an older version wrote it under."""
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name


def compress(text: str | bytes) -> bytes:
    """`text` as UTF-8 (bytes as they are), gzip-compressed with nothing in the header that varies
    between runs."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=LEVEL, mtime=0) as out:
        out.write(text if isinstance(text, bytes) else text.encode("utf-8"))
    return buffer.getvalue()


def write_table(target: Path, text: str) -> Path:
    """Write `text` to `target` (a `.csv.gz` path) atomically; then remove the plain `.csv` of the
    same name an older version left beside it."""
    target = Path(target)
    if not target.name.endswith(SUFFIX):
        raise ValueError(f"{target}: an interim table is written as <name>.csv.gz")
    write_atomic(target, lambda tmp: tmp.write_bytes(compress(text)))
    target.with_name(plain_name(target.name)).unlink(missing_ok=True)
    return target


def find(folder: Path, name: str) -> Path | None:
    """The table `name` ('figures.csv') of an interim folder: its `.csv.gz`, else the plain `.csv`
    an older version wrote, else None."""
    for candidate in (folder / stored_name(name), folder / plain_name(name)):
        if candidate.is_file():
            return candidate
    return None


def path_of(folder: Path, name: str) -> Path:
    """`find`, or the `.csv.gz` path when neither exists (for the error a reader then raises)."""
    return find(folder, name) or folder / stored_name(name)


def read_text(path: Path) -> str:
    """A table's text, decompressed when its name ends in .gz; no newline translation (a cell may
    hold a CR)."""
    data = Path(path).read_bytes()
    if str(path).endswith(SUFFIX):
        data = gzip.decompress(data)
    return data.decode("utf-8")
