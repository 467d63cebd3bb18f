"""The main job at corpus scale: `pipeline run` over N bodies x Y years, measured side by side.

    .venv/bin/python benchmarks/corpus_run.py                       # 1 and 41 documents
    .venv/bin/python benchmarks/corpus_run.py --sizes 1 41 1000     # and 100 bodies x 10 years
    .venv/bin/python benchmarks/corpus_run.py --sizes 1 41 --dask   # the largest also on a Dask LocalCluster

For each size it builds a throw-away project (the notebooks, the reference tables, and synthetic
report-sized documents from tests/synth.py, each filed as data/raw/<body>/<year>/ with its
source.yaml), then measures three runs of `python -m pipeline run`:

- first: nothing done yet;
- again: nothing changed (every step should be skipped);
- add one year: one more document for the first body.

Each with wall time, CPU time of the whole process tree (the run and every kernel or worker it
waited for) and peak memory, both the largest single process (wait4) and the sum over the tree
(sampled from /proc every 0.1 s). With --dask the largest corpus is built a second time and run
first with `--executor dask` (a LocalCluster with as many workers): its outputs must be the pool's,
byte for byte. Output: a Markdown table, the time of each step in the first run of the largest
corpus (from the run's own step lines), the output size per document, the marginal cost per
document between the two largest sizes and what that extrapolates to at 34,000 documents.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import ROOT, run_measured

FIRST_YEAR = 2015
COUNTRY = 34_000


def _body_id(number: int) -> str:
    return f"synth_b{number:03d}"


def _file_document(project: Path, body: str, year: int, text: str) -> None:
    folder = project / "data" / "raw" / body / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    name = f"report_{year}.txt"
    (folder / name).write_bytes(data)
    meta = {
        "body": body,
        "report_year": year,
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
        "period_kind": "calendar_year",
        "title": f"{body} {year} 年工作报告（合成）",
        "publisher": "synthetic (tests/synth.py)",
        "file": name,
        "encoding": "utf-8",
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    (folder / "source.yaml").write_text("".join(f"{k}: {v}\n" for k, v in meta.items()), encoding="utf-8")


def build_project(where: Path, documents: int, years: int, seed: int) -> tuple[Path, list[tuple[str, int]]]:
    """A project copy with `documents` synthetic documents, `years` per body (the last body may have fewer)."""
    from tests import synth

    project = where / f"project_{documents}"
    if project.exists():
        shutil.rmtree(project)
    for part in ("data/reference", "notebooks"):
        shutil.copytree(ROOT / part, project / part)
    for part in ("data/raw", "data/interim", "data/processed", "reports"):
        (project / part).mkdir(parents=True, exist_ok=True)
    bodies_csv = project / "data" / "reference" / "bodies.csv"
    slots = [(_body_id(i // years), FIRST_YEAR + i % years) for i in range(documents)]
    with bodies_csv.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for body in sorted({b for b, _ in slots}):
            writer.writerow([body, f"合成{body[-3:]}县人大常委会", f"Synthetic county {body[-3:]}", "county", "山西"])
    texts = synth.generate(synth.default_templates(), documents + 1, seed=seed, min_chars=7000)
    for (body, year), doc in zip(slots, texts, strict=False):
        _file_document(project, body, year, doc.text)
    extra = next(synth.generate(synth.default_templates(), 1, seed=seed + 1, min_chars=7000))
    (where / f"extra_{documents}.txt").write_text(extra.text, encoding="utf-8")
    return project, slots


def measure(project: Path, where: Path, documents: int, slots: list[tuple[str, int]], options: list[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "ANNUAL_FIGURES_ROOT"}
    cmd = [sys.executable, "-m", "pipeline", "--root", str(project), "run", *options]
    results = {}
    for label in ("first", "again"):
        results[label] = run_measured(cmd, env=env, sample_tree=True)
        if results[label]["returncode"] != 0:
            raise SystemExit(f"{label} run of {documents} failed:\n{results[label]['stderr'][-3000:]}")
    results["digests"] = output_digests(project)  # the first run's outputs (the no-op run changed none)
    body = slots[0][0]
    last_year = max(y for b, y in slots if b == body)
    _file_document(project, body, last_year + 1, (where / f"extra_{documents}.txt").read_text(encoding="utf-8"))
    results["add one year"] = run_measured(cmd, env=env, sample_tree=True)
    if results["add one year"]["returncode"] != 0:
        raise SystemExit(f"adding a year to {documents} failed:\n{results['add one year']['stderr'][-3000:]}")
    reports = len(list((project / "reports").glob("*/[0-9][0-9][0-9][0-9].html")))  # not the indicator pages
    results["reports"] = reports
    # each file once however many names it has: reports/downloads are hard links to data/processed
    stats = {(st.st_dev, st.st_ino): st.st_size for p in project.rglob("*")
             if p.is_file() and "raw" not in p.relative_to(project).parts for st in [p.stat()]}  # fmt: skip
    results["output_mb"] = sum(stats.values()) / 1e6
    results["steps"] = step_seconds(results["first"]["stderr"])
    results["add steps"] = step_seconds(results["add one year"]["stderr"])
    results["add notebooks"] = notebook_seconds(results["add one year"]["stderr"])
    return results


sys.path.insert(0, str(ROOT / "src"))
from pipeline.run.steps import STEPS  # noqa: E402 - the declared steps, so a new one is timed too

STEP_LINE = re.compile(rf"^pipeline: ({'|'.join(s.name for s in STEPS)}): .*; done in ([0-9.]+) s$", re.M)


def step_seconds(stderr: str) -> dict[str, float]:
    """The seconds of each step, from the run's own step lines (`clean: …; done in 2.1 s`)."""
    return {name: float(seconds) for name, seconds in STEP_LINE.findall(stderr)}


NOTEBOOK_LINE = re.compile(r"^pipeline: ([0-9]{2}-[a-z]+\.ipynb); done in ([0-9.]+) s$", re.M)


def notebook_seconds(stderr: str) -> dict[str, float]:
    """The seconds of each notebook (`10-clean.ipynb; done in 19.1 s`): its steps and its kernel's own costs."""
    return {name: float(seconds) for name, seconds in NOTEBOOK_LINE.findall(stderr)}


def output_digests(project: Path) -> dict[str, str]:
    """sha256 of every output a reader or analyst uses: the processed tables, the interim tables, the reports."""
    files = [
        *(project / "data" / "processed").glob("*.*"),
        *(project / "data" / "interim").glob("*/*/*.csv"),
        *(project / "reports").glob("*/*.html"),
        project / "reports" / "index.html",
    ]
    return {str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(files)}


def dask_row(where: Path, documents: int, args: argparse.Namespace, pool_digests: dict) -> str:
    """The largest corpus again, first run on a Dask LocalCluster; its outputs against the pool's."""
    project, _slots = build_project(where / "dask", documents, args.years, args.seed)
    env = {k: v for k, v in os.environ.items() if k != "ANNUAL_FIGURES_ROOT"}
    cmd = [sys.executable, "-m", "pipeline", "--root", str(project), "run", "--executor", "dask", *args.run_option]
    result = run_measured(cmd, env=env, sample_tree=True)
    if result["returncode"] != 0:
        raise SystemExit(f"dask run of {documents} failed:\n{result['stderr'][-3000:]}")
    same = output_digests(project) == pool_digests
    return _row(documents, "first, Dask LocalCluster", result) + f" outputs {'==' if same else '!='} pool |"


def _row(documents: int, label: str, r: dict) -> str:
    return (
        f"| {documents:,} | {label} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
        f"{r['peak_mb']:.0f} | {r.get('tree_peak_mb', 0):.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 41], help="documents per corpus")
    parser.add_argument("--years", type=int, default=10, help="years per body")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep the projects here (default: a temp folder)")
    parser.add_argument("--run-option", action="append", default=[], help="passed to pipeline run (repeatable)")
    parser.add_argument("--dask", action="store_true", help="also run the largest corpus on a Dask LocalCluster")
    args = parser.parse_args(argv)
    where = args.workdir or Path(tempfile.mkdtemp(prefix="corpus-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores; projects in {where}; pipeline run {' '.join(args.run_option)}".rstrip())
    print("\n| documents | run | wall s | CPU s (tree) | largest process MB | tree peak MB |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    measured = {}
    for documents in args.sizes:
        project, slots = build_project(where, documents, args.years, args.seed)
        results = measure(project, where, documents, slots, args.run_option)
        measured[documents] = results
        for label in ("first", "again", "add one year"):
            print(_row(documents, label, results[label]), flush=True)
        if args.dask and documents == max(args.sizes):
            print(dask_row(where, documents, args, results["digests"]), flush=True)
    print()
    for documents, results in measured.items():
        per_doc = results["output_mb"] / documents
        print(
            f"- {documents:,} documents: {results['reports']} reports, {results['output_mb']:.1f} MB of outputs "
            f"({per_doc:.2f} MB per document); first run by step: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in results["steps"].items())
        )
        print(
            "  - adding one year, by step: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in results["add steps"].items())
            + "; by notebook: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in results["add notebooks"].items())
        )
    sizes = sorted(measured)
    if len(sizes) >= 2:
        small, large = sizes[-2], sizes[-1]
        wall = (measured[large]["first"]["seconds"] - measured[small]["first"]["seconds"]) / (large - small)
        cpu = (measured[large]["first"]["cpu_seconds"] - measured[small]["first"]["cpu_seconds"]) / (large - small)
        print(
            f"- marginal first-run cost between {small:,} and {large:,}: {wall:.2f} s wall, {cpu:.2f} s CPU "
            f"per document; at {COUNTRY:,} documents ≈ {wall * COUNTRY / 3600:.1f} h wall"
        )
        ratio = measured[large]["first"]["seconds"] / measured[sizes[0]]["first"]["seconds"]
        print(f"- first run, {large:,} documents against {sizes[0]:,}: {ratio:.1f}x")
        one = measured[sizes[0]]["first"]["seconds"]
        add = measured[large]["add one year"]["seconds"]
        print(f"- adding one year to {large:,} documents: {add / one:.2f}x the one-document first run")
        small_steps, large_steps = measured[small]["steps"], measured[large]["steps"]
        growth = {k: (large_steps.get(k, 0) - small_steps.get(k, 0)) / (large - small) for k in large_steps}
        if growth:
            fastest = max(growth, key=growth.get)
            print(
                "- marginal seconds per document by step: "
                + ", ".join(f"{k} {v:.3f}" for k, v in growth.items())
                + f"; fastest-growing: {fastest}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
