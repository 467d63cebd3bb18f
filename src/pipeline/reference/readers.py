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
IDENTIFIER = re.compile(r"\A[a-z][a-z0-9_]*\Z")  # \Z: `$` would let a final line break through
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


class StrictYAMLError(ValueError):
    """A YAML document that parses, but is refused: a duplicate key, or aliases that expand too far."""


# A hand-written metadata file has a few dozen values; an alias bomb (nine levels of nine aliases)
# has hundreds of millions once expanded. Counting nodes as they would expand stops it at once.
MAX_EXPANDED_NODES = 10_000


def _strict_loader() -> type:
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        """safe_load without timestamps (a date stays the text it is written as, so 2023-02-30 is
        checked by us, not a ValueError inside the parser) and with duplicate keys refused."""

        def construct_mapping(self, node, deep=False):
            seen: dict[Any, int] = {}
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError as exc:
                    raise StrictYAMLError(f"line {key_node.start_mark.line + 1}: a key that is not a scalar") from exc
                if key in seen:
                    raise StrictYAMLError(
                        f"line {key_node.start_mark.line + 1}: duplicate key {key!r} (first at line {seen[key]}); "
                        "each field once"
                    )
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    StrictLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return StrictLoader


_STRICT_LOADER = _strict_loader()


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """How many nodes `node` stands for once every alias is expanded (each shared node counted once
    per use, computed once)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_EXPANDED_NODES + 1  # a recursive alias expands without end
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        children = []
    total = 1
    for child in children:
        total += _expanded_size(child, sizes)
        if total > MAX_EXPANDED_NODES:
            break
    sizes[id(node)] = total
    return total


def load_yaml_strict(text: str) -> Any:
    """A small hand-written YAML document (source.yaml): yaml.YAMLError when it does not parse,
    StrictYAMLError for a duplicate key or aliases that expand beyond MAX_EXPANDED_NODES nodes.
    Dates are read as their text."""
    loader = _STRICT_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise StrictYAMLError(
                f"its aliases expand to more than {MAX_EXPANDED_NODES:,} values (an alias bomb?); write the values out"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def known_bodies() -> dict[str, dict[str, str]]:
    # checks the table: a missing or malformed one is a DataCheckError
    return read_bodies()
