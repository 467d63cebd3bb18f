"""`pipeline add`: file a document as received into data/raw/<body>/<year>/ with its source.yaml.

The bytes are copied unchanged (and checked against their sha256 after the copy); source.yaml
says what the pipeline found: sha256, byte count, format, encoding and how it was known, title and
publication date where the document gives them, the URL when given, and the date added. The folder
is built beside its place and renamed into it, so a refused or failed add leaves nothing behind.

Refused, with one line and its exit status (docs/robustness.md):
- a file whose sha256 is already in the corpus, naming where (5);
- a year that already has a document, unless --replace (2); the replaced folder is moved to
  data/replaced/<body>/<year>, never deleted;
- an unknown body, unless --body-name adds it to data/reference/bodies.csv (5);
- a format it cannot read, or a scanned PDF that needs OCR (4).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from pipeline import paths
from pipeline.atomic import atomic_path, move_aside, write_text_atomic
from pipeline.display import UNSAFE
from pipeline.errors import InputNotFound, PipelineError, SourceMetadataError, UsageError
from pipeline.hashing import sha256_of
from pipeline.intake.formats import SUFFIXES
from pipeline.intake.read import Intake, read_path
from pipeline.reference.readers import known_bodies
from pipeline.reference.sources import check_body_year, load_source

REPLACED = "replaced"  # data/replaced/<body>/<year>: what --replace moved out of data/raw


@dataclass
class Added:
    folder: Path
    file: Path
    format: str
    encoding: str
    replaced: Path | None = None


def corpus_hashes(raw_root: Path | None = None) -> dict[str, Path]:
    """sha256 -> the raw file it belongs to, from every source.yaml under data/raw."""
    found: dict[str, Path] = {}
    for meta_path in sorted((raw_root or paths.RAW).glob("*/*/source.yaml")):
        try:
            meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError, OSError):
            continue  # a broken source.yaml is `pipeline run`'s to report
        if isinstance(meta, dict) and meta.get("sha256"):
            found.setdefault(str(meta["sha256"]).lower(), meta_path.parent / str(meta.get("file", "")))
    return found


def add_body(body: str, name: str, table: Path | None = None) -> None:
    """Add a row for a new body to bodies.csv (level 'unknown' until someone knows it), in id order."""
    table = table or paths.REFERENCE / "bodies.csv"
    if not name.strip() or UNSAFE.search(name):
        raise UsageError(f"--body-name {name!r}: give the body's Chinese name, e.g. 某某市人大常委会")
    text = table.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([body, name.strip(), name.strip(), "unknown", ""])
    rows = lines[1:]
    at = next((i for i, line in enumerate(rows) if line.split(",", 1)[0] > body), len(rows))
    rows.insert(at, buffer.getvalue())
    write_text_atomic(table, "".join(lines[:1] + rows))


def _file_name(path: Path, fmt: str) -> str:
    name = path.name
    if UNSAFE.search(name) or name.startswith(".") or name == "source.yaml" or not re.fullmatch(r"[^/\\]+", name):
        name = "document" + {"html": ".html", "pdf": ".pdf", "docx": ".docx"}.get(fmt, ".txt")
    return name


def _source_yaml(body: str, year: int, name: str, intake: Intake, data_sha: str, size: int, **given) -> str:
    derived = intake.derived
    found = dict(derived.meta) if derived is not None else {}
    encoding, how = intake.document.encoding, "detected"
    match = re.fullmatch(r"(\S+) \((.+)\)", encoding)
    if intake.format in ("pdf", "docx"):
        encoding, how = "binary", encoding
    elif match:
        encoding, how = match.group(1), match.group(2)
    url = given.get("url")
    bodies = known_bodies()
    meta = {
        "body": body,
        "body_name": bodies[body]["name_zh"],
        "report_year": year,
        "file": name,
        "format": intake.format,
        "title": given.get("title") or found.get("title") or Path(name).stem,
        "publisher": given.get("publisher") or (urlsplit(url).hostname if url else None) or "not recorded",
        "url": url,
        "date_published": found.get("date_published"),
        "date_added": date.today().isoformat(),
        "encoding": encoding,
        "encoding_found_by": how,
        "bytes": size,
        "characters": len(intake.document.raw),
        "sha256": data_sha,
    }
    if derived is not None and derived.has_pages:
        meta["pages"] = derived.meta.get("pages")
    header = "# Filed by `pipeline add`. Never edit the document: the pipeline checks its sha256.\n"
    return header + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)


def add_document(
    path: Path | str,
    body: str,
    year: int | str,
    *,
    url: str | None = None,
    title: str | None = None,
    publisher: str | None = None,
    replace: bool = False,
    body_name: str | None = None,
    encoding: str | None = None,
) -> Added:
    """File one document; every refusal raises a PipelineError with one line."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFound(
            f"{path}: no such file; check the path (relative to the folder you run from)"
            if not path.exists()
            else f"{path}: is not a regular file"
        )
    body, year = check_body_year(body, year)
    if body not in known_bodies():
        if not body_name:
            raise SourceMetadataError(
                f"unknown body {body!r}: add a row for it to data/reference/bodies.csv "
                "(body,name_zh,name_en,level,province), or add it here with --body-name 某某市人大常委会"
            )
    if url is not None and not re.match(r"https?://\S+$", url):
        raise UsageError(f"--url {url!r}: give a plain http(s) address")
    intake = read_path(path, declared_encoding=encoding)  # refuses what it cannot read (exit 4)
    data_sha = sha256_of(path)
    where = corpus_hashes().get(data_sha)
    if where is not None:
        raise SourceMetadataError(
            f"{path}: this file (sha256 {data_sha[:16]}…) is already in the corpus as {where}; "
            "nothing to add (to file it under another year, remove that folder first)"
        )
    folder = paths.raw_dir(body, year)
    if folder.exists() and any(folder.iterdir()) and not replace:
        have = ", ".join(sorted(p.name for p in folder.iterdir()))
        raise UsageError(f"{body}/{year} already has a document ({have}); give --replace to file this one instead")
    if body_name and body not in known_bodies():
        add_body(body, body_name)
    name = _file_name(path, intake.format)
    replaced = _file_into(folder, path, name, data_sha, intake, url=url, title=title, publisher=publisher)
    load_source(folder)  # what `pipeline run` will check, checked now
    return Added(
        folder=folder, file=folder / name, format=intake.format, encoding=intake.document.encoding, replaced=replaced
    )


def _file_into(folder: Path, path: Path, name: str, data_sha: str, intake: Intake, **given) -> Path | None:
    """Build the folder (the document and its source.yaml) beside its place and rename it into
    place in one step, so a refused or failed add leaves no half-filed document. Returns where a
    replaced folder went."""
    body, year = folder.parent.name, int(folder.name)
    replaced = None
    with atomic_path(folder) as staging:  # renamed over `folder` only when the block succeeds
        staging.unlink()
        staging.mkdir()
        try:
            shutil.copyfile(path, staging / name)
            if sha256_of(staging / name) != data_sha:
                raise SourceMetadataError(f"{path}: the copy's sha256 differs from the file's; it changed while copied")
            size = (staging / name).stat().st_size
            text = _source_yaml(body, year, name, intake, data_sha, size, **given)
            (staging / "source.yaml").write_text(text, encoding="utf-8")
            if folder.exists():
                replaced = move_aside(folder, paths.DATA / REPLACED / body)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            staging.touch()  # what atomic_path removes when the block fails
            raise
    return replaced


def _from_path(path: Path, root: Path) -> tuple[str, str] | None:
    """(body, year) when the file lies in <body>/<year>/ under the folder given."""
    parts = path.relative_to(root).parts
    if len(parts) >= 3 and re.fullmatch(r"\d{4}", parts[-2]):
        return parts[-3], parts[-2]
    return None


def read_manifest(manifest: Path) -> dict[str, dict[str, str]]:
    """file -> {body, year, url, title}: a CSV with columns file, body, year (url, title optional)."""
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputNotFound(f"{manifest}: no such manifest") from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"file", "body", "year"} - set(reader.fieldnames or [])
    if missing:
        raise UsageError(
            f"{manifest}: the manifest needs the columns file, body, year (missing {', '.join(sorted(missing))})"
        )
    return {row["file"].strip(): row for row in reader}


def plan_folder(folder: Path, manifest: Path | None = None) -> list[tuple[Path, dict[str, str] | None]]:
    """Each document under `folder` with its body and year (None when neither says)."""
    rows = read_manifest(manifest) if manifest is not None else {}
    found = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    plan: list[tuple[Path, dict[str, str] | None]] = []
    for path in found:
        rel = path.relative_to(folder).as_posix()
        row = rows.get(rel) or rows.get(path.name)
        if row is None:  # not in the manifest (or none given): the folders may say
            guessed = _from_path(path, folder)
            row = {"body": guessed[0], "year": guessed[1]} if guessed else None
        plan.append((path, row))
    return plan


def add_folder(folder: Path, manifest: Path | None = None, **options) -> list[tuple[Path, Added | PipelineError]]:
    """File every document of a folder, one by one; a refused one is reported and the rest go on."""
    results: list[tuple[Path, Added | PipelineError]] = []
    plan = plan_folder(folder, manifest)
    if not plan:
        raise InputNotFound(f"{folder}: no document (*.txt, *.html, *.pdf, *.docx) in it")
    for path, row in plan:
        if row is None:
            where = (
                "the manifest nor its path" if manifest is not None else "its path (<body>/<year>/file) or a --manifest"
            )
            results.append(
                (
                    path,
                    UsageError(
                        f"{path}: no body and year for it in {where}; give it a row (file,body,year) in --manifest, "
                        "or put it under <body>/<year>/"
                    ),
                )
            )
            continue
        try:
            added = add_document(
                path, row["body"].strip(), row["year"].strip(), url=(row.get("url") or "").strip() or None,
                title=(row.get("title") or "").strip() or None, **options,
            )  # fmt: skip
            results.append((path, added))
        except PipelineError as exc:
            results.append((path, exc))
    return results
