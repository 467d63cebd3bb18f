"""Reading the hand-kept tables of data/reference (CSV, YAML), checked as they are read.

Each defect is a DataCheckError naming the file, the row or entry, and what to change: a missing
or unreadable file, a missing column, a duplicate or malformed id, an unknown level or unit, a
value that is not a number, a row that names a body or indicator id that does not exist.
`pipeline run` calls `check_reference()` before it executes any notebook.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import yaml

from pipeline import paths
from pipeline.display import clean_text
from pipeline.errors import DataCheckError

# ids of bodies and indicators: never a path, never a display name
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
BODY_COLUMNS = ("body", "name_zh", "name_en", "level", "province")
BODY_LEVELS = ("national", "province", "city", "county", "aggregate", "unknown")


def read_csv_rows(path: Path, columns: tuple[str, ...] | set[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for each row of a UTF-8 CSV with at least `columns`; text fields cleaned."""
    if not path.is_file():
        raise DataCheckError(f"{path}: missing; restore it from git (data/reference/README.md says what it holds)")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataCheckError(f"{path}: not UTF-8 (byte {exc.start}); save it as UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise DataCheckError(f"{path}: missing column(s) {', '.join(sorted(missing))}; the header must name them")
    rows = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                raise DataCheckError(
                    f"{path}: line {line} has more or fewer fields than the header; quote fields that contain a comma"
                )
            rows.append((line, {k: clean_text(v).strip() for k, v in row.items()}))
    except csv.Error as exc:
        raise DataCheckError(f"{path}: line {reader.line_num}: {exc}") from exc
    return rows


def read_bodies(path: Path | None = None) -> dict[str, dict[str, str]]:
    """data/reference/bodies.csv by body id, checked: ids well-formed and unique, levels known."""
    path = path or paths.reference("bodies.csv")
    bodies: dict[str, dict[str, str]] = {}
    for line, row in read_csv_rows(path, BODY_COLUMNS):
        body = row["body"]
        if not IDENTIFIER.match(body):
            raise DataCheckError(f"{path}: line {line}: body {body!r} is not a lower-case id like 'lvliang'")
        if body in bodies:
            raise DataCheckError(f"{path}: line {line}: duplicate body id {body!r}; each body has one row")
        if row["level"] not in BODY_LEVELS:
            raise DataCheckError(
                f"{path}: line {line} ({body}): level {row['level']!r} is not one of {', '.join(BODY_LEVELS)}"
            )
        bodies[body] = row
    return bodies


def load_yaml(text: str) -> Any:
    """yaml.safe_load, through libyaml when PyYAML has it (ten times faster: the taxonomy is read in
    every kernel). A document libyaml refuses is parsed again by the pure-Python parser, so the
    error raised, and the message a user reads, is the same either way."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def known_bodies() -> dict[str, dict[str, str]]:
    # checks the table: a missing or malformed one is a DataCheckError
    return read_bodies()
