"""How long the report step takes and how big the report is, for the shipped seed (Lüliang 2023).

Needs `make run` (or `pipeline run`) first for data/processed/. Prints the time to execute
notebooks/30-report.ipynb with papermill, the time nbconvert takes to render it, and the sizes.
Run: .venv/bin/python benchmarks/render_report.py [body] [year]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pipeline import paths
from pipeline.report import render
from pipeline.run import runner as run


def main(body: str = "lvliang", year: int = 2023) -> None:
    started = time.perf_counter()
    executed = run.run_notebook(render.REPORT_NOTEBOOK, {"body": body, "year": year}, f"{body}/{year}")
    executed_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "report.html"
        started = time.perf_counter()
        render.render_report(executed, body, year, target)
        render_s = time.perf_counter() - started
        html = target.read_bytes()
    images = html.count(b"data:image/png;base64,")
    print(f"execute {render.REPORT_NOTEBOOK}: {executed_s:.1f} s (kernel start, data, charts)")
    print(f"render to HTML (nbconvert): {render_s:.2f} s")
    print(f"report: {len(html):,} bytes, {images} embedded PNG charts; notebook {executed.stat().st_size:,} bytes")
    print(f"(reports/ lives in {paths.REPORTS})")


if __name__ == "__main__":
    main(*(sys.argv[1:2] or ["lvliang"]), *(int(a) for a in sys.argv[2:3]))
