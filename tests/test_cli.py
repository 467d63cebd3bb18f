"""The CLI as a user meets it: `python -m pipeline extract …` in a subprocess."""

import csv
import io
import json
import subprocess
import sys

import pytest

from .conftest import FIXTURES, SEED

COLUMNS = ["start", "end", "text", "value", "unit", "approx", "indicator", "indicator_id", "sentence", "section"]


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_extract_csv_of_the_seed(tmp_path):
    # run from an unrelated folder: nothing depends on the current directory
    result = run_cli("extract", SEED, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert set(COLUMNS) <= set(rows[0])
    assert len(rows) == 61
    first = rows[0]
    assert (first["start"], first["end"], first["text"], first["value"], first["unit"]) == (
        "103",
        "105",
        "9次",
        "9",
        "次",
    )
    assert first["section"] == "前言"


def test_extract_json(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("全年召开常委会会议１０次，审议通过地方性法规3件。", encoding="utf-8")
    result = run_cli("extract", path, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["text"], r["value"], r["unit"]) for r in rows] == [("１０次", 10, "次"), ("3件", 3, "件")]


def test_a_utf8_document_leaves_stderr_empty():
    # this one has a paragraph opening with a lone character, which asks the word list (jieba)
    result = run_cli("extract", FIXTURES / "varied3" / "city_qinglan_deputy_work_2023.txt")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_gbk_file_is_decoded_and_said(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(("县人大常委会召开常委会会议7次,听取审议工作报告15个。" * 4).encode("gbk"))
    result = run_cli("extract", path)
    assert result.returncode == 0
    assert "decoded as gb18030" in result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["text"] for r in rows] == ["7次", "15个"] * 4


def _write(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (lambda d: d / "nope.txt", 3, "no such file"),
        (lambda d: d, 3, "is a directory"),
        (lambda d: _write(d / "empty.txt", b""), 4, "empty"),
        (lambda d: _write(d / "x.pdf", b"%PDF-1.4\n\x00\xff"), 4, "PDF"),
        (lambda d: _write(d / "junk.bin", bytes(range(1, 32)) * 50), 4, "not a text"),
    ],
    ids=["missing", "directory", "empty", "pdf", "control-bytes"],
)
def test_bad_input_gives_one_line_and_a_status(tmp_path, make, code, message):
    path = make(tmp_path)
    result = run_cli("extract", path)
    assert result.returncode == code
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pipeline: error:") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_usage_errors_are_one_line():
    result = run_cli("extract", "--format", "xml", SEED)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_changed_raw_file_is_refused(tmp_path):
    import shutil

    folder = tmp_path / "lvliang" / "2023"
    folder.mkdir(parents=True)
    shutil.copy(SEED.parent / "source.yaml", folder)
    (folder / SEED.name).write_bytes(SEED.read_bytes() + b"\n")
    result = run_cli("extract", folder / SEED.name)
    assert result.returncode == 5
    assert "sha256" in result.stderr


def test_run_takes_keep_going():
    from pipeline.cli import _build_parser

    assert _build_parser().parse_args(["run", "--keep-going"]).keep_going is True
    assert _build_parser().parse_args(["run", "-k"]).keep_going is True
    assert _build_parser().parse_args(["run"]).keep_going is False
