"""Charts for the reports: Chinese labels without missing glyphs, the same bytes on every run.

`setup_cjk_font()` registers Noto Sans SC, which the `pylopdf-fonts-zh-cn` package ships (SIL OFL),
so no system font is needed. Chart functions build `matplotlib.figure.Figure` objects without pyplot
(nothing is shown or kept behind the caller's back); `png_data_uri` turns one into an embeddable
image with no date or software version in its metadata.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn: `pipeline run` itself never draws
    from matplotlib.figure import Figure

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"
# The generic fallback after the CJK font: matplotlib's own DejaVu Sans, always installed.
FALLBACK_FAMILY = "DejaVu Sans"
DPI = 120
# charts are flat colours and anti-aliased text: a 128-colour palette looks the same at a third of the bytes
PALETTE_COLOURS = 128
# at most this many panels (baselines) or series in one chart; a note says how many more there are
MAX_PANELS = 8
MEASURE_PT = 10.0

# colours: this year, the body's own earlier periods, peers; colour-blind safe (Okabe-Ito)
THIS_YEAR = "#0072B2"
OWN_PAST = "#E69F00"
PEER = "#999999"
MUTED = "#56B4E9"

_registered: str | None = None


def cjk_font_path():
    """The Simplified Chinese font file inside its package (a Traversable; a real file when installed)."""
    return resources.files(FONT_PACKAGE) / FONT_FILE


def setup_cjk_font() -> str:
    """Register the package's Noto Sans SC with matplotlib and put it first; return its family name.

    Safe to call more than once. Also fixes the SVG hash salt so SVG output is reproducible."""
    global _registered
    import matplotlib
    from matplotlib import font_manager

    if _registered is None:
        with resources.as_file(cjk_font_path()) as path:
            font_manager.fontManager.addfont(str(path))
            _registered = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f not in (_registered, FALLBACK_FAMILY)]
    matplotlib.rcParams["font.sans-serif"] = [_registered, FALLBACK_FAMILY, *rest]
    matplotlib.rcParams["axes.unicode_minus"] = False  # an ASCII hyphen-minus, present in every font
    matplotlib.rcParams["svg.hashsalt"] = "annual-figures"
    matplotlib.rcParams["text.parse_math"] = False  # names from tables are text: `$\x$` is no mathtext
    return _registered


def png_bytes(figure: Figure, dpi: int = DPI) -> bytes:
    """The figure as a palette PNG, byte-identical for identical input (no Software or date metadata).

    Drawn once on an Agg canvas and quantised from its pixel buffer: savefig would lay a constrained
    figure out in a draw of its own first, then encode a PNG only for us to decode it again."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    figure.set_dpi(dpi)
    figure.patch.set_facecolor("white")
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    # the fast octree gives smaller files than median cut here, at a sixth of the time; zlib's default
    # level, because its highest (what optimize=True asks for) takes nine times as long for 7% fewer bytes
    palette = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def png_data_uri(figure: Figure, dpi: int = DPI) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(figure, dpi)).decode("ascii")


def _new_figure(width: float, height: float) -> Figure:
    """A figure laid out by hand: no constrained layout, whose solver redraws the figure over and
    over and cost 1-20 s per report; the margins come from the labels' measured widths instead."""
    from matplotlib.figure import Figure

    setup_cjk_font()
    return Figure(figsize=(width, height))


@lru_cache(maxsize=1)
def _measuring_font():
    from matplotlib.ft2font import FT2Font

    setup_cjk_font()
    with resources.as_file(cjk_font_path()) as path:
        font = FT2Font(str(path))
    font.set_size(MEASURE_PT, 72)
    return font


@lru_cache(maxsize=8192)
def text_width(text: str, size: float) -> float:
    """The width in inches of `text` (its longest line) in the CJK font at `size` points, as drawn."""
    font = _measuring_font()
    widest = 0.0
    for line in str(text).split("\n"):
        font.set_text(line, 0.0)
        widest = max(widest, font.get_width_height()[0] / 64)
    return widest / 72 * size / MEASURE_PT


def _fmt(value: float) -> str:
    if value != value:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _thousands(value: float, _position: object = None) -> str:
    """A tick label with thousands separators: 12,000 (and 1.5 below ten)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _not_drawn_note(figure: Figure, hidden: int) -> None:
    if hidden > 0:
        figure.text(0.01, 0.005, f"另有 {hidden} 个序列未绘出 · {hidden} more not drawn", fontsize=8, va="bottom")


def _tidy(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="both", labelsize=9)


# ---------------------------------------------------------------- figures by part of the work


def parts_chart(parts: Sequence[tuple[str, int, int]], title: str = "") -> Figure:
    """Horizontal stacked bars: per part of the work (label), figures mapped / not mapped to an indicator."""
    labels = [p[0] for p in parts]
    mapped = [p[1] for p in parts]
    unmapped = [p[2] for p in parts]
    width, height = 7.0, 0.3 * len(parts) + 1.2
    figure = _new_figure(width, height)
    left = (max(text_width(label, 9) for label in labels) if labels else 0) + 0.15
    top = 0.35 if title else 0.1
    figure.subplots_adjust(left=left / width, right=1 - 0.1 / width, top=1 - top / height, bottom=0.5 / height)
    ax = figure.add_subplot()
    y = list(range(len(parts)))[::-1]
    ax.barh(y, mapped, color=THIS_YEAR, label="归入指标 mapped to an indicator")
    ax.barh(y, unmapped, left=mapped, color=MUTED, label="未归入指标 not mapped")
    for yi, m, u in zip(y, mapped, unmapped, strict=True):
        ax.text(m + u + 0.2, yi, str(m + u), va="center", fontsize=9)
    ax.set_yticks(y, labels)
    ax.set_xlabel("数字个数 number of figures", fontsize=9)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlim(0, max([m + u for m, u in zip(mapped, unmapped, strict=True)] + [1]) * 1.12)
    ax.set_ylim(-0.6, len(parts) - 0.4)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    _tidy(ax)
    return figure


# ---------------------------------------------------------------- this year against baselines


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    role: str  # "this_year", "own_past" or "peer"
    hatch: bool = False  # an annualised term total or a differenced cumulative count: derived, not reported


@dataclass(frozen=True)
class Panel:
    title: str  # may hold a line break: Chinese label (unit) / English label
    bars: tuple[Bar, ...]


_ROLE_COLOUR = {"this_year": THIS_YEAR, "own_past": OWN_PAST, "peer": PEER}


def baselines_chart(panels: Sequence[Panel], columns: int = 2) -> Figure:
    """Small multiples: per indicator, this year's value beside each baseline, each on its own scale
    (at most MAX_PANELS; a note says how many more there are)."""
    hidden = max(0, len(panels) - MAX_PANELS)
    panels = list(panels[:MAX_PANELS])
    columns = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / columns)
    width, legend, gap = 11.0, 0.55 + (0.2 if hidden else 0), 0.15
    heights = [max(len(p.bars) for p in panels[r * columns : (r + 1) * columns]) * 0.26 + 0.75 for r in range(rows)]
    height = sum(heights) + legend
    figure = _new_figure(width, height)
    column_width = (width - gap) / columns
    top = height
    for r in range(rows):
        in_row = panels[r * columns : (r + 1) * columns]
        slots = max(len(p.bars) for p in in_row)
        for c, panel in enumerate(in_row):
            label_width = max(text_width(b.label, 8) for b in panel.bars) + 0.1
            x0 = gap + c * column_width + label_width
            rect = (x0 / width, (top - heights[r] + 0.3) / height, (column_width - label_width - 0.55) / width,
                    (heights[r] - 0.75) / height)  # fmt: skip
            _baseline_panel(figure.add_axes(rect), panel, slots)
        top -= heights[r]
    from matplotlib.patches import Patch

    handles = [
        Patch(color=THIS_YEAR, label="本年 this year"),
        Patch(color=OWN_PAST, label="本机关往期 same body, earlier period"),
        Patch(
            facecolor=OWN_PAST,
            hatch="///",
            edgecolor="white",
            label="推算：任期年均或累计之差 derived: annualised / differenced",
        ),
        Patch(color=PEER, label="同级机关 peer body"),
    ]
    figure.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, (0.2 if hidden else 0) / height),
                  ncols=2, fontsize=8, frameon=False)  # fmt: skip
    _not_drawn_note(figure, hidden)
    return figure


def _baseline_panel(ax, panel: Panel, slots: int) -> None:
    # the same bar thickness in every panel of a row: unused slots stay empty at the bottom
    y = [slots - 1 - i for i in range(len(panel.bars))]
    values = [b.value for b in panel.bars]
    colours = [_ROLE_COLOUR[b.role] for b in panel.bars]
    hatches = [("///" if b.hatch else "") for b in panel.bars]
    ax.barh(y, values, color=colours, hatch=hatches, edgecolor="white", linewidth=0.5, height=0.7)
    ax.set_ylim(-0.6, slots - 0.4)
    top = max([*values, 1])
    for yi, bar in zip(y, panel.bars, strict=True):
        ax.text(bar.value + top * 0.015, yi, _fmt(bar.value), va="center", fontsize=8)
    ax.set_yticks(y, [b.label for b in panel.bars], fontsize=8)
    ax.set_xlim(0, top * 1.2)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(3))
    ax.xaxis.set_major_formatter(_thousands)
    ax.set_title(panel.title, fontsize=9, loc="left")
    ax.tick_params(axis="x", labelsize=7.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# ---------------------------------------------------------------- series


@dataclass(frozen=True)
class Series:
    title: str
    unit: str
    points: tuple[tuple[float, float, str], ...]  # (x as a fractional year, value, label of the point)
    this_year: float | None = None  # x of this document's point, drawn in the accent colour


def series_chart(series: Sequence[Series], columns: int = 2) -> Figure:
    """One small line chart per series (two or more points), points labelled with value and period, a
    tick at each point's year (at most MAX_PANELS; a note says how many more there are)."""
    hidden = max(0, len(series) - MAX_PANELS)
    series = list(series[:MAX_PANELS])
    columns = max(1, min(columns, len(series)))
    rows = math.ceil(len(series) / columns)
    width, height = 5.2 * columns + 0.4, 3.0 * rows + 0.3 + (0.2 if hidden else 0)
    figure = _new_figure(width, height)
    cell_w, cell_h = (width - 0.2) / columns, 3.0
    for index, s in enumerate(series):
        r, c = divmod(index, columns)
        rect = ((0.2 + c * cell_w + 0.6) / width, (height - (r + 1) * cell_h - 0.1 + 0.45) / height,
                (cell_w - 0.85) / width, (cell_h - 1.05) / height)  # fmt: skip
        _series_panel(figure.add_axes(rect), s)
    _not_drawn_note(figure, hidden)
    return figure


def _series_panel(ax, s: Series) -> None:
    xs = [p[0] for p in s.points]
    ys = [p[1] for p in s.points]
    ax.plot(xs, ys, color=OWN_PAST, marker="o", linewidth=1.6)
    for x, v, label in s.points:
        colour = THIS_YEAR if s.this_year is not None and x == s.this_year else OWN_PAST
        ax.plot([x], [v], marker="o", color=colour, markersize=7)
        ax.annotate(f"{_fmt(v)}\n{label}", (x, v), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=7.5)
    low, high = min(ys), max(ys)
    pad = (high - low) * 0.25 or max(abs(high) * 0.25, 1)
    ax.set_ylim(min(0, low - pad), high + pad * 1.6)
    span = (max(xs) - min(xs)) or 1
    ax.set_xlim(min(xs) - span * 0.15, max(xs) + span * 0.15)
    years = sorted({math.floor(x) for x in xs})
    ax.set_xticks(years, [str(y) for y in years])
    ax.yaxis.set_major_formatter(_thousands)
    ax.set_title(f"{s.title}（{s.unit}）", fontsize=9.5, loc="left")
    _tidy(ax)
