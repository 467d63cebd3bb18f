"""The report's HTML fragments on tiny inputs: hostile text stays text, numbers and methods are shown
as the data says, the index lists reports newest first."""

import re
import sys
import unicodedata
from html.parser import HTMLParser

import pandas as pd
import pytest

from pipeline.panel import PANEL_COLUMNS
from pipeline.reference.indicators import by_id
from pipeline.report import data as report_data
from pipeline.report import format as fmt
from pipeline.report import fragments

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
RLO = "\u202e"


class Tags(HTMLParser):
    """Every start tag with its attributes, to see what a browser would build; the tags inside each
    inline <svg> apart, in `charts`."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.charts: list[list[tuple[str, dict[str, str | None]]]] = []
        self.text: list[str] = []
        self._depth = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "svg" or self._depth:
            if tag == "svg" and not self._depth:
                self.charts.append([])
            self.charts[-1].append((tag, dict(attrs)))
            self._depth += tag in CHART_CONTAINERS
        else:
            self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self._depth and tag in CHART_CONTAINERS:
            self._depth -= 1

    def handle_data(self, data):
        self.text.append(data)


# what a chart's inline SVG may hold (report.svg): shapes, glyphs placed by <use>, a hatch pattern
CHART_CONTAINERS = {"svg", "title", "desc", "defs", "g", "pattern"}
CHART_ELEMENTS = CHART_CONTAINERS | {"path", "use", "rect", "line", "polyline", "circle"}


def assert_charts_are_ours(charts: list[list[tuple[str, dict]]], count: int) -> None:
    """`count` inline charts, each an <svg class="chart" role="img"> of drawing elements only: no
    script, no foreign content, no event handler, no reference leaving the page; beside them at
    most one hidden <svg class="glyphs"> of glyph outlines only, which the charts' <use>s may draw."""
    sheets = [c for c in charts if c[0][1].get("class") == "glyphs"]
    charts = [c for c in charts if c[0][1].get("class") != "glyphs"]
    assert len(sheets) <= 1
    shared = set()
    for sheet in sheets:
        assert sheet[0] == ("svg", {"xmlns": "http://www.w3.org/2000/svg", "class": "glyphs", "aria-hidden": "true"})
        assert [t for t, _ in sheet[1:]] == ["defs"] + ["path"] * (len(sheet) - 2)
        assert all(set(a) == {"id", "d"} for _, a in sheet[2:])
        shared = {a["id"] for _, a in sheet[2:]}
    assert len(charts) == count
    for chart in charts:
        ids = shared | {a["id"] for _, a in chart if a.get("id")}
        assert all(a["href"][1:] in ids for t, a in chart if t == "use"), "a <use> finds no glyph in the page"
    for chart in charts:
        tag, root = chart[0]
        assert tag == "svg" and root.get("class") == "chart" and root.get("role") == "img"
        assert {t for t, _ in chart} <= CHART_ELEMENTS, {t for t, _ in chart} - CHART_ELEMENTS
        attributes = [(k, v or "") for _, a in chart for k, v in a.items()]
        assert not any(k.startswith("on") for k, _ in attributes)
        assert all(v.startswith("#") for k, v in attributes if k.endswith("href"))
        assert all(v.startswith("url(#") or "(" not in v for k, v in attributes if k in ("fill", "stroke"))


def _panel_row(**kw) -> dict:
    row = dict.fromkeys(PANEL_COLUMNS, "")
    row.update(kw)
    return row


def tiny_data(
    sentence: str = f"全年召开常委会会议9次{SCRIPT}，作出决议决定5项{IMG}。", **meta
) -> report_data.ReportData:
    indicators = by_id()
    start_9 = sentence.index("9次")
    start_5 = sentence.index("5项")
    doc = "demo/2023/doc.txt"
    figures = [
        _panel_row(
            body="demo", report_year=2023, period_start="2023-01-01", period_end="2023-12-31",
            period_kind="calendar_year", kind="actual", indicator_id="sc_sessions",
            indicator_zh=indicators["sc_sessions"].zh, indicator_en=indicators["sc_sessions"].en,
            indicator="召开常委会会议", value=9.0, unit="次", approx="exact", source_type="document", source=doc,
            start=100 + start_9, end=100 + start_9 + 2, text="9次", category="meetings", section=f"一、{SCRIPT}",
            evidence=sentence,
        ),
        _panel_row(
            body="demo", report_year=2023, period_start="2023-01-01", period_end="2023-12-31",
            period_kind="calendar_year", kind="actual", indicator_id="", indicator_zh="", indicator_en="",
            indicator=f"作出{IMG}", value=5.0, unit="项", approx="more_than", source_type="document", source=doc,
            start=100 + start_5, end=100 + start_5 + 2, text="5项", category="decisions", section="",
            evidence=sentence,
        ),
    ]  # fmt: skip
    published = [
        _panel_row(
            body="peer", report_year=2022, period_start="2022-01-01", period_end="2022-12-31",
            period_kind="calendar_year", kind="actual", indicator_id="sc_sessions",
            indicator_zh=indicators["sc_sessions"].zh, indicator_en=indicators["sc_sessions"].en,
            indicator=f"举行常委会会议{SCRIPT}", value=10.0, unit="次", approx="exact", source_type="published",
            source="javascript:alert(1)", evidence=f"{IMG}标题", source_date="2023-03-01",
        ),
        _panel_row(
            body="demo", report_year=pd.NA, period_start="2017", period_end="2022-02", period_kind="term_total",
            kind="actual", indicator_id="sc_sessions", indicator_zh=indicators["sc_sessions"].zh,
            indicator_en=indicators["sc_sessions"].en, indicator="举行常委会会议", value=60.0, unit="次",
            approx="exact", source_type="published", source="https://example.org/a?b=1&c=\"2\"",
            evidence="任期回顾", source_date="2022-02-26",
        ),
    ]  # fmt: skip
    doc_frame = pd.DataFrame(figures)
    doc_frame["sentence_start"] = 100
    panel = pd.DataFrame(figures + published)[PANEL_COLUMNS]
    comparison = pd.DataFrame(
        [
            {
                "body": "demo", "report_year": "2023", "indicator_id": "sc_sessions",
                "indicator_zh": indicators["sc_sessions"].zh, "indicator_en": indicators["sc_sessions"].en,
                "value": "9", "unit": "次", "approx": "exact", "baseline_body": "demo", "baseline_value": "12",
                "baseline_unit": "次", "baseline_start": "2017", "baseline_end": "2022-02",
                "baseline_period": "2017 to 2022-02", "baseline_kind": "term_total_annualised",
                "change": "-3", "pct_change": "-25", "note": f"term total 60 over 5.0 years {SCRIPT}",
                "note_zh": f"任期总数60，任期5.0年{SCRIPT}",
                "baseline_source": "https://example.org/a?b=1&c=\"2\"",
            },
            {
                "body": "demo", "report_year": "2023", "indicator_id": "sc_sessions",
                "indicator_zh": indicators["sc_sessions"].zh, "indicator_en": indicators["sc_sessions"].en,
                "value": "9", "unit": "次", "approx": "exact", "baseline_body": "peer", "baseline_value": "10",
                "baseline_unit": "次", "baseline_start": "2022-01-01", "baseline_end": "2022-12-31",
                "baseline_period": "2022-01-01 to 2022-12-31", "baseline_kind": "peer",
                "change": "-1", "pct_change": "-10", "note": "another city body, 2022: a peer, not a trend",
                "note_zh": "另一市级机关2022年的数字，属同级机关对照，不是趋势",
                "baseline_source": "javascript:alert(1)",
            },
        ]
    )  # fmt: skip
    checks = pd.DataFrame(
        [{"body": "demo", "report_year": "2023", "check": "count_vs_ordinal", "indicator_id": "sc_sessions",
          "status": "pass", "expected": "<= 14", "found": "9", "explanation": f"ordinal {SCRIPT}"}]
    )  # fmt: skip
    bodies = {
        "demo": {
            "name_zh": f"演示市人大常委会{RLO}{SCRIPT}",
            "name_en": f"Standing Committee of the Demo Municipal People's Congress {IMG}",
            "level": "city",
        },
        "peer": {
            "name_zh": "邻市人大常委会",
            "name_en": "Standing Committee of the Peer Municipal People's Congress",
            "level": "city",
        },
    }
    base_meta = {
        "title": f"工作综述{SCRIPT}",
        "publisher": f"日报{IMG}",
        "url": "javascript:alert(1)",
        "sha256": "ab" * 32,
    }
    base_meta.update(meta)
    return report_data.ReportData(
        body="demo",
        year=2023,
        meta=base_meta,
        doc_id=doc,
        bodies=bodies,
        figures=doc_frame,
        panel=panel,
        comparison=comparison,
        checks=checks,
        repairs=pd.DataFrame(
            [{"kind": "joined", "line": "3", "other_line": "5", "at": "12", "detail": f"…{SCRIPT} | 续…"}]
        ),
        rejections=pd.DataFrame([{"start": "1", "end": "3", "text": IMG, "reason": "an article"}]),
        indicators=indicators,
    )


def all_fragments(data: report_data.ReportData) -> str:
    return "".join(
        f(data)
        for f in (
            fragments.header_html,
            fragments.headline_html,
            fragments.comparison_html,
            fragments.charts_html,
            fragments.evidence_html,
            fragments.quality_html,
            fragments.footer_html,
        )
    )


# ---------------------------------------------------------------- text safety


def test_clean_text_strips_bidi_and_control_characters_but_keeps_newlines():
    assert fmt.clean_keeping_line_breaks(f"a{RLO}b\u2066c\u200fd\x00e\x07f\ng\th") == "abcdef\ng h"
    assert (
        fmt.clean_keeping_line_breaks(None) == ""
        and fmt.clean_keeping_line_breaks(float("nan")) == ""
        and fmt.clean_keeping_line_breaks(pd.NA) == ""
    )


def test_text_of_common_characters_is_taken_as_it_is_only_where_the_slow_path_keeps_it():
    # the fast path (one regex over the whole value) must agree with the character-by-character
    # look-up on every code point it lets through, and must let the usual text of a report through
    taken = [chr(cp) for cp in range(sys.maxunicode + 1) if fmt._SHOWN.fullmatch(chr(cp))]
    assert len(taken) > 20000
    kept_one_by_one = "".join(
        ch
        for ch in fmt._BIDI.sub("", "".join(taken))
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs", "Co")
    )
    assert kept_one_by_one == "".join(taken)
    assert fmt._SHOWN.fullmatch("五年来，常委会共举行会议44次（Lüliang: 3.8%）、主任会议７６次。\n“审查”—…")
    assert (
        not fmt._SHOWN.fullmatch(f"会议{RLO}9次")
        and not fmt._SHOWN.fullmatch("a\x1bb")
        and not fmt._SHOWN.fullmatch("\ue000")
    )


def test_esc_escapes_markup_and_quotes():
    assert fmt.esc(SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert fmt.esc('" onmouseover="x') == "&quot; onmouseover=&quot;x"
    assert fmt.esc("一\n二") == "一 二"


@pytest.mark.parametrize(
    ("url", "is_link"),
    [
        ("http://www.sxllnews.cn/a.html", True),
        ("https://example.org/a?b=1&c=2", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ('https://example.org/"onmouseover="alert(1)', False),
        ("//example.org/x", False),
        ("", False),
    ],
)
def test_only_plain_http_urls_become_links(url, is_link):
    html = fragments.link(url)
    tags = Tags(html).tags
    assert (tags == [("a", {"href": url, "rel": "noopener noreferrer"})]) is is_link
    if not is_link:  # shown as text, in a span that may wrap anywhere
        assert tags == [("span", {"class": "url"})]
        assert "<" not in html.replace("&lt;", "").replace('<span class="url">', "").replace("</span>", "")


def test_highlight_marks_the_figure_at_its_offset_and_escapes_the_rest():
    sentence = f"召开会议9次{SCRIPT}，其中9次为专题会议"
    out = fragments.highlight(sentence, sentence.index("9次", 6), "9次")
    assert out.count("<mark>") == 1
    assert "&lt;script&gt;" in out and "<script" not in out
    # the second 9次 is marked, not the first
    assert out.index("<mark>") > out.index("&lt;/script&gt;")
    # an offset that misses falls back to the first occurrence; a line break shows as a cut
    out = fragments.highlight("审查质\n\n效，审查14件", 99, "14件")
    assert "<mark>14件</mark>" in out and 'class="cut"' in out
    # a figure with markup of its own is escaped inside the mark
    assert fragments.highlight(f"x{IMG}y", 1, IMG) == f"x<mark>{fmt.esc(IMG)}</mark>y"


# ---------------------------------------------------------------- hostile fragments


def test_hostile_text_in_every_fragment_stays_text():
    html = all_fragments(tiny_data())
    tags = Tags(html)
    names = {t for t, _ in tags.tags}
    assert "script" not in names and "svg" not in names and "b" not in names and "img" not in names
    # the only SVG is the charts', inlined: drawing elements only
    drawn = [c for c in fragments.report_charts(tiny_data()).values() if c is not None]
    assert drawn
    assert_charts_are_ours(tags.charts, len(drawn))
    # no event handlers, no javascript: links
    assert not any(k.startswith("on") for _, a in tags.tags for k in a)
    assert not any((a.get("href") or "").lower().startswith("javascript") for _, a in tags.tags)
    assert RLO not in html
    text = "".join(tags.text)
    assert SCRIPT in text and IMG in text  # visible to the reader as written
    assert "javascript:alert(1)" in text  # the bad URL is shown, not linked


def test_numbers_methods_and_evidence_as_the_data_says():
    data = tiny_data()
    comparison = fragments.comparison_html(data)
    assert "年均" in comparison and "annualised" in comparison and "12 次 /年" in comparison
    assert "2017–2022-02" in comparison and "-25.0%" in comparison
    assert "邻市" in comparison and "Peer" in comparison  # the peer's short names, both languages
    # the method note in Chinese, the English beside it
    assert "<td>任期总数60，任期5.0年&lt;script&gt;" in comparison  # styled as a note by its column (report.css)
    assert '<i lang="en">term total 60 over 5.0 years &lt;script&gt;' in comparison
    evidence = fragments.evidence_html(data)
    rows = [a for t, a in Tags(evidence).tags if t == "tr" and "data-start" in a]
    assert [(r["data-value"], r["data-unit"], r["data-indicator"]) for r in rows] == [
        ("9", "次", "sc_sessions"),
        ("5", "项", ""),
    ]
    marks = dict(re.findall(r'<mark data-fig="(\d+)">(.*?)</mark>', evidence))
    assert marks == {r["data-start"]: text for r, text in zip(rows, ["9次", "5项"], strict=True)}
    assert "未归入指标" in evidence  # the unmapped figure says so
    assert 'href="https://example.org/a?b=1&amp;c=&quot;2&quot;"' not in evidence  # a quote in a URL: no link
    headline = fragments.headline_html(data)
    assert 'href="#fig-' in headline and ">9</span>" in headline and "任期年均 12/年" in headline


def test_index_lists_reports_newest_first_and_escapes():
    entries = [
        report_data.IndexEntry("a", 2021, "甲", "A", "二〇二一", "s1", "a/2021.html"),
        report_data.IndexEntry("b", 2023, "乙", "B", f"标题{SCRIPT}", "s2", "b/2023.html"),
        report_data.IndexEntry("a", 2023, "甲", "A", "二〇二三", "s3", "a/2023.html"),
    ]
    html = fragments.index_html(entries, [("figures.csv", "downloads/figures.csv", "all figures")], "body{}")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh">' in html
    links = [a["href"] for t, a in Tags(html).tags if t == "a"]
    assert links == ["a/2023.html", "b/2023.html", "a/2021.html", "downloads/figures.csv"]
    assert "<script" not in html and "&lt;script&gt;" in html


def test_summary_line_gives_headline_figures_and_checks():
    text = report_data.summary_text(tiny_data())
    assert text.startswith("常委会会议 9 次")
    assert "2 figures, 1 mapped to 1 indicators" in text and "checks: 1 pass" in text


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [("2022-01-01", "2022-12-31", "2022"), ("2017", "2022-02", "2017–2022-02"), ("2023-12", "2023-12", "2023-12")],
)
def test_period_labels(start, end, expected):
    assert fmt.period_label(start, end) == expected


def test_number_formats():
    assert fmt.number(20000.0) == "20,000" and fmt.number("3.8") == "3.8" and fmt.number("") == ""
    assert fmt.percent("-28.571") == "-28.6%" and fmt.percent("0.01") == "0%" and fmt.percent("") == ""
    assert re.fullmatch(r"\+1,937", fmt.signed(1937.0))


def test_the_template_ships_with_the_package():
    # a wheel carries only what package-data names: every template file must match one of its globs
    import fnmatch
    import tomllib

    from .conftest import ROOT

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["pipeline.report"]
    package = ROOT / "src" / "pipeline" / "report"
    files = [p.relative_to(package).as_posix() for p in (package / "templates").rglob("*") if p.is_file()]
    assert {
        "templates/report/static/report.css",
        "templates/fragments/macros.html.j2",
        "templates/fragments/comparison.html.j2",
        "templates/pages/index.html.j2",
    } <= set(files)
    assert [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)] == []


# ---------------------------------------------------------------- templates


def test_every_baseline_kind_compare_writes_has_a_method_label():
    from pipeline.compare.baselines import BASELINE_KINDS

    assert set(fmt.METHODS) == set(BASELINE_KINDS)


def test_fragments_are_one_line_of_html_however_their_templates_are_laid_out():
    # the templates are indented over many lines; the notebook's outputs (and so the report's bytes)
    # were always one line per fragment
    html = all_fragments(tiny_data(sentence=f"全年召开常委会会议9次{SCRIPT}，\n作出决议决定5项{IMG}。"))
    assert "\n" not in html and "  <" not in html
    assert 'class="cut"' in html  # the source's line break is still shown, as a marked cut


def test_a_value_a_template_prints_is_cleaned_and_escaped_without_a_filter():
    template = fragments.environment().from_string("<p title='{{ x }}'>{{ x }}</p>")
    assert template.render(x=f"{RLO}<b>it's</b>\n") == (
        "<p title='&lt;b&gt;it&#x27;s&lt;/b&gt; '>&lt;b&gt;it&#x27;s&lt;/b&gt; </p>"
    )


def test_baseline_periods_come_from_baseline_start_and_end():
    data = tiny_data()
    data.comparison = data.comparison.drop(columns="baseline_period")
    assert "2017–2022-02" in fragments.comparison_html(data)
    assert "（2017–2022-02）" in fragments.headline_html(data)
    data.comparison["baseline_start"] = "2018"  # the start column, not a string taken apart, says it
    assert "2018–2022-02" in fragments.comparison_html(data)


def test_a_cumulative_difference_cites_the_earlier_running_total_first():
    data = tiny_data()
    indicators = by_id()
    later, earlier = (
        {
            "body": "demo", "report_year": 2023, "period_start": "2017-01-01", "period_end": end,
            "period_kind": "cumulative", "kind": "actual", "indicator_id": "sc_sessions",
            "indicator_zh": indicators["sc_sessions"].zh, "indicator_en": indicators["sc_sessions"].en,
            "value": value, "unit": "次", "approx": "exact", "source_type": "published", "source": url,
        }
        for end, value, url in (("2023-12", 50.0, "https://example.org/b"), ("2022-12", 40.0, "https://example.org/a"))
    )  # fmt: skip
    data.panel = pd.concat([data.panel, pd.DataFrame([later, earlier])], ignore_index=True)
    row = data.comparison.iloc[0].copy()
    row.update(
        {"baseline_kind": "cumulative_difference", "baseline_start": "2022-12", "baseline_end": "2023-12",
         "baseline_period": "", "baseline_value": "10", "baseline_source": "https://example.org/b"}
    )  # fmt: skip
    data.comparison = pd.DataFrame([row])
    facts = report_data.published_facts(data)
    ref = dict(zip(facts["period_end"], facts["ref"], strict=False))
    assert report_data.refs_for(facts, row) == [ref["2022-12"], ref["2023-12"]]


def test_index_escapes_download_descriptions_and_inlines_its_own_stylesheet():
    css = 'main > p { font-family: "Noto Sans SC"; }\n'
    html = fragments.index_html([], [("figures.csv", "downloads/figures.csv", f"all {SCRIPT}")], css)
    assert f'<style type="text/css">\n{css}</style>' in html
    assert "all &lt;script&gt;" in html and "<script" not in html
    assert html.endswith("</html>\n")


def test_published_facts_are_ordered_as_pandas_sorts_them_missing_periods_last():
    data = tiny_data()
    base = data.panel[data.panel["source_type"] == "published"].iloc[1].to_dict()  # the body's own term total
    ends = ["2022-02", None, "2019-12", "2022-02", float("nan"), "2018"]
    sources = ["https://b.example/", "https://a.example/", "https://c.example/", "https://a.example/", "x", "y"]
    extra = pd.DataFrame([{**base, "period_end": e, "source": s} for e, s in zip(ends, sources, strict=True)])
    data.panel = pd.concat([data.panel, extra], ignore_index=True)
    facts = report_data.published_facts(data)
    published = data.panel[data.panel["source_type"] == "published"]  # the body's own, and the peer's it cites
    expected = published.sort_values(["indicator_id", "body", "period_end", "source"], kind="mergesort")
    assert len(facts) == len(expected) == 8
    assert facts[["body", "source"]].values.tolist() == expected[["body", "source"]].values.tolist()
    assert facts["period_end"].isna().tolist() == [False] * 5 + [True] * 2 + [False]  # missing: last of the body's
    assert facts["ref"].tolist() == [f"P{i}" for i in range(1, 9)]


def test_the_evidence_names_its_file_once_above_the_rows_not_on_every_row():
    data = tiny_data()
    evidence = fragments.evidence_html(data)
    intro, rows = evidence.split("<tbody>", 1)
    assert data.doc_id in intro and data.doc_id not in rows.split("</tbody>")[0]
    body = rows.split("</tbody>")[0]
    assert body.count('<td class="pos">') == 2 and "demo/2023" not in body  # each row its offsets only
    assert intro.count("demo/2023") >= 2  # the body/year once, in the position column's head (both languages)
    assert re.search(r"<th>位置 · demo/2023 <i lang=\"en\">Position in demo/2023</i></th>", intro)
    assert data.doc_id in fragments.header_html(data)


def test_the_evidence_value_and_indicator_cells_are_styled_by_their_column():
    # issue 12: no class on every row's value and indicator cell; report.css styles the 2nd and 3rd
    # cell of an evidence row as td.n and td.indicator, so every row must start with those three
    from pipeline.report.render import stylesheet

    evidence = fragments.evidence_html(tiny_data())
    rows = re.findall(r'<tr id="fig-\d+"[^>]*>(.*?)</tr>', evidence)
    assert len(rows) == 2
    for row in rows:
        cells = re.findall(r"<td( class=\"[^\"]*\")?>", row)
        assert cells[:3] == [' class="pos"', "", ""] and re.match(r'<td class="pos">\d+–\d+</td><td>\d', row), row
    css = stylesheet()
    assert "td.n, table.evidence td:nth-child(2)," in css and "td.indicator, table.evidence td:nth-child(3) {" in css
    # (tests/test_pages_browser.py checks the computed look of these cells in Chromium)


@pytest.mark.parametrize("variant", ["as given", "no English, unknown part"])
def test_the_evidence_cells_written_out_print_what_the_macros_print(variant):
    # the evidence rows write m.quantity, m.indicator_cell and m.label out (a row per figure); they
    # must give the macros' bytes for every kind of figure: exact or not, mapped or not, labelled or not
    data = tiny_data()
    if variant != "as given":
        data.figures["indicator_en"] = [RLO, ""]  # the mapped figure: nothing left to show once cleaned
        data.figures["category"] = [f"unknown{SCRIPT}", ""]
    m = fragments.environment().get_template("fragments/macros.html.j2").module
    evidence = fragments.evidence_html(data)
    for r in data.figures.itertuples():
        cells = (
            f"<td>{m.quantity(r.value, r.unit, r.approx)}</td>"  # styled by its column (report.css)
            f"<td>{m.indicator_cell(r.indicator_id, r.indicator_zh, r.indicator_en)}"
            f'<div class="raw-label">{fmt.esc(r.indicator)}</div></td>'
            f"<td>{m.label('categories', r.category)}</td>"
        )
        assert cells in evidence
    # the two figures' sections differ, so each has its sentence cell, the section atop it when it has one
    assert f'<td class="sentence"><div class="section-name">{fmt.esc(data.figures["section"][0])}</div>' in evidence
    assert evidence.count('<td class="sentence">') == 2 and evidence.count('class="section-name"') == 1
    assert evidence.count("<mark ") == 2


def test_the_figures_of_one_sentence_share_its_cell_each_marked_and_each_keeping_its_row():
    data = tiny_data()
    data.figures["section"] = "一、监督"  # both figures: one sentence, one section
    evidence = fragments.evidence_html(data)
    body = evidence.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    starts = [int(s) for s in data.figures["start"]]
    rows = re.findall(r'<tr id="fig-(\d+)" data-start="(\d+)"', body)
    assert rows == [(str(s), str(s)) for s in starts]  # a row per figure, linkable by its start
    assert body.count('<td class="sentence" rowspan="2">') == 1 and body.count('class="sentence"') == 1
    assert body.count("一、监督") == 1  # the section written once, with the sentence
    assert re.findall(r'<mark data-fig="(\d+)">(.*?)</mark>', body) == [
        (str(starts[0]), "9次"),
        (str(starts[1]), "5项"),
    ]
    assert body.count(fmt.esc(SCRIPT)) == 1  # the sentence written once, still escaped
    # their parts differ: each row has its own; the same part: written once, spanning both rows
    assert body.count("<td>会议 ") == 1 and body.count("<td>决议决定 ") == 1
    data.figures["category"] = "meetings"
    body = fragments.evidence_html(data).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count('<td rowspan="2">会议 <i lang="en">Meetings</i></td>') == 1
    assert "<td>会议 " not in body and len(re.findall(r"<tr id=", body)) == 2


def _row(start: int, text: str, sentence: str, sentence_start: int = 0, section: str = "s") -> report_data.EvidenceRow:
    return report_data.EvidenceRow(
        start, start + len(text), 1.0, "次", "exact", "", "", "", "", "other", section, sentence, text,
        None if sentence_start is None else start - sentence_start, "", "1", "1", False, "", "其他", "Other",
    )  # fmt: skip


def test_evidence_groups_keep_every_figure_marked_whole_and_once():
    sentence = "召开会议12次，其中2次为专题会议。"
    at = sentence.index
    rows = [_row(at("12次"), "12次", sentence), _row(at("2次为"), "2次", sentence)]
    groups = report_data.evidence_groups(rows)
    assert [len(g.rows) for g in groups] == [2]
    assert [t for t in groups[0].tokens if t[0] == "mark"] == [("mark", str(at("12次"))), ("mark", str(at("2次为")))]
    # a figure inside another's text (its offset pointing into "12次") gets a sentence cell of its own
    inside = [_row(at("12次"), "12次", sentence), _row(at("2次"), "2次", sentence)]
    assert [len(g.rows) for g in report_data.evidence_groups(inside)] == [1, 1]
    # another sentence, another section, or no known offset: not grouped
    other = [_row(0, "12次", "12次"), _row(10, "3次", "3次", 10)]
    assert [len(g.rows) for g in report_data.evidence_groups(other)] == [1, 1]
    sections = [_row(at("12次"), "12次", sentence), _row(at("2次为"), "2次", sentence, section="t")]
    assert [len(g.rows) for g in report_data.evidence_groups(sections)] == [1, 1]
    unknown = [_row(at("12次"), "12次", sentence, None), _row(at("2次为"), "2次", sentence, None)]
    assert [len(g.rows) for g in report_data.evidence_groups(unknown)] == [1, 1]
    # a figure whose text is not in its sentence stays in the group, unmarked, as before
    missing = [_row(at("12次"), "12次", sentence), _row(at("2次为"), "9件", sentence)]
    groups = report_data.evidence_groups(missing)
    assert [len(g.rows) for g in groups] == [2] and sum(t[0] == "mark" for t in groups[0].tokens) == 1
