"""How long issue 15's corpus outputs take at corpus scale: the data package, the SQLite file with its
full-text index, the indicator pages and the coverage (publish.corpus.publish_corpus).

Builds a throw-away project of N documents (default 1,000: 100 bodies x 10 years), each the seed's
text with a source.yaml of its own and the seed's extracted figures as its interim table (the clean
step is not what is measured), builds the panel, then times publish_corpus. Prints the time and
the sizes; compare it with the run's time at the same scale (benchmarks/README.md).

    .venv/bin/python benchmarks/publish.py [--documents 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "raw" / "lvliang" / "2023"


def make_project(dest: Path, documents: int) -> None:
    shutil.copytree(ROOT / "data" / "reference", dest / "data" / "reference")
    (dest / "src" / "pipeline").mkdir(parents=True)
    (dest / "pyproject.toml").write_text("", encoding="utf-8")
    meta = (SEED / "source.yaml").read_text(encoding="utf-8")
    seed_figures = None
    bodies = max(1, documents // 10)
    with (dest / "data" / "reference" / "bodies.csv").open("a", encoding="utf-8") as table:
        for b in range(bodies):
            english = f"Standing Committee of the Test {b:03d} Municipal People's Congress"
            table.write(f"b{b:03d},测试{b:03d}市人大常委会,{english},city,测试\n")
    for n in range(documents):
        body, year = f"b{n % bodies:03d}", 2014 + n // bodies
        folder = dest / "data" / "raw" / body / str(year)
        folder.mkdir(parents=True)
        shutil.copyfile(SEED / "000_27d8ef8a85ace649.txt", folder / "000_27d8ef8a85ace649.txt")
        text = meta.replace("body: lvliang", f"body: {body}").replace("report_year: 2023", f"report_year: {year}")
        text = text.replace("2023-01-01", f"{year}-01-01").replace("2023-12-31", f"{year}-12-31")
        (folder / "source.yaml").write_text(text, encoding="utf-8")
        interim = dest / "data" / "interim" / body / str(year)
        interim.mkdir(parents=True)
        if seed_figures is None:
            seed_figures = (ROOT / "data" / "interim" / "lvliang" / "2023" / "figures.csv").read_text(encoding="utf-8")
        lines = seed_figures.splitlines(keepends=True)
        out = [lines[0]] + [
            line.replace("lvliang/2023/", f"{body}/{year}/")
            .replace(",lvliang,", f",{body},")
            .replace(",2023,", f",{year},")
            for line in lines[1:]
        ]
        (interim / "figures.csv").write_text("".join(out), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    args = parser.parse_args()
    if not (ROOT / "data" / "interim" / "lvliang" / "2023" / "figures.csv").is_file():
        sys.exit("run `make run` first: the seed's interim figures are the documents' figures")
    with tempfile.TemporaryDirectory() as tmp:
        make_project(Path(tmp), args.documents)
        os.environ["ANNUAL_FIGURES_ROOT"] = tmp
        from pipeline.panel import build_panel
        from pipeline.publish.corpus import publish_corpus
        from pipeline.report.render import stylesheet

        started = time.perf_counter()
        panel = build_panel()
        panel_s = time.perf_counter() - started
        started = time.perf_counter()
        corpus = publish_corpus(stylesheet())
        publish_s = time.perf_counter() - started
        processed = Path(tmp) / "data" / "processed"
        db = (processed / "annual_figures.sqlite").stat().st_size / 1e6
        print(f"{args.documents} documents, {len(panel):,} panel rows")
        print(f"panel build (for scale): {panel_s:.2f} s")
        print(f"publish_corpus: {publish_s:.2f} s ({len(corpus['indicators'])} indicator pages, SQLite {db:.1f} MB)")


if __name__ == "__main__":
    main()
