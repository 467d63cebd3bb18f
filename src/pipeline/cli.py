"""Command line: `pipeline extract PATH…`, `pipeline add PATH` and `pipeline run`.

Problems with the user's input end in one line on stderr and an exit status per class of problem
(see pipeline.errors); a traceback only with --debug.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from pipeline import __version__, errors, paths
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


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description and the examples as written, and shows an option's default where it
    has one that is not already said in its help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


# Exit statuses that are not an error class (pipeline.errors), with what they mean.
_OTHER_EXITS = {
    OS_ERROR_EXIT: "the operating system refused a read or write (permissions, a full disk)",
    INTERNAL_ERROR_EXIT: "a bug in the pipeline; --debug shows the traceback",
    INTERRUPTED_EXIT: "interrupted (Ctrl-C)",
}


def exit_codes() -> list[tuple[int, str]]:
    """(status, meaning) for every exit status, read from pipeline.errors so the help cannot drift."""
    codes = [(0, "done (also when a document has no figures: a note says so)")]
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, PipelineError) and value is not PipelineError:
            doc = (value.__doc__ or value.__name__).strip().splitlines()[0]
            codes.append((value.exit_code, f"{value.__name__}: {doc}"))
    codes.extend(_OTHER_EXITS.items())
    return sorted(codes)


def exit_code_table() -> str:
    return "exit status:\n" + "\n".join(f"  {code:>3}  {meaning}" for code, meaning in exit_codes())


def _epilog(examples: str) -> str:
    return f"examples:\n{examples.rstrip()}\n\n{exit_code_table()}\n\nMore in README.md and docs/robustness.md."


_MAIN_DESCRIPTION = """\
Figures from the annual work reports of Chinese people's congress standing committees, as clean,
cited data: each figure with its value in the base unit, its unit, how exact it is, what was
counted, and character offsets into the raw text.

  pipeline run       the whole job for the documents under data/raw/ (skips what is up to date)
  pipeline extract   the figures of one document, or of many as one table, on stdout
  pipeline add       file a document as received (text, web page, PDF, .docx) with its source.yaml
"""
_MAIN_EXAMPLES = """\
  pipeline run                                   # data/raw -> data/processed -> reports/index.html
  pipeline extract report.txt                    # its figures as CSV
  pipeline extract corpus/ -o figures.csv        # every *.txt under corpus/ as one table
  pipeline run --help                            # the options of one command
"""
_RUN_DESCRIPTION = """\
Run the whole job for the documents under data/raw/<body>/<year>/ (each with its source.yaml, as
`pipeline add` files it). Three notebooks are executed with papermill, each once per run:
  notebooks/10-clean     the figures of each new or changed document, then the panel
  notebooks/20-compare   comparison and checks for the body-years whose inputs changed
  notebooks/30-report    the reports whose inputs changed, and the index
Inside each, the documents fan out over a process pool (--jobs, default one per core) or a Dask
cluster (--executor dask); both give the same bytes. It writes
  data/interim/<body>/<year>/          each document's figures, layout repairs, rejected numerals
  data/processed/                      figures.csv and figures.parquet (the panel), comparison.csv,
                                       checks.csv
  reports/<body>/<year>.html           one report per document, listed in reports/index.html
  reports/_executed/, reports/_failed/ this run's executed notebooks (a failed one is kept)

Before the first notebook starts it checks the reference tables, every source.yaml, each raw
file's sha256 and its decoding. An item (a document, the panel, the index) whose inputs, code and
outputs are unchanged since it last succeeded is skipped ("skipped: up to date"); --force runs
everything. A document that fails is named and the others go on; the exit status says so
(--fail-fast stops after that stage). A second run at once refuses (exit 9). Raw files are never
written, and every output is written to a temp file and renamed. --root DIR (or
ANNUAL_FIGURES_ROOT) works on a data folder outside the checkout.
"""
_RUN_EXAMPLES = """\
  pipeline run                           # every document, skipping what is up to date
  pipeline run --body lvliang --year 2023
  pipeline run --force                   # re-run every step
  pipeline run --jobs 8                  # eight worker processes per stage
  pipeline run --executor dask --scheduler tcp://10.0.0.5:8786
  pipeline --root ~/corpus run           # a data folder outside the checkout
"""
_EXTRACT_DESCRIPTION = """\
Print the figures of a document: one row per figure, with its offsets into the decoded text
(text == raw[start:end]), its value in the base unit, unit, approx, indicator and the sentence.
Reads only the files given; writes only stdout, or the file given with -o (atomically).

Several paths, or a folder (every *.txt under it), give one table with a `document` column
first, extracted in parallel; a document that cannot be read is named on stderr and left out.
A raw file beside its source.yaml is read as that file declares, after its sha256 is checked.
A file that is not UTF-8 is named on stderr with the encoding it was decoded as.

--format json gives typed values: numbers as numbers, null for an empty field. One input file
gives one JSON array; several files or a folder give JSON Lines (one object per line).
"""
_ADD_DESCRIPTION = """\
File a document as received: its bytes copied unchanged into data/raw/<body>/<year>/, and a
source.yaml written beside it (sha256, bytes, format, encoding and how it was known, title and
date where the page gives them, the URL when given, the date added). Reads text, saved web pages
(any declared or detected encoding), PDFs with a text layer and .docx files.

It refuses, with one line: a file already in the corpus (naming where), a year that already has
a document (unless --replace), an unknown body (add it to data/reference/bodies.csv, or give
--body-name), a format it cannot read. A folder files many: each file's body and year from
--manifest (file,body,year[,url,title]) or from a path like <body>/<year>/<file>.
"""
_ADD_EXAMPLES = """\
  pipeline add ~/Downloads/page.html --body lvliang --year 2024 --url https://example.org/a.html
  pipeline add report.pdf --body lvliang --year 2022
  pipeline add report.docx --body newtown --year 2023 --body-name 新城县人大常委会
  pipeline add inbox/ --manifest inbox/manifest.csv
"""
_EXTRACT_EXAMPLES = """\
  pipeline extract data/raw/lvliang/2023/000_27d8ef8a85ace649.txt       # CSV on stdout
  pipeline extract report.txt --format json                              # one JSON array
  pipeline extract report.txt --encoding gb18030
  pipeline extract corpus/ -o figures.csv                                # one table of many
  pipeline extract a.txt b.txt --jobs 4 --format json                    # JSON Lines
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pipeline",
        description=_MAIN_DESCRIPTION,
        epilog=_epilog(_MAIN_EXAMPLES),
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (default: one line)")
    parser.add_argument(
        "--root",
        type=Path,
        help="the data folder to work on (data/, reports/; default: $ANNUAL_FIGURES_ROOT, else the checkout)",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    _add_extract_command(sub)
    _add_add_command(sub)
    _add_run_command(sub)
    return parser


def _add_extract_command(sub: argparse._SubParsersAction) -> None:
    ex = sub.add_parser(
        "extract",
        help="print the figures of one document, or of many as one table",
        description=_EXTRACT_DESCRIPTION,
        epilog=_epilog(_EXTRACT_EXAMPLES),
        formatter_class=_Formatter,
    )
    ex.add_argument(
        "raw_paths",
        type=str,
        nargs="+",
        metavar="PATH",
        help="a text file (UTF-8, UTF-16, GB18030/GBK or Big5); several, or a folder (its *.txt files): one table",
    )
    ex.add_argument(
        "--format",
        choices=["csv", "json"],
        default="csv",
        help="csv (with a header), or json: an array for one file, JSON Lines for many",
    )
    ex.add_argument(
        "--encoding", help="decode with this encoding instead of detecting it (default: detected, or source.yaml's)"
    )
    ex.add_argument("--jobs", "-j", type=int, help="worker processes for many documents (default: one per core)")
    ex.add_argument(
        "--output", "-o", type=Path, help="write the table here, atomically (default: stdout)", metavar="FILE"
    )


def _add_add_command(sub: argparse._SubParsersAction) -> None:
    add = sub.add_parser(
        "add",
        help="file a document as received (text, web page, PDF, .docx) with its source.yaml",
        description=_ADD_DESCRIPTION,
        epilog=_epilog(_ADD_EXAMPLES),
        formatter_class=_Formatter,
    )
    add.add_argument("path", type=Path, metavar="PATH", help="the document, or a folder of them")
    add.add_argument(
        "--body", help="body id as in data/reference/bodies.csv (default: from --manifest or the path <body>/<year>/)"
    )
    add.add_argument("--year", help="the year the report covers (default: from --manifest or the path)")
    add.add_argument("--url", help="where the document was published (default: none recorded)")
    add.add_argument("--title", help="its title (default: the page's or file's own title)")
    add.add_argument("--publisher", help="who published it (default: the URL's host)")
    add.add_argument(
        "--encoding",
        help="decode a text or page with this encoding (default: declared in the page, or detected and said)",
    )
    add.add_argument(
        "--replace",
        action="store_true",
        help="file it even though the year has a document; the old one goes to data/replaced/ (default: refuse)",
    )
    add.add_argument(
        "--body-name", help="add an unknown body to bodies.csv with this Chinese name (default: refuse an unknown body)"
    )
    add.add_argument(
        "--manifest",
        type=Path,
        help="a folder's CSV of file,body,year[,url,title] (default: body and year from each path)",
    )


def _add_run_command(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="raw text -> figures -> reports, for every document under data/raw (skips what is up to date)",
        description=_RUN_DESCRIPTION,
        epilog=_epilog(_RUN_EXAMPLES),
        formatter_class=_Formatter,
    )
    run.add_argument("--body", help="only this body, an id as in data/reference/bodies.csv (default: every body)")
    run.add_argument("--year", type=int, help="only this report year (default: every year)")
    run.add_argument(
        "--force", action="store_true", help="run every step, even those that are up to date (default: skip them)"
    )
    run.add_argument(
        "--keep-going",
        "-k",
        action="store_true",
        help="when a document's step fails, go on with the other documents; fail at the end, naming each (default: on)",
    )
    run.add_argument(
        "--fail-fast", action="store_true", help="stop after the stage in which a document first fails (default: go on)"
    )
    run.add_argument("--jobs", "-j", type=int, help="worker processes per stage (default: one per core)")
    run.add_argument("--executor", choices=["pool", "dask"], default="pool", help="a process pool, or a Dask cluster")
    run.add_argument(
        "--scheduler", default="", help="with --executor dask: the scheduler's address (default: a local cluster)"
    )


# each command's module (pipeline.commands.<name>) and its main(args)
COMMANDS = ("extract", "run", "add")


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
            args.paths = [Path(given) for given in args.raw_paths]
        if args.command in COMMANDS:
            # the commands import pandas, papermill and trafilatura: --help and usage errors never wait
            # for them, and each command imports only its own
            return importlib.import_module(f"pipeline.commands.{args.command}").main(args)
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
