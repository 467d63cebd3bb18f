"""`pipeline run`: the main job (pipeline.run.runner)."""

from __future__ import annotations

import argparse

from pipeline.run import runner


def main(args: argparse.Namespace) -> int:

    runner.run_all(
        body=args.body,
        year=args.year,
        force=args.force,
        fail_fast=args.fail_fast,
        jobs=args.jobs,
        executor=args.executor,
        scheduler=args.scheduler,
    )
    return 0
