"""One report two ways, side by side: the analyst's notebook (papermill, a kernel) and the corpus
run's renderer (no kernel), for the shipped seed (Lüliang 2023) or any body/year with data.

Needs `make run` (or `pipeline run`) first, for data/processed/. Prints, for each way, the wall
time of each of `--repeats` renderings, the page's size and its embedded charts, and whether the
two pages are the same bytes (they must be: the corpus run and the notebook share one renderer).
Run: .venv/bin/python benchmarks/render_report.py [--body lvliang] [--year 2023] [--repeats 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--body", default="lvliang")
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from pipeline import paths
    from pipeline.report import render
    from pipeline.run import runner

    if not (paths.PROCESSED / "figures.parquet").is_file():
        raise SystemExit(f"{paths.PROCESSED}/figures.parquet is missing: run `make run` first")
    parameters = {"body": args.body, "year": args.year}
    notebook_s, direct_s = [], []
    label = f"benchmark-{args.body}-{args.year}"  # its own folder of reports/_executed, removed after
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            started = time.perf_counter()
            executed = runner.run_notebook("31-report-one.ipynb", parameters, label)
            via_notebook = render.render_report(executed, args.body, args.year, Path(tmp) / "notebook.html")
            notebook_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            direct = render.render_report_html(args.body, args.year)
            direct_s.append(time.perf_counter() - started)
        page = via_notebook.read_text(encoding="utf-8")
    charts = page.count("<figure")
    print(f"{args.body} {args.year}: {args.repeats} renderings each, wall seconds (median, min)\n")
    print("| way | median s | min s |\n| --- | ---: | ---: |")
    print(f"| notebook 31-report-one (papermill, kernel start included) | {statistics.median(notebook_s):.2f} | "
          f"{min(notebook_s):.2f} |")  # fmt: skip
    print(f"| corpus renderer (render_report_html, no kernel) | {statistics.median(direct_s):.2f} | "
          f"{min(direct_s):.2f} |")  # fmt: skip
    print(f"\nnotebook / renderer: {statistics.median(notebook_s) / statistics.median(direct_s):.1f}x")
    print(f"page: {len(page.encode('utf-8')):,} bytes, {charts} charts; same bytes both ways: {page == direct}")
    shutil.rmtree(paths.EXECUTED / label, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
