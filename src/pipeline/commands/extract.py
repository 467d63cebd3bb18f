"""`pipeline extract`: the figures of one document, or of many as one table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.display import note
from pipeline.errors import InputNotFound, UsageError
from pipeline.extract.rows import FIGURE_COLUMNS, document_figure_tuples, write_figure_table
from pipeline.run.batch import collect_paths, decoding_note, read_input_intake, write_table
from pipeline.text.document import text_codec


def check_extract_args(args: argparse.Namespace) -> None:
    """Refuse what would otherwise run on the wrong thing, or fail late with a confusing name."""
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1")
    for given in args.raw_paths:
        if not given.strip():  # Path("") is ".": an unset variable would extract the whole folder
            raise UsageError("an empty path was given (an unset variable?); name the file or folder to read")
    if args.encoding is not None:
        try:
            text_codec(args.encoding)
        except LookupError as exc:
            raise UsageError(f"--encoding {args.encoding!r}: {exc} (e.g. utf-8, gb18030, big5, utf-16)") from exc
    if args.output is not None and args.output.is_dir():
        raise UsageError(f"--output {args.output}: is a directory; give the name of the file to write")


def main(args: argparse.Namespace) -> int:
    check_extract_args(args)
    if len(args.paths) > 1 or args.paths[0].is_dir():
        return extract_many(args)

    path: Path = args.paths[0]
    # A raw document with its source.yaml is read as that file declares, after its sha256 is checked.
    intake = read_input_intake(path, args.encoding)
    document = intake.document
    if intake.derived is not None:
        note(f"note: {path} read as {intake.format}: {document.encoding}")
    elif (said := decoding_note(path, document, args.encoding)) is not None:
        note(f"note: {said}")
    # rows are written as they are found, a piece of the document at a time: memory stays bounded
    rows = document_figure_tuples(document)
    columns = FIGURE_COLUMNS
    if intake.has_pages:  # a PDF's figures say their page; other outputs keep their columns
        columns = [*FIGURE_COLUMNS, "page"]
        rows = ((*row, intake.page_at(int(row[0])) or "") for row in rows)
    if args.output is None:
        count = write_figure_table(rows, sys.stdout, args.format, columns)
    else:
        with atomic_path(args.output) as tmp, tmp.open("w", encoding="utf-8", newline="") as out:
            count = write_figure_table(rows, out, args.format, columns)
    if not count:
        note(f"note: {path}: no figures found")
    return 0


def extract_many(args: argparse.Namespace) -> int:
    """Many documents (paths, or the *.txt files of folders) -> one table, in parallel; a document
    that cannot be read is named on stderr and left out, and the exit status says so."""

    worst = 0

    def failed(name: str, code: int, message: str) -> None:
        nonlocal worst
        worst = max(worst, code)
        note(f"error: {message}")

    def said(message: str) -> None:
        note(f"note: {message}")

    paths = collect_paths(args.paths, on_refused=failed)
    if not paths:
        raise InputNotFound(
            f"{args.paths[0]}: is a directory with no *.txt document in it; "
            "give a text file, or a folder of *.txt files"
        )

    options = {"jobs": args.jobs, "encoding": args.encoding}
    if args.output is None:
        summary = write_table(paths, sys.stdout, args.format, on_failure=failed, on_note=said, **options)
    else:
        with atomic_path(args.output) as tmp, tmp.open("w", encoding="utf-8", newline="") as out:
            summary = write_table(paths, out, args.format, on_failure=failed, on_note=said, **options)
    print(
        f"pipeline: {summary.documents} document(s), {summary.figures} figure(s)"
        + (f"; {len(summary.failures)} document(s) could not be read" if summary.failures else ""),
        file=sys.stderr,
    )
    return worst
