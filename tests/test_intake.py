"""Web pages, PDFs and Word files in: the figures of each copy equal those of the same text given
as .txt (value, unit; F1 >= 0.99), no furniture figure, evidence without markup, offsets into the
derived text, a PDF figure's page. Every document is made here (tests/documents.py)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import UnreadableDocument
from pipeline.intake.formats import furniture, furniture_reason, sniff
from pipeline.intake.read import read_path

from . import documents as D
from .intake_scoring import file_figures, pooled_f1, score, text_figures

SCORES: dict[str, list] = {"html": [], "pdf": [], "docx": []}


@pytest.fixture(scope="session")
def made(tmp_path_factory) -> Path:
    """Every tuning document as a page, a PDF and a .docx, made once."""
    out = tmp_path_factory.mktemp("intake")
    for report in D.TUNING:
        for style, encoding, declared in D.PAGE_CASES:
            (out / f"{report.name}-{style}-{encoding}-{declared}.html").write_bytes(
                D.page_bytes(report, style, encoding, declared)
            )
        for layout in D.PDF_LAYOUTS:
            D.print_html(D.pdf_html(report, layout), out / f"{report.name}-{layout}.pdf", layout == "two-column")
        (out / f"{report.name}.docx").write_bytes(D.docx_bytes(report))
    return out


def _assert_clean(figures: list[dict], text: str) -> None:
    for row in figures:
        assert text[row["start"] : row["end"]] == row["text"]
        assert not re.search(r"[<>]|&[a-z]+;", row["sentence"]), row["sentence"]
        for mark in D.FURNITURE_MARKS:
            assert mark not in row["sentence"], (mark, row["sentence"])


@pytest.mark.parametrize("rule", furniture()["line_patterns"], ids=lambda r: r["name"])
def test_every_furniture_rule_matches_its_example(rule):
    assert rule["regex"].search(rule["example"]) and len(rule["example"]) <= rule["max_chars"]
    assert furniture_reason(rule["example"]) is not None


def test_report_sentences_are_not_furniture():
    for report in D.TUNING:
        for line in D.plain(report).splitlines():
            assert furniture_reason(line) is None, line


@pytest.mark.parametrize("report", D.TUNING, ids=lambda r: r.name)
@pytest.mark.parametrize("case", D.PAGE_CASES, ids=lambda c: "-".join(str(x) for x in c))
def test_web_page_figures_equal_the_texts(made, report, case):
    style, encoding, declared = case
    path = made / f"{report.name}-{style}-{encoding}-{declared}.html"
    found, text = file_figures(path)
    result = score(text_figures(D.plain(report)), found)
    SCORES["html"].append(result)
    assert result.f1 >= 0.99, (result.missing, result.extra)
    _assert_clean(found, text)
    assert text == D.plain(report)  # the main text exactly: headings kept, furniture out
    intake = read_path(path)
    # the encoding is named, with how it was known: declared by the page, or detected
    assert intake.document.encoding.startswith("gb18030" if encoding != "utf-8" else "utf-8")
    assert ("meta charset" in intake.document.encoding) == (declared is not None)
    assert intake.derived.meta["title"] == report.title
    assert intake.derived.meta["date_published"].startswith("2024-0")
    # every line maps to the element it came from
    assert all(s["element"].startswith("/html/body") for s in intake.derived.segments)


@pytest.mark.parametrize("report", D.TUNING, ids=lambda r: r.name)
@pytest.mark.parametrize("layout", D.PDF_LAYOUTS)
def test_pdf_figures_equal_the_texts_with_their_pages(made, report, layout):
    path = made / f"{report.name}-{layout}.pdf"
    found, text = file_figures(path)
    result = score(text_figures(D.plain(report)), found)
    SCORES["pdf"].append(result)
    assert result.f1 >= 0.99, (result.missing, result.extra)
    _assert_clean(found, text)
    # running heads, the browser's date/URL/n of m, and page numbers are dropped
    for furniture_text in ("人大工作资料汇编", "file://", " PM", "第 1 页"):
        assert furniture_text not in text
    # lines wrapped at the edge are rejoined: every paragraph comes back whole
    lines = set(text.splitlines())
    assert all(body in lines for kind, body in report.blocks if kind == "p")
    intake = read_path(path)
    pages = {intake.page_at(row["start"]) for row in found}
    assert None not in pages and pages <= set(range(1, intake.derived.meta["pages"] + 1))


def test_pdf_layouts_have_the_wraps_they_test(made):
    """The narrow layout's text layer breaks lines inside a number or between a number and its
    measure word, and the two-column one puts paragraphs side by side: the cases are real."""
    import pypdfium2 as pdfium

    raw = ""
    for report in D.TUNING:
        pdf = pdfium.PdfDocument(made / f"{report.name}-narrow.pdf")
        raw += "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        pdf.close()
    assert re.search(r"\d\r\n[\d.]", raw) or re.search(r"\d\r\n[次件项个人名条元%]", raw)
    assert re.search(r"[\u4e00-\u9fff]\r\n[\u4e00-\u9fff]", raw)  # inside a word or phrase
    pdf = pdfium.PdfDocument(made / f"{D.TUNING[0].name}-two-column.pdf")
    page = pdf[0]
    width = page.get_width()
    textpage = page.get_textpage()
    lefts = {round(textpage.get_charbox(i)[0] > width / 2) for i in range(textpage.count_chars())}
    pdf.close()
    assert lefts == {0, 1}


@pytest.mark.parametrize("report", D.TUNING, ids=lambda r: r.name)
def test_docx_figures_equal_the_texts(made, report):
    path = made / f"{report.name}.docx"
    found, text = file_figures(path)
    result = score(text_figures(D.docx_plain(report)), found)
    SCORES["docx"].append(result)
    assert result.f1 >= 0.99, (result.missing, result.extra)
    _assert_clean(found, text)
    intake = read_path(path)
    assert any(s["element"].startswith("table 1 row") for s in intake.derived.segments)
    assert intake.derived.meta["title"] == report.title


def test_pooled_f1_of_the_tuning_copies(made, capsys):
    if not all(SCORES.values()):
        pytest.skip("runs after the per-document tests")
    with capsys.disabled():
        print("\nintake F1 (tuning): " + ", ".join(f"{k} {pooled_f1(v):.3f} ({len(v)})" for k, v in SCORES.items()))
    assert all(pooled_f1(v) >= 0.99 for v in SCORES.values())


def test_derived_text_is_the_same_byte_for_byte(made):
    path = made / f"{D.TUNING[1].name}-a5.pdf"
    first, second = read_path(path).derived, read_path(path).derived
    assert first.text == second.text and first.map_json("x", "y") == second.map_json("x", "y")


# ---------------------------------------------------------------- refusals and the command line


def test_scanned_pdf_needs_ocr(tmp_path, capsys):
    from PIL import Image

    scan = tmp_path / "scan.pdf"
    Image.new("RGB", (600, 800), "white").save(scan)
    assert sniff(scan.read_bytes()) == "pdf"
    with pytest.raises(UnreadableDocument, match="needs OCR"):
        read_path(scan)
    assert main(["extract", str(scan)]) == 4
    assert "needs OCR" in capsys.readouterr().err


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "召开会议9次")
    return buffer.getvalue()


# id: (file name, its bytes, a part of the message); tests/test_cli_fixes.py walks these as intake/<id>
UNREADABLE_FORMATS = {
    "damaged-pdf": ("damaged.pdf", b"%PDF-1.7\n garbage that is no PDF", "cannot be opened"),
    "zip-archive": ("book.zip", zip_bytes(), "ZIP archive"),
    "damaged-docx": ("broken.docx", b"PK\x03\x04 not really a zip", "damaged ZIP"),
    "empty-page": ("empty.html", b"<html><body><nav><a>a</a> <a>b</a></nav></body></html>", "main text"),
}


@pytest.mark.parametrize(("name", "data", "message"), UNREADABLE_FORMATS.values(), ids=UNREADABLE_FORMATS.keys())
def test_unreadable_formats_exit_4(tmp_path, capsys, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    assert main(["extract", str(path)]) == 4
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_extract_a_pdf_has_a_page_column_and_a_text_none(made, tmp_path, capsys):
    report = D.TUNING[0]
    assert main(["extract", str(made / f"{report.name}-narrow.pdf")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(",sentence_start,sentence_end,page")
    assert {line.rsplit(",", 1)[1] for line in out[1:]} == {"1", "2"}
    text = tmp_path / "same.txt"
    text.write_text(D.plain(report), encoding="utf-8")
    assert main(["extract", str(text)]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith(",sentence_start,sentence_end")


def test_extract_a_folder_of_mixed_formats_is_one_table(made, tmp_path, capsys):
    folder = tmp_path / "mixed"
    folder.mkdir()
    report = D.TUNING[2]
    (folder / "a.txt").write_text(D.plain(report), encoding="utf-8")
    (folder / "b.pdf").write_bytes((made / f"{report.name}-a5.pdf").read_bytes())
    (folder / "c.html").write_bytes((made / f"{report.name}-gov-gbk-gbk.html").read_bytes())
    assert main(["extract", str(folder), "--jobs", "1"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("document,") and rows[0].endswith(",page")
    per = {name: sum(1 for r in rows[1:] if r.startswith(str(folder / name))) for name in ("a.txt", "b.pdf", "c.html")}
    assert per["a.txt"] == per["b.pdf"] == per["c.html"] > 5
    assert all(r.endswith(",") for r in rows[1:] if r.startswith(str(folder / "a.txt")))
