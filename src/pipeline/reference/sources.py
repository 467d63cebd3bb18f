"""source.yaml: the metadata beside each raw document, checked before anything reads it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pipeline import paths
from pipeline.atomic import write_text_atomic
from pipeline.display import UNSAFE
from pipeline.errors import InputNotFound, SourceMetadataError, UsageError
from pipeline.hashing import sha256_of, trust_margin
from pipeline.intake.read import Intake, read_path
from pipeline.reference.readers import IDENTIFIER, StrictYAMLError, known_bodies, load_yaml_strict
from pipeline.text.document import Document

# The shipped source.yaml a message points to as the model of one.
_MODEL = "data/raw/lvliang/2023/source.yaml"
REQUIRED_SOURCE_FIELDS = ("body", "report_year", "file", "title", "publisher", "encoding", "sha256")
# fields that hold one value; any other field may also be a list of values (reporters: [..])
SCALAR_FIELDS = (
    *REQUIRED_SOURCE_FIELDS, "period_start", "period_end", "period_kind", "date_published", "date_accessed",
    "url", "characters", "bytes", "body_name", "body_name_en", "committee", "document_kind",
)  # fmt: skip
DATE_FIELDS = ("period_start", "period_end", "date_published", "date_accessed")
# source.yaml is written by hand: a few hundred bytes of fields, a paragraph of notes at most
MAX_SOURCE_YAML_BYTES = 64 * 1024
MAX_FIELD_CHARS = 2000
MAX_LIST_ITEMS = 100


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
        intake = read_path(self.path, declared_encoding=self.encoding, doc_id=self.doc_id)
        document = intake.document
        # the file is the one described (its sha256 matches) and reads: a size that differs is stale metadata
        meta_path = self.path.parent / "source.yaml"
        size = self.path.stat().st_size
        if self.meta.get("bytes") is not None and self.meta["bytes"] != size:
            raise SourceMetadataError(
                f"{meta_path}: bytes: says {self.meta['bytes']}, {self.path.name} has {size} (its sha256 matches); "
                "correct the field (wc -c gives it) or remove it"
            )
        stated = self.meta.get("characters")
        if stated is not None and stated != len(document.raw):
            raise SourceMetadataError(
                f"{meta_path}: characters: says {stated}, the decoded text has {len(document.raw)} "
                "(a BOM not counted, a CR counted); correct the field or remove it"
            )
        return intake


def verify_sha256(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected.lower():
        raise SourceMetadataError(
            f"{path}: sha256 is {actual}, source.yaml says {expected}; raw files are never edited - "
            "if this is a new version of the document, give it its own source.yaml entry"
        )


# what span a value covers (data/reference/README.md); a period's ends are YYYY, YYYY-MM or YYYY-MM-DD
PERIOD_KINDS = ("calendar_year", "session_year", "term_total", "cumulative", "point_in_time", "ordinal", "partial_year")
PERIOD_END = re.compile(r"\A(?:\d{4}(?:-\d{2}(?:-\d{2})?)?)?\Z", re.ASCII)  # \Z, not $: no final line break


def period_bounds(text: str) -> tuple[date, date] | None:
    """The first and last day a period end (YYYY, YYYY-MM or YYYY-MM-DD) stands for; None when it is
    not one, or names no real day (2023-13, 2023-02-30). The empty text is no bound: None too."""
    if not text or not PERIOD_END.match(text):
        return None
    parts = [int(p) for p in text.split("-")]
    try:
        if len(parts) == 3:
            day = date(*parts)
            return day, day
        if len(parts) == 2:
            first = date(parts[0], parts[1], 1)
            following = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
            return first, date.fromordinal(following.toordinal() - 1)
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    except ValueError:
        return None


def is_period_end(text: str) -> bool:
    """'' (not given), or YYYY, YYYY-MM or YYYY-MM-DD naming a real year, month or day."""
    return text == "" or period_bounds(text) is not None


def check_body_year(body: object, year: object) -> tuple[str, int]:
    """Validate notebook/CLI parameters; a body id is never a path."""
    if not isinstance(body, str) or not IDENTIFIER.match(body):
        raise UsageError(
            f"body {body!r} is not an id like 'lvliang' (lower-case letters, digits, _); "
            "give an id from data/reference/bodies.csv"
        )
    if isinstance(year, bool) or not isinstance(year, int):
        try:
            year = int(str(year), 10)
        except ValueError as exc:
            raise UsageError(f"year {year!r} is not a whole number") from exc
    if not 1949 <= year <= 2100:
        raise UsageError(f"year {year} is out of range")
    return body, year


def _inside(path: Path, root: Path) -> bool:
    """Whether `path` (below `root`) really lies inside `root`. When neither it nor a folder between
    it and `root` is a symlink it does, and a few lstat calls say so (resolving both costs ten times
    that, for every document of every run); otherwise both are resolved."""
    here, base = os.fspath(path), os.fspath(root)
    while here != base and len(here) > len(base) and not os.path.islink(here):
        here = os.path.dirname(here)
    if here == base:
        return True
    return path.resolve().is_relative_to(root.resolve())


# source.yaml files parsed and checked in this process, by file state: a stage lists the documents
# several times (its items, the tables, publish), and parsing 1,000 of them strictly costs ~0.5 s a time
_META: dict[tuple[str, int, int, int, int, int], dict[str, Any]] = {}


def _meta_copy(meta: dict[str, Any]) -> dict[str, Any]:
    return {key: list(value) if isinstance(value, list) else value for key, value in meta.items()}


def _read_meta(folder: Path) -> tuple[Path, dict[str, Any]]:
    """source.yaml parsed strictly: a mapping, within size, no duplicate key, no alias bomb."""
    meta_path = folder / "source.yaml"
    if meta_path.is_dir():
        raise SourceMetadataError(
            f"{meta_path}: is a directory, not a file; remove the directory and write source.yaml as a file "
            "(copy data/raw/lvliang/2023/source.yaml as a model)"
        )
    if not meta_path.is_file():
        raise SourceMetadataError(f"{meta_path}: missing; every raw document needs its source.yaml")
    if not _inside(meta_path, folder.parent.parent):
        raise SourceMetadataError(
            f"{meta_path}: a symlink to {meta_path.resolve()}, outside the raw folder; copy the file in instead"
        )
    st = meta_path.stat()
    state = (os.fspath(meta_path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if state in _META:
        return meta_path, _meta_copy(_META[state])
    size = st.st_size
    if size > MAX_SOURCE_YAML_BYTES:
        raise SourceMetadataError(
            f"{meta_path}: {size:,} bytes is over the {MAX_SOURCE_YAML_BYTES // 1024} KiB limit for a source.yaml; "
            "it holds a few fields, not the document"
        )
    try:
        meta = load_yaml_strict(meta_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceMetadataError(
            f"{meta_path}: not valid YAML ({first}); fix it, copying {_MODEL} as a model"
        ) from exc
    except StrictYAMLError as exc:
        raise SourceMetadataError(f"{meta_path}: {exc}") from exc
    if not isinstance(meta, dict):
        raise SourceMetadataError(f"{meta_path}: expected a mapping of fields, got {type(meta).__name__}")
    _check_field_shapes(meta_path, meta)
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > trust_margin(st.st_mtime_ns, st.st_ctime_ns):
        _META[state] = _meta_copy(meta)
    return meta_path, meta


def _check_field_shapes(meta_path: Path, meta: dict[str, Any]) -> None:
    """Every field a scalar (or, outside SCALAR_FIELDS, a short list of scalars) of bounded length."""
    scalar = (str, int, float, bool, type(None))
    for key, value in meta.items():
        if not isinstance(key, str):
            raise SourceMetadataError(f"{meta_path}: field name {key!r} is not text")
        items = value if isinstance(value, list) and key not in SCALAR_FIELDS else [value]
        if len(items) > MAX_LIST_ITEMS:
            raise SourceMetadataError(f"{meta_path}: {key} has {len(items)} items; at most {MAX_LIST_ITEMS}")
        for item in items:
            if not isinstance(item, scalar):
                shape = "a list" if isinstance(item, list) else "a mapping" if isinstance(item, dict) else "not text"
                raise SourceMetadataError(f"{meta_path}: {key} is {shape}; give one value (text, a number or a date)")
            if isinstance(item, str) and len(item) > MAX_FIELD_CHARS:
                raise SourceMetadataError(
                    f"{meta_path}: {key} is {len(item):,} characters long; at most {MAX_FIELD_CHARS:,}"
                )


def _check_year(meta_path: Path, value: Any) -> int:
    if isinstance(value, bool) or isinstance(value, float) or not re.fullmatch(r"\d{4}", str(value), re.ASCII):
        raise SourceMetadataError(f"{meta_path}: report_year {value!r} is not a year (four digits, like 2023)")
    year = int(value)
    if not 1949 <= year <= date.today().year + 1:
        raise SourceMetadataError(f"{meta_path}: report_year {year} is out of range")
    return year


def _check_dates(meta_path: Path, meta: dict[str, Any], year: int) -> None:
    for key in DATE_FIELDS:
        value = meta.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or isinstance(value, float) or period_bounds(str(value)) is None:
            shape_ok = PERIOD_END.match(str(value))
            what = "names no real day or month" if shape_ok else "is not YYYY, YYYY-MM or YYYY-MM-DD"
            what += "; write a real date (like 2023-01-01), or leave the field out"
            raise SourceMetadataError(f"{meta_path}: {key} {value!r} {what}")
    start = period_bounds(str(meta.get("period_start") or f"{year}-01-01"))
    end = period_bounds(str(meta.get("period_end") or f"{year}-12-31"))
    if start and end and start[0] > end[1]:
        raise SourceMetadataError(
            f"{meta_path}: period_start {start[0]} is after period_end {end[1]}; swap them or correct one"
        )
    if meta.get("period_kind") is not None and meta["period_kind"] not in PERIOD_KINDS:
        raise SourceMetadataError(
            f"{meta_path}: period_kind {meta['period_kind']!r} is not one of {', '.join(PERIOD_KINDS)}"
        )


def _check_file(meta_path: Path, meta: dict[str, Any]) -> Path:
    folder = meta_path.parent
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
    if not _inside(path, folder.parent.parent):
        raise SourceMetadataError(
            f"{path}: a symlink to {path.resolve()}, outside the raw folder; raw documents are kept in "
            "data/raw as received - copy the file in instead"
        )
    for key in ("characters", "bytes"):
        stated = meta.get(key)
        if stated is not None and (isinstance(stated, bool) or not isinstance(stated, int) or stated < 0):
            raise SourceMetadataError(f"{meta_path}: {key}: {stated!r} is not a whole number; correct it or remove it")
    return path


def load_source(folder: Path, bodies: dict[str, dict[str, str]] | None = None) -> Source:
    """Read and check `folder/source.yaml`; the body must be one of data/reference/bodies.csv
    (`bodies`, that table as read_bodies gives it, when the caller has read it already)."""
    meta_path, meta = _read_meta(folder)
    missing = [key for key in REQUIRED_SOURCE_FIELDS if meta.get(key) is None or meta.get(key) == ""]
    if missing:
        raise SourceMetadataError(f"{meta_path}: missing field(s) {', '.join(missing)}; add them ({_MODEL} shows each)")
    body = str(meta["body"])
    if not IDENTIFIER.match(body):
        raise SourceMetadataError(f"{meta_path}: body {body!r} is not a lower-case id like 'lvliang'")
    if body not in (known_bodies() if bodies is None else bodies):
        raise SourceMetadataError(f"{meta_path}: unknown body {body!r}; add it to data/reference/bodies.csv first")
    year = _check_year(meta_path, meta["report_year"])
    if folder.name != str(year) or folder.parent.name != body:
        raise SourceMetadataError(f"{meta_path}: says {body}/{year} but lies in {folder.parent.name}/{folder.name}")
    path = _check_file(meta_path, meta)
    _check_dates(meta_path, meta, year)
    return Source(
        body=body,
        report_year=year,
        path=path,
        encoding=str(meta["encoding"]),
        sha256=str(meta["sha256"]),
        meta=meta,
    )


# the last listing of each raw folder, by the state of its tree (_tree_state): a stage lists the
# documents several times (select, the keys, publish, the index), ~0.1 s a time at 1,000 even with
# every source.yaml already parsed, against ~0.02 s for the walk that says nothing changed
_LISTED: dict[str, tuple[tuple, list[Source]]] = {}


def _tree_state(root: Path) -> tuple | None:
    """What a listing of `root` depends on, in one os.scandir walk: every body and year folder's
    name, and the name, type and stat (inode, size, mtime, ctime, mode) of each file in a year
    folder, with the bodies table's stat and today's date (a report_year's upper bound). None (do
    not trust a cached listing) when a symlink is involved (what it points to can change without
    the tree changing) or a file changed within the clock's resolution (pipeline.hashing.trust_margin)."""
    try:
        bodies_path = paths.reference("bodies.csv")
        st = os.stat(bodies_path)
    except OSError:
        return None
    state: list[Any] = [os.fspath(root), date.today().isoformat(), os.fspath(bodies_path),
                        (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)]  # fmt: skip
    newest, margin = max(st.st_mtime_ns, st.st_ctime_ns), trust_margin(st.st_mtime_ns, st.st_ctime_ns)
    try:
        if os.path.islink(root):
            return None
        with os.scandir(root) as top:
            body_entries = sorted(top, key=lambda e: e.name)
        for body in body_entries:
            if body.is_symlink():
                return None
            if not body.is_dir():
                state.append((body.name, "file"))
                continue
            state.append((body.name, "dir"))
            with os.scandir(body.path) as years:
                year_entries = sorted(years, key=lambda e: e.name)
            for year in year_entries:
                if year.is_symlink():
                    return None
                if not year.is_dir():
                    state.append((body.name, year.name, "file"))
                    continue
                with os.scandir(year.path) as files:
                    for entry in sorted(files, key=lambda e: e.name):
                        if entry.is_symlink():
                            return None
                        est = entry.stat()
                        newest = max(newest, est.st_mtime_ns, est.st_ctime_ns)
                        margin = max(margin, trust_margin(est.st_mtime_ns, est.st_ctime_ns))
                        state.append((body.name, year.name, entry.name, est.st_mode, est.st_ino, est.st_size,
                                      est.st_mtime_ns, est.st_ctime_ns))  # fmt: skip
    except OSError:
        return None
    if time.time_ns() - newest <= margin:
        return None
    return tuple(state)


# data/interim/.sources.json: the last listing of data/raw with the digest of its tree's state, so
# that each process of a run (the runner, three kernels) need not parse 1,000 source.yaml files again
# (~0.4 s each); written where the hash memory is (incremental.save_memory), read when the state matches
LISTING_VERSION = 1
_SAVED: dict[str, str] = {}  # root -> the state digest on disk


def _listing_path() -> Path:
    return paths.INTERIM / ".sources.json"


def _state_digest(state: tuple) -> str:
    return hashlib.sha256(json.dumps([LISTING_VERSION, *state], ensure_ascii=False).encode()).hexdigest()


def _stored_source(root: Path, s: dict[str, Any]) -> Source:
    year = int(s["report_year"])
    path = root / s["body"] / str(year) / s["file"]
    return Source(body=s["body"], report_year=year, path=path, encoding=s["encoding"], sha256=s["sha256"],
                  meta=dict(s["meta"]))  # fmt: skip


def _stored_listing(root: Path, state: tuple) -> list[Source] | None:
    """The listing saved for `root` (data/raw only) when it was made from this very state, else None."""
    if root != paths.RAW:
        return None
    try:
        stored = json.loads(_listing_path().read_text(encoding="utf-8"))
        digest = _state_digest(state)
        if stored.get("version") != LISTING_VERSION or stored.get("state") != digest:
            return None
        listed = [_stored_source(root, s) for s in stored["sources"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # none, or unreadable: listed from the files
    _SAVED[os.fspath(root)] = digest
    return listed


def save_listing() -> None:
    """Write data/raw's listing, as this process last made it, for the next process (nothing when
    it made none it could trust, or it is the one on disk)."""
    root = paths.RAW
    cached = _LISTED.get(os.fspath(root))
    if cached is None or not paths.INTERIM.is_dir():
        return
    digest = _state_digest(cached[0])
    if _SAVED.get(os.fspath(root)) == digest:
        return
    rows = [{"body": s.body, "report_year": s.report_year, "file": s.path.name, "encoding": s.encoding,
             "sha256": s.sha256, "meta": s.meta} for s in cached[1]]  # fmt: skip
    try:
        text = json.dumps({"version": LISTING_VERSION, "state": digest, "sources": rows}, ensure_ascii=False)
        if json.loads(text)["sources"] != rows:  # a value JSON does not give back as it was (a number key)
            return
        write_text_atomic(_listing_path(), text)
    except (OSError, ValueError, TypeError):  # a value JSON cannot hold: the next process lists the files
        return
    _SAVED[os.fspath(root)] = digest


def discover_sources(raw_root: Path | None = None) -> list[Source]:
    """Every data/raw/<body>/<year>/ folder, sorted; a folder without source.yaml is an error.

    Listed again only when the raw tree changed since this process, or the last to save its listing
    (save_listing), listed it (_tree_state); each caller gets its own copy of every source's metadata."""
    root = raw_root or paths.RAW
    state = _tree_state(root)
    cached = _LISTED.get(os.fspath(root))
    if state is not None and (cached is None or cached[0] != state):
        stored = _stored_listing(root, state)
        if stored is not None:
            cached = _LISTED[os.fspath(root)] = (state, stored)
    if state is not None and cached is not None and cached[0] == state:
        return [replace(s, meta=_meta_copy(s.meta)) for s in cached[1]]
    folders = sorted(p for p in root.glob("*/*") if p.is_dir())
    bodies = known_bodies() if folders else {}  # once: read per document it cost 5 s at 1,000 documents
    listed = [load_source(folder, bodies) for folder in folders]
    if state is not None:
        _LISTED[os.fspath(root)] = (state, [replace(s, meta=_meta_copy(s.meta)) for s in listed])
    else:
        _LISTED.pop(os.fspath(root), None)
    return listed


def find_source(body: str, year: int) -> Source:
    folder = paths.raw_dir(body, year)
    if not folder.is_dir():
        raise InputNotFound(f"{folder}: no raw document for body {body!r} and year {year}")
    return load_source(folder)
