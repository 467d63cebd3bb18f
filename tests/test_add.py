"""`pipeline add`: a document filed as received, its source.yaml written; every refusal one line with
its exit status (docs/robustness.md); `pipeline add` then `pipeline run` turns a saved page and a
PDF into reports whose evidence links the page's URL and names the PDF's page."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main
from pipeline.reference.sources import load_source

from . import documents as D
from .test_run_safety import pipeline

REPORT = D.TUNING[0]


@pytest.fixture
def page(tmp_path) -> Path:
    path = tmp_path / "saved page.html"
    path.write_bytes(D.page_bytes(REPORT, "gov", "gbk", "gbk"))
    return path


def _add(capsys, *args) -> tuple[int, str, str]:
    code = main(["add", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_files_a_page_unchanged_with_its_source_yaml(project_copy, page, capsys):
    code, out, _err = _add(capsys, page, "--body", "lvliang", "--year", "2022", "--url", "https://rd.example.cn/a.html")
    assert code == 0 and "lvliang/2022" in out
    folder = project_copy / "data" / "raw" / "lvliang" / "2022"
    assert (folder / page.name).read_bytes() == page.read_bytes()
    meta = yaml.safe_load((folder / "source.yaml").read_text(encoding="utf-8"))
    assert meta["sha256"] == hashlib.sha256(page.read_bytes()).hexdigest()
    assert meta["bytes"] == len(page.read_bytes()) and meta["format"] == "html"
    assert meta["encoding"] == "gb18030" and meta["encoding_found_by"] == "meta charset gbk"
    assert meta["title"] == REPORT.title and meta["date_published"] == "2024-01-26"
    assert meta["url"] == "https://rd.example.cn/a.html" and meta["date_added"]
    source = load_source(folder)
    assert source.intake().document.raw.startswith(REPORT.title)
    # the clean step writes the derived text and its map beside the figures; offsets index it
    from pipeline.extract.clean import clean_document

    result = clean_document("lvliang", 2022)
    derived = (result.interim / "document.txt").read_text(encoding="utf-8")
    assert all(derived[r.start : r.end] == r.text for r in result.figures.itertuples())
    assert "page" not in result.figures.columns
    assert '"element": "/html/body' in (result.interim / "document.map.json").read_text(encoding="utf-8")


def test_a_file_already_in_the_corpus_is_refused_naming_where(project_copy, page, capsys):
    assert _add(capsys, page, "--body", "lvliang", "--year", "2022")[0] == 0
    code, _out, err = _add(capsys, page, "--body", "lvliang", "--year", "2021")
    assert code == 5 and "already in the corpus as" in err and "lvliang/2022" in err and err.count("\n") == 1
    seed = project_copy / "data" / "raw" / "lvliang" / "2023" / "000_27d8ef8a85ace649.txt"
    code, _out, err = _add(capsys, seed, "--body", "lvliang", "--year", "2020")
    assert code == 5 and "lvliang/2023/000_27d8ef8a85ace649.txt" in err


def test_a_year_with_a_document_is_refused_unless_replace(project_copy, page, capsys):
    code, _out, err = _add(capsys, page, "--body", "lvliang", "--year", "2023")
    assert code == 2 and "already has a document" in err and "--replace" in err
    assert not (project_copy / "data" / "raw" / "lvliang" / "2023" / page.name).exists()
    code, out, _err = _add(capsys, page, "--body", "lvliang", "--year", "2023", "--replace")
    assert code == 0 and "moved to" in out
    kept = project_copy / "data" / "replaced" / "lvliang" / "2023" / "000_27d8ef8a85ace649.txt"
    assert kept.is_file()  # never deleted
    assert load_source(project_copy / "data" / "raw" / "lvliang" / "2023").path.name == page.name


def test_an_unknown_body_is_refused_saying_how_to_add_it(project_copy, page, capsys):
    code, _out, err = _add(capsys, page, "--body", "hexi", "--year", "2023")
    assert code == 5 and "bodies.csv" in err and "--body-name" in err
    assert not (project_copy / "data" / "raw" / "hexi").exists()
    code, _out, _err = _add(capsys, page, "--body", "hexi", "--year", "2023", "--body-name", "河西市人大常委会")
    assert code == 0
    assert "hexi,河西市人大常委会,河西市人大常委会,unknown," in (project_copy / "data/reference/bodies.csv").read_text()
    from pipeline.reference.readers import read_bodies

    assert "hexi" in read_bodies()  # the table still passes its checks


UNREADABLE_KINDS = ("zip", "scan", "binary")  # tests/test_cli_fixes.py walks these as intake/add-<kind>


def unreadable_file(folder: Path, kind: str) -> Path:
    """A file `pipeline add` refuses with exit 4: a ZIP, a scanned PDF, or binary bytes."""
    path = folder / f"document.{kind}"
    if kind == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("a.txt", "x")
        path.write_bytes(buffer.getvalue())
    elif kind == "scan":
        from PIL import Image

        Image.new("L", (300, 400), 255).save(path, format="PDF")
    else:
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return path


@pytest.mark.parametrize("kind", UNREADABLE_KINDS)
def test_a_format_it_cannot_read_is_refused(project_copy, tmp_path, capsys, kind):
    path = unreadable_file(tmp_path, kind)
    code, _out, err = _add(capsys, path, "--body", "lvliang", "--year", "2022")
    assert code == 4 and err.count("\n") == 1
    assert ("needs OCR" in err) == (kind == "scan")
    assert not (project_copy / "data" / "raw" / "lvliang" / "2022").exists()


def test_add_a_folder_by_its_paths_and_by_a_manifest(project_copy, tmp_path, capsys):
    inbox = tmp_path / "inbox"
    (inbox / "lvliang" / "2021").mkdir(parents=True)
    (inbox / "lvliang" / "2021" / "page.html").write_bytes(D.page_bytes(D.TUNING[1], "news", "utf-8", "utf-8"))
    (inbox / "loose.docx").write_bytes(D.docx_bytes(D.TUNING[2]))
    code, out, err = _add(capsys, inbox)
    assert code == 2 and "lvliang/2021/page.html" in out and "loose.docx: no body and year" in err
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,body,year,url\nloose.docx,lvliang,2020,https://example.cn/r.docx\n", encoding="utf-8")
    code, out, err = _add(capsys, inbox, "--manifest", manifest)
    assert code == 5 and "loose.docx" in out and "page.html" in err and "already in the corpus" in err
    meta = yaml.safe_load((project_copy / "data/raw/lvliang/2020/source.yaml").read_text(encoding="utf-8"))
    assert meta["format"] == "docx" and meta["url"] == "https://example.cn/r.docx"


def test_add_then_run_makes_reports_of_a_page_and_a_pdf(project_copy, tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(D.page_bytes(REPORT, "news", "gb18030", None))
    pdf = D.print_html(D.pdf_html(D.TUNING[1], "narrow"), tmp_path / "report.pdf")
    root = project_copy
    added = pipeline(root, "add", str(page), "--body", "lvliang", "--year", "2022", "--url", "https://rd.example.cn/p")
    assert added.returncode == 0, added.stderr
    added = pipeline(root, "add", str(pdf), "--body", "nanshan", "--year", "2023", "--body-name", "南山县人大常委会")
    assert added.returncode == 0, added.stderr
    run = pipeline(root, "run")
    assert run.returncode == 0, run.stderr
    html = (root / "reports" / "lvliang" / "2022.html").read_text(encoding="utf-8")
    assert 'href="https://rd.example.cn/p"' in html and "浏览次数" not in html and "阅读量" not in html
    assert "召开常委会会议" in html
    report = (root / "reports" / "nanshan" / "2023.html").read_text(encoding="utf-8")
    assert "第1页" in report and "第2页" in report and "p. 2" in report
    figures = gzip.decompress((root / "data" / "interim" / "nanshan" / "2023" / "figures.csv.gz").read_bytes()).decode()
    assert figures.splitlines()[0].endswith(",page")
    derived = (root / "data" / "interim" / "nanshan" / "2023" / "document.txt").read_text(encoding="utf-8")
    assert "人大工作资料汇编" not in derived
