"""Processed tables rewritten by copying: a table laid out in blocks (the panel by body, the
comparison tables by body-year) is written as the old file's bytes for every block that did not
change and fresh bytes only for those that did.

Where each block of a table starts and ends is kept in a small record beside the corpus sidecars
(data/interim/.corpus/<name>.offsets.json), with the size and sha256 of the file it describes and
a `basis` (what else decides the bytes: the package, the reference tables). A record that is
missing, unreadable, of another basis or of another file is no record: the caller writes the whole
table, and a new record with it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline import paths
from pipeline.atomic import atomic_path, write_text_atomic

VERSION = 1
COPY_CHUNK = 1 << 20


def record_path(name: str) -> Path:
    return paths.corpus_dir() / f"{name}.offsets.json"


def basis(*extra: object) -> str:
    """The digest of what, besides a block's rows, decides its bytes: the package and `extra`."""
    from pipeline.run import incremental as inc

    return inc.digest_of({"package": inc.package_fingerprint(), "extra": [str(e) for e in extra]})


def file_digest(path: Path) -> str | None:
    from pipeline.run import incremental as inc

    return inc.file_sha256(path)


def read_record(name: str, target: Path, expected_basis: str) -> dict[str, Any] | None:
    """The record of `target` when it describes the file as it is (size, sha256) on the same basis."""
    try:
        record = json.loads(record_path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != VERSION or record.get("basis") != expected_basis:
        return None
    try:
        size = target.stat().st_size
    except OSError:
        return None
    if record.get("size") != size or record.get("sha256") != file_digest(target):
        return None
    blocks = record.get("blocks")
    if not isinstance(blocks, dict) or not isinstance(record.get("header_end"), int):
        return None
    try:  # the blocks tile the file after its header, each where the one before ended
        spans = sorted((int(b["bytes"][0]), int(b["bytes"][1])) for b in blocks.values())
    except (TypeError, KeyError, IndexError, ValueError):
        return None
    reached = record["header_end"]
    for start, end in spans:
        if start != reached or end < start:
            return None
        reached = end
    return record if reached == size else None


def write_record(name: str, target: Path, record_basis: str, header_end: int, blocks: dict[str, Any],
                 **extra: Any) -> None:  # fmt: skip
    record = {
        "version": VERSION,
        "basis": record_basis,
        "size": target.stat().st_size,
        "sha256": file_digest(target),
        "header_end": header_end,
        "blocks": blocks,
        **extra,
    }
    write_text_atomic(record_path(name), json.dumps(record, sort_keys=True, separators=(",", ":")))


def forget_record(name: str) -> None:
    record_path(name).unlink(missing_ok=True)


class Splicer:
    """Writes `target` atomically from pieces: fresh bytes, or byte ranges of `source` (the old
    file); adjacent ranges are copied in one go. Tracks the offset reached, for the new record."""

    def __init__(self, out, source) -> None:
        self.out, self.source = out, source
        self.offset = 0
        self._pending: tuple[int, int] | None = None  # a range of the source not yet copied

    def bytes(self, data: bytes) -> None:
        self._flush()
        self.out.write(data)
        self.offset += len(data)

    def copy(self, start: int, end: int) -> None:
        if self._pending and self._pending[1] == start:
            self._pending = (self._pending[0], end)
        else:
            self._flush()
            self._pending = (start, end)
        self.offset += end - start

    def _flush(self) -> None:
        if not self._pending:
            return
        start, end = self._pending
        self._pending = None
        self.out.flush()
        _copy_range(self.source, self.out, start, end - start)

    def close(self) -> None:
        self._flush()
        self.out.flush()


def _copy_range(source, out, start: int, length: int) -> None:
    """`length` bytes of `source` from `start` appended to `out` (both flushed binary files)."""
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        try:
            while length > 0:
                done = copy(source.fileno(), out.fileno(), length, start)
                if done <= 0:
                    break
                start, length = start + done, length - done
        except OSError:
            pass  # a file system without it: read and write what is left
        out.seek(0, os.SEEK_END)  # the descriptor moved under the buffered file
    source.seek(start)
    while length > 0:
        data = source.read(min(COPY_CHUNK, length))
        if not data:
            raise OSError(f"{source.name}: shorter than its offsets record says")
        out.write(data)
        length -= len(data)


def write_blocks(target: Path, old: Path | None, header: bytes,
                 blocks: list[tuple[str, bytes | tuple[int, int]]]) -> tuple[int, dict[str, list[int]]]:  # fmt: skip
    """Write `target` atomically: `header`, then each block in order, as its fresh bytes or as the
    (start, end) byte range of `old` it had; returns the header's end and each block's new [start, end]."""
    offsets: dict[str, list[int]] = {}
    with atomic_path(target) as tmp:
        out = open(tmp, "r+b")  # closed below
        source = open(old, "rb") if old is not None else None  # closed below
        try:
            writer = Splicer(out, source)
            writer.bytes(header)
            header_end = writer.offset
            for name, block in blocks:
                start = writer.offset
                if isinstance(block, bytes):
                    writer.bytes(block)
                else:
                    writer.copy(*block)
                offsets[name] = [start, writer.offset]
            writer.close()
            if out.tell() != writer.offset:
                raise OSError(f"{target}: wrote {out.tell()} bytes, meant {writer.offset}")
        finally:
            out.close()
            if source is not None:
                source.close()
    return header_end, offsets
