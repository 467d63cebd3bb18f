"""The corpus-level outputs of a run, in one call: the data package, the SQLite file, the indicator
pages, and what the index shows of them (the coverage view, the indicator list, extra downloads).

`report.render.write_index` calls `publish_corpus` before it writes the index; the step graph of
issue 12 can call it as a step of its own after the last compare step.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd

from pipeline import paths
from pipeline.atomic import atomic_path
from pipeline.display import note
from pipeline.panel import PANEL_COLUMNS
from pipeline.publish.database import NAME as DATABASE
from pipeline.publish.database import write_database
from pipeline.publish.datapackage import write_datapackage
from pipeline.reference.readers import known_bodies
from pipeline.reference.sources import discover_sources
from pipeline.report.indicator_pages import FOLDER, coverage, write_indicator_pages

EXTRA_DOWNLOADS = [
    ("documents.csv", "每份文件及其来源 · every document with its source metadata"),
    ("datapackage.json", "数据包描述（Frictionless）· the data package: every table's fields, types, units, licence"),
    (DATABASE, "SQLite 数据库，含证据句子全文检索 · all tables in SQLite, evidence sentences full-text searchable"),
]


def _copy_download(name: str, processed: Path, root: Path) -> bool:
    original = processed / name
    if not original.is_file():
        return False
    with atomic_path(root / "downloads" / name) as tmp:
        shutil.copyfile(original, tmp)
    return True


def publish_corpus(css: str, root: Path | None = None, processed: Path | None = None) -> dict:
    """Write everything issue 15 adds and return what the index shows of it ({} without a panel)."""
    root = root or paths.REPORTS
    processed = processed or paths.PROCESSED
    if not (processed / "figures.parquet").is_file() or not (processed / "figures.csv").is_file():
        return {}
    with (processed / "figures.csv").open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    if header != PANEL_COLUMNS:  # not a panel this package wrote: publish nothing rather than half
        note(f"{processed / 'figures.csv'}: not the panel's columns; data package, database and pages not written")
        return {}
    package = write_datapackage(processed)
    write_database(processed)
    date = json.loads(package.read_text(encoding="utf-8")).get("created", "")[:10]
    pages = write_indicator_pages(css, root, processed, date)
    panel = pd.read_parquet(processed / "figures.parquet", columns=["body", "report_year", "source_type"])
    grid = coverage(panel, [(s.body, s.report_year) for s in discover_sources()], known_bodies())
    downloads = [
        (name, f"downloads/{name}", description)
        for name, description in EXTRA_DOWNLOADS
        if _copy_download(name, processed, root)
    ]
    indicators = [(p.indicator.id, p.indicator.zh, p.indicator.en, f"{FOLDER}/{p.indicator.id}.html", len(p.rows))
                  for p in pages]  # fmt: skip
    return {"coverage": grid, "indicators": indicators, "downloads": downloads, "date": date}
