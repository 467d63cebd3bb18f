"""Charts: SVG whose text is glyph outlines, so Chinese shows without a CJK font; no glyph missing, no
label touching another, the same bytes in any process; matplotlib's set-up for analysts' own charts."""

import hashlib
import os
import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import matplotlib
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pipeline.report import charts as plotting
from pipeline.report import fonts, svg

CHINESE = "常委会会议 人事任免 执法检查 代表建议 吕梁市 2023 年"
NS = {"s": "http://www.w3.org/2000/svg"}
HEBREW = "א"  # Noto Sans SC has no Hebrew; DejaVu Sans has
PRIVATE = "\ue000"  # a private-use character: no font has it

PARTS = [("立法 Legislation", 6, 1), ("监督 Supervision", 5, 0), ("乡村振兴 Rural revitalisation", 0, 10)]
PANELS = [
    plotting.Panel(
        "常委会会议（次）\nStanding committee sessions",
        (
            plotting.Bar("吕梁市 2023 本年", 9, "this_year"),
            plotting.Bar("吕梁市 2017–2022-02 任期年均", 12, "own_past", True),
            plotting.Bar("湖州市 Huzhou 2022", 10, "peer"),
        ),
    ),
    plotting.Panel("制定法规（件）\nLaws enacted", (plotting.Bar("吕梁市 2023 本年", 3, "this_year"),)),
]
VALUES = [467, 4, 397, 20, 55, 9, 9, 33, 4, 12032]
YEARS = tuple((float(y), v, str(y)) for y, v in zip(range(2015, 2025), VALUES, strict=True))
CUMULATIVE = ((2023.4, 20, "2023-05"), (2024.5, 22, "2024-06"))
SERIES = [
    plotting.Series("制定法规（累计）\nLaws enacted, cumulative", "件", CUMULATIVE),
    plotting.Series("审议议题（自然年）\nAgenda items reviewed, calendar year", "项", YEARS, 2024.0),
]


def charts() -> list[svg.Drawing]:
    return [plotting.parts_chart(PARTS), plotting.baselines_chart(PANELS * 5), plotting.series_chart(SERIES * 5)]


def parsed(drawing: svg.Drawing) -> ET.Element:
    return ET.fromstring(drawing.svg("alt text"))


# ---------------------------------------------------------------- fonts and glyphs


def test_the_cjk_font_comes_from_the_package():
    with resources.as_file(plotting.cjk_font_path()) as path:
        assert Path(path).is_file() and Path(path).stat().st_size > 1_000_000
        assert Path(path).name == fonts.FONT_FILE


def test_every_chinese_character_has_a_glyph_of_the_cjk_font():
    for char in CHINESE.replace(" ", ""):
        glyph = fonts.glyph(char)
        assert glyph.key.startswith("a") and not glyph.missing, char
        assert re.fullmatch(r"m-?\d+[ -]?-?\d+[mlhvcz0-9 -]*z", glyph.path), glyph.path[:60]
        assert glyph.advance == (fonts.EM if "\u4e00" <= char <= "\u9fff" else 555)  # CJK: one em wide
    assert 0 < fonts.glyph("1").advance < fonts.EM and fonts.glyph(" ").path == ""


def test_a_character_the_cjk_font_lacks_comes_from_the_fallback():
    assert fonts.fallback_font_path() is not None and fonts.fallback_font_path().name == "DejaVuSans.ttf"
    glyph = fonts.glyph(HEBREW)
    assert glyph.key.startswith("b") and glyph.path and not glyph.missing


def test_a_character_no_font_has_is_a_visible_box_and_is_recorded(caplog):
    fonts.glyph.cache_clear()
    with caplog.at_level("WARNING", logger="pipeline.report.fonts"):
        drawing = plotting.parts_chart([(f"会议{PRIVATE} Meetings", 2, 0)])
    assert drawing.missing == {PRIVATE}
    assert "U+E000" in caplog.text
    defs = parsed(drawing).find("s:defs", NS)
    assert any(p.get("d") == fonts.BOX_PATH for p in defs.findall("s:path", NS))
    # the same label without it: nothing missing (the check above can fail)
    assert plotting.parts_chart([("会议 Meetings", 2, 0)]).missing == set()


def test_invisible_characters_draw_nothing_and_are_not_missing():
    drawing = svg.Drawing(100, 20, "t")
    drawing.text(0, 10, "会\u200b议\u202e\ufe0f", 10)
    assert drawing.missing == set() and drawing.body[-1][-1].count("<use") == 2  # the line's <use>s, last


# ---------------------------------------------------------------- the SVG


def test_charts_are_svg_with_glyphs_defined_once_and_no_text_element():
    for drawing in charts():
        root = parsed(drawing)
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("role") == "img"
        assert root.find("s:title", NS).text and root.find("s:desc", NS).text == "alt text"
        assert not list(root.iter("{http://www.w3.org/2000/svg}text"))  # glyph outlines, no font needed
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert len(ids) == len(set(ids))  # each glyph, pattern and repeated line defined once
        refs = {e.get("href")[1:] for e in root.iter("{http://www.w3.org/2000/svg}use")}
        assert refs and refs <= set(ids)  # every <use> finds its glyph
        fills = {e.get("fill") for e in root.iter() if (e.get("fill") or "").startswith("url(")}
        assert all(f[5:-1] in ids for f in fills)
        # ids carry the chart's prefix: charts inlined in one page never share one
        assert all(i.startswith(drawing.prefix) for i in ids) and drawing.prefix


def test_charts_of_one_page_share_one_definition_of_each_glyph():
    drawings = charts()
    sheet = ET.fromstring(svg.glyph_sheet(drawings, "g"))
    defined = [p.get("id") for p in sheet.findall("s:defs/s:path", NS)]
    assert defined == sorted(defined) and len(defined) == len(set(defined))
    assert set(defined) == {"g" + key for d in drawings for key in d.glyphs}
    shared = set(defined)
    for drawing in drawings:
        root = ET.fromstring(drawing.markup("alt text", glyphs="g"))
        own = {e.get("id") for e in root.iter() if e.get("id")}
        assert not own & shared and not root.findall("s:defs/s:path", NS)  # no glyph of its own
        refs = {e.get("href")[1:] for e in root.iter("{http://www.w3.org/2000/svg}use")}
        assert refs and refs <= own | shared and refs & shared
        # the same chart stand-alone still defines every glyph it draws, under its own prefix
        alone = parsed(drawing)
        assert len(alone.findall("s:defs/s:path", NS)) == len(drawing.glyphs)
    # a sheet of glyphs the three charts repeat is smaller than their own three sets
    assert len(defined) < sum(len(d.glyphs) for d in drawings)
    assert svg.glyph_sheet(drawings, "g") == svg.glyph_sheet(charts(), "g")


def test_coordinates_are_rounded_to_a_tenth_of_a_pixel():
    markup = charts()[2].markup()
    numbers = re.findall(r'(?:x|y|x1|y1|x2|y2|cx|cy|width|height)="(-?[\d.]+)"', markup)
    assert numbers and all(len(n.partition(".")[2]) <= 1 for n in numbers)
    assert all(len(n.partition(".")[2]) <= 1 for n in re.findall(r"translate\(([-\d.]+)", markup))
    assert svg.num(-0.04) == "0" and svg.num(12.0) == "12" and svg.num(123456.78) == "123456.8"


def test_glyph_outlines_are_in_hundredths_of_an_em_placed_at_the_size_they_were_drawn():
    # issue 12: outlines in 1/OUTLINE em (a hundredth: 0.15 px at 15 px), so a glyph's numbers are
    # a digit shorter than in EM units; the line's scale and offsets are in the same units
    assert fonts.OUTLINE == 100
    path = fonts.glyph("审").path
    numbers = [int(n) for n in re.findall(r"-?\d+", path)]
    assert numbers and max(abs(n) for n in numbers) <= fonts.OUTLINE * 1.2  # within an em and a bit
    d = svg.Drawing(200, 40, "t")
    d.text(100, 20, "审议 ab", 12, "middle")
    markup = d.markup()
    assert "scale(0.12)" in markup  # 12 px over 100 units
    offsets = [int(x) for x in re.findall(r'<use href="#[^"]+" x="(-?\d+)"', markup)]
    width = fonts.line_width("审议 ab") * fonts.OUTLINE / fonts.EM
    assert offsets and min(offsets) == round(-width / 2) and max(offsets) < width / 2  # centred, in outline units


def test_a_line_drawn_again_is_defined_once_with_its_scale_and_placed_by_x_and_y():
    d = svg.Drawing(300, 100, "t")
    for y in (20, 40):
        d.text(10, y, "审议 2016", 12)
    d.text(10, 60, "审议 2016", 11)  # another size: its own definition
    d.text(10, 80, "审议 2016", 11, fill="#999")
    markup = d.markup()
    defs = re.findall(r'<g id="(r[0-9a-f]{5})" transform="scale\((0\.1[12])\)">', markup)
    assert sorted(scale for _, scale in defs) == ["0.11", "0.12"]
    placed = re.findall(r'<use href="#(r[0-9a-f]{5})" x="10" y="(\d+)"( fill="#999")?/>', markup)
    assert [y for _, y, _ in placed] == ["20", "40", "60", "80"] and placed[3][2]
    assert "translate(" not in markup  # every line here is a placed definition


def test_hatched_bars_fill_with_a_pattern():
    root = parsed(plotting.baselines_chart(PANELS))
    patterns = root.findall("s:defs/s:pattern", NS)
    assert [p.get("id") for p in patterns] == ["bhE69F00"]
    hatched = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("fill") == "url(#bhE69F00)"]
    assert len(hatched) == 2  # the derived bar and its legend entry


def test_same_input_gives_the_same_bytes_in_another_process():
    first = [d.svg("x") for d in charts()]
    assert first == [d.svg("x") for d in charts()]
    code = (
        "import sys, hashlib; from tests.test_plotting import charts; "
        "sys.stdout.write(' '.join(hashlib.sha256(d.svg('x')).hexdigest() for d in charts()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                         cwd=Path(__file__).resolve().parents[1], check=True).stdout  # fmt: skip
    assert out.split() == [hashlib.sha256(b).hexdigest() for b in first]


# ---------------------------------------------------------------- layout


def _overlaps(drawing: svg.Drawing) -> list[tuple[str, str]]:
    boxes = drawing.texts
    return [
        (a[4], b[4])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5
    ]


def test_no_label_touches_another_and_all_stay_inside():
    for drawing in charts():
        assert _overlaps(drawing) == []
        assert all(0 <= x0 and x1 <= drawing.width and 0 <= y0 and y1 <= drawing.height
                   for x0, y0, x1, y1, _ in drawing.texts)  # fmt: skip


def test_the_overlap_check_can_fail():
    drawing = svg.Drawing(200, 40, "t")
    drawing.text(10, 20, "会议 2023", 11)
    drawing.text(30, 22, "12,000", 11)
    assert _overlaps(drawing) == [("会议 2023", "12,000")]


def test_series_value_labels_sit_below_the_title_and_ticks_have_thousands_separators():
    drawing = plotting.series_chart([SERIES[1]])
    texts = {t[4]: t for t in drawing.texts}
    title_bottom = texts["Agenda items reviewed, calendar year（项）"][3]
    assert texts["12,032"][1] > title_bottom  # the highest point's value label, under the title
    assert {"2,500", "5,000", "10,000", "12,500"} <= set(texts)  # y ticks
    years = [t for t in drawing.texts if re.fullmatch(r"20\d\d", t[4])]
    axis = max(t[1] for t in years)  # the x tick labels: the lowest row of years
    assert [t[4] for t in years if t[1] == axis] == [str(y) for y in range(2015, 2025)]


def test_every_year_with_a_point_has_a_tick_even_a_cumulative_ones():
    # points in May 2023 and June 2024: matplotlib's limits cut 2023's tick off
    drawing = plotting.series_chart([SERIES[0]])
    ticks = [t for t in drawing.texts if t[4] in ("2023", "2024")]
    assert sorted(t[4] for t in ticks) == ["2023", "2024"]
    assert all(t[0] >= 0 and t[2] <= drawing.width for t in ticks)


def test_long_labels_are_fitted_not_overlapping():
    name = "某某自治州某某县人民代表大会常务委员会 An exceptionally long English name of the body " * 3
    panel = plotting.Panel(name + "\n" + name, (plotting.Bar(name, 9, "this_year"), plotting.Bar("x", 3, "peer")))
    for drawing in (plotting.baselines_chart([panel, panel]), plotting.parts_chart([(name, 1, 2)], name)):
        assert _overlaps(drawing) == []
        assert all(x1 <= drawing.width for _, _, x1, _, _ in drawing.texts)


# ---------------------------------------------------------------- matplotlib, for analysts' own charts


def _draw(text: str) -> None:
    figure = Figure(figsize=(4, 1))
    figure.text(0.02, 0.5, text)
    FigureCanvasAgg(figure).draw()


def test_setup_cjk_font_puts_the_package_font_first():
    family = fonts.setup_cjk_font()
    assert family == "Noto Sans SC"
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    assert matplotlib.rcParams["font.sans-serif"][:2] == ["Noto Sans SC", fonts.FALLBACK_FAMILY]
    assert fonts.setup_cjk_font() == family  # idempotent
    assert matplotlib.rcParams["font.sans-serif"].count("Noto Sans SC") == 1


def test_matplotlib_renders_chinese_without_missing_glyphs():
    fonts.setup_cjk_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _draw(CHINESE)


def test_without_the_cjk_font_matplotlib_warns():
    # the check above can fail: with only DejaVu Sans the glyphs are missing and matplotlib says so
    fonts.setup_cjk_font()
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        with pytest.warns(UserWarning, match="missing from font"):
            _draw(CHINESE)


def test_xml_text_drops_what_xml_forbids_and_puts_a_chart_label_on_one_line():
    """svg.xml_text as it was, one character at a time: each character XML 1.0 forbids dropped, a tab
    or line break a space, the rest escaped."""
    from xml.sax.saxutils import escape

    from pipeline.report.svg import _forbidden, xml_text

    def by_character(text: str) -> str:
        return escape("".join(" " if c in "\t\n\r" else c for c in text if not _forbidden(c)))

    texts = ["12.5", "a<b&c>d", 'say "hi"', "吕梁 年均\tterm\naverage\r", "\x00\x07bell\x1f", "\ud800lone\udfff",
             "\ufffe\uffff\ufffd", "", " ", "\x7f del", "全角　空格", "bidi\u202eevil", 1234, "e\u0301"]  # fmt: skip
    texts += ["".join(map(chr, range(0, 0x3000, 7))), "".join(map(chr, range(0xD000, 0x10000, 3)))]
    assert [xml_text(t) for t in texts] == [by_character(str(t)) for t in texts]
