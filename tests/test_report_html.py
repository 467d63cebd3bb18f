"""`pipeline run` on a copy of the project, as a user runs it, and the HTML it leaves: the report
and the index read as HTML and in a real browser (headless Chromium), a hostile document shows its
markup as text, and a second run writes the same bytes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from .chromium import Chromium
from .conftest import FIXTURES, ROOT
from .test_report import Tags, assert_charts_are_ours

HEADINGS = ["主要数字", "与往期及同级比较", "图表", "证据", "数据质量"]


class Page(HTMLParser):
    """Start tags with attributes, the text, and each evidence row's cells; each figure's <mark>
    (named by its start) and the sentence cell that holds it, which spans the rows of its figures."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.rows: dict[int, dict] = {}
        self.marks: dict[int, list[str]] = {}
        self._row: dict | None = None
        self._mark: list[str] | None = None
        self._sentence: dict | None = None  # the sentence cell being read
        self._spanned = 0  # rows still to come that the last sentence cell spans
        self._last_sentence: dict | None = None
        self._in_title = False
        self.title = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "tr" and "data-start" in attrs:
            self._row = {**attrs, "text": [], "sentence": None}
            self.rows[int(attrs["data-start"])] = self._row
            if self._spanned:  # a row the sentence cell of an earlier row spans
                self._row["sentence"] = self._last_sentence
                self._spanned -= 1
        if tag == "td" and self._row is not None and attrs.get("class") == "sentence":
            self._sentence = self._last_sentence = self._row["sentence"] = {"text": [], "marks": []}
            self._spanned = int(attrs.get("rowspan") or 1) - 1
        if tag == "mark" and self._sentence is not None:
            self._mark = self.marks.setdefault(int(attrs["data-fig"]), [])
            self._sentence["marks"].append(int(attrs["data-fig"]))
        self._in_title = self._in_title or (tag == "title" and not self.title)  # the page's, not a chart's

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None
        if tag == "td":
            self._sentence = None
        if tag == "mark":
            self._mark = None
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.title += data
        if self._row is not None:
            self._row["text"].append(data)
        if self._sentence is not None:
            self._sentence["text"].append(data)
        if self._mark is not None:
            self._mark.append(data)


def copy_project(root: Path) -> Path:
    for part in ("data/raw", "data/reference", "notebooks"):
        shutil.copytree(ROOT / part, root / part)
    return root


def pipeline_run(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANNUAL_FIGURES_ROOT": str(root)}
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", *args], cwd=root, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return result


def outputs(root: Path) -> dict[str, bytes]:
    files = [
        *sorted((root / "reports").glob("*/*.html")),
        root / "reports" / "index.html",
        *sorted((root / "reports" / "downloads").glob("*.csv")),
        *sorted((root / "data" / "processed").glob("*.*")),
    ]
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("project"))
    pipeline_run(root)
    return root


@pytest.fixture(scope="module")
def report_html(built) -> str:
    return (built / "reports" / "lvliang" / "2023.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_figures(built) -> pd.DataFrame:
    panel = pd.read_csv(
        built / "data" / "processed" / "figures.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    return panel[(panel["source_type"] == "document") & (panel["body"] == "lvliang") & (panel["report_year"] == "2023")]


# ---------------------------------------------------------------- the HTML as a file


def test_report_has_no_code_and_nothing_fetched(report_html):
    page = Page(report_html)
    assert report_html.startswith("<!DOCTYPE html>")
    assert ("html", {"lang": "zh"}) in page.tags
    assert page.title.startswith("吕梁市人大常委会 2023 年工作数字") and "Lüliang" in page.title
    # no code cells, no prompts, not a line of the notebook's source
    assert "jp-InputArea" not in report_html and "jp-InputPrompt" not in report_html
    assert "In&nbsp;[" not in report_html and "Out[" not in report_html
    assert "load(body, year)" not in report_html and "display(HTML" not in report_html
    assert "remove-cell" not in report_html and 'body = "lvliang"' not in report_html
    # nothing that runs or loads from elsewhere
    names = [t for t, _ in page.tags]
    assert "script" not in names and "link" not in names and "iframe" not in names
    assert not re.search(r"(src|href)=\"(https?:)?//", report_html.split("</head>")[0])
    markup = report_html.lower()
    assert "require.js" not in markup and "mathjax" not in markup and "cdn" not in markup
    # the three charts, inlined as SVG (no image to fetch), each with its words in <desc>
    tags = Tags(report_html)
    assert "img" not in {t for t, _ in tags.tags}
    assert_charts_are_ours(tags.charts, 3)
    assert len(re.findall(r"<desc>[^<]{20,}</desc>", report_html)) == 3


def test_report_shows_the_headings_and_the_seeds_key_numbers(report_html):
    text = "".join(Page(report_html).text)
    for heading in HEADINGS:
        assert heading in text
    for english in ("Headline figures", "Standing committee sessions", "Appointments and removals"):
        assert english in text  # the taxonomy's English labels beside the Chinese
    # the headline cards: 召开常委会会议9次, 主任会议23次, 人事任免67人次, 意见建议2万余条
    cards = re.findall(
        r'<a class="card" href="#fig-(\d+)"><span class="num">([\d,]+)</span><span class="unit">(.*?)</span>',
        report_html,
    )
    assert ("103", "9", "次") in cards and ("110", "23", "次") in cards and ("129", "67", "人次") in cards
    assert ("298", "20,000", "条") in cards
    # the comparison names its method: the term total annualised, marked so
    assert re.search(r"12 次 /年 <span class=\"badge annual\">年均 <span lang=\"en\">annualised</span>", report_html)
    assert "term total 60 over 5.0 years (2017 to 2022-02) annualised" in text
    # peers are marked as peers, with their names in both languages, their year and value
    assert re.search(
        r'湖州市 <i lang="en">Huzhou</i></td><td>2022</td><td>153 人次</td>',
        report_html,
    )


def test_every_figure_is_in_the_evidence_table_with_its_sentence_and_marked_number(report_html, seed_figures):
    page = Page(report_html)
    rows = page.rows
    assert len(rows) == len(seed_figures) == 61 and set(page.marks) <= set(rows)
    for figure in seed_figures.itertuples():
        row = rows[int(figure.start)]
        assert row["data-end"] == figure.end
        assert row["data-value"] == figure.value and row["data-unit"] == figure.unit
        assert row["data-indicator"] == figure.indicator_id
        assert "".join(page.marks[int(figure.start)]) == figure.text  # the number highlighted
        sentence = row["sentence"]  # in the sentence cell beside its row (spanning its figures' rows)
        assert int(figure.start) in sentence["marks"]
        shown = "".join(sentence["text"]).replace("⏎", "")
        assert re.sub(r"\s+", "", figure.evidence) in re.sub(r"\s+", "", shown)
        assert f"{figure.start}–{figure.end}" in "".join(row["text"])  # its position (the document: in the head)
    assert "位置 · lvliang/2023" in report_html and "Position in lvliang/2023" in report_html  # whose offsets, once
    sentences = {id(r["sentence"]) for r in rows.values()}
    assert len(sentences) < len(rows)  # sentences of several figures written once


def test_published_figures_used_for_comparison_link_to_their_pages(report_html):
    page = Page(report_html)
    published = [a for t, a in page.tags if t == "tr" and re.fullmatch(r"P\d+", a.get("id") or "")]
    assert len(published) >= 10
    assert (
        "a",
        {"href": "https://www.sxllnews.cn/xyllrb/pc/con/202202/26/c111866.html", "rel": "noopener noreferrer"},
    ) in page.tags


def test_data_quality_section_lists_repairs_unmapped_figures_and_checks(report_html, built):
    quality = report_html[report_html.index('id="quality"') :]
    repairs = pd.read_csv(built / "data" / "interim" / "lvliang" / "2023" / "layout_repairs.csv.gz", dtype=str)
    assert len(repairs) == 5 and all(f">{line}<" in quality for line in repairs["line"])
    assert "已接续" in quality and "joined to its continuation" in quality
    checks = pd.read_csv(built / "data" / "processed" / "checks.csv", dtype=str, encoding="utf-8-sig")
    statuses = re.findall(r'<span class="status (\w+)">', quality)
    assert sorted(statuses) == sorted(checks["status"])  # every check with its outcome
    figures = pd.read_csv(built / "data" / "interim" / "lvliang" / "2023" / "figures.csv.gz", dtype=str)
    unmapped = int(figures["indicator_id"].isna().sum())
    assert 0 < unmapped < len(figures)
    assert f"{unmapped} / {len(figures)} 个数字" in quality  # figures not mapped to an indicator


def test_index_lists_the_report_and_the_downloads(built, seed_figures):
    index = (built / "reports" / "index.html").read_text(encoding="utf-8")
    page = Page(index)
    assert ("html", {"lang": "zh"}) in page.tags and "script" not in [t for t, _ in page.tags]
    links = [a["href"] for t, a in page.tags if t == "a"]
    assert links[0] == "lvliang/2023.html" and (built / "reports" / "lvliang" / "2023.html").is_file()
    for name in ("figures.csv", "comparison.csv", "checks.csv"):
        assert f"downloads/{name}" in links
        assert (built / "reports" / "downloads" / name).read_bytes() == (
            built / "data" / "processed" / name
        ).read_bytes()
    text = "".join(page.text)
    assert "踔厉奋发担使命 奋楫扬帆新征程" in text and "吕梁市人大常委会" in text and "2023" in text
    assert "常委会会议 9 次" in text and f"{len(seed_figures)} figures" in text


def test_the_analysts_report_notebook_has_no_errors_or_warnings_and_renders_the_same_report(
    built, tmp_path, monkeypatch
):
    """The one-report notebook (the analyst's view, CI's check) shows what the corpus run rendered
    without a kernel: exported, it is the same report, byte for byte."""
    import papermill

    from pipeline.report import render

    monkeypatch.setenv("ANNUAL_FIGURES_ROOT", str(built))
    out = tmp_path / "31-report-one.ipynb"
    papermill.execute_notebook(str(built / "notebooks" / "31-report-one.ipynb"), str(out), kernel_name="python3",
                               parameters={"body": "lvliang", "year": 2023}, cwd=str(built / "notebooks"),
                               progress_bar=False)  # fmt: skip
    executed = json.loads(out.read_text("utf-8"))
    outputs_ = [o for c in executed["cells"] for o in c.get("outputs", [])]
    assert outputs_ and all(o["output_type"] == "display_data" for o in outputs_)
    alone = render.render_report(out, "lvliang", 2023, tmp_path / "alone.html")
    assert alone.read_bytes() == (built / "reports" / "lvliang" / "2023.html").read_bytes()


def test_a_second_run_writes_the_same_bytes(built):
    first = outputs(built)
    assert "reports/lvliang/2023.html" in first and "data/processed/figures.parquet" in first
    pipeline_run(built)
    second = outputs(built)
    changed = [k for k in first if first[k] != second.get(k)]
    assert changed == [] and set(first) == set(second)


# ---------------------------------------------------------------- in a browser


def _cjk_font_installed() -> bool:
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60).stdout
    except FileNotFoundError:
        return False
    return bool(found.strip())


def _not_blank(png: Path, size: tuple[int, int]) -> Image.Image:
    image = Image.open(png).convert("RGB")
    assert image.size == size
    grey = image.convert("L")
    inked = sum(grey.histogram()[:200]) / (size[0] * size[1])
    assert inked > 0.02, f"{png}: only {inked:.1%} of the screenshot is not near-white"
    assert len(image.getcolors(1 << 20) or []) > 50
    return image


def test_report_in_a_browser(built, tmp_path):
    assert _cjk_font_installed(), (
        "no CJK system font for the HTML's text: scripts/ensure-browser.sh installs fonts-noto-cjk"
    )
    url = (built / "reports" / "lvliang" / "2023.html").as_uri()
    with Chromium() as browser:
        log = browser.open(url, 1280, 900)
        assert log.errors == []
        assert all(u.startswith(("file://", "data:")) for u in log.requests), log.requests
        assert browser.evaluate("document.documentElement.lang") == "zh"
        assert browser.evaluate("document.scripts.length") == 0
        # each chart drawn at its size, its glyphs found (a <use> whose glyph is missing has no box)
        charts = browser.evaluate(
            "[...document.querySelectorAll('svg.chart')].map(s => [s.getBoundingClientRect().width,"
            " s.querySelectorAll('use').length,"
            " Math.min(...[...s.querySelectorAll(':scope > g > use')].map(u => u.getBBox().width))])"
        )
        assert len(charts) == 3 and all(width > 500 and uses > 20 and glyph > 0 for width, uses, glyph in charts)
        assert browser.evaluate("document.images.length") == 0
        assert browser.evaluate("document.querySelectorAll('tr[data-start]').length") == 61
        top = browser.screenshot(tmp_path / "top.png")
        browser.evaluate("document.getElementById('charts').scrollIntoView()")
        charts = browser.screenshot(tmp_path / "charts.png")
        # a console error raised later (a broken image, a script) would show now
        assert browser.log().errors == []
    _not_blank(top, (1280, 900))
    image = _not_blank(charts, (1280, 900))
    colours = image.getcolors(1 << 24) or []
    blue = sum(n for n, (r, g, b) in colours if abs(r - 0x00) < 30 and abs(g - 0x72) < 30 and abs(b - 0xB2) < 30)
    assert blue > 2000, "the charts' bars (#0072B2) are not on the screen"


def test_index_in_a_browser(built, tmp_path):
    with Chromium() as browser:
        log = browser.open((built / "reports" / "index.html").as_uri(), 1280, 900)
        assert log.errors == []
        # the report, the three CSVs, and (issue 15) the coverage view's, indicator pages' and data package's links
        protocols = browser.evaluate("[...document.links].map(a => a.protocol)")
        assert len(protocols) > 4 and set(protocols) == {"file:"}
        shot = browser.screenshot(tmp_path / "index.png")
    _not_blank(shot, (1280, 900))


# ---------------------------------------------------------------- a hostile document

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A project whose document, body names and a published row carry markup, script and bidi overrides."""
    root = tmp_path_factory.mktemp("hostile")
    for part in ("data/reference", "notebooks"):
        shutil.copytree(ROOT / part, root / part)
    folder = root / "data" / "raw" / "hostile" / "2023"
    folder.mkdir(parents=True)
    text = (FIXTURES / "hostile" / "report.txt").read_bytes()
    (folder / "report.txt").write_bytes(text)
    (folder / "source.yaml").write_text(
        "body: hostile\nreport_year: 2023\nfile: report.txt\nencoding: utf-8\n"
        f"sha256: {hashlib.sha256(text).hexdigest()}\n"
        "title: \"工作综述<script>alert('title')</script>\"\n"
        "publisher: '日报<img src=x onerror=alert(4)>'\n"
        "url: 'javascript:alert(5)'\n",
        encoding="utf-8",
    )
    with (root / "data" / "reference" / "bodies.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            [
                "hostile",
                "演示市人大常委会\u202e<script>alert('body')</script>",
                "Standing Committee of the Hostile <img src=x onerror=alert(3)> Municipal People's Congress",
                "city",
                "山西",
            ]
        )
    published = root / "data" / "reference" / "published_figures.csv"
    table = pd.read_csv(published, dtype=str, keep_default_na=False)
    row = dict.fromkeys(table.columns, "")
    row.update(
        row=str(len(table) + 1), body="hostile", body_name="<b>x</b>", organ="standing_committee", inferred="0",
        period_start="2017", period_end="2022-02", period_kind="term_total", indicator_raw="举行常委会会议",
        value="50", unit="次", unit_raw="次", approx="exact", source_url="javascript:alert(6)",
        source_title="<script>alert('published')</script>任期回顾\u202e", source_date="2022-02-26",
    )  # fmt: skip
    buffer = io.StringIO()
    pd.DataFrame([row], columns=table.columns).to_csv(buffer, index=False, header=False, lineterminator="\n")
    with published.open("a", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
    pipeline_run(root, "--body", "hostile", "--year", "2023")
    return root


def test_hostile_document_shows_its_markup_as_text(hostile):
    html = (hostile / "reports" / "hostile" / "2023.html").read_text(encoding="utf-8")
    page = Page(html)
    names = [t for t, _ in page.tags]
    assert "script" not in names and "b" not in names and "img" not in names
    tags = Tags(html)  # the inline charts apart: only our drawing elements, one per chart box
    assert_charts_are_ours(tags.charts, sum(a.get("class") == "chart-box" for _, a in tags.tags))
    assert tags.charts and "svg" not in {t for t, _ in tags.tags}
    assert not any(k.startswith("on") for _, a in page.tags for k in a)
    assert not any("javascript" in (a.get("href") or "").lower() for _, a in page.tags)
    assert "\u202e" not in html and "\u202c" not in html
    text = "".join(page.text)
    for shown in (
        SCRIPT,
        IMG,
        "<script>alert('title')</script>",
        "<script>alert('published')</script>",
        "javascript:alert(6)",
    ):
        assert shown in text
    assert "<script>alert('body')</script>" in page.title  # the title is text too
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    index = (hostile / "reports" / "index.html").read_text(encoding="utf-8")
    assert "<script" not in index and "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in index


def test_hostile_document_in_a_browser(hostile):
    with Chromium() as browser:
        log = browser.open((hostile / "reports" / "hostile" / "2023.html").as_uri(), 1280, 900)
        assert log.errors == []
        assert browser.evaluate("document.scripts.length") == 0
        foreign = "svg:not(.chart):not(.glyphs), svg svg, svg script, svg foreignObject, iframe, object, embed, img"
        assert browser.evaluate(f"document.querySelectorAll('{foreign}').length") == 0
        # the charts' shared glyphs: one hidden <svg> of outlines only
        assert browser.evaluate("document.querySelectorAll('svg.glyphs').length") == 1
        assert browser.evaluate("document.querySelectorAll('svg.glyphs *:not(defs):not(path)').length") == 0
        boxed = "[...document.querySelectorAll('svg.chart')].every(s => s.parentNode.className == 'chart-box')"
        assert browser.evaluate(boxed)
        text = browser.evaluate("document.body.innerText")
        assert SCRIPT in text and IMG in text
        assert not any(e.get("method") == "Page.javascriptDialogOpening" for e in browser._events)
