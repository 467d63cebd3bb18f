"""An indicator page's chart at corpus scale: past a handful of bodies with a document, an axis
draws their spread year by year (range, middle half, median), not a line and legend entry each;
a few bodies still get a line each, and published peers stay grey lines."""

from __future__ import annotations

import re

import pytest

from pipeline.report import indicator_pages as ip


@pytest.fixture(scope="module")
def sessions():
    from pipeline.reference.indicators import by_id

    return by_id()["sc_sessions"]


def row(body: str, year: int, value: float, kind: str = "calendar_year", source_type: str = "document") -> ip.Row:
    return ip.Row(body, f"{body}人大常委会", body, str(year), f"{year}-12-31", float(value), "次", kind, "exact",
                  source_type, "", "")  # fmt: skip


def chart(rows: list[ip.Row], own: set[str], indicator) -> tuple[str, str, list[str]]:
    """The chart's markup, its alt text and its legend's labels."""
    bodies = {r.body: {"name_zh": r.body_zh, "name_en": r.body_en} for r in rows}
    drawing, alt = ip.indicator_chart(indicator, rows, bodies, own)
    series = ip.series_of(rows, indicator)
    labels = [label for unit, by_body in sorted(series.items())
              for _, _, label in ip._plan(unit, ip._lines(by_body, bodies, own)).legend]  # fmt: skip
    return drawing.markup(alt), alt, labels


def many(bodies: int, years: range) -> list[ip.Row]:
    return [row(f"b{n:02d}", y, n + (y - years.start)) for n in range(bodies) for y in years]


def test_quantiles_interpolate_as_numpy_does():
    values = [1.0, 2.0, 4.0, 8.0]
    assert ip._quantile(values, 0.5) == 3.0
    assert ip._quantile(values, 0.25) == 1.75
    assert ip._quantile(values, 0.75) == 5.0
    assert ip._quantile([7.0], 0.25) == 7.0


def test_many_bodies_are_drawn_as_their_spread(sessions):
    rows = many(20, range(2020, 2023))
    markup, alt, legend = chart(rows, {r.body for r in rows}, sessions)
    assert markup.count('fill-opacity="0.3"') == 2 and markup.count('fill-opacity="0.1"') == 2  # bands, keys
    assert "b05人大常委会" not in alt and legend[0] == "中位数 median of 20 个机关 bodies" and len(legend) == 3
    # 2020: values 0..19 -> median 9.5, quartiles 4.75 and 14.25 (shown to one decimal), range 0-19
    assert "2020: 20 个机关 bodies, 中位数 median 9.5, 四分位 quartiles 4.8–14.2, 范围 range 0–19" in alt
    assert markup.count("<polyline") == 1  # the median; no line per body
    bodies = {r.body: {"name_zh": r.body_zh} for r in rows}
    assert ip._chart(sessions, rows, bodies, {r.body for r in rows})[2]  # the page's caption says so
    assert len(re.findall(r"<circle", markup)) < 10  # a marker per year and the legend's, not per figure


def test_a_few_bodies_keep_a_line_and_a_legend_entry_each(sessions):
    rows = many(3, range(2020, 2023))
    markup, alt, legend = chart(rows, {r.body for r in rows}, sessions)
    assert "fill-opacity" not in markup
    assert markup.count("<polyline") == 3
    assert "median" not in alt and legend == ["b00", "b01", "b02"]
    assert not ip._chart(sessions, rows, {}, {r.body for r in rows})[2]


def test_published_peers_stay_grey_lines_beside_the_spread(sessions):
    rows = many(12, range(2020, 2023)) + [row("peer", y, 3, source_type="published") for y in range(2020, 2023)]
    own = {r.body for r in rows if r.source_type == "document"}
    markup, alt, legend = chart(rows, own, sessions)
    assert markup.count("<polyline") == 2  # the median and the peer
    assert f'stroke="{ip.plotting.PEER}"' in markup
    assert "peer: 2020 3, 2021 3, 2022 3" in alt and legend[-1] == "peer"


def test_term_averages_of_the_many_stay_markers(sessions):
    rows = many(10, range(2020, 2023))
    rows.append(ip.Row("b00", "b00人大常委会", "b00", "2022", "2018-01-01–2022-12-31", 50.0, "次", "term_total",
                       "exact", "document", "", ""))  # fmt: skip
    markup, alt, legend = chart(rows, {r.body for r in rows}, sessions)
    assert legend[-1] == "任期年均 term averages" and "1 个机关的任期年均" in alt
    assert markup.count('stroke="#E69F00"') == 2  # the term's marker group and its legend key


def test_a_single_year_draws_bars_not_bands(sessions):
    rows = many(10, range(2024, 2025))
    markup, _, _ = chart(rows, {r.body for r in rows}, sessions)
    assert markup.count("<polyline") == 0 and "fill-opacity" in markup


def test_bodies_with_only_term_totals_draw_their_markers_alone(sessions):
    rows = [ip.Row(f"b{n:02d}", "b", "b", "2022", "2018-01-01–2022-12-31", 10.0 + n, "次", "term_total", "exact",
                   "document", "", "") for n in range(9)]  # fmt: skip
    markup, alt, legend = chart(rows, {r.body for r in rows}, sessions)
    assert alt == "9 个机关的任期年均 term averages of bodies"
    assert legend == ["任期年均 term averages"] and "fill-opacity" not in markup and "<polyline" not in markup
