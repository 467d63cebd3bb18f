"""The report stage alone, per report and per phase: data, charts, HTML, side by side in one run.

    .venv/bin/python benchmarks/report_stage.py                 # 1 body x 10 years + 40 peer bodies
    .venv/bin/python benchmarks/report_stage.py --peers 10 --reports 3 --profile /tmp/report.prof

Builds a throw-away project (benchmarks/corpus_run.build_project: synthetic report-sized documents,
all bodies of one level), runs the clean and compare stages once in this process, then renders the
first body's reports `--reports` times each phase: `report.data.load` (data), the charts fragment
(charts), every other fragment (fragments), and the page (HTML: the fragments laid into the page
by `report.render.page_html`; before it, nbconvert's exporter, which took seconds per report).
CPU seconds of this process, so a busy machine flatters nothing.
With --profile, cProfile of one whole report (the body's last year) goes to that file, and its
top 25 functions by cumulative time are printed. With --memory, a fresh process renders all ten of
the body's reports and prints its peak resident memory (getrusage maxrss) and CPU seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus_run import FIRST_YEAR, _body_id, _file_document, build_project


def add_peers(project: Path, peers: int, years: int, seed: int) -> None:
    """`peers` more county bodies, each with the last `years` of the first body's ten years."""
    from tests import synth

    bodies_csv = project / "data" / "reference" / "bodies.csv"
    texts = synth.generate(synth.default_templates(), peers * years, seed=seed + 7, min_chars=7000)
    with bodies_csv.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for i in range(1, peers + 1):
            body = _body_id(i)
            writer.writerow([body, f"合成{body[-3:]}县人大常委会", f"Synthetic county {body[-3:]}", "county", "山西"])
    for n, doc in enumerate(texts):
        body, year = _body_id(1 + n // years), FIRST_YEAR + 9 - n % years
        _file_document(project, body, year, doc.text)


def phases(body: str, years: list[int], rows) -> dict[str, float]:
    from pipeline.reference.readers import known_bodies
    from pipeline.report import data as report_data
    from pipeline.report import fragments, render

    out = {"data": 0.0, "charts": 0.0, "fragments": 0.0, "HTML": 0.0}
    for year in years:
        t = time.process_time()
        data = report_data.load(body, year, rows)
        out["data"] += time.process_time() - t
        t = time.process_time()
        charts = fragments.charts_html(data)
        out["charts"] += time.process_time() - t
        t = time.process_time()
        sections = [charts if name == "charts_html" else getattr(fragments, name)(data) for name in render.SECTIONS]
        out["fragments"] += time.process_time() - t
        t = time.process_time()
        render.page_html(sections, report_data.report_title(body, year, known_bodies()))
        out["HTML"] += time.process_time() - t
    return {k: v / len(years) for k, v in out.items()}


# run in a fresh process: everything rendering the reports needs, and nothing the set-up left behind
RENDER_ALL = """
import resource, sys, time
from pathlib import Path
from pipeline import paths
paths.set_root(Path(sys.argv[1]))
import pandas as pd
from pipeline.compare.peers import RowIndex
from pipeline.report import render
from pipeline.run import stages
t = time.process_time()
panel = pd.read_parquet(paths.PROCESSED / "figures.parquet")
rows = RowIndex.of(panel, stages._bodies_frame()).report_rows(sys.argv[2])
for year in sys.argv[3:]:
    render.render_report_html(sys.argv[2], int(year), rows)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.process_time() - t)
"""


def peak_memory(project: Path, body: str, years: list[int]) -> tuple[float, float]:
    """(peak MB, CPU s) of a fresh process that renders `body`'s reports of `years`."""
    env = {**os.environ, "ANNUAL_FIGURES_ROOT": str(project)}
    command = [sys.executable, "-c", RENDER_ALL, str(project), body, *map(str, years)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    peak, cpu = out.stdout.split()[-2:]
    return float(peak), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", type=int, default=40, help="peer bodies of the same level (default 40)")
    parser.add_argument("--peer-years", type=int, default=1, help="documents per peer body (default 1)")
    parser.add_argument("--reports", type=int, default=3, help="reports of the first body timed (default 3)")
    parser.add_argument("--profile", type=Path, help="cProfile one report to this file and print its top")
    parser.add_argument("--memory", action="store_true", help="peak memory of a process rendering all 10 reports")
    parser.add_argument("--workdir", type=Path, help="keep the project here (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="reuse the --workdir project and its tables as they are")
    args = parser.parse_args()
    where = args.workdir or Path(tempfile.mkdtemp(prefix="report_stage_"))
    where.mkdir(parents=True, exist_ok=True)
    project = where / "project_10"
    if not (args.reuse and project.is_dir()):
        project, _ = build_project(where, 10, 10, seed=12)
        add_peers(project, args.peers, args.peer_years, seed=12)
    os.environ["ANNUAL_FIGURES_ROOT"] = str(project)
    from pipeline import paths

    paths.set_root(project)
    import pandas as pd

    from pipeline.compare.peers import RowIndex
    from pipeline.run import stages

    t = time.perf_counter()
    if not args.reuse:  # reused: the tables of the last run as they are
        stages.clean_stage(jobs=2)
        stages.compare_stage(jobs=2)
    print(f"set-up: {10 + args.peers * args.peer_years} documents cleaned and compared in "
          f"{time.perf_counter() - t:.1f} s wall")  # fmt: skip
    panel = pd.read_parquet(paths.PROCESSED / "figures.parquet")
    rows = RowIndex.of(panel).report_rows(_body_id(0))
    body, years = _body_id(0), [FIRST_YEAR + 9 - i for i in range(args.reports)]
    phases(body, years[:1], rows)  # warm-up: imports, fonts, templates
    per = phases(body, years, rows)
    from pipeline.report import render

    sizes = [len(render.render_report_html(body, y, rows).encode("utf-8")) for y in years]
    print(f"\n{body}: 10 years, {args.peers} peer bodies; {len(years)} reports; CPU seconds per report\n")
    print("| phase | seconds |\n| --- | ---: |")
    for name, seconds in per.items():
        print(f"| {name} | {seconds:.3f} |")
    print(f"| **total** | **{sum(per.values()):.3f}** |")
    print(f"\nreport size: {sum(sizes) / len(sizes) / 1024:.0f} KiB on average")
    if args.memory:
        peak, cpu = peak_memory(project, body, [FIRST_YEAR + i for i in range(10)])
        print(f"10 reports in a fresh process: peak {peak:.0f} MB (maxrss), {cpu:.1f} s CPU")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        render.render_report_html(body, years[0], rows)
        profiler.disable()
        profiler.dump_stats(str(args.profile))
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
        print(text.getvalue())


if __name__ == "__main__":
    main()
