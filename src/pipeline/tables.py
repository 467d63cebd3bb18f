"""Figures as tables, and writing tables so a failed run never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.display import clean_text
from pipeline.extract import Extraction
from pipeline.numerals import format_value

# The columns `pipeline extract` prints, in order.
FIGURE_COLUMNS = [
    "start",
    "end",
    "text",
    "value",
    "unit",
    "approx",
    "indicator",
    "indicator_id",
    "category",
    "section",
    "sentence",
    "sentence_start",
    "sentence_end",
]
LAYOUT_COLUMNS = ["kind", "line", "other_line", "at", "detail"]
REJECTION_COLUMNS = ["start", "end", "text", "reason"]


def figure_rows(extraction: Extraction) -> list[dict[str, Any]]:
    """One row per figure. `text` is exactly raw[start:end]; the fields people read (label, section,
    evidence) have control characters and bidi marks removed, tabs and line breaks made spaces
    (pipeline.display)."""
    return [dict(zip(FIGURE_COLUMNS, row, strict=True)) for row in figure_tuples(extraction)]


def figure_tuples(extraction: Extraction) -> list[tuple]:
    """figure_rows as tuples in FIGURE_COLUMNS order, without a dict per figure (the batch path)."""
    return [
        (
            f.start,
            f.end,
            f.text,
            format_value(f.value),
            f.unit,
            f.approx,
            clean_text(f.indicator),
            f.indicator_id,
            f.category,
            clean_text(f.section),
            clean_text(f.sentence),
            f.sentence_start,
            f.sentence_end,
        )
        for f in extraction.figures
    ]


def layout_rows(extraction: Extraction) -> list[dict[str, Any]]:
    return [
        {"kind": r.kind, "line": r.line, "other_line": r.other_line or "", "at": r.at, "detail": clean_text(r.detail)}
        for r in extraction.layout.repairs
    ]


def rejection_rows(extraction: Extraction) -> list[dict[str, Any]]:
    return [{"start": r.start, "end": r.end, "text": r.text, "reason": r.reason} for r in extraction.rejections]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside `target`; rename it over `target` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are for everyone who may read the folder
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(target: Path, writer: Callable[[Path], Any]) -> Path:
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_processed_csv(target: Path, frame: Any) -> Path:
    """A processed table as analysts open it: UTF-8 with BOM (Excel), LF, numbers without .0."""
    return write_atomic(
        target,
        lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.15g", lineterminator="\n"),
    )


def move_aside(folder: Path, into: Path) -> Path:
    """Move `folder` to a new name under `into` in one rename (`into/<name>`, or `<name>.2`, `.3`…
    when taken); nothing is deleted. Returns where it went."""
    into.mkdir(parents=True, exist_ok=True)
    target, number = into / folder.name, 1
    while target.exists():
        number += 1
        target = into / f"{folder.name}.{number}"
    os.rename(folder, target)
    return target


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_atomic(target, lambda tmp: tmp.write_text(text, encoding=encoding, newline=""))


def to_csv_text(rows: Iterable[dict[str, Any]], columns: list[str]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()
