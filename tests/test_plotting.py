"""Charts: Chinese without missing glyphs, and the same PNG bytes for the same input."""

import io
import warnings
from importlib import resources
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure
from PIL import Image

from pipeline.report import charts as plotting

CHINESE = "常委会会议 人事任免 执法检查 代表建议 吕梁市 2023 年"


def _draw(text: str) -> None:
    # a bare Figure's canvas draws nothing; rendering to PNG, as the reports do, lays out the glyphs
    figure = Figure(figsize=(4, 1))
    figure.text(0.02, 0.5, text)
    plotting.png_bytes(figure)


def test_the_cjk_font_comes_from_the_package_and_comes_first():
    family = plotting.setup_cjk_font()
    assert family == "Noto Sans SC"
    with resources.as_file(plotting.cjk_font_path()) as path:
        assert Path(path).is_file() and Path(path).stat().st_size > 1_000_000
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]
    assert matplotlib.rcParams["font.sans-serif"][:2] == ["Noto Sans SC", plotting.FALLBACK_FAMILY]
    assert plotting.setup_cjk_font() == family  # idempotent
    assert matplotlib.rcParams["font.sans-serif"].count("Noto Sans SC") == 1


def test_chinese_renders_without_missing_glyphs():
    plotting.setup_cjk_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _draw(CHINESE)


def test_without_the_cjk_font_the_same_text_warns():
    # the check above can fail: with only DejaVu Sans the glyphs are missing and matplotlib says so
    plotting.setup_cjk_font()
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        with pytest.warns(UserWarning, match="missing from font"):
            _draw(CHINESE)


def test_every_chart_renders_chinese_without_warnings_and_deterministically():
    parts = [("立法 Legislation", 6, 1), ("监督 Supervision", 5, 0), ("乡村振兴 Rural revitalisation", 0, 10)]
    panels = [
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
    series = [
        plotting.Series(
            "制定法规（累计）\nLaws enacted, cumulative", "件", ((2023.4, 20, "2023-05"), (2024.5, 22, "2024-06"))
        )
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figures = [plotting.parts_chart(parts), plotting.baselines_chart(panels), plotting.series_chart(series)]
        first = [plotting.png_bytes(f) for f in figures]
    again = [
        plotting.png_bytes(plotting.parts_chart(parts)),
        plotting.png_bytes(plotting.baselines_chart(panels)),
        plotting.png_bytes(plotting.series_chart(series)),
    ]
    assert first == again
    assert len(figures[1].axes) == 2  # one panel per indicator
    labels = [t.get_text() for t in figures[1].axes[0].get_yticklabels()]
    assert labels == ["吕梁市 2023 本年", "吕梁市 2017–2022-02 任期年均", "湖州市 Huzhou 2022"]
    for png in first:
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size[0] > 500
        assert "Software" not in image.info and not any("date" in k.lower() for k in image.info)


def test_data_uri_is_an_embeddable_png():
    uri = plotting.png_data_uri(plotting.parts_chart([("会议 Meetings", 2, 0)]))
    assert uri.startswith("data:image/png;base64,iVBORw0KGgo")
