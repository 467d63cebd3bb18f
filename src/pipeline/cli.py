"""Command line: `pipeline extract PATH…`, `pipeline add PATH` and `pipeline run`.

Problems with the user's input end in one line on stderr and an exit status per class of problem
(see pipeline.errors); a traceback only with --debug.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from pathlib import Path

from pipeline import __version__
from pipeline.atomic import atomic_path, write_text_atomic
from pipeline.display import note
from pipeline.errors import (
    INTERNAL_ERROR_EXIT,
    INTERRUPTED_EXIT,
    OS_ERROR_EXIT,
    InputNotFound,
    PipelineError,
    UsageError,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2 with usage; keep one line
        raise UsageError(f"{message} (see {self.prog} --help)")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pipeline", description="Figures from Chinese people's congress work reports.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    ex = sub.add_parser("extract", help="print the figures of one document, or of many as one table")
    ex.add_argument(
        "paths",
        type=Path,
        nargs="+",
        metavar="PATH",
        help="a text file (UTF-8, UTF-16, GB18030/GBK or Big5); several, or a folder (its *.txt files): one table",
    )
    ex.add_argument("--format", choices=["csv", "json"], default="csv")
    ex.add_argument("--encoding", help="decode with this encoding instead of detecting it")
    ex.add_argument("--jobs", "-j", type=int, help="worker processes for many documents (default: one per core)")
    ex.add_argument("--output", "-o", type=Path, help="write the table here (atomically) instead of to stdout")

    add = sub.add_parser("add", help="file a document as received (text, web page, PDF, .docx) with its source.yaml")
    add.add_argument("path", type=Path, metavar="PATH", help="the document, or a folder of them")
    add.add_argument("--body", help="body id as in data/reference/bodies.csv (one document)")
    add.add_argument("--year", help="the year the report covers (one document)")
    add.add_argument("--url", help="where the document was published")
    add.add_argument("--title", help="its title, when the document does not give it")
    add.add_argument("--publisher", help="who published it (default: the URL's host)")
    add.add_argument("--encoding", help="decode a text or page with this encoding instead of detecting it")
    add.add_argument("--replace", action="store_true", help="file it even though the year has a document")
    add.add_argument("--body-name", help="add an unknown body to bodies.csv with this Chinese name")
    add.add_argument("--manifest", type=Path, help="a folder's CSV of file,body,year[,url,title]")

    run = sub.add_parser("run", help="raw text -> figures -> reports, for all shipped data")
    run.add_argument("--body", help="only this body (id as in data/reference/bodies.csv)")
    run.add_argument("--year", type=int, help="only this report year")
    run.add_argument("--force", action="store_true", help="run every step, even those that are up to date")
    run.add_argument(
        "--keep-going",
        "-k",
        action="store_true",
        help="when a document's step fails, go on with the other documents; fail at the end, naming each",
    )
    return parser


def _extract(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: give at least 1")
    if args.encoding is not None:
        try:
            codecs.lookup(args.encoding)
        except LookupError as exc:
            raise UsageError(
                f"--encoding {args.encoding!r}: no such encoding (e.g. utf-8, gb18030, big5, utf-16)"
            ) from exc
    if len(args.paths) > 1 or args.paths[0].is_dir():
        return _extract_many(args)
    from pipeline.extract.figures import extract
    from pipeline.extract.rows import FIGURE_COLUMNS, figure_rows, to_csv_text
    from pipeline.run.batch import read_input_intake

    path: Path = args.paths[0]
    # A raw document with its source.yaml is read as that file declares, after its sha256 is checked.
    intake = read_input_intake(path, args.encoding)
    document = intake.document
    if intake.derived is not None:
        note(f"note: {path} read as {intake.format}: {document.encoding}")
    elif document.encoding not in ("utf-8", "utf-8-sig") and args.encoding is None:
        note(f"note: {path} decoded as {document.encoding} (detected)")
    result = extract(document)
    rows = figure_rows(result)
    columns = FIGURE_COLUMNS
    if intake.has_pages:  # a PDF's figures say their page; other outputs keep their columns
        columns = [*FIGURE_COLUMNS, "page"]
        for row in rows:
            row["page"] = intake.page_at(int(row["start"])) or ""
    if not rows:
        note(f"note: {path}: no figures found")
    if args.format == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    else:
        text = to_csv_text(rows, columns)
    _emit(text, args.output)
    return 0


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(output, text)


def _extract_many(args: argparse.Namespace) -> int:
    """Many documents (paths, or the *.txt files of folders) -> one table, in parallel; a document
    that cannot be read is named on stderr and left out, and the exit status says so."""
    from pipeline.run.batch import collect_paths, write_table

    paths = collect_paths(args.paths)
    if not paths:
        raise InputNotFound(f"{args.paths[0]}: is a directory with no *.txt document in it")
    worst = 0

    def failed(name: str, code: int, message: str) -> None:
        nonlocal worst
        worst = max(worst, code)
        note(f"error: {message}")

    options = {"jobs": args.jobs, "encoding": args.encoding}
    if args.output is None:
        summary = write_table(paths, sys.stdout, args.format, on_failure=failed, **options)
    else:
        with atomic_path(args.output) as tmp, tmp.open("w", encoding="utf-8", newline="") as out:
            summary = write_table(paths, out, args.format, on_failure=failed, **options)
    print(
        f"pipeline: {summary.documents} document(s), {summary.figures} figure(s)"
        + (f"; {len(summary.failures)} document(s) could not be read" if summary.failures else ""),
        file=sys.stderr,
    )
    return worst


def _add(args: argparse.Namespace) -> int:
    from pipeline.run.add import add_document, add_folder

    if args.path.is_dir():
        if args.body or args.year or args.url or args.title or args.body_name:
            raise UsageError("pipeline add DIR takes body and year from --manifest or from DIR/<body>/<year>/ paths")
        worst = 0
        for path, outcome in add_folder(args.path, args.manifest, replace=args.replace, encoding=args.encoding):
            if isinstance(outcome, PipelineError):
                worst = max(worst, outcome.exit_code)
                note(f"error: {outcome}")
            else:
                print(f"added {path} -> {outcome.file} ({outcome.format}, {outcome.encoding})")
        return worst
    if args.manifest is not None:
        raise UsageError("--manifest goes with a folder: pipeline add DIR --manifest CSV")
    if not args.body or not args.year:
        raise UsageError("pipeline add PATH needs --body and --year (e.g. --body lvliang --year 2023)")
    added = add_document(
        args.path, args.body, args.year, url=args.url, title=args.title, publisher=args.publisher,
        replace=args.replace, body_name=args.body_name, encoding=args.encoding,
    )  # fmt: skip
    if added.replaced is not None:
        print(f"replaced: the earlier document was moved to {added.replaced}")
    print(f"added {args.path} -> {added.file} ({added.format}, {added.encoding}); `pipeline run` makes its report")
    return 0


def _run(args: argparse.Namespace) -> int:
    from pipeline.run.runner import run_all

    run_all(body=args.body, year=args.year, force=args.force, keep_going=args.keep_going)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = parser.parse_args(argv)
        if args.command == "extract":
            return _extract(args)
        if args.command == "run":
            return _run(args)
        if args.command == "add":
            return _add(args)
        parser.print_help(sys.stderr)
        return UsageError.exit_code
    except PipelineError as exc:
        if debug:
            raise
        note(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        print("pipeline: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT
    except BrokenPipeError:  # `pipeline extract … | head`
        return 0
    except OSError as exc:  # permission denied, disk full, a file vanishing mid-run
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        note(f"error: {where}{exc.strerror or exc}; check the folder's permissions and the free disk space")
        return OS_ERROR_EXIT
    except Exception as exc:  # a bug: still one line, and how to see more
        if debug:
            raise
        note(f"internal error: {type(exc).__name__}: {exc}; run again with --debug for the traceback and report it")
        return INTERNAL_ERROR_EXIT


if __name__ == "__main__":
    sys.exit(main())
