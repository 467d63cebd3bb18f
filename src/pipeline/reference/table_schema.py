"""The Table Schema of the processed tables' fields, shared by the panel (figures.parquet carries its
resource in the schema metadata) and the data package (publish.datapackage), so both say the same.

Field types, descriptions and the allowed values of classed fields, read from the code's constants.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pipeline import __version__
from pipeline.reference.sources import PERIOD_KINDS
from pipeline.text.numerals import APPROX_CLASSES

NAME = "annual-figures"
TITLE = "人大常委会工作报告数字 · Figures from people's congress standing committee work reports"
LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
PARQUET_KEY = b"datapackage"
FIGURES_DESCRIPTION = "every figure of every document and every published fact, one a row"

INTEGER = {"report_year", "start", "end", "sentence_start", "sentence_end"}
NUMBER = {"value", "baseline_value", "change", "pct_change"}
# the allowed values of the panel's classed fields; the data package adds the comparison's
ENUMS: dict[str, tuple[str, ...]] = {"approx": APPROX_CLASSES, "period_kind": PERIOD_KINDS}
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
    "note": "how the row was computed, in English",
    "note_zh": "how the row was computed, in Chinese (说明): the same note as `note`",
    "coverage": "reported or not_stated in this year's document",
    "previous_year_coverage": "the same for the year before, or no_document",
    "check": "the consistency check",
    "status": "pass, fail or inconclusive",
    "explanation": "why the check has its outcome",
    "report": "the HTML report of the document, relative to reports/",
    "sha256": "sha256 of the raw file as received",
}


def field(name: str, enums: Mapping[str, Sequence[str]] = ENUMS) -> dict:
    out: dict = {"name": name, "type": "integer" if name in INTEGER else "number" if name in NUMBER else "string"}
    if name in DESCRIPTIONS:
        out["description"] = DESCRIPTIONS[name]
    if name in enums:
        out["constraints"] = {"enum": list(enums[name])}
    return out


def resource(
    name: str, columns: Sequence[str], description: str, enums: Mapping[str, Sequence[str]] = ENUMS, key=()
) -> dict:
    schema: dict = {"fields": [field(c, enums) for c in columns], "missingValues": [""]}
    if key:
        schema["primaryKey"] = list(key)
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


def package_fields() -> dict:
    return {"profile": "tabular-data-package", "name": NAME, "title": TITLE, "version": __version__,
            "licenses": [LICENCE]}  # fmt: skip


def parquet_metadata(columns: Sequence[str]) -> dict[bytes, bytes]:
    """What figures.parquet carries under the schema metadata key `datapackage`: the package's title,
    version and licence and the figures resource, as JSON."""
    meta = {**package_fields(), "resource": resource("figures", columns, FIGURES_DESCRIPTION)}
    return {PARQUET_KEY: json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8")}
