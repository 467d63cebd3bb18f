"""Many documents -> one table of figures, in parallel.

Documents are read and extracted in worker processes, a chunk of documents per task, so the cost
of a task does not swamp a small document. Any `concurrent.futures.Executor` runs the chunks: a
local process pool by default, or a Dask cluster through `client.get_executor()`. Rows come out
sorted by document (its path as given) and then offset, whatever ran them and in whatever order
they finished; the main process formats nothing, it writes the chunks' text in order.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pipeline.csv_safety import safe_row
from pipeline.display import note
from pipeline.errors import InputNotFound, PipelineError
from pipeline.extract.rows import FIGURE_COLUMNS, document_figure_tuples, json_record
from pipeline.intake.formats import SUFFIXES, sniff_path
from pipeline.intake.read import Intake, read_path
from pipeline.reference.sources import Source, load_source
from pipeline.text.document import Document
from pipeline.workers import check_jobs

# A batch table is the one-document table with the document (its path as given) first.
BATCH_COLUMNS = ["document", *FIGURE_COLUMNS]
FORMATS = ("csv", "json", "rows")


def read_input(path: Path, encoding: str | None = None) -> Document:
    """A document as `pipeline extract` reads it (see read_input_intake)."""
    return read_input_intake(path, encoding).document


def read_input_intake(path: Path, encoding: str | None = None) -> Intake:
    """A document as `pipeline extract` reads it, in any supported format: a raw file beside its
    source.yaml is read as that file declares (after its sha256 is checked); anything else is
    decoded by detection."""
    meta = path.parent / "source.yaml"
    if encoding is None and path.is_file() and meta.is_file():
        source: Source = load_source(path.parent)
        if source.path.resolve() == path.resolve():
            return source.intake()
    return read_path(path, declared_encoding=encoding)


def page_column(intake: Intake, rows: Sequence[tuple]) -> list[tuple]:
    """Each row with the PDF page of its figure (its start offset) appended; '' where none."""
    return [(*row, intake.page_at(int(row[0])) or "") for row in rows]


def decoding_note(path: Path | str, document: Document, encoding: str | None) -> str | None:
    """What to say on stderr about how a document was decoded: a non-UTF-8 file is named with the
    encoding found, alone or in a batch, so nothing is guessed silently."""
    if encoding is None and document.encoding not in ("utf-8", "utf-8-sig"):
        return f"{path} decoded as {document.encoding} (detected)"
    return None


Refusal = Callable[[str, int, str], None]


def _name_on_stderr(name: str, code: int, message: str) -> None:
    note(f"error: {message}")


def _folder_entry_problem(child: Path, folder: Path) -> str:
    """Why a *.txt entry of a folder is not read ('' when it is read): not a regular file, a dangling
    symlink, or a symlink that leads out of the folder that was given."""
    if child.is_symlink():
        if not child.exists():
            return f"{child}: a symlink to {child.readlink()}, which does not exist; left out (fix or remove the link)"
        if not child.resolve().is_relative_to(folder.resolve()):
            return (
                f"{child}: a symlink to {child.resolve()}, outside {folder}; left out "
                "(give that file as a path of its own to read it)"
            )
    if not child.is_file():
        return f"{child}: not a regular file (a FIFO, socket or device); left out (give a regular file instead)"
    return ""


def collect_paths(inputs: Iterable[Path | str], on_refused: Refusal | None = None) -> list[Path]:
    """Files as given and every document (*.txt, web page, PDF, .docx) under a folder given, each
    once, sorted by its path text.

    A folder's entry that is not read (a FIFO, a dangling symlink, a symlink out of the folder) is
    named through `on_refused(path, exit code, message)`; by default on stderr."""
    refuse = on_refused or _name_on_stderr
    found: dict[str, Path] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.suffix.lower() not in SUFFIXES:
                    continue
                if any(part.startswith(".") for part in child.relative_to(path).parts) or child.is_dir():
                    continue
                problem = _folder_entry_problem(child, path)
                if problem:
                    refuse(str(child), InputNotFound.exit_code, problem)
                    continue
                found.setdefault(str(child), child)
        elif path.exists():
            found.setdefault(str(path), path)
        else:
            raise InputNotFound(f"{path}: no such file or folder; check the path (relative to the folder you run from)")
    return [found[key] for key in sorted(found)]


@dataclass
class Chunk:
    """What one task returns: the formatted rows of its documents, and the documents that failed."""

    index: int
    documents: int
    figures: int
    text: str = ""  # csv or json rows, ready to write
    rows: list[tuple] = field(default_factory=list)  # for fmt="rows"
    failures: list[tuple[str, int, str]] = field(default_factory=list)  # (path, exit code, message)
    notes: list[str] = field(default_factory=list)  # how a non-UTF-8 document was decoded


def any_pdf(paths: Sequence[Path | str]) -> bool:
    """Whether a table of these documents has a `page` column: when one of them is a PDF."""
    for name in paths:
        try:
            if sniff_path(Path(name)) == "pdf":
                return True
        except (PipelineError, OSError):
            continue  # refused later, with its own message
    return False


def extract_chunk(
    index: int, paths: Sequence[str], fmt: str = "csv", encoding: str | None = None, pages: bool = False
) -> Chunk:
    """Extract each document of one chunk (runs in a worker). Failing documents are reported, not raised.
    With `pages`, each row ends with the PDF page of its figure ('' for other formats)."""
    chunk = Chunk(index=index, documents=len(paths), figures=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    json_rows: list[str] = []
    columns = [*BATCH_COLUMNS, "page"] if pages else BATCH_COLUMNS
    for name in paths:
        try:
            intake = read_input_intake(Path(name), encoding)
            document = intake.document
            values = list(document_figure_tuples(document))
            rows = [(name, *row) for row in (page_column(intake, values) if pages else values)]
        except PipelineError as exc:
            chunk.failures.append((name, exc.exit_code, str(exc)))
            continue
        if (said := decoding_note(name, document, encoding)) is not None:
            chunk.notes.append(said)
        chunk.figures += len(rows)
        if fmt == "csv":
            writer.writerows(safe_row(row) for row in rows)  # a CSV a person may open
        elif fmt == "json":
            json_rows.extend(json.dumps(json_record(columns, r), ensure_ascii=False) + "\n" for r in rows)
        else:
            chunk.rows.extend(rows)
    chunk.text = buffer.getvalue() if fmt == "csv" else "".join(json_rows)
    return chunk


def _chunks(paths: Sequence[str], workers: int, chunk_size: int | None) -> list[list[str]]:
    if chunk_size is None:
        # about eight tasks a worker: even load at the end, few enough that task overhead is nothing
        chunk_size = max(1, min(64, math.ceil(len(paths) / (max(1, workers) * 8))))
    return [list(paths[i : i + chunk_size]) for i in range(0, len(paths), chunk_size)]


def _progress(total: int, enabled: bool | None) -> Any:
    """A progress bar on stderr when it is a terminal (never in CI logs or when piped)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", file=sys.stderr, smoothing=0.1)


def iter_chunks(
    paths: Sequence[Path | str],
    executor: Executor | None = None,
    *,
    jobs: int | None = None,
    fmt: str = "csv",
    encoding: str | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
    pages: bool = False,
) -> Iterator[Chunk]:
    """Run extract_chunk over `paths` and yield the chunks in path order.

    With no executor: in this process when jobs == 1, else a process pool of `jobs` workers
    (default: the number of cores). A given executor is used as it is and not shut down.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {FORMATS}")
    names = sorted(str(p) for p in paths)
    # never more workers than chunks, nor than the cores can run (said on stderr when --jobs is cut)
    chunks = _chunks(names, check_jobs(jobs, max(1, len(names)), say=None), chunk_size)
    workers = check_jobs(jobs, max(1, len(chunks)))
    bar = _progress(len(names), progress)
    try:
        if executor is None and workers == 1:
            for index, chunk_paths in enumerate(chunks):
                chunk = extract_chunk(index, chunk_paths, fmt, encoding, pages)
                if bar is not None:
                    bar.update(chunk.documents)
                yield chunk
            return
        own = executor is None
        pool = executor if executor is not None else ProcessPoolExecutor(max_workers=workers)
        try:
            futures: dict[Future, int] = {
                pool.submit(extract_chunk, index, chunk_paths, fmt, encoding, pages): index
                for index, chunk_paths in enumerate(chunks)
            }
            done: dict[int, Chunk] = {}
            next_index = 0
            for future in as_completed(futures):
                del futures[future]  # a finished future keeps its result: let it go once handed on
                chunk = future.result()
                done[chunk.index] = chunk
                if bar is not None:
                    bar.update(chunk.documents)
                while next_index in done:  # hand chunks on in order; keep only the early ones
                    yield done.pop(next_index)
                    next_index += 1
        finally:
            if own:
                pool.shutdown(cancel_futures=True)
    finally:
        if bar is not None:
            bar.close()


@dataclass
class BatchSummary:
    documents: int = 0
    figures: int = 0
    failures: list[tuple[str, int, str]] = field(default_factory=list)


def write_table(
    paths: Sequence[Path | str],
    out: TextIO,
    fmt: str = "csv",
    executor: Executor | None = None,
    on_failure: Callable[[str, int, str], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    **options: Any,
) -> BatchSummary:
    """Write one combined table of every document's figures to `out`: CSV with a header, or JSON
    Lines (one typed object per figure, no enclosing array)."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"format {fmt!r} is not csv or json")
    summary = BatchSummary()
    options.setdefault("pages", any_pdf(paths))
    if fmt == "csv":
        csv.writer(out, lineterminator="\n").writerow([*BATCH_COLUMNS, "page"] if options["pages"] else BATCH_COLUMNS)
    for chunk in iter_chunks(paths, executor, fmt=fmt, **options):
        summary.documents += chunk.documents - len(chunk.failures)
        summary.figures += chunk.figures
        for failure in chunk.failures:
            summary.failures.append(failure)
            if on_failure is not None:
                on_failure(*failure)
        if on_note is not None:
            for said in chunk.notes:
                on_note(said)
        out.write(chunk.text)
    return summary


def extract_rows(paths: Sequence[Path | str], executor: Executor | None = None, **options: Any) -> list[tuple]:
    """Every figure of every document as (document, *FIGURE_COLUMNS) tuples, sorted by document and
    offset; with a PDF among them, each tuple ends with the figure's page ('' for other formats)."""
    rows: list[tuple] = []
    options.setdefault("pages", any_pdf(paths))
    for chunk in iter_chunks(paths, executor, fmt="rows", **options):
        if chunk.failures:
            _name, code, message = chunk.failures[0]
            error = PipelineError(message)
            error.exit_code = code
            raise error
        rows.extend(chunk.rows)
    return rows
