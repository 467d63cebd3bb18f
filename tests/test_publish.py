"""Issue 15: the data package, the Parquet metadata and the SQLite database of the processed tables."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import copy_project


def point_paths(mp: pytest.MonkeyPatch, root: Path) -> None:
    from pipeline import paths
    from pipeline.reference import indicators

    mp.setenv("ANNUAL_FIGURES_ROOT", str(root))
    subs = {"ROOT": "", "DATA": "data", "RAW": "data/raw", "REFERENCE": "data/reference", "INTERIM": "data/interim",
            "PROCESSED": "data/processed", "NOTEBOOKS": "notebooks", "REPORTS": "reports",
            "EXECUTED": "reports/_executed", "FAILED": "reports/_failed"}  # fmt: skip
    for name, sub in subs.items():
        mp.setattr(paths, name, root / sub if sub else root)
    indicators.default_taxonomy.cache_clear()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The seed cleaned, the panel built and compared in this process, then published."""
    from pipeline.compare.step import compare_year
    from pipeline.extract.clean import clean_document
    from pipeline.panel import build_panel
    from pipeline.publish.database import write_database
    from pipeline.publish.datapackage import write_datapackage
    from pipeline.reference import indicators

    root = copy_project(tmp_path_factory.mktemp("project"))
    with pytest.MonkeyPatch.context() as mp:
        point_paths(mp, root)
        clean_document("lvliang", 2023)
        build_panel()
        compare_year("lvliang", 2023)
        write_datapackage()
        write_database()
        yield root / "data" / "processed"
    indicators.default_taxonomy.cache_clear()


def header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle))


def test_datapackage_validates_with_frictionless(built):
    from frictionless import validate

    report = validate(str(built / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_fields_equal_the_csv_headers(built):
    desc = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    names = [r["name"] for r in desc["resources"]]
    assert names == ["figures", "comparison", "checks", "documents"]
    for r in desc["resources"]:
        assert [f["name"] for f in r["schema"]["fields"]] == header(built / r["path"]), r["name"]


def test_allowed_values_come_from_the_code(built):
    from pipeline.compare.semantics import COVERAGE
    from pipeline.reference.sources import PERIOD_KINDS
    from pipeline.text.numerals import APPROX_CLASSES

    desc = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    fields = {(r["name"], f["name"]): f for r in desc["resources"] for f in r["schema"]["fields"]}
    assert fields[("figures", "approx")]["constraints"]["enum"] == list(APPROX_CLASSES)
    assert fields[("figures", "period_kind")]["constraints"]["enum"] == list(PERIOD_KINDS)
    assert fields[("comparison", "coverage")]["constraints"]["enum"] == list(COVERAGE)
    assert "peer" in fields[("comparison", "baseline_kind")]["constraints"]["enum"]
    assert fields[("figures", "value")]["type"] == "number"
    assert fields[("figures", "report_year")]["type"] == "integer"
    assert desc["version"] and desc["licenses"] and desc["sources"]
    assert desc["created"][:4].isdigit()  # a date the data carry


def test_a_bad_value_fails_validation(built, tmp_path):
    """The test above can fail: an approx class the code does not know is an error."""
    from frictionless import validate

    for name in ("figures.csv", "comparison.csv", "checks.csv", "documents.csv", "datapackage.json"):
        (tmp_path / name).write_bytes((built / name).read_bytes())
    text = (tmp_path / "figures.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "figures.csv").write_text(text.replace(",exact,", ",exactish,", 1), encoding="utf-8-sig")
    assert validate(str(built / "datapackage.json")).valid
    assert not validate(str(tmp_path / "datapackage.json")).valid


def test_parquet_carries_the_descriptor(built):
    from pipeline.publish.datapackage import parquet_descriptor

    meta = parquet_descriptor(built / "figures.parquet")
    desc = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert meta["version"] == desc["version"] and meta["licenses"] == desc["licenses"] and meta["title"]
    assert meta["resource"] == desc["resources"][0]
    import pandas as pd

    assert list(pd.read_parquet(built / "figures.parquet").columns) == header(built / "figures.csv")


def test_same_data_same_bytes(built):
    from pipeline.publish.datapackage import descriptor, descriptor_json

    assert descriptor_json(descriptor(built)) == (built / "datapackage.json").read_text(encoding="utf-8")


def test_full_text_query_with_sqlite3_alone(built):
    con = sqlite3.connect(built / "annual_figures.sqlite")
    rows = con.execute(
        "SELECT sentence, body, report_year FROM evidence_fts WHERE evidence_fts MATCH ?", ('"常委会会议"',)
    ).fetchall()
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    figures = con.execute("SELECT count(*) FROM figures").fetchone()[0]
    con.close()
    assert rows and all("常委会会议" in r[0] for r in rows)
    assert {r[1] for r in rows} >= {"lvliang"}
    assert {"figures", "comparison", "checks", "documents", "evidence_fts"} <= names
    with (built / "figures.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert figures == sum(1 for _ in csv.reader(handle)) - 1


def test_the_readmes_query_of_a_sentences_figures_plans_one_scan_and_finds_them(built):
    """README's query for the figures of the sentences a phrase finds: figure_rows read once (a
    JOIN on sentence_id scans it once per matching sentence: minutes at corpus scale)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    query = "SELECT * FROM figure_rows WHERE sentence_id IN (SELECT rowid FROM evidence_fts WHERE evidence_fts MATCH ?)"
    assert '"SELECT * FROM figure_rows WHERE sentence_id IN "' in readme  # the query, as README writes it
    assert '"(SELECT rowid FROM evidence_fts WHERE evidence_fts MATCH ?)"' in readme
    con = sqlite3.connect(built / "annual_figures.sqlite")
    plan = [r[3] for r in con.execute(f"EXPLAIN QUERY PLAN {query}", ('"常委会会议"',))]
    found = len(con.execute(query, ('"常委会会议"',)).fetchall())
    expected = con.execute("SELECT count(*) FROM figures WHERE evidence LIKE '%常委会会议%'").fetchone()[0]
    con.close()
    assert sum(step.startswith("SCAN figure_rows") for step in plan) == 1 and "LIST SUBQUERY 1" in plan
    assert found == expected > 0


def typed_rows(path: Path, columns: list[str]) -> list[tuple]:
    """A processed CSV's rows as the data package types them ('' is NULL)."""
    from pipeline.publish.datapackage import field

    kinds = [field(c)["type"] for c in columns]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [
            tuple(None if v == "" else int(v) if k == "integer" else float(v) if k == "number" else v
                  for v, k in zip(row, kinds, strict=True))
            for row in reader
        ]  # fmt: skip


def test_every_table_of_the_package_is_in_the_database_as_it_is(built):
    """Under its own name: the package's fields in order, the CSV's rows in order, each value of its type."""
    desc = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    con = sqlite3.connect(built / "annual_figures.sqlite")
    for resource in desc["resources"]:
        fields = resource["schema"]["fields"]
        cursor = con.execute(f'SELECT * FROM "{resource["name"]}"')
        rows = cursor.fetchall()
        assert [d[0] for d in cursor.description] == [f["name"] for f in fields], resource["name"]
        expected = typed_rows(built / resource["path"], [f["name"] for f in fields])
        assert rows == expected and rows, resource["name"]
        # == holds 2015 == 2015.0: the types themselves
        python = {"integer": int, "number": float, "string": str}
        for f, column in zip(fields, zip(*rows, strict=True), strict=True):
            assert {type(v) for v in column if v is not None} <= {python[f["type"]]}, (resource["name"], f["name"])
    con.close()


def test_a_sentence_is_stored_once(built):
    """The figures point at their sentence; the full-text index keeps no copy of the text."""
    con = sqlite3.connect(built / "annual_figures.sqlite")
    stored = [r[1] for r in con.execute("PRAGMA table_info(figure_rows)")]
    sentences = con.execute("SELECT count(*) FROM sentences").fetchone()[0]
    distinct = con.execute("SELECT count(*) FROM (SELECT DISTINCT body, report_year, source, evidence FROM figures "
                           "WHERE evidence IS NOT NULL)").fetchone()[0]  # fmt: skip
    repeated = con.execute("SELECT count(*) FROM (SELECT sentence FROM sentences GROUP BY body, report_year, source, "
                           "sentence HAVING count(*) > 1)").fetchone()[0]  # fmt: skip
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    figures = con.execute("SELECT count(*) FROM figures").fetchone()[0]
    con.close()
    assert "evidence" not in stored and "indicator_zh" not in stored and "sentence_id" in stored
    assert sentences == distinct and repeated == 0 and figures > sentences
    assert "evidence_fts_content" not in names


def test_same_tables_same_database_bytes(built, tmp_path):
    from pipeline.publish.database import write_database

    write_database(built, tmp_path / "a.sqlite")
    write_database(built, tmp_path / "b.sqlite")
    assert (tmp_path / "a.sqlite").read_bytes() == (tmp_path / "b.sqlite").read_bytes()
    assert (tmp_path / "a.sqlite").read_bytes() == (built / "annual_figures.sqlite").read_bytes()
    # and other tables give other bytes (the test above can fail)
    for name in ("figures.csv", "comparison.csv", "checks.csv", "documents.csv"):
        (tmp_path / name).write_bytes((built / name).read_bytes())
    text = (tmp_path / "checks.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "checks.csv").write_text(text.replace(",pass,", ",fail,", 1), encoding="utf-8-sig")
    write_database(tmp_path, tmp_path / "c.sqlite")
    assert (tmp_path / "c.sqlite").read_bytes() != (tmp_path / "a.sqlite").read_bytes()


def test_a_csv_with_other_columns_is_refused(built, tmp_path):
    from pipeline.errors import DataCheckError
    from pipeline.publish.database import write_database

    (tmp_path / "figures.csv").write_text("body,value\nlvliang,1\n", encoding="utf-8-sig")
    with pytest.raises(DataCheckError, match="columns"):
        write_database(tmp_path)
    assert not (tmp_path / "annual_figures.sqlite").exists()


def test_search_finds_substrings_only_where_they_are(built):
    from pipeline.publish.database import search

    hits = search(built / "annual_figures.sqlite", "常委会会议")
    assert hits and all("常委会会议" in h[0] for h in hits)
    assert search(built / "annual_figures.sqlite", "不存在的短语啊") == []


def test_what_repeats_in_the_comparison_is_stored_once(built):
    """Notes and baselines are lookups; the view still gives every field of every row."""
    con = sqlite3.connect(built / "annual_figures.sqlite")
    stored = [r[1] for r in con.execute("PRAGMA table_info(comparison_rows)")]
    rows = con.execute("SELECT count(*) FROM comparison").fetchone()[0]
    notes = con.execute("SELECT count(*) FROM notes").fetchone()[0]
    distinct = con.execute("SELECT count(*) FROM (SELECT DISTINCT note, note_zh FROM comparison)").fetchone()[0]
    repeated = con.execute("SELECT count(*) FROM (SELECT 1 FROM baselines GROUP BY baseline_body, baseline_start, "
                           "baseline_end, baseline_period, baseline_kind, baseline_source HAVING count(*) > 1)"
                           ).fetchone()[0]  # fmt: skip
    figure_columns = [r[1] for r in con.execute("PRAGMA table_info(figure_rows)")]
    con.close()
    assert {"note", "note_zh", "baseline_source", "baseline_body"}.isdisjoint(stored)
    assert {"note_id", "baseline_id", "label_id"} <= set(stored)
    assert notes == distinct and repeated == 0 and rows > notes
    assert "source" not in figure_columns and "origin_id" in figure_columns


def test_awkward_cells_reach_the_database_as_the_csv_module_reads_them(built, tmp_path, monkeypatch):
    """Quotes, commas, line breaks (LF, CR, CRLF) inside a cell, an empty evidence (no sentence),
    one sentence shared by two rows: the database's rows are the CSV's, read by Python's csv module,
    also when the reader's blocks end inside a quoted cell."""
    from pipeline.publish import database_csv
    from pipeline.publish.database import search, write_database

    monkeypatch.setattr(database_csv, "BLOCK_BYTES", 2048)

    for name in ("figures.csv", "comparison.csv", "checks.csv", "documents.csv"):
        (tmp_path / name).write_bytes((built / name).read_bytes())
    with (tmp_path / "figures.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    at = rows[0].index("evidence")
    documents = [i for i, row in enumerate(rows) if i and row[rows[0].index("source_type")] == "document"]
    for number, i in enumerate(documents):
        rows[i][at] = f'{number}: "quoted",\n{rows[i][at]}\r\n'
    rows[documents[0]][at] = 'a "quoted", comma\r\nand a\rline\nbreak 常委会会议'
    rows[documents[1]][at] = rows[documents[0]][at]
    rows[documents[2]][at] = ""
    with (tmp_path / "figures.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    write_database(tmp_path, tmp_path / "db.sqlite")
    con = sqlite3.connect(tmp_path / "db.sqlite")
    stored = con.execute("SELECT * FROM figures").fetchall()
    sentence_ids = con.execute(  # in the CSV's order: the parts', then each part's rows'
        "SELECT r.sentence_id FROM figure_parts p CROSS JOIN figure_rows r ON r.id BETWEEN p.lo AND p.hi "
        "ORDER BY p.ord, r.id"
    ).fetchall()
    con.close()
    assert stored == typed_rows(tmp_path / "figures.csv", rows[0])
    assert stored[documents[0] - 1][at] == 'a "quoted", comma\r\nand a\rline\nbreak 常委会会议'
    assert sentence_ids[documents[0] - 1] == sentence_ids[documents[1] - 1]
    assert sentence_ids[documents[2] - 1] == (None,) and stored[documents[2] - 1][at] is None
    found = search(tmp_path / "db.sqlite", "line\nbreak")
    assert found and all("line\nbreak" in s for s, *_ in found)


def test_the_data_date_is_the_newest_date_the_panel_carries(tmp_path):
    import pandas as pd

    from pipeline.publish.datapackage import data_date

    dates = ["2023-05-01", None, "", "n.d.", "2024-01-02T08:00:00", "2023-12-31"] * 1000
    pd.DataFrame({"source_date": dates}).to_parquet(tmp_path / "figures.parquet")
    assert data_date(tmp_path) == "2024-01-02"  # each distinct value read once, the undated ones left out
    pd.DataFrame({"source_date": [None, "", "n.d."]}).to_parquet(tmp_path / "figures.parquet")
    assert data_date(tmp_path) == ""
