"""The table of bad inputs in the README, row by row: what the user sees, and the exit status.

Files are given to `pipeline extract` in a subprocess, as a user would; problems with a project
(source.yaml, reference tables, parameters) go through `pipeline.cli.main(["run", ...])` on a
throw-away copy of the project, which fails before any notebook starts.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import random
import re
import resource
import subprocess
import sys
from pathlib import Path

import opencc
import pandas as pd
import pytest
import yaml

from pipeline import cli
from pipeline.errors import UsageError
from pipeline.extract.figures import extract
from pipeline.reference.published import read_published
from pipeline.run import runner as run
from pipeline.text.document import MAX_DOCUMENT_BYTES, Document, read_document

from .conftest import SEED

RAW_DIR = Path("data/raw/lvliang/2023")
CONTROL_OR_BIDI = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def run_extract(*args, limit_memory: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        if limit_memory:
            resource.setrlimit(resource.RLIMIT_AS, (limit_memory, limit_memory))

    return subprocess.run(
        [sys.executable, "-m", "pipeline", "extract", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
    )


def one_error_line(stderr: str) -> str:
    """The single line a user sees; no traceback, nothing that garbles a terminal."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("pipeline: error: ") and "Traceback" not in stderr
    assert not CONTROL_OR_BIDI.search(lines[0])
    return lines[0]


def figures_of(document: Document) -> list[tuple]:
    return [
        (f.start, f.end, f.text, f.value, f.unit, f.approx, f.indicator, f.indicator_id)
        for f in extract(document).figures
    ]


@pytest.fixture(scope="module")
def seed_figures() -> list[tuple]:
    return figures_of(read_document(SEED))


# ---------------------------------------------------------------- files that are not a document


def _write(data: bytes):
    def make(folder: Path) -> Path:
        path = folder / "input"
        path.write_bytes(data)
        return path

    return make


def _too_large(folder: Path) -> Path:
    path = folder / "dump.txt"
    with path.open("wb") as handle:  # sparse: 50 MB on paper, nothing on disk
        handle.truncate(50 * 1024 * 1024)
    return path


BAD_FILES = {
    "missing": (lambda d: d / "nope.txt", 3, "nope.txt: no such file"),
    "directory": (lambda d: d, 3, "is a directory with no *.txt document in it"),
    "empty": (_write(b""), 4, "input: the file is empty"),
    "whitespace-only": (_write(b" \r\n\t\n\xe3\x80\x80\n"), 4, "input: contains only white space"),
    "pdf": (_write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nstream\n\x00\x01"), 4, "a PDF that cannot be opened"),
    "png": (_write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"), 4, "this is a PNG image, not text"),
    "no-text-in-any-encoding": (
        _write(random.Random(1).randbytes(5000).translate(bytes(range(128, 256)) * 2)),
        4,
        "the bytes decode as no text in UTF-8, UTF-16, GB18030/GBK or Big5",
    ),
    "binary-with-nul": (_write(random.Random(2).randbytes(5000)), 4, "contains NUL bytes; this is a binary file"),
    "control-characters": (_write(bytes(range(1, 32)) * 50), 4, "this is binary data, not a text document"),
    "over-the-size-limit": (_too_large, 4, "52,428,800 bytes is over the 20 MiB limit"),
}


@pytest.mark.parametrize(("make", "code", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_are_refused_in_one_line(tmp_path, make, code, message):
    result = run_extract(make(tmp_path))
    assert result.returncode == code
    assert result.stdout == ""
    assert message in one_error_line(result.stderr)


def test_size_limit_is_the_stated_one():
    assert MAX_DOCUMENT_BYTES == 20 * 1024 * 1024  # the README and the message say 20 MiB


def test_one_huge_line_is_read_in_bounded_memory(tmp_path):
    # 885 kB on one line with no sentence end: every figure used to carry the whole line as its
    # evidence (memory and output grew with the square of the length: 10 GB at 160k characters)
    path = tmp_path / "one-line.txt"
    line = "一年来，召开常委会会议9次，审议法规3件，"
    path.write_text(line * 15000, encoding="utf-8")
    result = run_extract(path, "--format", "json", limit_memory=1 << 30)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads(result.stdout)
    assert len(rows) == 30000
    assert {(r["value"], r["unit"]) for r in rows} == {(9, "次"), (3, "件")}
    assert max(len(r["sentence"]) for r in rows) <= 210  # a window around the figure, not the line
    assert (rows[-1]["start"], rows[-1]["text"]) == (len(line) * 15000 - len("3件，"), "3件")


# ---------------------------------------------------------------- encodings, line ends, widths, scripts


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("gbk", b""),
        ("gb18030", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-8", codecs.BOM_UTF8),
    ],
    ids=["gbk", "gb18030", "utf-16-le", "utf-16-be", "utf-16-le-no-bom", "utf-16-be-no-bom", "utf-8-bom"],
)
def test_encodings_give_the_same_figures_as_utf8(tmp_path, seed_figures, encoding, bom):
    text = SEED.read_text(encoding="utf-8")
    path = tmp_path / "report.txt"
    path.write_bytes(bom + text.encode(encoding))
    document = read_document(path)
    assert document.raw == text  # offsets index the decoded text, BOM excluded
    assert figures_of(document) == seed_figures


def test_a_detected_encoding_is_said(tmp_path):
    path = tmp_path / "county.txt"
    path.write_bytes(SEED.read_text(encoding="utf-8").encode("gbk"))
    result = run_extract(path)
    assert result.returncode == 0
    assert result.stderr.strip() == f"pipeline: note: {path} decoded as gb18030 (detected)"
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 61


def test_crlf_offsets_are_exact(seed_figures):
    text = SEED.read_text(encoding="utf-8")
    raw = text.replace("\n", "\r\n")
    got = figures_of(Document(doc_id="crlf", raw=raw, encoding="utf-8"))
    shift = [text.count("\n", 0, start) for start, *_ in seed_figures]
    assert [(s - n, e - n, *rest) for (s, e, *rest), n in zip(got, shift, strict=True)] == seed_figures
    assert all(raw[s:e] == t for s, e, t, *_ in got)


def test_mixed_full_and_half_width_offsets_are_exact(seed_figures):
    text = SEED.read_text(encoding="utf-8")
    wide = dict(zip("0123456789,.;:%()!?", "０１２３４５６７８９，．；：％（）！？", strict=True))
    narrow = {v: k for k, v in wide.items()}
    rng = random.Random(3)
    raw = "".join((wide.get(ch) or narrow.get(ch) or ch) if rng.random() < 0.5 else ch for ch in text)
    assert raw != text and len(raw) == len(text)
    got = figures_of(Document(doc_id="mixed", raw=raw, encoding="utf-8"))
    assert [(s, e, v, u, a, i, ident) for s, e, _t, v, u, a, i, ident in got] == [
        (s, e, v, u, a, i, ident) for s, e, _t, v, u, a, i, ident in seed_figures
    ]
    assert all(raw[s:e] == t for s, e, t, *_ in got)


@pytest.mark.parametrize(("config", "encoding"), [("s2t", "utf-8"), ("s2tw", "big5")])
def test_traditional_mirror_gives_the_same_figures(tmp_path, seed_figures, config, encoding):
    traditional = opencc.OpenCC(config).convert(SEED.read_text(encoding="utf-8"))
    path = tmp_path / "mirror.txt"
    path.write_bytes(traditional.encode(encoding))
    document = read_document(path)
    assert document.traditional and document.raw == traditional
    got = figures_of(document)
    assert all(traditional[s:e] == t for s, e, t, *_ in got)  # offsets into the original
    assert [(v, u, a, ident) for _s, _e, _t, v, u, a, _i, ident in got] == [
        (v, u, a, ident) for _s, _e, _t, v, u, a, _i, ident in seed_figures
    ]


# ---------------------------------------------------------------- a project that cannot run


def run_main(capsys, *args) -> tuple[int, str]:
    code = cli.main(["run", *args])
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err


def _edit(relative: str, old: str, new: str, count: int = 1):
    def change(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    return change


def _remove(relative: str):
    return lambda root: (root / relative).unlink()


def _append(relative: str, text: str):
    def change(root: Path) -> None:
        with (root / relative).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return change


def _unknown_body(root: Path) -> None:
    folder = root / "data" / "raw" / "atlantis" / "2023"
    folder.mkdir(parents=True)
    meta = yaml.safe_load((root / RAW_DIR / "source.yaml").read_text(encoding="utf-8"))
    (folder / SEED.name).write_bytes(SEED.read_bytes())
    (folder / "source.yaml").write_text(yaml.safe_dump({**meta, "body": "atlantis"}), encoding="utf-8")


def _renamed_raw(name: str):
    def change(root: Path) -> None:
        (root / RAW_DIR / SEED.name).rename(root / RAW_DIR / name)
        _edit(SOURCE_YAML, f"file: {SEED.name}", f'file: "{name}"')(root)

    return change


SOURCE_YAML = f"{RAW_DIR}/source.yaml"
BAD_SOURCES = {
    "missing": (_remove(SOURCE_YAML), "source.yaml: missing; every raw document needs its source.yaml"),
    "malformed": (_append(SOURCE_YAML, "title: [unclosed\n"), "source.yaml: not valid YAML"),
    "missing-field": (_edit(SOURCE_YAML, "sha256:", "sha_256:"), "source.yaml: missing field(s) sha256"),
    "wrong-sha256": (
        lambda root: (root / RAW_DIR / SEED.name).write_bytes(SEED.read_bytes().replace("9次".encode(), b"8x", 1)),
        f"{SEED.name}: sha256 is ",
    ),
    "unknown-body": (_unknown_body, "unknown body 'atlantis'; add it to data/reference/bodies.csv first"),
    "bad-period-kind": (
        _edit(SOURCE_YAML, "period_kind: calendar_year", "period_kind: bogus"),
        "source.yaml: period_kind 'bogus' is not one of calendar_year, session_year,",
    ),
    "bad-period": (
        _edit(SOURCE_YAML, "period_start: 2023-01-01", "period_start: <script>"),
        "source.yaml: period_start '<script>' is not YYYY, YYYY-MM or YYYY-MM-DD",
    ),
    "file-name-with-bidi-mark": (
        _renamed_raw("report\u202etxt.exe"),
        "has control characters or bidi marks in its name",
    ),
}


@pytest.mark.parametrize(("change", "message"), BAD_SOURCES.values(), ids=BAD_SOURCES.keys())
def test_bad_source_metadata_stops_the_run_before_any_notebook(project_copy, capsys, change, message):
    change(project_copy)
    code, err = run_main(capsys)
    assert code == 5
    assert message in one_error_line(err)
    assert not (project_copy / "reports").exists() and not (project_copy / "data" / "interim").exists()


TAXONOMY = "data/reference/indicators.yaml"
PUBLISHED = "data/reference/published_figures.csv"
BODIES = "data/reference/bodies.csv"
BAD_REFERENCE = {
    "duplicate-indicator-id": (
        _edit(TAXONOMY, "id: chair_meetings", "id: sc_sessions"),
        "indicators.yaml: entry 3: duplicate indicator id 'sc_sessions'",
    ),
    "unknown-unit": (_edit(TAXONOMY, "units: [次]", "units: [次, 斤]"), "(sc_sessions): unknown unit(s) 斤"),
    "taxonomy-not-yaml": (_append(TAXONOMY, "- {id: [\n"), "indicators.yaml: not valid YAML at line"),
    "taxonomy-missing": (_remove(TAXONOMY), "indicators.yaml: missing"),
    "id-the-code-maps-to-is-missing": (
        _edit(TAXONOMY, "id: laws_repealed", "id: laws_abolished"),
        "no entry with id 'laws_repealed', which pipeline.compare.laws.VERB_TO_INDICATOR maps to",
    ),
    "published-row-names-a-missing-body": (
        _edit(PUBLISHED, "\n1,lvliang,", "\n1,atlantis,"),
        "published_figures.csv: line 2 (row '1'): body 'atlantis' is not in data/reference/bodies.csv",
    ),
    "published-value-not-a-number": (
        _edit(PUBLISHED, ",组织人民代表大会会议,8,", ",组织人民代表大会会议,abc,"),
        "line 2 (row '1'): value 'abc' is not a plausible number",
    ),
    "published-missing-column": (_edit(PUBLISHED, ",value,", ",valeur,"), "missing column(s) value"),
    "published-duplicate-row": (_edit(PUBLISHED, "\n2,lvliang,", "\n1,lvliang,"), "line 3 (row '1'): duplicate row"),
    "published-bad-period": (_edit(PUBLISHED, ",2017,2022-02,", ",2017,Feb 2022,"), "is not YYYY, YYYY-MM or"),
    "bodies-duplicate-id": (_append(BODIES, "lvliang,吕梁,Lvliang,city,山西\n"), "duplicate body id 'lvliang'"),
    "bodies-unknown-level": (_edit(BODIES, ",city,山西", ",metropolis,山西"), "level 'metropolis' is not one of"),
    "bodies-missing": (_remove(BODIES), "bodies.csv: missing"),
}


@pytest.mark.parametrize(("change", "message"), BAD_REFERENCE.values(), ids=BAD_REFERENCE.keys())
def test_bad_reference_tables_stop_the_run_before_any_notebook(project_copy, capsys, change, message):
    change(project_copy)
    code, err = run_main(capsys)
    assert code == 6
    assert message in one_error_line(err)
    assert not (project_copy / "reports").exists() and not (project_copy / "data" / "interim").exists()


BAD_ARGUMENTS = {
    "year-not-a-number": (["--year", "abc"], "argument --year: invalid int value: 'abc' (see pipeline run --help)"),
    "body-with-slash": (["--body", "../lvliang"], "body '../lvliang' is not an id like 'lvliang'"),
    "body-with-backslash": (["--body", "lv\\liang"], "body 'lv\\\\liang' is not an id like 'lvliang'"),
    "body-dot-dot": (["--body", ".."], "body '..' is not an id like 'lvliang'"),
    "body-with-no-document": (["--body", "datong"], "no raw document under"),
    "unknown-option": (["--yaer", "2023"], "unrecognized arguments: --yaer 2023"),
}


@pytest.mark.parametrize(("args", "message"), BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_bad_run_arguments_are_usage_errors(project_copy, capsys, args, message):
    code, err = run_main(capsys, *args)
    assert code == 2
    assert message in one_error_line(err)


BAD_PARAMETERS = {
    "unknown": ({"body": "lvliang", "year": 2023, "yaer": 2022}, "unknown parameter(s) yaer"),
    "missing": ({"body": "lvliang"}, "parameter(s) year not given"),
    "wrong-type": ({"body": "lvliang", "year": "abc"}, "parameter year='abc' must be a whole number"),
    "body-not-a-string": ({"body": 7, "year": 2023}, "parameter body=7 must be a string"),
}


@pytest.mark.parametrize(("parameters", "message"), BAD_PARAMETERS.values(), ids=BAD_PARAMETERS.keys())
def test_bad_notebook_parameters_are_refused_before_the_kernel_starts(project_copy, parameters, message):
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        run.run_notebook("31-report-one.ipynb", parameters, "lvliang/2023")
    assert info.value.exit_code == 2
    assert not (project_copy / "reports").exists()


# ---------------------------------------------------------------- hostile content


def test_hostile_file_name_is_one_visible_line(tmp_path):
    path = tmp_path / "report\x1b[2J\u202eevil.txt"
    result = run_extract(path)
    assert result.returncode == 3
    line = one_error_line(result.stderr)
    assert "report\\x1b[2J\\u202eevil.txt: no such file" in line


def test_hostile_document_content_is_removed_from_what_people_read(tmp_path):
    raw = (
        "<script>alert(1)</script>\n"
        "一年来，召开\x1b[31m常委会\u202e会议9次，审议\x07法规3件。<b>完成</b>人事任免67人次。\n"
    )
    path = tmp_path / "hostile.txt"
    path.write_text(raw, encoding="utf-8")
    result = run_extract(path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["text"], r["value"]) for r in rows] == [("9次", "9"), ("3件", "3"), ("67人次", "67")]
    assert all(raw[int(r["start"]) : int(r["end"])] == r["text"] for r in rows)
    assert rows[0]["indicator"] == "召开 [31m常委会 会议"  # control characters read as spaces
    for row in rows:
        assert not CONTROL_OR_BIDI.search(row["sentence"] + row["indicator"] + row["section"])
    # HTML stays text: whoever renders HTML escapes it (pandas in the notebooks, the report)
    assert "<b>完成</b>人事任免67人次" in rows[2]["sentence"]


def test_hostile_reference_rows_are_cleaned_when_read(project_copy):
    _edit(PUBLISHED, "[吕梁日报] 市四届", "[吕梁日报\x1b[31m]\u202e<script>x</script> 市四届")(project_copy)
    titles = set(read_published()["source_title"])
    assert any(title.startswith("[吕梁日报[31m]<script>x</script> 市四届人大一次会议") for title in titles)
    assert not any(CONTROL_OR_BIDI.search(title) for title in titles)


# ---------------------------------------------------------------- a document with no figures


def test_document_without_figures_runs_and_says_so(project_copy, capsys):
    folder = project_copy / "data" / "raw" / "datong" / "2023"
    folder.mkdir(parents=True)
    text = "大同市人大常委会2023年工作综述\n\n一年来，常委会依法履职尽责，各项工作取得新成效。\n"
    (folder / "report.txt").write_text(text, encoding="utf-8")
    meta = yaml.safe_load((project_copy / SOURCE_YAML).read_text(encoding="utf-8"))
    meta.update(body="datong", file="report.txt", sha256=hashlib.sha256(text.encode()).hexdigest())
    for stale in ("characters", "bytes"):  # optional, and checked when given: the seed's would not fit
        meta.pop(stale)
    (folder / "source.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")

    code, err = run_main(capsys, "--body", "datong")
    assert code == 0, err
    assert f"pipeline: note: {folder / 'report.txt'}: no figures found; it adds no rows to the panel" in err
    processed = project_copy / "data" / "processed"
    interim = gzip.decompress((project_copy / "data" / "interim" / "datong" / "2023" / "figures.csv.gz").read_bytes())
    interim = interim.decode("utf-8")
    assert interim.startswith("doc_id,body,report_year,") and interim.count("\n") == 1  # the header, no rows
    panel = pd.read_parquet(processed / "figures.parquet")
    assert not ((panel["body"] == "datong") & (panel["source_type"] == "document")).any()
    comparison = pd.read_csv(processed / "comparison.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rows = comparison[comparison["body"] == "datong"]
    assert len(rows) and (rows["value"] == "").all() and rows["note"].str.endswith("but not in 2023").all()
    executed = project_copy / "reports" / "_executed" / "10-clean.ipynb"
    assert "No figures found in datong/2023/report.txt." in executed.read_text(encoding="utf-8")


# ---------------------------------------------------------------- encodings given by the user


def test_raw_file_not_in_its_declared_encoding(project_copy, capsys):
    path = project_copy / RAW_DIR / SEED.name
    data = SEED.read_text(encoding="utf-8").encode("gbk")
    path.write_bytes(data)
    _edit(
        SOURCE_YAML,
        "99817ca303c2917251409c328f06fd87636f6a19f2c4b0033cfaefe3762d3c4e",
        hashlib.sha256(data).hexdigest(),
    )(project_copy)
    code, err = run_main(capsys)
    assert code == 4
    assert "does not decode as its declared encoding utf-8 (byte 4: invalid continuation byte)" in one_error_line(err)


def test_unknown_encoding_option_is_a_usage_error():
    result = run_extract(SEED, "--encoding", "klingon")
    assert result.returncode == 2
    assert "--encoding 'klingon': no such encoding" in one_error_line(result.stderr)


# ---------------------------------------------------------------- the system, or a bug


def test_operating_system_refusal_is_one_line(monkeypatch, capsys):
    def refuse(**_):
        raise PermissionError(13, "Permission denied", "/srv/data/processed/figures.csv")

    monkeypatch.setattr(run, "run_all", refuse)
    code, err = run_main(capsys)
    assert code == 8
    assert one_error_line(err) == (
        "pipeline: error: /srv/data/processed/figures.csv: Permission denied; "
        "check the folder's permissions and the free disk space"
    )


def test_a_bug_is_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    def bug(**_):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(run, "run_all", bug)
    code, err = run_main(capsys)
    assert code == 70
    assert err.strip() == (
        "pipeline: internal error: ZeroDivisionError: division by zero; "
        "run again with --debug for the traceback and report it"
    )
    with pytest.raises(ZeroDivisionError):
        cli.main(["--debug", "run"])
