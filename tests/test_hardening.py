"""Issue 16 (and issue 17's stale sizes): the attacks that went beyond docs/robustness.md, each
reproduced, each with the outcome the README promises. Rows of docs/robustness.md point here (H)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import cli, workers
from pipeline.atomic import write_processed_csv
from pipeline.csv_safety import restore_cell, restore_frame, safe_cell, safe_frame
from pipeline.errors import UnreadableDocument, UsageError
from pipeline.extract.figures import extract
from pipeline.extract.rows import (
    FIGURE_COLUMNS,
    document_figure_tuples,
    figure_tuples,
    json_record,
    pieces,
    write_figure_table,
)
from pipeline.panel import build_panel
from pipeline.reference.sources import check_body_year, period_bounds
from pipeline.report import charts
from pipeline.text.document import Document, decode_bytes, text_codec

from .conftest import SEED
from .test_bad_inputs import SOURCE_YAML, _edit, one_error_line, run_main

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def extract_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["extract", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_no_formula_cell(table: list[list[str]]) -> None:
    for row in table:
        for cell in row:
            assert not cell.startswith(TRIGGERS) or safe_cell(cell) == cell, (cell, row)


# ---------------------------------------------------------------- bug 2: spreadsheet formula injection


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+2", "'=1+2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("+cmd", "'+cmd"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),  # already quoted by someone: one more, so reading back is exact
        ("-3", "-3"),  # a number is a value, not a formula
        ("-1.35", "-1.35"),
        ("+2e3", "+2e3"),
        ("召开会议3次", "召开会议3次"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_formula_cells_are_quoted_and_read_back_exactly(text, written):
    assert safe_cell(text) == written
    assert restore_cell(written) == text


@given(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "1", ".", "e", "a", "召"]), max_size=8))
def test_safe_cells_read_back_as_written_and_start_no_formula(text):
    safe = safe_cell(text)
    assert restore_cell(safe) == text
    assert not safe.startswith(TRIGGERS) or safe == text  # only a plain number may keep its sign


@given(st.lists(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "1", ".", "e", "a", "召", "\n"]),
                        max_size=6), min_size=1, max_size=30))  # fmt: skip
def test_a_frame_is_made_safe_and_restored_as_cell_by_cell(texts):
    """safe_frame and restore_frame map only the cells their pattern finds (one vectorised match per
    column): the result is the cell-by-cell one, on pandas' string dtype and on object columns."""
    frame = pd.DataFrame({"s": pd.Series(texts, dtype="str"), "o": pd.Series([*texts[:-1], None], dtype=object),
                          "n": range(len(texts))})  # fmt: skip
    safe = safe_frame(frame)
    assert safe["s"].tolist() == [safe_cell(t) for t in texts] and safe["n"].tolist() == list(range(len(texts)))
    assert safe["o"].tolist()[:-1] == [safe_cell(t) for t in texts[:-1]] and pd.isna(safe["o"].iloc[-1])
    restored = restore_frame(safe.copy())
    assert restored["s"].tolist() == texts and restored["o"].tolist()[:-1] == texts[:-1]


def test_numbers_in_a_frame_are_not_text_cells():
    assert safe_cell(-3) == -3 and safe_cell(-1.5) == -1.5


HOSTILE_DOC = "@SUM(1) 召开会议3次。\n=1+2，完成人事任免67人次。\n-2+3 审议议案5件。\n"


def test_extract_output_has_no_formula_cell_and_json_keeps_the_text(tmp_path, capsys):
    path = tmp_path / "report.txt"
    path.write_text(HOSTILE_DOC, encoding="utf-8")
    code, out, _ = extract_cli(capsys, path)
    assert code == 0
    table = cells(out)
    assert_no_formula_cell(table)
    sentences = [row[table[0].index("sentence")] for row in table[1:]]
    assert "'@SUM(1) 召开会议3次。" in sentences and "'=1+2，完成人事任免67人次。" in sentences
    code, out, _ = extract_cli(capsys, path, "--format", "json")
    assert "@SUM(1) 召开会议3次。" in [row["sentence"] for row in json.loads(out)]


def test_batch_output_has_no_formula_cell(tmp_path, capsys):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(HOSTILE_DOC, encoding="utf-8")
    code, out, _ = extract_cli(capsys, tmp_path / "a.txt", tmp_path / "b.txt", "--jobs", "1")
    assert code == 0
    table = cells(out)
    assert len(table) == 7
    assert_no_formula_cell(table)
    assert "'@SUM(1) 召开会议3次。" in [row[table[0].index("sentence")] for row in table[1:]]


def test_processed_csv_quotes_text_keeps_numbers_and_reads_back(tmp_path):
    frame = pd.DataFrame({"label": ["=cmd|' /C calc'!A0", "召开会议"], "value": [-3.0, 9.0], "text": ["-3", "@x"]})
    write_processed_csv(tmp_path / "t.csv", frame)
    table = cells((tmp_path / "t.csv").read_text(encoding="utf-8-sig"))
    assert table[1] == ["'=cmd|' /C calc'!A0", "-3", "-3"]
    assert table[2] == ["召开会议", "9", "'@x"]
    back = restore_frame(pd.read_csv(tmp_path / "t.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"))
    assert back["label"].tolist() == frame["label"].tolist() and back["text"].tolist() == ["-3", "@x"]


def test_panel_csv_is_safe_and_parquet_keeps_a_published_label(project_copy):
    published = project_copy / "data" / "reference" / "published_figures.csv"
    text = published.read_text(encoding="utf-8")
    title = "[吕梁日报] 市四届人大一次会议举行第二次全体会议（刘振国作市人大常委会工作报告，第三届任期回顾）"
    published.write_text(text.replace(title, "=cmd|' /C calc'!A0", 1), encoding="utf-8")
    build_panel()
    processed = project_copy / "data" / "processed"
    table = cells((processed / "figures.csv").read_text(encoding="utf-8-sig"))
    assert_no_formula_cell(table)
    assert "'=cmd|' /C calc'!A0" in [row[table[0].index("evidence")] for row in table[1:]]
    parquet = pd.read_parquet(processed / "figures.parquet")
    assert "=cmd|' /C calc'!A0" in set(parquet["evidence"])


# ---------------------------------------------------------------- bug 3 and rough edges: source.yaml


def _bomb(root: Path) -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    path = root / SOURCE_YAML
    text = path.read_text(encoding="utf-8").replace("title: ", "old_title: ")
    path.write_text("\n".join(levels) + "\ntitle: *a8\n" + text, encoding="utf-8")


def _as_directory(root: Path) -> None:
    (root / SOURCE_YAML).unlink()
    (root / SOURCE_YAML).mkdir()


def _symlink_outside(root: Path) -> None:
    outside = root / "elsewhere.txt"
    raw = root / "data" / "raw" / "lvliang" / "2023" / SEED.name
    raw.rename(outside)
    raw.symlink_to(outside)


BAD_SOURCES = {
    "alias-bomb": (_bomb, "aliases expand to more than 10,000 values"),
    "title-a-mapping": (_edit(SOURCE_YAML, "title: ", "title: {a: 1}\nold_title: "), "title is a mapping"),
    "title-too-long": (_edit(SOURCE_YAML, "title: ", f"title: {'长' * 5000}\nold_title: "),
                       "title is 5,000 characters"),
    "duplicate-key": (_edit(SOURCE_YAML, "period_kind:", "body: datong\nperiod_kind:"), "duplicate key 'body'"),
    "impossible-month": (_edit(SOURCE_YAML, "period_start: 2023-01-01", "period_start: 2023-13-45"),
                         "period_start '2023-13-45' names no real day or month"),
    "impossible-day": (_edit(SOURCE_YAML, "date_published: null", "date_published: 2023-02-30"),
                       "date_published '2023-02-30' names no real day or month"),
    "trailing-newline": (_edit(SOURCE_YAML, "period_start: 2023-01-01", 'period_start: "2023\\n"'),
                         "period_start '2023\\n' is not YYYY, YYYY-MM or YYYY-MM-DD"),
    "fractional-year": (_edit(SOURCE_YAML, "report_year: 2023", "report_year: 2023.9"),
                        "report_year 2023.9 is not a year"),
    "start-after-end": (_edit(SOURCE_YAML, "period_start: 2023-01-01", "period_start: 2024-02"),
                        "period_start 2024-02-01 is after period_end 2023-12-31"),
    "source-yaml-a-directory": (_as_directory, "source.yaml: is a directory, not a file"),
    "raw-symlink-outside": (_symlink_outside, "outside the raw folder; raw documents are kept in data/raw"),
    "stale-bytes": (_edit(SOURCE_YAML, "bytes: 13772", "bytes: 13000"),
                    "bytes: says 13000, 000_27d8ef8a85ace649.txt has 13772"),
    "stale-characters": (_edit(SOURCE_YAML, "characters: 4918", "characters: 4000"),
                         "characters: says 4000, the decoded text has 4918"),
    "encoding-not-text": (_edit(SOURCE_YAML, "encoding: utf-8", "encoding: punycode"),
                          "encoding 'punycode' in source.yaml: punycode is not an encoding of text files"),
}  # fmt: skip


@pytest.mark.parametrize(("change", "message"), BAD_SOURCES.values(), ids=BAD_SOURCES.keys())
def test_hostile_or_wrong_source_yaml_is_exit_5_naming_the_field(project_copy, capsys, change, message):
    change(project_copy)
    code, err = run_main(capsys)
    assert code == 5, err
    assert message in one_error_line(err)
    assert not (project_copy / "reports" / "_failed").exists()


def test_period_bounds_know_real_days():
    assert period_bounds("2023") == (pd.Timestamp("2023-01-01").date(), pd.Timestamp("2023-12-31").date())
    assert period_bounds("2024-02")[1].day == 29
    for bad in ("2023-02-30", "2022-13", "2023\n", "2023-1", "٢٠٢٣"):
        assert period_bounds(bad) is None


@pytest.mark.parametrize("period", ["2022-02-30", "2022-13"])
def test_published_rows_with_impossible_dates_are_refused(project_copy, capsys, period):
    _edit("data/reference/published_figures.csv", ",2017,2022-02,term_total,组织", f",2017,{period},term_total,组织")(
        project_copy
    )
    code, err = run_main(capsys)
    assert code == 6
    assert f"period '2017' to '{period}' is not YYYY, YYYY-MM or YYYY-MM-DD" in one_error_line(err)


def test_an_id_with_a_final_line_break_is_no_id():
    with pytest.raises(UsageError):
        check_body_year("lvliang\n", 2023)


# ---------------------------------------------------------------- bug 5: codecs that are not text encodings


@pytest.mark.parametrize("encoding", ["rot13", "base64", "hex", "punycode", "unicode_escape", "zlib", "idna"])
def test_non_text_codecs_are_usage_errors(tmp_path, capsys, encoding):
    path = tmp_path / "report.txt"
    path.write_text("召开会议3次。\n", encoding="utf-8")
    code, out, err = extract_cli(capsys, path, "--encoding", encoding)
    assert code == 2 and out == ""
    assert f"--encoding {encoding!r}: " in one_error_line(err)


def test_text_codecs_are_accepted():
    assert [text_codec(name) for name in ("utf-8", "GBK", "big5", "utf-16-le", "latin-1")] == [
        "utf-8", "gbk", "big5", "utf-16-le", "iso8859-1"
    ]  # fmt: skip


def test_a_decoding_that_makes_a_lone_surrogate_is_unreadable():
    with pytest.raises(UnreadableDocument, match="lone surrogate"):
        decode_bytes("召开会议3次。".encode("utf-7") + b"+2AA-", "utf-7")


# ---------------------------------------------------------------- bug 7: --jobs


def test_jobs_are_capped_at_the_chunks_and_the_cores():
    said: list[str] = []
    assert workers.check_jobs(99999, 10, say=said.append) == min(10, workers.WORKERS_PER_CORE * workers.cores())
    assert "--jobs 99999 capped at" in said[0]
    assert workers.check_jobs(None, 1, say=said.append) == 1 and len(said) == 1  # no number given: nothing to say
    assert workers.check_jobs(1, 100, say=said.append) == 1 and len(said) == 1
    with pytest.raises(ValueError):
        workers.check_jobs(0, 3)


def test_huge_jobs_runs_with_a_few_workers_and_says_so(tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text("召开会议3次。\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "extract", str(tmp_path), "--jobs", "99999"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pipeline: note: --jobs 99999 capped at " in result.stderr
    assert len(cells(result.stdout)) == 4


POOL_PROBE = """
import sys
from pipeline.fanout import open_executor
with open_executor("pool", 2, "", 2, preload=tuple(sys.argv[1:])) as pool:
    print(pool.submit(eval, "__import__('sys').modules.__contains__('pipeline.run.stages')").result())
"""


@pytest.mark.parametrize(("preload", "loaded"), [((), "False"), (("pipeline.run.stages",), "True")])
def test_pool_workers_start_with_the_preloaded_modules_imported(preload, loaded):
    # a fresh interpreter each: the fork server is started once per process, with the preload of its first pool
    result = subprocess.run([sys.executable, "-c", POOL_PROBE, *preload], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == loaded


# ---------------------------------------------------------------- bug 8: mathtext in names


def test_names_with_mathtext_are_drawn_as_text():
    name = r"$\undefinedmacro{x}$ 吕梁市"
    panel = charts.Panel(name + "\nsessions", (charts.Bar(name, 9, "this_year"), charts.Bar("$x^2$", 3, "peer")))
    series = [charts.Series(name, "次", ((2022.0, 1, "2022"), (2023.0, 2, "$2023$")))]
    for drawing in (charts.parts_chart([(name, 1, 2)], name), charts.baselines_chart([panel]),
                    charts.series_chart(series)):  # fmt: skip
        drawn = [t[4] for t in drawing.texts]
        assert name in drawn or f"{name}（次）" in drawn  # every character set as it is, nothing parsed
        assert drawing.missing == set()
        ET.fromstring(drawing.svg(name))  # and the SVG is well formed


# ---------------------------------------------------------------- bug 11 and Arabic-Indic digits


@pytest.mark.parametrize("mark", ["\u200b", "\u2060", "\u200d", "\ufeff", "\u200b\u200c"])
def test_zero_width_characters_inside_a_number_are_ignored_keeping_offsets(mark):
    raw = f"今年召开会议1{mark}2次，审议议案3次。"
    figures = extract(Document("x", raw, "utf-8")).figures
    assert [(f.value, f.unit) for f in figures][:1] == [(12, "次")]
    assert all(raw[f.start : f.end] == f.text for f in figures)
    assert figures[0].text == f"1{mark}2次"


def test_arabic_indic_digits_are_not_read_as_a_figure():
    raw = "今年召开会议٣٤次，审议议案۵件，听取报告12次。"
    figures = extract(Document("x", raw, "utf-8")).figures
    assert [(f.text, f.value) for f in figures] == [("12次", 12)]


# ---------------------------------------------------------------- rough edges of pipeline extract


def test_an_empty_path_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.txt").write_text("召开会议3次。\n", encoding="utf-8")
    code, out, err = extract_cli(capsys, "")
    assert code == 2 and out == ""
    assert "an empty path was given (an unset variable?)" in one_error_line(err)


def test_output_that_is_a_directory_is_named_as_given(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("召开会议3次。\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    code, _, err = extract_cli(capsys, tmp_path / "a.txt", "-o", tmp_path / "out")
    assert code == 2
    line = one_error_line(err)
    assert f"--output {tmp_path / 'out'}: is a directory" in line and ".tmp" not in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_and_symlinks_in_a_batch_folder_are_named(tmp_path, capsys):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text("召开会议3次。\n", encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    (folder / "dangling.txt").symlink_to(folder / "gone.txt")
    (tmp_path / "secret.txt").write_text("召开会议4次。\n", encoding="utf-8")
    (folder / "outside.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "inside.txt").symlink_to(folder / "good.txt")
    code, out, err = extract_cli(capsys, folder, "--jobs", "1")
    assert code == 3
    assert f"{folder / 'pipe.txt'}: not a regular file" in err
    assert f"{folder / 'dangling.txt'}: a symlink to {folder / 'gone.txt'}, which does not exist" in err
    assert f"{folder / 'outside.txt'}: a symlink to {tmp_path / 'secret.txt'}, outside {folder}" in err
    documents = {row[0] for row in cells(out)[1:]}
    assert documents == {str(folder / "good.txt"), str(folder / "inside.txt")}


# ---------------------------------------------------------------- memory: a dense document, streamed


DENSE = "召开会议1次，"


def test_a_long_document_is_extracted_in_pieces_with_offsets_into_the_whole():
    raw = DENSE * 3000 + "\n" + "完成人事任免67人次。" * 50
    document = Document("x", raw, "utf-8")
    whole = figure_tuples(extract(document))
    pieced = list(document_figure_tuples(document, size=5000))
    assert len(pieces(document.norm, 5000)) > 3
    assert [row[:6] for row in pieced] == [row[:6] for row in whole]
    assert all(raw[row[0] : row[1]] == row[2] for row in pieced)
    assert all(raw[row[11] : row[12]].replace("\n", " ").strip() for row in pieced)


def test_pieces_never_cut_inside_a_numeral():
    text = "12345678" * 100
    spans = pieces(text, 64)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a < b for a, b in spans) and all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))


def test_the_streamed_writer_matches_the_json_and_csv_of_a_whole_table():
    document = Document("x", SEED.read_text(encoding="utf-8"), "utf-8")
    rows = figure_tuples(extract(document))
    out = io.StringIO()
    assert write_figure_table(iter(rows), out, "json") == len(rows)
    whole = [json_record(FIGURE_COLUMNS, row) for row in rows]  # typed, as pipeline extract gives it
    assert out.getvalue() == json.dumps(whole, ensure_ascii=False, indent=1) + "\n"
    empty = io.StringIO()
    write_figure_table(iter([]), empty, "json")
    assert empty.getvalue() == "[]\n"


def test_a_dense_document_is_written_in_bounded_memory(tmp_path):
    """`pipeline extract` on 3 MiB of dense figures stays under 350 MB resident: the table built whole
    (every figure, its rows, then its text) needed 556 MB. Resident memory, not an address-space
    limit: importing pandas 3 alone reserves about 370 MB of address space it never touches."""
    path = tmp_path / "dense.txt"
    path.write_text(DENSE * (3 * 1024 * 1024 // len(DENSE.encode())), encoding="utf-8")
    # the child reads its own high-water mark: wait4's ru_maxrss would count the forked test process
    script = (
        "import sys; from pipeline.extract import rows; rows.PIECE_CHARS = 200_000; from pipeline import cli\n"
        "code = cli.main(sys.argv[1:])\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n"
        "sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "extract", str(path), "-o", str(tmp_path / "o.csv")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    peak_kb = int(result.stdout.split()[-1])
    assert peak_kb < 350 * 1024, f"peak resident {peak_kb / 1024:.0f} MB"
    with (tmp_path / "o.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 3 * 1024 * 1024 // len(DENSE.encode()) + 1


@given(
    digits=st.text(alphabet="0123456789", min_size=2, max_size=6).filter(lambda d: d[0] != "0"),
    marks=st.lists(st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]), min_size=1, max_size=3),
    at=st.integers(min_value=1, max_value=5),
)
def test_a_number_with_zero_width_characters_reads_as_the_number_without(digits, marks, at):
    at = min(at, len(digits) - 1)
    raw = f"今年审议议案{digits[:at]}{''.join(marks)}{digits[at:]}件。"
    plain = [(f.value, f.unit) for f in extract(Document("x", raw.replace("".join(marks), ""), "utf-8")).figures]
    figures = extract(Document("x", raw, "utf-8")).figures
    assert [(f.value, f.unit) for f in figures] == plain
    assert all(raw[f.start : f.end] == f.text for f in figures)
