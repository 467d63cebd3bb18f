"""The panel: one long table of every figure, from shipped documents and from published facts.

Documents contribute the figures the clean step extracted (with offsets and the sentence as
evidence); data/reference/published_figures.csv contributes facts of other years and bodies (with
their URL). Checked before it is written; nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import paths, splice
from pipeline.atomic import write_atomic, write_processed_csv
from pipeline.csv_safety import restore_frame, safe_frame
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


def _typed(panel: pd.DataFrame) -> pd.DataFrame:
    panel["value"] = panel["value"].astype("float64")
    for column in ("report_year", "start", "end"):
        panel[column] = panel[column].astype("Int64")
    for column in PANEL_COLUMNS:
        if panel[column].dtype == object:
            panel[column] = panel[column].fillna("").astype(str)
    return panel


def assemble(docs: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Document rows and published rows -> the panel: typed, sorted, checked."""
    panel = _typed(pd.concat([docs, published], ignore_index=True)[PANEL_COLUMNS])
    panel = panel.sort_values(PANEL_SORT, kind="mergesort", na_position="first").reset_index(drop=True)
    check_panel(panel, len(docs) + len(published))
    return panel


def write_panel(panel: pd.DataFrame, processed_root: Path) -> None:
    write_processed_csv(processed_root / "figures.csv", panel)
    write_atomic(processed_root / "figures.parquet", lambda tmp: write_parquet(panel, tmp))


def write_parquet(panel: pd.DataFrame, target: Path) -> None:
    """The panel as Parquet, with its Table Schema under the schema metadata key `datapackage`."""
    pq.write_table(_arrow(panel), target)


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


RECORD = "figures"  # data/interim/.corpus/figures.offsets.json: where each body's block is in figures.csv


def _basis() -> str:
    """What decides a body's bytes besides its parts: the package, and the reference tables that
    give the published rows and the labels."""
    tables = [paths.reference(n) for n in ("published_figures.csv", "indicators.yaml", "bodies.csv")]
    return splice.basis(*(splice.file_digest(t) for t in tables))


def update_panel(
    tables: list[Path], changed: set[Path] | None, processed_root: Path | None = None
) -> tuple[pa.Table, int]:
    """The panel from per-document parts (the interim figure tables), re-reading only `changed` ones.

    The panel is sorted by body first, so a body is one block of rows (and of figures.csv's lines).
    A body none of whose parts changed keeps its block: its rows from the panel written last time
    (read once, one file), its lines copied from last time's figures.csv by the byte offsets
    recorded then (pipeline.splice); only the blocks of changed bodies are assembled, checked and
    formatted. `changed` None, or no record of last time's files as they are, builds every block.
    The kept bodies' rows stay Arrow (read, sliced, laid beside the new block, written): no pandas
    object is made for them. Returns the panel as the Arrow table written, byte-identical to what
    `build_panel` writes from the same parts, and how many parts were read."""
    processed_root = processed_root or paths.PROCESSED
    csv_path, parquet_path = processed_root / "figures.csv", processed_root / "figures.parquet"
    basis = _basis()
    record = None
    if changed is not None and parquet_path.is_file():
        record = splice.read_record(RECORD, csv_path, basis)
        if record is not None and record.get("parquet_sha256") != splice.file_digest(parquet_path):
            record = None
    published = published_rows(read_published())
    parts: dict[str, dict[str, str | None]] = {}  # each body's parts and their sha256, for the record
    for table in tables:
        body, year = _item_of(table)
        parts.setdefault(body, {})[str(year)] = splice.file_digest(table)
    if record is None:
        docs = rows_of_tables(tables)
        panel = assemble(docs, published)
        table = _arrow(panel)
        _write(table, csv_path, parquet_path, panel, None, basis, parts)
        return table, len(tables)
    assert changed is not None
    blocks = record["blocks"]
    bodies = {_item_of(t)[0] for t in changed}  # a removed part's body too
    # and any body whose parts are not those its block was made from (`changed` not the whole story)
    bodies |= {b for b in set(blocks) | set(parts) if blocks.get(b, {}).get("parts") != parts.get(b, {})}
    bodies |= set(published["body"]) - set(blocks)
    old = pq.read_table(parquet_path)  # Arrow: no Python objects for the bodies that are kept
    ranges = _table_body_ranges(old)
    bodies |= set(ranges) - set(blocks)
    in_changed = np.zeros(old.num_rows, dtype=bool)
    for body in bodies & set(ranges):
        a, b = ranges[body]
        in_changed[a:b] = True

    def kept_part(table: Path) -> bool:  # its rows in last time's panel are its rows now
        body, year = _item_of(table)
        return (
            table not in changed and blocks.get(body, {}).get("parts", {}).get(str(year), "") == parts[body][str(year)]
        )

    fresh_tables = [t for t in tables if _item_of(t)[0] in bodies and not kept_part(t)]
    fresh = rows_of_tables(fresh_tables)
    keep = {_item_of(t) for t in tables if _item_of(t)[0] in bodies and kept_part(t)}
    # the changed bodies' old rows, alone made pandas (as pd.read_parquet of the file would give them)
    old_changed = old.take(np.flatnonzero(in_changed)).to_pandas()
    old_changed = old_changed[(old_changed["source_type"] == "document").to_numpy()]
    kept = old_changed[
        [(b, int(y)) in keep for b, y in zip(old_changed["body"], old_changed["report_year"], strict=True)]
    ]
    docs = _in_part_order(kept, fresh, [t for t in tables if _item_of(t)[0] in bodies])
    block = assemble(docs, published[published["body"].isin(bodies)])
    unchanged = {b: span for b, span in ranges.items() if b not in bodies}
    _check_across(old, in_changed, block)
    table = _in_body_order(old, unchanged, block)
    expected = sum(b - a for a, b in unchanged.values()) + len(block)
    if table.num_rows != expected:
        raise DataCheckError(f"data/processed/figures: {expected} rows in, {table.num_rows} out")
    _write(table, csv_path, parquet_path, block, record, basis, parts)
    return table, int(len(fresh) and len(fresh_tables))


def _check_across(old: pa.Table, in_changed: np.ndarray, block: pd.DataFrame) -> None:
    """The whole-panel checks that span blocks (the others are row by row, done on the new block):
    no document's figures in two bodies' blocks."""
    ours = sorted(set(block.loc[block["source_type"] == "document", "source"]))
    if not ours:
        return
    theirs = pc.is_in(old.column("source"), value_set=pa.array(ours, pa.string()))
    theirs = pc.and_(theirs, pc.equal(old.column("source_type"), "document"))
    theirs = theirs.to_numpy(zero_copy_only=False) & ~in_changed
    if theirs.any():
        shared = sorted(set(old.column("source").take(np.flatnonzero(theirs)).to_pylist()))[0]
        raise DataCheckError(f"data/processed/figures: two document figures share a span ({shared})")


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A panel frame as the Arrow table write_parquet writes: one chunk per column (the file's pages
    then depend on the rows only, not on how the table was put together: a spliced panel is a few
    slices laid end to end), the schema metadata (pandas' and the Table Schema) in place."""
    table = pa.Table.from_pandas(frame, preserve_index=False).combine_chunks()
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **parquet_metadata(PANEL_COLUMNS)})


def _in_body_order(old: pa.Table, unchanged: dict[str, tuple[int, int]], block: pd.DataFrame) -> pa.Table:
    """The unchanged bodies' row ranges of `old` and the changed bodies' blocks, in body order, as
    the one Arrow table write_parquet would make of the whole panel; runs of adjacent old ranges
    are taken as one slice (no sort, no row-by-row take of the whole panel, no pandas object for
    the rows kept)."""
    new = _arrow(block) if len(block) else old.slice(0, 0)  # (an empty frame's columns have no type)
    fresh = _body_ranges(block)
    pieces: list[tuple[bool, int, int]] = []  # (from old?, first row, last row + 1)
    for body in sorted({*unchanged, *fresh}):
        from_old, (a, b) = (True, unchanged[body]) if body in unchanged else (False, fresh[body])
        if pieces and pieces[-1][0] == from_old and pieces[-1][2] == a:
            pieces[-1] = (from_old, pieces[-1][1], b)
        else:
            pieces.append((from_old, a, b))
    if old.schema.equals(new.schema, check_metadata=True):
        tables = [(old if from_old else new).slice(a, b - a) for from_old, a, b in pieces] or [new]
        return pa.concat_tables(tables).combine_chunks()
    return _laid_in_pandas(old, pieces, block)


def _laid_in_pandas(old: pa.Table, pieces: list[tuple[bool, int, int]], block: pd.DataFrame) -> pa.Table:
    """The same, through pandas: for last time's file laid out otherwise than the new block (cannot
    be on the same basis, but a file's schema is not worth a wrong panel)."""
    frame = old.to_pandas()
    frames = [(frame if from_old else block).iloc[a:b] for from_old, a, b in pieces] or [block]
    return _arrow(_typed(pd.concat(frames, ignore_index=True)[PANEL_COLUMNS]))


def _table_body_ranges(table: pa.Table) -> dict[str, tuple[int, int]]:
    """Each body's [first, last + 1) row in an Arrow panel sorted by body."""
    if not table.num_rows:
        return {}
    encoded = table.column("body").combine_chunks().dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    names = encoded.dictionary.to_pylist()
    edges = [0, *(np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist(), len(codes)]
    return {names[codes[a]]: (a, b) for a, b in itertools.pairwise(edges)}


def _body_ranges(panel: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Each body's [first, last + 1) row in a panel sorted by body."""
    values = panel["body"].to_numpy(dtype=object)
    if not len(values):
        return {}
    edges = [0, *(np.flatnonzero(values[1:] != values[:-1]) + 1).tolist(), len(values)]
    return {values[a]: (a, b) for a, b in itertools.pairwise(edges)}


def _csv_lines(safe: pd.DataFrame) -> bytes:
    """Rows as figures.csv's lines (pipeline.atomic.write_processed_csv, without its header and BOM)."""
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False, header=False, float_format="%.15g", lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def _write(table: pa.Table, csv_path, parquet_path, rows: pd.DataFrame, record, basis, parts) -> None:
    """figures.csv, body block by body block: a block's lines from `rows` (the changed bodies' rows,
    or with `record` None the whole panel) or, for a body not in it, copied from last time's file at
    the offsets `record` gives; then figures.parquet (`table`, the whole panel) and the new record."""
    splice.forget_record(RECORD)  # until the files it would describe are written
    safe = safe_frame(rows)
    fresh = _body_ranges(safe)
    buffer = io.StringIO()
    safe.iloc[:0].to_csv(buffer, index=False, lineterminator="\n")
    header = "\ufeff" + buffer.getvalue()
    pieces: list[tuple[str, bytes | tuple[int, int]]] = []
    for body in _table_body_ranges(table):
        if body in fresh:
            a, b = fresh[body]
            pieces.append((body, _csv_lines(safe.iloc[a:b])))
        else:
            start, end = record["blocks"][body]["bytes"]
            pieces.append((body, (start, end)))
    digests = {body: _block_digest(body, piece, record, csv_path) for body, piece in pieces}
    header_end, offsets = splice.write_blocks(csv_path, csv_path if record else None, header.encode("utf-8"), pieces)
    write_atomic(parquet_path, lambda tmp: pq.write_table(table, tmp))
    blocks = {
        body: {"bytes": span, "parts": parts.get(body, {}), "sha256": digests[body]} for body, span in offsets.items()
    }
    splice.write_record(RECORD, csv_path, basis, header_end, blocks, parquet_sha256=splice.file_digest(parquet_path))


def _block_digest(body: str, piece: bytes | tuple[int, int], record, csv_path: Path) -> str:
    """sha256 of a body's block of figures.csv: fresh lines, or last time's block as recorded then."""
    if isinstance(piece, bytes):
        return hashlib.sha256(piece).hexdigest()
    known = record["blocks"][body].get("sha256")
    if isinstance(known, str):
        return known
    with open(csv_path, "rb") as old:  # a record without the digests (cannot be on the same basis)
        old.seek(piece[0])
        return hashlib.sha256(old.read(piece[1] - piece[0])).hexdigest()


def row_digests(processed_root: Path | None = None) -> RowDigests | None:
    """A digest of each body's rows in the panel as it is written, from the panel step's record:
    its block of figures.csv (a faithful image of its rows, every column) on the record's basis
    (the package and the reference tables, which decide the published rows and the labels), so
    that a body's digest changes whenever any of its rows, or any published row, does. None when
    the record does not describe figures.csv and figures.parquet as they are (a panel written by
    `build_panel`, from JupyterLab, keeps none): callers then hash the rows themselves.
    A body not in the panel has no rows: its digest is that of no block on the same basis."""
    processed_root = processed_root or paths.PROCESSED
    csv_path, parquet_path = processed_root / "figures.csv", processed_root / "figures.parquet"
    basis = _basis()
    record = splice.read_record(RECORD, csv_path, basis)
    if record is None or record.get("parquet_sha256") != splice.file_digest(parquet_path):
        return None
    blocks = record["blocks"]
    if not all(isinstance(b.get("sha256"), str) for b in blocks.values()):
        return None
    return RowDigests(basis, {body: b["sha256"] for body, b in blocks.items()})


class RowDigests(dict):
    """body -> the digest of its rows (row_digests); a body without rows gets that of none."""

    def __init__(self, basis: str, blocks: dict[str, str]) -> None:
        super().__init__({body: _digest_on(basis, block) for body, block in blocks.items()})
        self.basis = basis

    def __missing__(self, body: str) -> str:
        return _digest_on(self.basis, "")


def _digest_on(basis: str, block: str) -> str:
    return hashlib.sha256(f"panel rows:{basis}:{block}".encode()).hexdigest()


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
