"""`pipeline extract --format json`: typed values (the CSV's column meanings), one array for one
file, JSON Lines for many; and a folder run names what it decoded from GB18030/GBK."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal

from pipeline.extract.rows import COLUMN_TYPES, FIGURE_COLUMNS

from .conftest import SEED


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, text=True, timeout=300
    )


def assert_typed_like_the_csv(record: dict, csv_row: dict) -> None:
    """Each JSON field is what its CSV cell means: integers and numbers as JSON numbers of the
    same value, text as the same string, an empty cell as null."""
    assert list(record) == list(csv_row)
    for name, cell in csv_row.items():
        value = record[name]
        kind = COLUMN_TYPES[name]
        if kind == "integer":
            assert type(value) is int and value == int(cell), (name, value, cell)
        elif kind == "number":
            assert type(value) in (int, float) and Decimal(str(value)) == Decimal(cell), (name, value, cell)
            assert type(value) is int or value != int(value)  # 9, not 9.0
        elif cell == "":
            assert value is None, (name, value)
        else:
            assert type(value) is str and value == cell, (name, value, cell)


def test_one_file_gives_one_array_of_typed_values():
    as_csv = list(csv.DictReader(io.StringIO(run_cli("extract", SEED).stdout)))
    result = run_cli("extract", SEED, "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert isinstance(records, list) and len(records) == len(as_csv) == 61
    assert set(COLUMN_TYPES) == {"document", *FIGURE_COLUMNS, "page"}  # page: a PDF's only
    for record, row in zip(records, as_csv, strict=True):
        assert_typed_like_the_csv(record, row)
    first = records[0]
    assert (first["start"], first["text"], first["value"], first["unit"]) == (103, "9次", 9, "次")
    assert any(r["indicator_id"] is None for r in records)  # a label that maps to no indicator


def test_many_files_give_json_lines_of_typed_values(tmp_path):
    (tmp_path / "a.txt").write_text("全年召开常委会会议１０次，审议通过地方性法规3件。", encoding="utf-8")
    (tmp_path / "b.txt").write_text("满意率达98.6%，收集意见建议2万余条。", encoding="utf-8")
    as_csv = list(csv.DictReader(io.StringIO(run_cli("extract", tmp_path).stdout)))
    result = run_cli("extract", tmp_path, "--format", "json", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(as_csv) == 4 and not result.stdout.startswith("[")
    records = [json.loads(line) for line in lines]  # each line one object
    for record, row in zip(records, as_csv, strict=True):
        assert_typed_like_the_csv(record, row)
    assert [(r["value"], r["unit"], r["approx"]) for r in records] == [
        (10, "次", "exact"),
        (3, "件", "exact"),
        (98.6, "%", "exact"),
        (20000, "条", "more_than"),
    ]


def test_a_folder_run_names_a_gb18030_file_with_its_encoding(tmp_path):
    (tmp_path / "gbk.txt").write_bytes(("县人大常委会召开常委会会议7次,听取审议工作报告15个。" * 4).encode("gbk"))
    (tmp_path / "utf8.txt").write_text("全年召开常委会会议10次。", encoding="utf-8")
    alone = run_cli("extract", tmp_path / "gbk.txt")
    many = run_cli("extract", tmp_path, "--jobs", "2")
    assert alone.returncode == many.returncode == 0, many.stderr
    said = f"pipeline: note: {tmp_path / 'gbk.txt'} decoded as gb18030 (detected)"
    assert said in alone.stderr.splitlines()
    assert said in many.stderr.splitlines()
    assert "utf8.txt" not in many.stderr  # UTF-8 is not worth a line
