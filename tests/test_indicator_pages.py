"""Issue 15: indicator pages across bodies and years, and the index's coverage view, on the seed plus a
second year of its body (tests/fixtures/second_year), built in this process."""

from __future__ import annotations

import html as html_lib
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, copy_project
from tests.test_publish import point_paths
from tests.test_report import Tags, assert_charts_are_ours


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from pipeline.compare.step import compare_year
    from pipeline.extract.clean import clean_document
    from pipeline.panel import build_panel
    from pipeline.reference import indicators
    from pipeline.report.render import write_index

    root = copy_project(tmp_path_factory.mktemp("pages"))
    shutil.copytree(FIXTURES / "second_year" / "lvliang" / "2024", root / "data" / "raw" / "lvliang" / "2024")
    with pytest.MonkeyPatch.context() as mp:
        point_paths(mp, root)
        for year in (2023, 2024):
            clean_document("lvliang", year)
        build_panel()
        for year in (2023, 2024):
            compare_year("lvliang", year)
        for year in (2023, 2024):  # stand-ins for the rendered reports, so the index lists them
            (root / "reports" / "lvliang").mkdir(parents=True, exist_ok=True)
            (root / "reports" / "lvliang" / f"{year}.html").write_text("<p>report</p>", encoding="utf-8")
        write_index()
        yield root
    indicators.default_taxonomy.cache_clear()


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_sc_sessions_page_has_the_years_and_the_peers(site):
    html = read(site / "reports" / "indicators" / "sc_sessions.html")
    assert "常委会会议" in html or "Standing committee" in html
    assert 'href="../lvliang/2023.html#fig-' in html and 'href="../lvliang/2024.html#fig-' in html
    assert html.count("吕梁市人大常委会") >= 2
    bodies = set(re.findall(r"<tr><td>([^<]+)<div", html))
    assert len(bodies) >= 2, bodies  # the body and at least one published peer
    charts = Tags(html).charts  # one inline SVG chart: the body's line and its peers', named in its <desc>
    assert_charts_are_ours(charts, 1)
    desc = re.search(r"<desc>([^<]*)</desc>", html).group(1)
    assert re.match(r"吕梁市: 2022 11.6, 2023 9, 2024 8; ", desc) and desc.count(": ") >= 2
    assert 'href="sc_sessions.csv"' in html and (site / "reports" / "indicators" / "sc_sessions.csv").is_file()
    assert "How to cite" in html and "version" in html


def test_definition_comes_from_the_taxonomy(site):
    from pipeline.reference.indicators import by_id

    indicator = by_id()["sc_sessions"]
    html = read(site / "reports" / "indicators" / "sc_sessions.html")
    assert indicator.definition_en and indicator.definition_en in html_lib.unescape(html)


def test_index_links_every_indicator_page_and_shows_coverage(site):
    html = read(site / "reports" / "index.html")
    pages = sorted(p.name for p in (site / "reports" / "indicators").glob("*.html"))
    assert pages and all(f'href="indicators/{p}"' in html for p in pages)
    assert 'id="coverage"' in html and 'href="lvliang/2024.html"' in html
    assert "datapackage.json" in html and "annual_figures.sqlite" in html


def test_page_csv_holds_only_that_indicator(site):
    import pandas as pd

    rows = pd.read_csv(site / "reports" / "indicators" / "sc_sessions.csv", dtype=str, keep_default_na=False)
    assert len(rows) >= 3 and set(rows["indicator_id"]) == {"sc_sessions"}


def test_same_data_same_bytes(site):
    from pipeline.report.render import write_index

    before = read(site / "reports" / "indicators" / "sc_sessions.html")
    with pytest.MonkeyPatch.context() as mp:
        point_paths(mp, site)
        write_index()
    assert read(site / "reports" / "indicators" / "sc_sessions.html") == before


def test_every_character_of_every_chart_label_has_a_glyph(site):
    """The conventions' "no missing glyphs" test: every character a report's charts or an indicator
    page's chart draws comes from a font (Noto Sans SC, else DejaVu Sans), none is a box."""
    from pipeline.report import data as report_data
    from pipeline.report import fonts
    from pipeline.report import indicator_pages as pages
    from pipeline.report.fragments import report_charts

    with pytest.MonkeyPatch.context() as mp:
        point_paths(mp, site)
        data = report_data.load("lvliang", 2024)
        charts = report_charts(data)
        assert all(charts.values())  # parts, baselines and a series: the second year makes one
        frame = data.panel[data.panel["indicator_id"] == "sc_sessions"]
        drawing, _ = pages.indicator_chart(data.indicators["sc_sessions"], pages.page_rows(
            frame, data.bodies, {("lvliang", "2023"), ("lvliang", "2024")}), data.bodies, {"lvliang"})  # fmt: skip
    assert all(chart.missing == () for chart in charts.values()) and drawing.missing == set()
    drawn = "".join(t[4] for t in drawing.texts) + "".join(re.findall(r"<desc>([^<]*)", "".join(
        str(c.svg) for c in charts.values())))  # fmt: skip
    assert re.search(r"[\u4e00-\u9fff]", drawn)
    for char in set(drawn) - {" "}:
        glyph = fonts.glyph(char)
        assert glyph.path and not glyph.missing, f"{char!r} (U+{ord(char):04X}) has no glyph"
