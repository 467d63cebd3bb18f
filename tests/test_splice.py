"""The panel and the comparison tables written by splicing: the blocks of bodies (body-years) that
did not change copied from last time's file, the others formatted afresh; the bytes are those of a
full build, whatever changed."""

import hashlib
import json

import pandas as pd
import pytest

from pipeline import interim_csv, paths, splice
from pipeline import panel as panel_step
from pipeline.csv_safety import safe_frame
from pipeline.errors import DataCheckError

from .test_incremental import project  # noqa: F401 - the fixture


@pytest.fixture
def template(project):  # noqa: F811
    from pipeline.extract import clean

    clean.clean_document("lvliang", 2023)
    part = project / "data" / "interim" / "lvliang" / "2023" / "figures.csv.gz"
    return pd.read_csv(part, dtype=str, keep_default_na=False)


def _put(root, template, body, year, note=""):
    """A part for body/year (a raw folder with a source.yaml, and its interim figure table): the
    template's rows as that document's, with awkward cells (quotes, commas, newlines, formulas)."""
    rows = template.copy()
    rows["body"], rows["report_year"] = body, str(year)
    rows["doc_id"] = f"{body}/{year}/report_{year}.txt"
    rows["period_start"], rows["period_end"] = f"{year}-01-01", f"{year}-12-31"
    rows.loc[rows.index[0], "sentence"] = f'他说："一、二,三"\n第二行\r\n{note}'
    rows.loc[rows.index[1], "section"] = "=SUM(A1),末尾"
    rows.loc[rows.index[2], "text"] = '"引号"' + note
    raw = root / "data" / "raw" / body / str(year)
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "source.yaml").write_text(f"body: {body}\nreport_year: {year}\n", encoding="utf-8")
    text = safe_frame(rows).to_csv(index=False, lineterminator="\n")
    interim_csv.write_table(root / "data" / "interim" / body / str(year) / "figures.csv.gz", text)


def _drop(root, body, year):
    (root / "data" / "raw" / body / str(year) / "source.yaml").unlink()


def _digests(tables):
    return {t: hashlib.sha256(t.read_bytes()).hexdigest() for t in tables}


def _changed(before, now):
    return {t for t in set(before) | set(now) if before.get(t) != now.get(t)}


def _same_as_full_build(root, incremental):
    full = root / "full"
    full.mkdir(exist_ok=True)
    panel_step.build_panel(processed_root=full)
    for name in ("figures.csv", "figures.parquet"):
        assert (incremental / name).read_bytes() == (full / name).read_bytes(), name


def test_the_panel_spliced_by_body_is_byte_identical_to_a_full_build(project, template, monkeypatch):  # noqa: F811
    out = project / "incremental"
    out.mkdir()
    # beijing and lvliang have published rows too; benxi only published rows
    for body, year in [("beijing", 2020), ("beijing", 2021), ("aaa", 2020), ("mmm", 2019), ("mmm", 2020)]:
        _put(project, template, body, year)
    tables = panel_step.current_interim_tables(paths.INTERIM, paths.RAW)
    _, read = panel_step.update_panel(tables, None, out)
    assert read == len(tables) == 6
    _same_as_full_build(project, out)
    copied = []
    # the kept bodies' rows stay Arrow: the whole panel is never made pandas
    monkeypatch.setattr(panel_step, "_laid_in_pandas", lambda *a: pytest.fail("the panel went through pandas"))
    real_copy = splice._copy_range
    monkeypatch.setattr(splice, "_copy_range", lambda s, o, a, n: copied.append(n) or real_copy(s, o, a, n))

    steps = [
        lambda: _put(project, template, "ccc", 2021),  # a body added
        lambda: (_drop(project, "beijing", 2021), _put(project, template, "beijing", 2022)),  # a year moved
        lambda: _put(project, template, "mmm", 2020, note="改过"),  # a document changed
        lambda: (_drop(project, "aaa", 2020), _drop(project, "mmm", 2019)),  # documents removed, a body gone
        lambda: _drop(project, "ccc", 2021),  # the one changed body gone, nothing in its place
        lambda: None,  # nothing
    ]
    for step in steps:
        before = _digests(tables)
        step()
        tables = panel_step.current_interim_tables(paths.INTERIM, paths.RAW)
        changed = _changed(before, _digests(tables))
        copied.clear()
        _, read = panel_step.update_panel(tables, changed, out)
        assert read == len([t for t in tables if t in changed])
        assert copied, "the unchanged bodies were copied"
        _same_as_full_build(project, out)


def test_a_last_panel_of_another_layout_is_still_spliced_right(project, template, monkeypatch):  # noqa: F811
    """Last time's figures.parquet in another schema than the new block's (its metadata here): the
    panel goes through pandas, and its bytes are still those of a full build."""
    import pyarrow.parquet as pq

    out = _first_panel(project, template)
    _put(project, template, "bbb", 2020)
    old = pq.read_table(out / "figures.parquet")
    pq.write_table(old.replace_schema_metadata({**old.schema.metadata, b"other": b"1"}), out / "figures.parquet")
    record = splice.record_path(panel_step.RECORD)
    data = json.loads(record.read_text(encoding="utf-8"))
    data["parquet_sha256"] = splice.file_digest(out / "figures.parquet")
    record.write_text(json.dumps(data), encoding="utf-8")
    used = []
    real = panel_step._laid_in_pandas
    monkeypatch.setattr(panel_step, "_laid_in_pandas", lambda *a: used.append(1) or real(*a))
    tables = panel_step.current_interim_tables(paths.INTERIM, paths.RAW)
    _, read = panel_step.update_panel(tables, {t for t in tables if "bbb" in str(t)}, out)
    assert read == 1 and used
    _same_as_full_build(project, out)


def test_the_row_digests_follow_the_blocks(project, template):  # noqa: F811
    """The panel step's digests of each body's rows: the same spliced or built whole, changed for
    a changed body alone, and none once the files are not the ones recorded."""
    out = project / "incremental"
    out.mkdir()
    for body, year in [("aaa", 2020), ("bbb", 2020), ("bbb", 2021)]:
        _put(project, template, body, year)
    tables = panel_step.current_interim_tables(paths.INTERIM, paths.RAW)
    panel_step.update_panel(tables, None, out)
    first = panel_step.row_digests(out)
    assert first is not None and {"aaa", "bbb", "lvliang"} <= set(first)
    assert first["nobody"] not in first.values()
    before = _digests(tables)
    _put(project, template, "bbb", 2021, note="改过")
    tables = panel_step.current_interim_tables(paths.INTERIM, paths.RAW)
    panel_step.update_panel(tables, _changed(before, _digests(tables)), out)
    spliced = panel_step.row_digests(out)
    assert {b for b in first if first[b] != spliced[b]} == {"bbb"}
    panel_step.update_panel(tables, None, out)  # built whole: the same digests
    assert panel_step.row_digests(out) == spliced
    panel_step.build_panel(processed_root=out)  # same bytes, but written without a record's care
    (out / "figures.parquet").write_bytes((out / "figures.parquet").read_bytes() + b"x")
    assert panel_step.row_digests(out) is None


def _first_panel(root, template):
    """A project with one body-year and its panel written in full, in root/incremental."""
    out = root / "incremental"
    out.mkdir()
    _put(root, template, "aaa", 2020)
    panel_step.update_panel(panel_step.current_interim_tables(paths.INTERIM, paths.RAW), None, out)
    return out


def _parts_read_after_adding(root, template, out, body, year) -> tuple[int, int]:
    """(parts read, parts there) when one body-year is added and the panel updated, that part named changed."""
    _put(root, template, body, year)
    tables = panel_step.current_interim_tables(paths.INTERIM, paths.RAW)
    _, read = panel_step.update_panel(tables, {tables[-1]}, out)
    return read, len(tables)


def test_a_panel_without_a_matching_record_is_written_whole(project, template):  # noqa: F811
    out = _first_panel(project, template)
    # figures.csv edited by hand since: its bytes are not the record's
    (out / "figures.csv").write_bytes((out / "figures.csv").read_bytes().replace(b"aaa", b"aab"))
    read, there = _parts_read_after_adding(project, template, out, "zzz", 2020)
    assert read == there
    _same_as_full_build(project, out)
    splice.record_path(panel_step.RECORD).unlink()  # and no record at all
    read, there = _parts_read_after_adding(project, template, out, "zzz", 2021)
    assert read == there
    _same_as_full_build(project, out)


def test_the_rows_of_a_changed_body_are_checked(project, template):  # noqa: F811
    out = _first_panel(project, template)
    bad = template.copy()
    bad.loc[bad.index[0], "approx"] = "roughly"
    _put(project, bad, "bbb", 2020)
    tables = panel_step.current_interim_tables(paths.INTERIM, paths.RAW)
    with pytest.raises(DataCheckError, match="unknown approx"):
        panel_step.update_panel(tables, {t for t in tables if "bbb" in str(t)}, out)
    _same_as_full_build_without(project, out, "bbb")


def _same_as_full_build_without(root, out, body):
    """The failed update left the last panel as it was."""
    assert body.encode() not in (out / "figures.csv").read_bytes()


def _rewrite_part(part, transform):
    text = interim_csv.read_text(part)
    interim_csv.write_table(part, transform(text))


def test_the_tables_spliced_by_part_are_the_tables_every_part_gives(project):  # noqa: F811
    from pipeline.compare.step import TABLES, assemble_tables

    from .test_incremental import _second_year

    _second_year(project)
    _second_year(project, 2021)
    run_all_quietly()
    processed = project / "data" / "processed"
    interim = project / "data" / "interim" / "lvliang"
    items = [("lvliang", 2021), ("lvliang", 2022), ("lvliang", 2023)]

    def full():
        splice.forget_record("comparison.csv")
        splice.forget_record("checks.csv")
        counts = assemble_tables(items, None)
        assert counts["parts_read"] == 2 * len(items)
        return {n: (processed / n).read_bytes() for n in TABLES}

    assert assemble_tables(items, set()) == {"parts_read": 0, "parts_parsed": 0}  # nothing changed: all copied
    whole = full()
    assert {n: (processed / n).read_bytes() for n in TABLES} == whole
    # a part of the middle year changed: a cell with a comma, quotes and a newline
    for name in TABLES:
        _rewrite_part(
            interim / "2022" / f"{name}.gz", lambda t: t.replace("lvliang,2022,", 'lvliang,2022,"a, ""b""\nc"', 1)
        )
    assert assemble_tables(items, {("lvliang", 2022)}) == {"parts_read": 2, "parts_parsed": 1}
    spliced = {n: (processed / n).read_bytes() for n in TABLES}
    assert spliced != whole and spliced == full()
    # a year gone, then back: the record names parts by body/year
    assert assemble_tables(items[1:], {("lvliang", 2021)})["parts_read"] == 0
    assert b"lvliang,2021," not in (processed / "comparison.csv").read_bytes()
    assemble_tables(items, {("lvliang", 2021)})
    assert {n: (processed / n).read_bytes() for n in TABLES} == full()
    # a table edited by hand since: no record of it as it is, every part read
    (processed / "checks.csv").write_bytes((processed / "checks.csv").read_bytes() + b"x\n")
    assert assemble_tables(items, set()) == {"parts_read": 3, "parts_parsed": 3}
    assert {n: (processed / n).read_bytes() for n in TABLES} == full()


def run_all_quietly():
    """The clean and compare stages in this process (the comparison parts and tables written)."""
    from pipeline.run import stages

    stages.clean_stage(jobs=1)
    stages.compare_stage(jobs=1)


def test_a_part_changed_behind_the_callers_back_is_read_all_the_same(project, template):  # noqa: F811
    out = project / "incremental"
    out.mkdir()
    for body in ("aaa", "bbb"):
        _put(project, template, body, 2020)
    tables = panel_step.current_interim_tables(paths.INTERIM, paths.RAW)
    panel_step.update_panel(tables, None, out)
    _put(project, template, "aaa", 2020, note="改过")
    _, read = panel_step.update_panel(tables, set(), out)  # told nothing changed
    assert read == 1
    _same_as_full_build(project, out)


def test_a_comparison_part_changed_behind_the_callers_back_is_read_all_the_same(project):  # noqa: F811
    from pipeline.compare.step import TABLES, assemble_tables

    run_all_quietly()
    processed = project / "data" / "processed"
    part = project / "data" / "interim" / "lvliang" / "2023" / "comparison.csv.gz"
    _rewrite_part(part, lambda t: t.replace("lvliang,2023,", 'lvliang,2023,"x\ny",', 1))
    assert assemble_tables([("lvliang", 2023)], set())["parts_read"] == 1  # the comparison part
    assert b'"x\ny"' in (processed / "comparison.csv").read_bytes()
    spliced = {n: (processed / n).read_bytes() for n in TABLES}
    assemble_tables([("lvliang", 2023)], None)
    assert spliced == {n: (processed / n).read_bytes() for n in TABLES}
