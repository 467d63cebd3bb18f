"""The compare stage alone (20-compare: compare + tables), two checkouts side by side in one run.

    .venv/bin/python benchmarks/compare_stage.py --base ../main/src              # 41 and 200 documents
    .venv/bin/python benchmarks/compare_stage.py --base ../main/src --sizes 41 200 1000 --base-max 200
    .venv/bin/python benchmarks/compare_stage.py --base ../main/src --workdir /tmp/cmp-bench

For each size it builds a throw-away project (benchmarks/corpus_run.build_project: synthetic
report-sized documents, 10 years per body, every body of one level, so every body is every other's
peer), runs the clean stage once with this checkout, and copies the project for each checkout
measured: the base (`--base`, the `src` folder of another checkout, e.g. a worktree of main) and this one (`--this`,
default this checkout's `src`). Then, for each copy, with that checkout's package first on
PYTHONPATH:

- first: `stages.compare_stage(jobs=2)` on the cleaned panel, nothing compared yet;
- add one year: one more document for the first body, the clean stage (this checkout's, in both
  copies alike), then the compare stage again: what it recomputes, and why.

Each with wall time, CPU of the whole process tree (the stage and its pool workers) and peak
memory (largest process, and the sum over the tree), from bench.run_measured; and the seconds of the
compare and tables steps from the stage's own report. The two copies' comparison and checks
tables (processed and every interim part) are compared by sha256 after each run. A checkout that
lacks a size's run (`--base-max`) is left out of that size.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import ROOT, run_measured
from corpus_run import _file_document, build_project

STAGE = """
import json, sys, time
def main():
    from pipeline import paths
    paths.set_root(sys.argv[1])
    from pipeline.run import stages
    reports = getattr(stages, sys.argv[2] + "_stage")(jobs=int(sys.argv[3]))
    print(json.dumps([{"step": r.step, "seconds": r.seconds, "ran": len(r.ran), "up_to_date": r.up_to_date,
                       "failed": len(r.failed), "reasons": r.reasons} for r in reports]))
if __name__ == "__main__":
    main()
"""


def run_stage(src: Path, project: Path, stage: str, jobs: int, where: Path) -> dict:
    script = where / "stage_child.py"
    script.write_text(STAGE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ANNUAL_FIGURES_ROOT"}
    env["PYTHONPATH"] = str(src)
    result = run_measured([sys.executable, str(script), str(project), stage, str(jobs)], env=env, sample_tree=True)
    if result["returncode"] != 0:
        raise SystemExit(f"{stage} stage with {src} on {project} failed:\n{result['stderr'][-3000:]}")
    result["steps"] = {r["step"]: r for r in json.loads(result["stdout"].strip().splitlines()[-1])}
    return result


def table_digests(project: Path) -> dict[str, str]:
    """sha256 of each table's CSV text, by its plain name: an interim part is compared by what it
    holds, whether the tree measured wrote it plain (before issue 12) or as .csv.gz."""
    files = [
        *(project / "data" / "processed" / n for n in ("comparison.csv", "checks.csv")),
        *(project / "data" / "interim").glob("*/*/comparison.csv*"),
        *(project / "data" / "interim").glob("*/*/checks.csv*"),
    ]
    return {
        str(p.relative_to(project)).removesuffix(".gz"): hashlib.sha256(
            gzip.decompress(p.read_bytes()) if p.name.endswith(".gz") else p.read_bytes()
        ).hexdigest()
        for p in sorted(files)
    }


def _why(steps: dict) -> str:
    compare = steps["compare"]
    reasons = "; ".join(f"{k}: {v}" for k, v in sorted(compare["reasons"].items())) or "-"
    return f"{compare['ran']} run, {compare['up_to_date']} up to date ({reasons})"


def _row(documents: int, run: str, tree: str, r: dict, same: str) -> str:
    steps = r["steps"]
    return (
        f"| {documents:,} | {run} | {tree} | {steps['compare']['seconds']:.2f} | "
        f"{steps.get('tables', {}).get('seconds', 0):.2f} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | "
        f"{r['peak_mb']:.0f} | {r.get('tree_peak_mb', 0):.0f} | {_why(steps)} | {same} |"
    )


def measure_size(documents: int, trees: dict[str, Path], args: argparse.Namespace, where: Path) -> dict:
    built, slots = build_project(where / "built", documents, args.years, args.seed)
    run_stage(ROOT / "src", built, "clean", args.jobs, where)
    extra = (where / "built" / f"extra_{documents}.txt").read_text(encoding="utf-8")
    body = slots[0][0]
    next_year = max(y for b, y in slots if b == body) + 1
    copies = {}
    for name in trees:
        copies[name] = where / f"{name}_{documents}"
        if copies[name].exists():
            shutil.rmtree(copies[name])
        shutil.copytree(built, copies[name])
    results: dict[str, dict[str, dict]] = {name: {} for name in trees}
    for run in ("first", "add one year"):
        for name, src in trees.items():
            if run == "add one year":
                _file_document(copies[name], body, next_year, extra)
                run_stage(ROOT / "src", copies[name], "clean", args.jobs, where)
            results[name][run] = run_stage(src, copies[name], "compare", args.jobs, where)
            results[name][run]["digests"] = table_digests(copies[name])
        digests = [results[n][run]["digests"] for n in trees]
        same = "identical" if all(d == digests[0] for d in digests) else "DIFFER"
        if len(trees) == 1:
            same = "-"
        for name in trees:
            print(_row(documents, run, name, results[name][run], same), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[41, 200], help="documents per corpus")
    parser.add_argument("--years", type=int, default=10, help="years per body")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2, help="workers of the stage (default 2)")
    parser.add_argument("--base", type=Path, required=True, help="the other checkout's src folder")
    parser.add_argument("--base-max", type=int, default=200, help="measure the base only up to this many documents")
    parser.add_argument("--this", type=Path, default=ROOT / "src", help="the checkout measured against it (src folder)")
    parser.add_argument("--workdir", type=Path, help="keep the projects here (default: a temp folder)")
    args = parser.parse_args(argv)
    for name in ("base", "this"):
        if not (getattr(args, name) / "pipeline" / "__init__.py").is_file():
            parser.error(f"--{name} {getattr(args, name)}: not a src folder (it has no pipeline/__init__.py)")
    where = args.workdir or Path(tempfile.mkdtemp(prefix="compare-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores; projects in {where}; base {args.base}; this {args.this}; load average {load:.2f}")
    print("\n| documents | run | checkout | compare s | tables s | wall s | CPU s (tree) | largest MB | tree MB "
          "| compare step | tables (both) |")  # fmt: skip
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    measured = {}
    for documents in args.sizes:
        trees = {"base": args.base} if documents <= args.base_max else {}
        trees["this"] = args.this
        measured[documents] = measure_size(documents, trees, args, where)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    for documents, by_tree in measured.items():
        if "base" in by_tree:
            for run in ("first", "add one year"):
                base, this = by_tree["base"][run], by_tree["this"][run]
                ratio = base["steps"]["compare"]["seconds"] / max(this["steps"]["compare"]["seconds"], 1e-9)
                print(f"- {documents:,} documents, {run}: compare step {ratio:.1f}x faster than the base "
                      f"(wall of the process {base['seconds'] / this['seconds']:.1f}x, CPU "
                      f"{base['cpu_seconds'] / max(this['cpu_seconds'], 1e-9):.1f}x)")  # fmt: skip
    sizes = sorted(measured)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        for name in ("base", "this"):
            if name in measured[small] and name in measured[large]:
                a, b = measured[small][name]["first"], measured[large][name]["first"]
                step = (b["steps"]["compare"]["seconds"] - a["steps"]["compare"]["seconds"]) / (large - small)
                cpu = (b["cpu_seconds"] - a["cpu_seconds"]) / (large - small)
                print(f"- {name}: marginal first-run compare step {step:.3f} s wall and {cpu:.3f} s CPU per "
                      f"document between {small:,} and {large:,}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
