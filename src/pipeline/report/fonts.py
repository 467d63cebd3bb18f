"""The charts' fonts: glyph outlines and advance widths, read with fontTools, so a chart draws its text
as shapes and a reader without a CJK font still sees the Chinese.

The first font is Noto Sans SC, which the `pylopdf-fonts-zh-cn` package ships (SIL OFL). A character
it lacks comes from DejaVu Sans, which matplotlib ships (its file is read, matplotlib is not imported);
a character neither has is drawn as a box, logged, and reported by the chart that drew it, so nothing
vanishes silently. Outlines are scaled to `EM` units per em, the y axis pointing down from the
baseline as in SVG, and written as compact relative path data with integer coordinates in units
of 1/`OUTLINE` em (a hundredth of an em: 0.15 px at 15 px, as fine as 0.1 px rounding; the page
is a tenth smaller than at EM units, and the glyphs look the same at 2x zoom). Each
character's glyph is read once per process (`glyph`).

`setup_cjk_font()` registers the same Noto Sans SC with matplotlib, for analysts who draw their own
charts in a notebook; the reports' charts do not use matplotlib.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"
# the second font, for what the first lacks: matplotlib's DejaVu Sans (its file, not the library)
FALLBACK_FAMILY = "DejaVu Sans"
FALLBACK_FILE = ("mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
EM = 1000  # every advance and metric is given in units of 1/EM of the font size
OUTLINE = 100  # outlines (and the offsets of glyphs placed in a line) in units of 1/OUTLINE of the size
ASCENT = 880  # Noto Sans SC's typographic ascender and descender, in EM units
DESCENT = 120
# a character no font has: an outlined box as wide as a Latin capital (outer edge clockwise,
# inner edge counter-clockwise, so the non-zero rule leaves the middle empty), in OUTLINE units
BOX_ADVANCE = 640
BOX_PATH = "m7-72h50v72h-50zm5 5v62h40v-62z"

log = logging.getLogger(__name__)
_registered: str | None = None


@dataclass(frozen=True)
class Glyph:
    key: str  # its id in a chart's <defs>: the font's letter and the glyph's index, the same in every chart
    advance: int  # EM units
    path: str  # SVG path data in OUTLINE units, y down from the baseline; empty for a space
    missing: bool = False  # no font has the character: `path` is the box


# invisible by definition (controls, zero-width and bidi marks): no advance, nothing drawn
INVISIBLE = Glyph("", 0, "")


def cjk_font_path():
    """The Simplified Chinese font file inside its package (a Traversable; a real file when installed)."""
    return resources.files(FONT_PACKAGE) / FONT_FILE


def fallback_font_path() -> Path | None:
    """DejaVu Sans inside the installed matplotlib, found without importing matplotlib; None without it."""
    spec = find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder).joinpath(*FALLBACK_FILE)
        if path.is_file():
            return path
    return None


class _Face:
    """One font file: its character map, outlines and advances, read lazily by fontTools."""

    def __init__(self, path: Path, letter: str) -> None:
        self.font = TTFont(str(path), lazy=True)
        self.letter = letter
        self.cmap = self.font.getBestCmap()
        self.glyphs = self.font.getGlyphSet()
        self.metrics = self.font["hmtx"].metrics
        self.scale = EM / self.font["head"].unitsPerEm
        self.outline = OUTLINE / self.font["head"].unitsPerEm

    def glyph(self, char: str) -> Glyph | None:
        name = self.cmap.get(ord(char))
        if name is None:
            return None
        pen = _PathPen(self.glyphs, self.outline)
        self.glyphs[name].draw(pen)
        key = self.letter + _base36(self.font.getGlyphID(name))
        return Glyph(key, round(self.metrics[name][0] * self.scale), pen.data())


def _base36(n: int) -> str:
    digits = ""
    while True:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
        if n == 0:
            return digits


@lru_cache(maxsize=1)
def _primary() -> _Face:
    with resources.as_file(cjk_font_path()) as path:
        return _Face(Path(path), "a")


@lru_cache(maxsize=1)
def _fallback() -> _Face | None:
    path = fallback_font_path()
    return _Face(path, "b") if path else None


@cache
def glyph(char: str) -> Glyph:
    """The glyph that draws `char`: from Noto Sans SC, else DejaVu Sans, else a box (logged, `missing`)."""
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or _variation_selector(char):
        return INVISIBLE
    found = _primary().glyph(char)
    if found is None and (fallback := _fallback()) is not None:
        found = fallback.glyph(char)
    if found is None:
        log.warning("no font has a glyph for %r (U+%04X): drawn as a box", char, ord(char))
        return Glyph("x", BOX_ADVANCE, BOX_PATH, missing=True)
    return found


def _variation_selector(char: str) -> bool:
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


@lru_cache(maxsize=8192)
def line_width(line: str) -> int:
    """The advance width of one line of text, in EM units."""
    return sum(glyph(c).advance for c in line)


def text_width(text: str, size: float) -> float:
    """The width in px of `text` (its longest line) set at `size` px."""
    return max(line_width(line) for line in str(text).split("\n")) * size / EM


class _PathPen(BasePen):
    """Outlines as relative SVG path data: integer coordinates (rounded once, absolutely, so no error
    adds up), y flipped, h/v for straight lines, a command letter only where it changes."""

    def __init__(self, glyph_set, scale: float) -> None:
        super().__init__(glyph_set)
        self.scale = scale
        self.commands: list[tuple[str, tuple[int, ...]]] = []
        self.at = self.start = (0, 0)

    def _point(self, p) -> tuple[int, int]:
        return round(p[0] * self.scale), -round(p[1] * self.scale)

    def _relative(self, *points) -> tuple[int, ...]:
        out: list[int] = []
        for p in points:
            x, y = self._point(p)
            out += (x - self.at[0], y - self.at[1])
        return tuple(out)

    def _moveTo(self, p) -> None:
        self.commands.append(("m", self._relative(p)))
        self.at = self.start = self._point(p)

    def _lineTo(self, p) -> None:
        dx, dy = self._relative(p)
        if dx or dy:
            self.commands.append(("h", (dx,)) if dy == 0 else ("v", (dy,)) if dx == 0 else ("l", (dx, dy)))
            self.at = self._point(p)

    def _curveToOne(self, p1, p2, p3) -> None:
        self.commands.append(("c", self._relative(p1, p2, p3)))
        self.at = self._point(p3)

    def _qCurveToOne(self, p1, p2) -> None:
        self.commands.append(("q", self._relative(p1, p2)))
        self.at = self._point(p2)

    def _closePath(self) -> None:
        if self.commands and self.commands[-1][0] in "hvl" and self.at == self.start:
            self.commands.pop()  # the closing line is the one z draws
        self.commands.append(("z", ()))
        self.at = self.start

    def _endPath(self) -> None:
        pass

    def data(self) -> str:
        out, last = [], ""
        for command, numbers in self.commands:
            text = "".join(f"{n}" if n < 0 else f" {n}" for n in numbers)
            if command == last and command != "m":
                out.append(text)  # an implicit repeat of the same command
            else:
                out.append(command + text.removeprefix(" "))
            last = command
        return "".join(out)


def setup_cjk_font() -> str:
    """Register the package's Noto Sans SC with matplotlib and put it first; return its family name.

    For analysts' own matplotlib charts in a notebook (the reports draw theirs as SVG, without it).
    Safe to call more than once; turns mathtext off, since names from tables are text."""
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
    matplotlib.rcParams["text.parse_math"] = False
    return _registered
