"""data/processed/datapackage.json: a Frictionless Data Package describing the processed tables.

Figures, comparison, checks and documents, each with a Table Schema: field types, what each field
holds, and the allowed values of the classed fields, read from the code's own constants (never typed
again here). The version is the package's; the date is the newest date the data themselves carry,
never the clock, so the same data give the same bytes. figures.parquet carries the package's title,
version, licence and its resource under the schema metadata key `datapackage`, written by the panel
step itself (reference.table_schema), so the file the compare steps hashed is never rewritten.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline import paths
from pipeline.atomic import write_processed_csv, write_text_atomic
from pipeline.compare.baselines import BASELINE_KINDS, COMPARISON_COLUMNS, NO_BASELINE
from pipeline.compare.checks import CHECK_COLUMNS
from pipeline.compare.semantics import (
    COVERAGE,
    LATER_KIND,
    NOT_COMPARABLE_KIND,
    OVERLAPPING_KIND,
    SAME_DOCUMENT_KIND,
)
from pipeline.panel import PANEL_COLUMNS
from pipeline.reference import table_schema
from pipeline.reference.indicators import default_taxonomy
from pipeline.reference.sources import PERIOD_KINDS, discover_sources

DOCUMENT_COLUMNS = [
    "body", "report_year", "body_name", "body_name_en", "title", "publisher", "url", "date_published",
    "date_accessed", "period_start", "period_end", "period_kind", "document_kind", "file", "encoding", "sha256",
    "report",
]  # fmt: skip

# what a baseline_kind may be: a method, none, a row shown but not used, or (for an indicator reported
# before and not this year) the period kind of the earlier figure
BASELINE_KIND_VALUES = tuple(
    dict.fromkeys(
        (*BASELINE_KINDS, NO_BASELINE, SAME_DOCUMENT_KIND, NOT_COMPARABLE_KIND, OVERLAPPING_KIND, LATER_KIND,
         *PERIOD_KINDS)
    )
)  # fmt: skip
ENUMS = {
    **table_schema.ENUMS,
    "baseline_kind": BASELINE_KIND_VALUES,
    "coverage": COVERAGE,
    "previous_year_coverage": COVERAGE,
}
TABLES = {
    "figures": (PANEL_COLUMNS, table_schema.FIGURES_DESCRIPTION),
    "comparison": (COMPARISON_COLUMNS, "each indicator of a body's year against its comparable baselines"),
    "checks": (CHECK_COLUMNS, "consistency checks with their outcome and why"),
    "documents": (DOCUMENT_COLUMNS, "every document in the corpus with its source.yaml metadata"),
}
PRIMARY_KEYS = {"documents": ("body", "report_year")}


def field(name: str) -> dict:
    return table_schema.field(name, ENUMS)


def resource(name: str) -> dict:
    columns, description = TABLES[name]
    # the figures resource is the panel's own (the one figures.parquet carries), without the comparison's enums
    enums = table_schema.ENUMS if name == "figures" else ENUMS
    return table_schema.resource(name, columns, description, enums, PRIMARY_KEYS.get(name, ()))


def document_rows() -> pd.DataFrame:
    """One row per document of data/raw, with what its source.yaml says."""
    rows = []
    for s in discover_sources():
        meta = {k: ("" if s.meta.get(k) is None else str(s.meta.get(k))) for k in DOCUMENT_COLUMNS}
        meta.update(body=s.body, report_year=str(s.report_year), file=s.path.name, sha256=s.sha256,
                    encoding=s.encoding, report=f"{s.body}/{s.report_year}.html")  # fmt: skip
        rows.append(meta)
    frame = pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)
    return frame.sort_values(["body", "report_year"], kind="mergesort").reset_index(drop=True)


def data_date(processed: Path) -> str:
    """The newest date the data carry (a document's publication or access date, a published fact's
    date): the package's date, so it never depends on the clock. '' when the data carry none."""
    dates: list[str] = []
    if (processed / "documents.csv").is_file():
        with (processed / "documents.csv").open(encoding="utf-8-sig", newline="") as handle:
            dates += [r.get(c, "")[:10] for r in csv.DictReader(handle) for c in ("date_published", "date_accessed")]
    if (processed / "figures.parquet").is_file():  # the panel's own copy of figures.csv: one column read, not all
        # each distinct date once: a few hundred of them, where the panel has a row per figure
        column = pd.read_parquet(processed / "figures.parquet", columns=["source_date"])["source_date"]
        dates += [str(d)[:10] for d in column.unique()]
    elif (processed / "figures.csv").is_file():
        with (processed / "figures.csv").open(encoding="utf-8-sig", newline="") as handle:
            dates += [r.get("source_date", "")[:10] for r in csv.DictReader(handle)]
    dates = [d for d in dates if len(d) >= 4 and d[:4].isdigit()]
    return max(dates) if dates else ""


def created(date: str) -> str:
    """A data date as the RFC 3339 datetime the spec's `created` wants ('2024' -> 2024-01-01T00:00:00Z)."""
    parts = [*date.split("-"), "01", "01"][:3]
    return f"{parts[0]}-{parts[1].zfill(2)}-{parts[2].zfill(2)}T00:00:00Z"


def sources() -> list[dict]:
    return [
        {"title": "人大常委会工作报告 (data/raw, each with its source.yaml) · the shipped work reports",
         "path": "documents.csv"},
        {"title": "已发布的数字 · published figures of other years and bodies, each with its URL",
         "path": "figures.csv"},
    ]  # fmt: skip


def descriptor(processed: Path) -> dict:
    present = [n for n in TABLES if (processed / f"{n}.csv").is_file()]
    date = data_date(processed)
    return {
        **table_schema.package_fields(),
        **({"created": created(date)} if date else {}),
        "sources": sources(),
        "units": sorted({u for i in default_taxonomy() for u in i.units}),
        "resources": [resource(n) for n in present],
    }


def descriptor_json(desc: dict) -> str:
    return json.dumps(desc, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def write_datapackage(processed: Path | None = None) -> Path:
    """Write documents.csv and datapackage.json into data/processed (figures.parquet carries its own
    part from the panel step: reference.table_schema.parquet_metadata)."""
    processed = processed or paths.PROCESSED
    write_processed_csv(processed / "documents.csv", document_rows())
    desc = descriptor(processed)
    target = write_text_atomic(processed / "datapackage.json", descriptor_json(desc))
    return target


def parquet_descriptor(path: Path) -> dict:
    """The descriptor a Parquet file carries ({} when it carries none)."""
    raw = (pq.read_schema(path).metadata or {}).get(table_schema.PARQUET_KEY)
    return json.loads(raw) if raw else {}
