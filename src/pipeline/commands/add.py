"""`pipeline add`: file a document as received, with its source.yaml."""

from __future__ import annotations

import argparse

from pipeline.display import note
from pipeline.errors import PipelineError, UsageError
from pipeline.run.add import add_document, add_folder


def main(args: argparse.Namespace) -> int:

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
