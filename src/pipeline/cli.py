"""Command line: `pipeline extract PATH…` and `pipeline run`.

Problems with the user's input end in one line on stderr and an exit status per class of problem
(see pipeline.errors); a traceback only with --debug.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from pathlib import Path

from pipeline import __version__, paths
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
    parser.add_argument(
        "--root",
        type=Path,
        help="the data folder to work on (data/, reports/; default $ANNUAL_FIGURES_ROOT, else the checkout)",
    )
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

    run = sub.add_parser("run", help="raw text -> figures -> reports, for all shipped data")
    run.add_argument("--body", help="only this body (id as in data/reference/bodies.csv)")
    run.add_argument("--year", type=int, help="only this report year")
    run.add_argument("--force", action="store_true", help="run every step, even those that are up to date")
    run.add_argument(
        "--keep-going",
        "-k",
        action="store_true",
        help="when a document's step fails, go on with the other documents; fail at the end, naming each (the default)",
    )
    run.add_argument("--fail-fast", action="store_true", help="stop after the stage in which a document first fails")
    run.add_argument("--jobs", "-j", type=int, help="worker processes per stage (default: one per core)")
    run.add_argument("--executor", choices=["pool", "dask"], default="pool", help="a process pool, or a Dask cluster")
    run.add_argument(
        "--scheduler", default="", help="with --executor dask: the scheduler's address (default: a local cluster)"
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
    from pipeline.run.batch import read_input

    path: Path = args.paths[0]
    # A raw document with its source.yaml is read as that file declares, after its sha256 is checked.
    document = read_input(path, args.encoding)
    if document.encoding not in ("utf-8", "utf-8-sig") and args.encoding is None:
        note(f"note: {path} decoded as {document.encoding} (detected)")
    result = extract(document)
    rows = figure_rows(result)
    if not rows:
        note(f"note: {path}: no figures found")
    if args.format == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    else:
        text = to_csv_text(rows, FIGURE_COLUMNS)
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


def _run(args: argparse.Namespace) -> int:
    from pipeline.run.runner import run_all

    run_all(
        body=args.body,
        year=args.year,
        force=args.force,
        fail_fast=args.fail_fast,
        jobs=args.jobs,
        executor=args.executor,
        scheduler=args.scheduler,
    )
    return 0


def _set_root(root: Path | None) -> None:
    if root is None:
        return
    if not root.is_dir():
        raise InputNotFound(f"--root {root}: no such folder")
    paths.set_root(root)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = parser.parse_args(argv)
        _set_root(args.root)
        if args.command == "extract":
            return _extract(args)
        if args.command == "run":
            return _run(args)
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
