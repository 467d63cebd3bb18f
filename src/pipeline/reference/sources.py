"""source.yaml: the metadata beside each raw document, checked before anything reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pipeline import paths
from pipeline.display import UNSAFE
from pipeline.errors import InputNotFound, SourceMetadataError, UsageError
from pipeline.hashing import sha256_of
from pipeline.intake.read import Intake, read_path
from pipeline.reference.readers import IDENTIFIER, known_bodies, load_yaml
from pipeline.text.document import Document

REQUIRED_SOURCE_FIELDS = ("body", "report_year", "file", "title", "publisher", "encoding", "sha256")


@dataclass(frozen=True)
class Source:
    """A raw document with its metadata, as described by data/raw/<body>/<year>/source.yaml."""

    body: str
    report_year: int
    path: Path
    encoding: str
    sha256: str
    meta: dict[str, Any]

    @property
    def doc_id(self) -> str:
        return f"{self.body}/{self.report_year}/{self.path.name}"

    def read(self) -> Document:
        """Verify the file is the one source.yaml describes, then read it (the derived text of a
        web page, PDF or Word file)."""
        return self.intake().document

    def intake(self) -> Intake:
        """Verify the file is the one source.yaml describes, then read it with its provenance."""
        verify_sha256(self.path, self.sha256)
        return read_path(self.path, declared_encoding=self.encoding, doc_id=self.doc_id)


def verify_sha256(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected.lower():
        raise SourceMetadataError(
            f"{path}: sha256 is {actual}, source.yaml says {expected}; raw files are never edited - "
            "if this is a new version of the document, give it its own source.yaml entry"
        )


# what span a value covers (data/reference/README.md); a period's ends are YYYY, YYYY-MM or YYYY-MM-DD
PERIOD_KINDS = ("calendar_year", "session_year", "term_total", "cumulative", "point_in_time", "ordinal", "partial_year")
PERIOD_END = re.compile(r"^(?:\d{4}(?:-\d{2}(?:-\d{2})?)?)?$")


def check_body_year(body: object, year: object) -> tuple[str, int]:
    """Validate notebook/CLI parameters; a body id is never a path."""
    if not isinstance(body, str) or not IDENTIFIER.match(body):
        raise UsageError(f"body {body!r} is not an id like 'lvliang' (lower-case letters, digits, _)")
    if isinstance(year, bool) or not isinstance(year, int):
        try:
            year = int(str(year), 10)
        except ValueError as exc:
            raise UsageError(f"year {year!r} is not a whole number") from exc
    if not 1949 <= year <= 2100:
        raise UsageError(f"year {year} is out of range")
    return body, year


def load_source(folder: Path) -> Source:
    """Read and check `folder/source.yaml`; the body must be one of data/reference/bodies.csv."""
    meta_path = folder / "source.yaml"
    if not meta_path.is_file():
        raise SourceMetadataError(f"{meta_path}: missing; every raw document needs its source.yaml")
    try:
        meta = load_yaml(meta_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceMetadataError(f"{meta_path}: not valid YAML ({first})") from exc
    if not isinstance(meta, dict):
        raise SourceMetadataError(f"{meta_path}: expected a mapping of fields, got {type(meta).__name__}")
    missing = [key for key in REQUIRED_SOURCE_FIELDS if not meta.get(key)]
    if missing:
        raise SourceMetadataError(f"{meta_path}: missing field(s) {', '.join(missing)}")
    body = str(meta["body"])
    if not IDENTIFIER.match(body):
        raise SourceMetadataError(f"{meta_path}: body {body!r} is not a lower-case id like 'lvliang'")
    if body not in known_bodies():
        raise SourceMetadataError(f"{meta_path}: unknown body {body!r}; add it to data/reference/bodies.csv first")
    try:
        year = int(meta["report_year"])
    except (TypeError, ValueError) as exc:
        raise SourceMetadataError(f"{meta_path}: report_year {meta['report_year']!r} is not a year") from exc
    if not 1949 <= year <= date.today().year + 1:
        raise SourceMetadataError(f"{meta_path}: report_year {year} is out of range")
    if folder.name != str(year) or folder.parent.name != body:
        raise SourceMetadataError(f"{meta_path}: says {body}/{year} but lies in {folder.parent.name}/{folder.name}")
    file_name = str(meta["file"])
    if Path(file_name).name != file_name:
        raise SourceMetadataError(f"{meta_path}: file {file_name!r} must be a plain file name in this folder")
    path = folder / file_name
    if not path.is_file():
        raise SourceMetadataError(f"{meta_path}: names {file_name}, which is not in {folder}")
    if UNSAFE.search(file_name):
        raise SourceMetadataError(
            f"{meta_path}: file {file_name!r} has control characters or bidi marks in its name; rename it"
        )
    for key in ("period_start", "period_end", "date_published"):
        if meta.get(key) is not None and not PERIOD_END.match(str(meta[key])):
            raise SourceMetadataError(f"{meta_path}: {key} {meta[key]!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if meta.get("period_kind") is not None and meta["period_kind"] not in PERIOD_KINDS:
        raise SourceMetadataError(
            f"{meta_path}: period_kind {meta['period_kind']!r} is not one of {', '.join(PERIOD_KINDS)}"
        )
    return Source(
        body=body,
        report_year=year,
        path=path,
        encoding=str(meta["encoding"]),
        sha256=str(meta["sha256"]),
        meta=meta,
    )


def discover_sources(raw_root: Path | None = None) -> list[Source]:
    """Every data/raw/<body>/<year>/ folder, sorted; a folder without source.yaml is an error."""
    root = raw_root or paths.RAW
    sources = []
    for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
        sources.append(load_source(folder))
    return sources


def find_source(body: str, year: int) -> Source:
    folder = paths.raw_dir(body, year)
    if not folder.is_dir():
        raise InputNotFound(f"{folder}: no raw document for body {body!r} and year {year}")
    return load_source(folder)
