"""The panel: one long table of every figure, from shipped documents and from published facts.

Documents contribute the figures the clean step extracted (with offsets and the sentence as
evidence); data/reference/published_figures.csv contributes facts of other years and bodies (with
their URL). Checked before it is written; nothing is dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import paths
from pipeline.atomic import write_atomic, write_processed_csv
from pipeline.csv_safety import restore_frame
from pipeline.display import note
from pipeline.errors import DataCheckError
from pipeline.paths import interim_figure_tables
from pipeline.reference.indicators import by_id, default_taxonomy
from pipeline.reference.published import read_published
from pipeline.reference.sources import PERIOD_KINDS
from pipeline.reference.table_schema import parquet_metadata
from pipeline.text.numerals import APPROX_CLASSES, is_plausible

PANEL_COLUMNS = [
    "body", "report_year", "period_start", "period_end", "period_kind", "kind",
    "indicator_id", "indicator_zh", "indicator_en", "indicator", "value", "unit", "approx",
    "source_type", "source", "start", "end", "text", "category", "section", "evidence", "source_date",
]  # fmt: skip
PANEL_SORT = ["body", "period_end", "period_start", "source_type", "source", "start"]


def _label_columns(ids: pd.Series) -> dict[str, list[str]]:
    """Chinese and English labels and category of each indicator id ('' where unmapped)."""
    indicators = by_id()
    return {
        "indicator_zh": [indicators[i].zh if i else "" for i in ids],
        "indicator_en": [indicators[i].en if i else "" for i in ids],
        "category": [indicators[i].category if i else "" for i in ids],
    }


def _report_year(period_end: str, period_kind: str) -> object:
    if period_kind in ("calendar_year", "session_year", "partial_year") and period_end[:4].isdigit():
        return int(period_end[:4])
    return pd.NA


def published_rows(table: pd.DataFrame) -> pd.DataFrame:
    labels = _label_columns(table["indicator_id"])
    rows = pd.DataFrame(
        {
            "body": table["body"],
            "report_year": [_report_year(e, k) for e, k in zip(table["period_end"], table["period_kind"], strict=True)],
            "period_start": table["period_start"],
            "period_end": table["period_end"],
            "period_kind": table["period_kind"],
            # a plan (计划, 预安排) is a target, not something done
            "kind": ["target" if re.search("计划|预安排", i) else "actual" for i in table["indicator_raw"]],
            "indicator_id": table["indicator_id"],
            **{k: v for k, v in labels.items() if k != "category"},
            "indicator": table["indicator_raw"],
            "value": table["value"],
            "unit": table["unit"],
            "approx": table["approx"],
            "source_type": "published",
            "source": table["source_url"],
            "start": pd.NA,
            "end": pd.NA,
            "text": "",
            "category": labels["category"],
            "section": "",
            "evidence": table["source_title"],
            "source_date": table["source_date"],
        }
    )
    return rows


def current_interim_tables(interim_root: Path, raw_root: Path) -> list[Path]:
    """The interim figure tables whose raw document is still there. `pipeline run` moves the
    folder of a removed document aside first; this keeps its figures out when the panel is built
    from JupyterLab, where nobody did."""
    current, orphaned = interim_figure_tables(interim_root, raw_root)
    for table in orphaned:
        note(f"{table.parent}: left out of the panel, its raw document is gone")
    return current


def document_rows(interim_root: Path, raw_root: Path | None = None) -> pd.DataFrame:
    return rows_of_tables(current_interim_tables(interim_root, raw_root or paths.RAW))


def rows_of_tables(tables: list[Path]) -> pd.DataFrame:
    """The panel rows of these interim figure tables (the per-document parts of the panel), in order."""
    frames = [restore_frame(pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")) for path in tables]
    if not frames:
        return pd.DataFrame(columns=PANEL_COLUMNS)
    figures = pd.concat(frames, ignore_index=True)
    return pd.DataFrame(
        {
            "body": figures["body"],
            "report_year": figures["report_year"].astype("int64"),
            "period_start": figures["period_start"],
            "period_end": figures["period_end"],
            "period_kind": figures["period_kind"],
            "kind": figures["kind"],
            "indicator_id": figures["indicator_id"],
            **{k: v for k, v in _label_columns(figures["indicator_id"]).items() if k != "category"},
            "indicator": figures["indicator"],
            "value": figures["value"],
            "unit": figures["unit"],
            "approx": figures["approx"],
            "source_type": "document",
            "source": figures["doc_id"],
            "start": figures["start"].astype("int64"),
            "end": figures["end"].astype("int64"),
            "text": figures["text"],
            "category": figures["category"],
            "section": figures["section"],
            "evidence": figures["sentence"],
            "source_date": figures["source_date"],
        }
    )


def check_panel(panel: pd.DataFrame, expected_rows: int) -> None:
    """Hard errors: lost rows, duplicate keys, unknown classes, implausible values."""
    problems = []
    if len(panel) != expected_rows:
        problems.append(f"{expected_rows} rows in, {len(panel)} out")
    documents = panel[panel["source_type"] == "document"]
    if documents.duplicated(["source", "start", "end"]).any():
        problems.append("two document figures share a span")
    bad_approx = sorted(set(panel["approx"]) - set(APPROX_CLASSES))
    if bad_approx:
        problems.append(f"unknown approx class(es) {bad_approx}")
    bad_kind = sorted(set(panel["period_kind"]) - set(PERIOD_KINDS))
    if bad_kind:
        problems.append(f"unknown period_kind(s) {bad_kind}")
    known = {u for i in default_taxonomy() for u in i.units}
    mapped_bad_unit = panel[(panel["indicator_id"] != "") & ~panel["unit"].isin(known)]
    if len(mapped_bad_unit):
        problems.append(f"{len(mapped_bad_unit)} mapped figure(s) with a unit no indicator allows")
    implausible = [(v, u) for v, u in zip(panel["value"], panel["unit"], strict=True) if not is_plausible(v, u)]
    if implausible:
        problems.append(f"{len(implausible)} implausible value(s), e.g. {implausible[0][0]} {implausible[0][1]}")
    if problems:
        raise DataCheckError("data/processed/figures: " + "; ".join(problems))


def assemble(docs: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Document rows and published rows -> the panel: typed, sorted, checked."""
    panel = pd.concat([docs, published], ignore_index=True)[PANEL_COLUMNS]
    panel["value"] = panel["value"].astype("float64")
    for column in ("report_year", "start", "end"):
        panel[column] = panel[column].astype("Int64")
    for column in PANEL_COLUMNS:
        if panel[column].dtype == object:
            panel[column] = panel[column].fillna("").astype(str)
    panel = panel.sort_values(PANEL_SORT, kind="mergesort", na_position="first").reset_index(drop=True)
    check_panel(panel, len(docs) + len(published))
    return panel


def write_panel(panel: pd.DataFrame, processed_root: Path) -> None:
    write_processed_csv(processed_root / "figures.csv", panel)
    write_atomic(processed_root / "figures.parquet", lambda tmp: write_parquet(panel, tmp))


def write_parquet(panel: pd.DataFrame, target: Path) -> None:
    """The panel as Parquet, with its Table Schema under the schema metadata key `datapackage`."""
    table = pa.Table.from_pandas(panel, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **parquet_metadata(PANEL_COLUMNS)})
    pq.write_table(table, target)


def build_panel(
    interim_root: Path | None = None,
    processed_root: Path | None = None,
    published: Path | None = None,
    raw_root: Path | None = None,
) -> pd.DataFrame:
    """Write data/processed/figures.csv (UTF-8 with BOM) and figures.parquet, sorted, atomically:
    the figures of every raw document that has been cleaned, and the published figures."""
    interim_root = interim_root or paths.INTERIM
    processed_root = processed_root or paths.PROCESSED
    docs = document_rows(interim_root, raw_root or paths.RAW)
    panel = assemble(docs, published_rows(read_published(published)))
    write_panel(panel, processed_root)
    return panel


def _item_of(table: Path) -> tuple[str, int]:
    return table.parent.parent.name, int(table.parent.name)


def update_panel(
    tables: list[Path], changed: set[Path] | None, processed_root: Path | None = None
) -> tuple[pd.DataFrame, int]:
    """The panel from per-document parts (the interim figure tables), re-reading only `changed` ones.

    The document rows of every other part come from the panel written last time (read once, one
    file), so a run that adds one document reads one part; `changed` None reads every part. Returns
    the panel, byte-identical to what `build_panel` writes from the same parts, and how many parts
    were read."""
    processed_root = processed_root or paths.PROCESSED
    previous = processed_root / "figures.parquet"
    published = published_rows(read_published())
    if changed is None or not previous.is_file():
        docs = rows_of_tables(tables)
        read = len(tables)
    else:
        old = pd.read_parquet(previous)
        old = old[old["source_type"] == "document"]
        keep = {_item_of(t) for t in tables if t not in changed}
        kept = old[[(b, int(y)) in keep for b, y in zip(old["body"], old["report_year"], strict=True)]]
        fresh = rows_of_tables([t for t in tables if t in changed])
        read = len(fresh) and sum(t in changed for t in tables)
        docs = _in_part_order(kept, fresh, tables)
    panel = assemble(docs, published)
    write_panel(panel, processed_root)
    return panel, int(read)


def _in_part_order(kept: pd.DataFrame, fresh: pd.DataFrame, tables: list[Path]) -> pd.DataFrame:
    """Kept and fresh document rows in the order build_panel would concatenate them (part by part):
    rows that tie on the sort key keep the order their part gives them."""
    order = {_item_of(t): i for i, t in enumerate(tables)}
    frames = [frame for frame in (kept, fresh) if len(frame)]
    if not frames:
        return pd.DataFrame(columns=PANEL_COLUMNS)
    both = pd.concat([f[PANEL_COLUMNS].astype({"report_year": "Int64"}) for f in frames], ignore_index=True)
    part = [order[(b, int(y))] for b, y in zip(both["body"], both["report_year"], strict=True)]
    return both.assign(_part=part).sort_values("_part", kind="mergesort").drop(columns="_part").reset_index(drop=True)
