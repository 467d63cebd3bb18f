"""The publish step at corpus scale: its time beside the rest of the run, and what a run leaves on disk.

    .venv/bin/python benchmarks/publish.py                      # 41 and 1,000 documents
    .venv/bin/python benchmarks/publish.py --sizes 41 --workdir /tmp/pub   # keep the projects

For each size it builds a throw-away project (benchmarks/corpus_run.build_project: synthetic
report-sized documents, 10 years per body, so 1,000 documents are 100 bodies x 10 years) and
measures `pipeline run` three times: first, again (nothing changed), and after one more year of
the first body. From the run's own step lines it takes the seconds of the publish step (data
package, SQLite, indicator pages, downloads) and of the index, and what the publish step did (pages
rendered and unchanged, the database written or not). It prints, side by side:

- per size and run: the run's wall time, the publish and index steps, the rest of the run, and the
  publish step as a share of the rest (issue 15: the pages and the database add at most 20 % at
  1,000 documents); CPU of the whole process tree and its peak memory;
- per size: the outputs in MB and MB per document, by folder, after the last run. A file is counted
  once however many names it has: reports/downloads are hard links to data/processed, so they add
  nothing (the apparent total, counting every name, is printed too).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import run_measured
from corpus_run import _file_document, build_project

STEP = re.compile(r"^pipeline: (\w+): (.*?); (?:done in ([0-9.]+) s|skipped: up to date)$", re.M)
# where each output lives, in the order a file's first name is looked for: data/processed before the
# downloads that link to it
FOLDERS = ("data/interim", "data/processed", "reports/indicators", "reports/downloads", "reports/_executed")


def steps(stderr: str) -> dict[str, tuple[float, str]]:
    """step -> (seconds, what its line says it covered); 0 s for a skipped step."""
    return {name: (float(seconds or 0), detail) for name, detail, seconds in STEP.findall(stderr)}


def folder_of(relative: Path) -> str:
    text = relative.as_posix()
    for folder in FOLDERS:
        if text.startswith(folder + "/"):
            return folder
    if text.startswith("reports/") and len(relative.parts) == 3 and relative.suffix == ".html":
        return "reports/<body>/<year>.html"
    return "reports/index.html and the rest" if text.startswith("reports/") else "other"


def sizes(project: Path) -> tuple[dict[str, int], int]:
    """Bytes by folder, each file once (by device and inode), and the apparent total over every name."""
    seen: set[tuple[int, int]] = set()
    by_folder: dict[str, int] = {}
    apparent = 0
    files = [p for p in project.rglob("*") if p.is_file() and not p.is_symlink()]
    order = {f: i for i, f in enumerate(FOLDERS)}
    files.sort(key=lambda p: (order.get(folder_of(p.relative_to(project)), len(order)), str(p)))
    for path in files:
        relative = path.relative_to(project)
        if relative.parts[:2] in (("data", "raw"), ("data", "reference")) or relative.parts[0] == "notebooks":
            continue
        st = path.stat()
        apparent += st.st_size
        if (st.st_dev, st.st_ino) in seen:
            by_folder.setdefault(folder_of(relative), 0)
            continue
        seen.add((st.st_dev, st.st_ino))
        folder = folder_of(relative)
        by_folder[folder] = by_folder.get(folder, 0) + st.st_size
    return by_folder, apparent


def measure(where: Path, documents: int, years: int, seed: int, options: list[str]) -> dict:
    project, slots = build_project(where, documents, years, seed)
    env = {k: v for k, v in os.environ.items() if k != "ANNUAL_FIGURES_ROOT"}
    cmd = [sys.executable, "-m", "pipeline", "--root", str(project), "run", *options]
    runs = {}
    for label in ("first", "again", "add one year"):
        if label == "add one year":
            body = slots[0][0]
            last = max(y for b, y in slots if b == body)
            text = (where / f"extra_{documents}.txt").read_text(encoding="utf-8")
            _file_document(project, body, last + 1, text)
        result = run_measured(cmd, env=env, sample_tree=True)
        if result["returncode"] != 0:
            raise SystemExit(f"{label} run of {documents} failed:\n{result['stderr'][-3000:]}")
        runs[label] = {**result, "steps": steps(result["stderr"])}
    by_folder, apparent = sizes(project)
    return {"runs": runs, "sizes": by_folder, "apparent": apparent, "documents": documents + 1}


def _parts(detail: str) -> str:
    """What the publish step's line says it did ('database written 1, pages removed 0, …')."""
    return detail.split("): ", 1)[1] if "): " in detail else ("skipped" if not detail else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[41, 1000], help="documents per corpus")
    parser.add_argument("--years", type=int, default=10, help="years per body")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep the projects here (default: a temp folder)")
    parser.add_argument("--run-option", action="append", default=[], help="passed to pipeline run (repeatable)")
    args = parser.parse_args(argv)
    where = args.workdir or Path(tempfile.mkdtemp(prefix="publish-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.2f} at the start; projects in {where}")
    print("\n| documents | run | wall s | publish s | index s | rest of the run s | publish / rest | "
          "publish did | CPU s (tree) | tree peak MB |")  # fmt: skip
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    measured = {}
    for documents in args.sizes:
        m = measured[documents] = measure(where, documents, args.years, args.seed, args.run_option)
        for label, r in m["runs"].items():
            publish, detail = r["steps"].get("publish", (0.0, ""))
            index = r["steps"].get("index", (0.0, ""))[0]
            rest = r["seconds"] - publish
            share = f"{100 * publish / rest:.1f} %" if rest > 0 else "–"
            print(f"| {documents:,} | {label} | {r['seconds']:.1f} | {publish:.1f} | {index:.1f} | {rest:.1f} | "
                  f"{share} | {_parts(detail)} | {r['cpu_seconds']:.1f} | {r.get('tree_peak_mb', 0):.0f} |",
                  flush=True)  # fmt: skip
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end\n")
    folders = sorted({f for m in measured.values() for f in m["sizes"]})
    print("| folder | " + " | ".join(f"{d:,} docs: MB (per document)" for d in measured) + " |")
    print("| --- |" + " ---: |" * len(measured))
    for folder in [*folders, "total (each file once)", "apparent (every name)"]:
        cells = []
        for m in measured.values():
            total = sum(m["sizes"].values())
            value = {"total (each file once)": total, "apparent (every name)": m["apparent"]}.get(
                folder, m["sizes"].get(folder, 0))  # fmt: skip
            cells.append(f"{value / 1e6:.1f} ({value / 1e6 / m['documents']:.3f})")
        print(f"| {folder} | " + " | ".join(cells) + " |")
    print("\nsizes after the add-one run (documents + 1); data/raw, data/reference and notebooks not counted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
