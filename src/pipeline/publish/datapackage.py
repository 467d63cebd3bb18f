"""data/processed/datapackage.json: a Frictionless Data Package describing the processed tables.

Figures, comparison, checks and documents, each with a Table Schema: field types, what each field
holds, and the allowed values of the classed fields, read from the code's own constants (never typed
again here). The version is the package's; the date is the newest date the data themselves carry,
never the clock, so the same data give the same bytes. figures.parquet carries the same descriptor
under the schema metadata key `datapackage` (its resource entry, as JSON).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline import __version__, paths
from pipeline.atomic import write_atomic, write_processed_csv, write_text_atomic
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
from pipeline.reference.indicators import default_taxonomy
from pipeline.reference.sources import PERIOD_KINDS, discover_sources
from pipeline.text.numerals import APPROX_CLASSES

NAME = "annual-figures"
TITLE = "人大常委会工作报告数字 · Figures from people's congress standing committee work reports"
LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
PARQUET_KEY = b"datapackage"

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

INTEGER = {"report_year", "start", "end", "sentence_start", "sentence_end"}
NUMBER = {"value", "baseline_value", "change", "pct_change"}
ENUMS: dict[str, tuple[str, ...]] = {
    "approx": APPROX_CLASSES,
    "period_kind": PERIOD_KINDS,
    "baseline_kind": BASELINE_KIND_VALUES,
    "coverage": COVERAGE,
    "previous_year_coverage": COVERAGE,
}
DESCRIPTIONS = {
    "body": "the body's id (data/reference/bodies.csv)",
    "report_year": "the year the document reports on",
    "period_start": "first day (or month, or year) of the period the figure covers",
    "period_end": "last day (or month, or year) of the period the figure covers",
    "period_kind": "what the period is: one year, a term total, a running total…",
    "kind": "actual (done) or target (planned)",
    "indicator_id": "the taxonomy's id of what was counted (data/reference/indicators.yaml); empty when none",
    "indicator_zh": "the indicator's Chinese label",
    "indicator_en": "the indicator's English label",
    "indicator": "the label of what was counted, as the text gives it",
    "value": "the figure in the base unit of `unit` (2万余条 -> 20000)",
    "unit": "the unit of `value` (件, 次, 人次, 元, %…)",
    "approx": "how exact the text says the figure is",
    "source_type": "document (a shipped document) or published (data/reference/published_figures.csv)",
    "source": "the document id (body/year/file) or the published source's URL",
    "start": "character offset of the figure in the document's decoded text",
    "end": "character offset just past the figure",
    "text": "the figure as written",
    "category": "the part of the work the indicator belongs to",
    "section": "the document's section heading",
    "evidence": "the sentence the figure came from, or the published source's title",
    "source_date": "the date of the source where known",
    "baseline_kind": "the comparison method, or why a row is shown but is no baseline",
    "coverage": "reported or not_stated in this year's document",
    "previous_year_coverage": "the same for the year before, or no_document",
    "check": "the consistency check",
    "status": "pass, fail or inconclusive",
    "explanation": "why the check has its outcome",
    "report": "the HTML report of the document, relative to reports/",
    "sha256": "sha256 of the raw file as received",
}
TABLES = {
    "figures": (PANEL_COLUMNS, "every figure of every document and every published fact, one a row"),
    "comparison": (COMPARISON_COLUMNS, "each indicator of a body's year against its comparable baselines"),
    "checks": (CHECK_COLUMNS, "consistency checks with their outcome and why"),
    "documents": (DOCUMENT_COLUMNS, "every document in the corpus with its source.yaml metadata"),
}
PRIMARY_KEYS = {"documents": ["body", "report_year"]}


def field(name: str) -> dict:
    out: dict = {"name": name, "type": "integer" if name in INTEGER else "number" if name in NUMBER else "string"}
    if name in DESCRIPTIONS:
        out["description"] = DESCRIPTIONS[name]
    if name in ENUMS:
        out["constraints"] = {"enum": list(ENUMS[name])}
    return out


def resource(name: str) -> dict:
    columns, description = TABLES[name]
    schema: dict = {"fields": [field(c) for c in columns], "missingValues": [""]}
    if name in PRIMARY_KEYS:
        schema["primaryKey"] = PRIMARY_KEYS[name]
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "description": description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "schema": schema,
    }


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
    for name, column in (("documents.csv", "date_published"), ("documents.csv", "date_accessed"),
                         ("figures.csv", "source_date")):  # fmt: skip
        path = processed / name
        if path.is_file():
            with path.open(encoding="utf-8-sig", newline="") as handle:
                dates += [r.get(column, "")[:10] for r in csv.DictReader(handle)]
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
        "profile": "tabular-data-package",
        "name": NAME,
        "title": TITLE,
        "version": __version__,
        **({"created": created(date)} if date else {}),
        "licenses": [LICENCE],
        "sources": sources(),
        "units": sorted({u for i in default_taxonomy() for u in i.units}),
        "resources": [resource(n) for n in present],
    }


def descriptor_json(desc: dict) -> str:
    return json.dumps(desc, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def add_parquet_metadata(path: Path, meta: dict) -> None:
    """Rewrite a Parquet file with `meta` (JSON) under the schema metadata key `datapackage`."""
    table = pq.read_table(path)
    existing = dict(table.schema.metadata or {})
    existing[PARQUET_KEY] = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8")
    table = table.replace_schema_metadata(existing)
    write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def write_datapackage(processed: Path | None = None) -> Path:
    """Write documents.csv and datapackage.json into data/processed, and the descriptor into the
    Parquet file's metadata."""
    processed = processed or paths.PROCESSED
    write_processed_csv(processed / "documents.csv", document_rows())
    desc = descriptor(processed)
    target = write_text_atomic(processed / "datapackage.json", descriptor_json(desc))
    parquet = processed / "figures.parquet"
    if parquet.is_file():
        package = {k: v for k, v in desc.items() if k != "resources"}
        add_parquet_metadata(parquet, {**package, "resource": resource("figures")})
    return target


def parquet_descriptor(path: Path) -> dict:
    """The descriptor a Parquet file carries ({} when it carries none)."""
    raw = (pq.read_schema(path).metadata or {}).get(PARQUET_KEY)
    return json.loads(raw) if raw else {}
