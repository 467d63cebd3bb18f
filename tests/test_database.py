"""Issue 12: the SQLite database updated from the last one, not rebuilt, when some bodies' rows
change; the update's bytes are a fresh build's."""

from __future__ import annotations

import csv
import hashlib
import sqlite3
from pathlib import Path

import pytest

from pipeline.publish import database
from pipeline.publish.database import NAME, write_database
from pipeline.publish.datapackage import TABLES, field

Rows = dict[str, list[dict[str, str]]]


def cell(column: str, body: str, year: int, i: int) -> str:
    kind = field(column)["type"]
    if column == "body":
        return body
    if column == "report_year":
        return str(year)
    if kind == "integer":
        return str(i * 7)
    if kind == "number":
        return f"{i}.5"
    if column in ("evidence", "note"):
        return f"{body} {year} 常委会会议第{i % 3}次"  # repeated: shared sentences and notes
    if column in ("indicator_id", "baseline_body", "source_type"):
        return f"{column}-{i % 2}"
    return f"{column} {body} {year % 2}"


def document(body: str, year: int, figures: int = 4) -> Rows:
    """One document's rows of each table."""
    make = lambda name, n: [{c: cell(c, body, year, i) for c in TABLES[name][0]} for i in range(n)]  # noqa: E731
    return {"figures": make("figures", figures), "comparison": make("comparison", 3),
            "checks": make("checks", 2), "documents": make("documents", 1)}  # fmt: skip


def corpus(*docs: tuple[str, int]) -> Rows:
    """The documents' rows, each table in the order of (body, year) as the pipeline writes them."""
    rows: Rows = {n: [] for n in TABLES}
    for body, year in sorted(docs):
        for name, more in document(body, year).items():
            rows[name] += more
    return rows


def write(folder: Path, rows: Rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in rows.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(TABLES[name][0])
            writer.writerows([r[c] for c in TABLES[name][0]] for r in table)
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def spy(monkeypatch):
    """Which way each build went: 'update' or 'fresh'."""
    ways: list[str] = []
    update, fresh = database._update, database._fresh
    monkeypatch.setattr(database, "_update", lambda *a: (ways.append("update"), update(*a))[1])
    monkeypatch.setattr(database, "_fresh", lambda *a: (ways.append("fresh"), fresh(*a))[1])
    return ways


def updated_equals_fresh(tmp_path: Path, before: Rows, after: Rows, spy: list[str]) -> Path:
    """A database of `before` updated to `after` has a fresh build of `after`'s bytes; returns it."""
    folder = write(tmp_path / "processed", before)
    write_database(folder)
    base = folder / NAME
    write(folder, after)
    counts = write_database(folder, base_sha256=sha(base))
    write_database(folder, tmp_path / "fresh.sqlite")
    assert spy == ["fresh", "update", "fresh"]
    assert base.read_bytes() == (tmp_path / "fresh.sqlite").read_bytes()
    assert counts == {n: len(after[n]) for n in TABLES}
    return base


def as_csv(con: sqlite3.Connection, name: str) -> list[list[str]]:
    """A table of the database as the CSV's texts (NULL ''; numbers as they were written)."""
    out = []
    for row in con.execute(f"SELECT * FROM {name}"):
        texts = []
        for column, value in zip(TABLES[name][0], row, strict=True):
            if value is None:
                texts.append("")
            elif field(column)["type"] == "number":
                texts.append(f"{value:.1f}")
            else:
                texts.append(str(value))
        out.append(texts)
    return out


def test_a_bodys_year_added(tmp_path, spy):
    before = corpus(("a", 2020), ("b", 2020), ("c", 2020))
    base = updated_equals_fresh(tmp_path, before, corpus(("a", 2020), ("b", 2020), ("b", 2021), ("c", 2020)), spy)
    con = sqlite3.connect(base)
    years = [r[0] for r in con.execute("SELECT report_year FROM figures WHERE body = 'b'")]
    assert years == [2020] * 4 + [2021] * 4
    con.close()


def test_a_documents_rows_changed(tmp_path, spy):
    before = corpus(("a", 2020), ("b", 2020))
    after = corpus(("a", 2020), ("b", 2020))
    for row in after["figures"][4:6] + after["comparison"][3:4]:
        row["value"] = "99.5"
    after["figures"][5]["evidence"] = "a new sentence of b 2020"
    after["comparison"][3]["note"] = "a new note"
    base = updated_equals_fresh(tmp_path, before, after, spy)
    con = sqlite3.connect(base)
    sentences = [r[0] for r in con.execute("SELECT sentence FROM sentences WHERE body = 'b'")]
    assert "a new sentence of b 2020" in sentences and "b 2020 常委会会议第1次" not in sentences  # no one's: dropped
    assert con.execute("SELECT count(*) FROM notes WHERE note = 'a new note'").fetchone() == (1,)
    con.close()


def test_a_document_removed(tmp_path, spy):
    before = corpus(("a", 2020), ("b", 2020), ("b", 2021))
    base = updated_equals_fresh(tmp_path, before, corpus(("a", 2020), ("b", 2021)), spy)
    con = sqlite3.connect(base)
    assert con.execute("SELECT count(*) FROM sentences WHERE report_year = 2020 AND body = 'b'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM evidence_fts WHERE evidence_fts MATCH '2020'").fetchone() == (3,)
    con.close()


def test_a_body_removed_and_new_ones_first_and_last(tmp_path, spy):
    before = corpus(("b", 2020), ("c", 2020))
    updated_equals_fresh(tmp_path, before, corpus(("a", 2020), ("c", 2020), ("d", 2021)), spy)


def test_awkward_cells(tmp_path, spy):
    """Quotes, commas and line breaks in cells (a body's too), and a body whose rows are not together."""
    before = corpus(("a", 2020), ("b", 2020))
    after = corpus(("a", 2020), ("b", 2020))
    after["figures"][4]["evidence"] = 'a "quoted", comma\r\nand a\rline\nbreak 常委会会议'
    after["comparison"][3]["note"] = 'say "x",\nthen y'
    after["figures"].append({**after["figures"][0], "evidence": "a again, after b"})  # a second run of a
    after["figures"][1]["body"] = after["figures"][0]["body"] = 'a "x",\ny'  # a quoted first cell
    base = updated_equals_fresh(tmp_path, before, after, spy)
    con = sqlite3.connect(base)
    texts = [[r[c] for c in TABLES["figures"][0]] for r in after["figures"]]
    assert [r[TABLES["figures"][0].index("evidence")] for r in as_csv(con, "figures")] == [
        t[TABLES["figures"][0].index("evidence")] for t in texts
    ]
    assert [r[0] for r in con.execute("SELECT body FROM figures")] == [t[0] for t in texts]
    con.close()


def test_unchanged_input_gives_the_same_bytes(tmp_path, spy):
    rows = corpus(("a", 2020), ("b", 2020))
    folder = write(tmp_path / "processed", rows)
    write_database(folder)
    first = (folder / NAME).read_bytes()
    write_database(folder, base_sha256=hashlib.sha256(first).hexdigest())
    assert spy == ["fresh", "update"] and (folder / NAME).read_bytes() == first


@pytest.mark.parametrize("how", ["bytes", "meta", "sha"])
def test_an_invalid_base_is_built_from_scratch(tmp_path, spy, how):
    folder = write(tmp_path / "processed", corpus(("a", 2020), ("b", 2020)))
    write_database(folder)
    base = folder / NAME
    recorded = sha(base)
    if how == "bytes":  # changed behind the record's back
        con = sqlite3.connect(base)
        con.execute("DELETE FROM figure_rows WHERE id IN (SELECT id FROM figure_rows LIMIT 1)")
        con.commit()
        con.close()
    elif how == "meta":  # another code's file, recorded as it is
        con = sqlite3.connect(base)
        con.execute("UPDATE meta SET value = 'other' WHERE key = 'code'")
        con.commit()
        con.close()
        recorded = sha(base)
    else:
        recorded = "0" * 64
    write(folder, corpus(("a", 2020), ("b", 2021)))
    write_database(folder, base_sha256=recorded)
    write_database(folder, tmp_path / "fresh.sqlite")
    assert spy[1] == ("update" if how == "meta" else "fresh") and spy[-2:] == ["fresh", "fresh"]
    assert base.read_bytes() == (tmp_path / "fresh.sqlite").read_bytes()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_failed_update_leaves_the_last_database(tmp_path, spy, monkeypatch):
    folder = write(tmp_path / "processed", corpus(("a", 2020)))
    write_database(folder)
    last = (folder / NAME).read_bytes()
    write(folder, corpus(("a", 2020), ("b", 2020)))
    monkeypatch.setattr(database, "_finish", lambda con, final: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        write_database(folder, base_sha256=hashlib.sha256(last).hexdigest())
    assert (folder / NAME).read_bytes() == last
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_the_views_read_in_order_without_sorting(tmp_path):
    folder = write(tmp_path / "processed", corpus(("a", 2020), ("b", 2020)))
    write_database(folder)
    con = sqlite3.connect(folder / NAME)
    for name in ("figures", "comparison"):
        plan = " ".join(r[-1] for r in con.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {name}"))
        assert "TEMP B-TREE" not in plan, plan
        plan = " ".join(r[-1] for r in con.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {name} WHERE body = 'b'"))
        assert "SEARCH r USING INTEGER PRIMARY KEY" in plan, plan  # a body's rows alone are read
        assert len(con.execute(f"SELECT * FROM {name} WHERE body = 'b'").fetchall()) == (4 if name == "figures" else 3)
    con.close()


def test_the_publish_step_updates_the_database_it_recorded(tmp_path, spy):
    from pipeline.publish.corpus import _database_base, _publish_one

    folder = write(tmp_path / "processed", corpus(("a", 2020)))
    _publish_one(("database", (str(folder), _database_base(None))))  # nothing recorded: built
    recorded = {"sha256": sha(folder / NAME), "rows": {}}
    write(folder, corpus(("a", 2020), ("a", 2021)))
    _publish_one(("database", (str(folder), _database_base(recorded))))
    assert spy == ["fresh", "update"]
    assert _database_base({"rows": {}}) is None and _database_base("junk") is None


def test_two_texts_under_one_id_fail_loudly(tmp_path, monkeypatch):
    import numpy as np

    from pipeline.errors import DataCheckError

    folder = write(tmp_path / "processed", corpus(("a", 2020), ("b", 2020)))
    monkeypatch.setattr(database, "_hashed", lambda distinct: np.ones(len(distinct[0]), dtype=np.int64))
    with pytest.raises(DataCheckError, match="one id"):
        write_database(folder)
    assert not (folder / NAME).exists()
