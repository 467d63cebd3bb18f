"""A small SVG writer for the charts: shapes in px, text as glyph outlines (`report.fonts`).

Each distinct glyph is written once per drawing in <defs> and placed with <use>, so the chart needs
no font on the reader's side. Charts inlined in one page can share one set of glyph definitions
instead (`glyph_sheet`, and `Drawing.markup(glyphs=...)`): the same glyph drawn by three charts is
then written once per page. Coordinates are rounded to 0.1 px and ids come from the glyphs
themselves (font and glyph index) or from colours, never from a counter, so the same chart gives the
same bytes in any process. A character that no font has is drawn as a box and listed in `missing`.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from xml.sax.saxutils import escape

from pipeline.report import fonts

INK = "#222"
# stands for the glyphs' id prefix in a drawing's markup until it is written out: the drawing's own
# prefix, or a page's shared one (a control character, which no text of a chart can hold)
_GLYPH = "\x00"
# a white outline under glyphs (stroke painted first), in OUTLINE units: a quarter of the size; for
# a `group` of labels that a line of the chart may run behind
HALO = f' stroke="#fff" stroke-width="{fonts.OUTLINE * 24 // 100}" stroke-linejoin="round" paint-order="stroke"'
_PLUS = ((-0.35, -1), (0.35, -1), (0.35, -0.35), (1, -0.35), (1, 0.35), (0.35, 0.35), (0.35, 1), (-0.35, 1),
         (-0.35, 0.35), (-1, 0.35), (-1, -0.35), (-0.35, -0.35))  # fmt: skip
# corners of the markers other than the circle, for a radius of 1 (y down)
MARKERS = {
    "s": ((-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)),
    "^": ((0, -1.1), (1, 0.8), (-1, 0.8)),
    "v": ((0, 1.1), (1, -0.8), (-1, -0.8)),
    "<": ((-1.1, 0), (0.8, -1), (0.8, 1)),
    ">": ((1.1, 0), (-0.8, -1), (-0.8, 1)),
    "D": ((0, -1.15), (1.15, 0), (0, 1.15), (-1.15, 0)),
    "P": _PLUS,
    "X": tuple((round((x - y) * 0.7071, 3), round((x + y) * 0.7071, 3)) for x, y in _PLUS),
    "h": tuple((round(math.cos(math.radians(a)), 3), round(math.sin(math.radians(a)), 3)) for a in range(-90, 270, 60)),
}


def num(value: float) -> str:
    """A coordinate rounded to 0.1 px, written short: 12, 12.5, -3 (never -0 or an exponent)."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def xml_text(text: str) -> str:
    """Text for an XML element, on one line: escaped, without the characters XML 1.0 forbids (an
    image with one would not show at all). A chart writes thousands (every coordinate): printable
    ASCII, most of them, has nothing to drop or join, and the rest is one str.translate."""
    text = str(text)
    return escape(text if text.isascii() and text.isprintable() else text.translate(_ONE_LINE_XML))


def _forbidden(c: str) -> bool:
    return (c < " " and c not in "\t\n\r") or "\ud800" <= c <= "\udfff" or c in "\ufffe\uffff"


# each character XML 1.0 forbids dropped, a tab or line break made a space
_ONE_LINE_XML: dict[int, int | None] = {
    **{n: None for n in (*range(0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF) if _forbidden(chr(n))},
    **{ord(c): ord(" ") for c in "\t\n\r"},
}


def points(pts: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in pts)


def _attrs(**attributes: object) -> str:
    """XML attributes from keywords (stroke_width -> stroke-width); None leaves one out."""
    out = []
    for name, value in attributes.items():
        if value is not None:
            text = num(value) if isinstance(value, float | int) and not isinstance(value, bool) else str(value)
            out.append(f' {name.replace("_", "-")}="{xml_text(text).replace(chr(34), "&quot;")}"')
    return "".join(out)


class Drawing:
    """One SVG document, `width` x `height` px, drawn into in order (later shapes on top). Its ids
    start with `prefix`, so charts inlined in one page never share one."""

    def __init__(self, width: float, height: float, title: str, prefix: str = "") -> None:
        self.width, self.height, self.title, self.prefix = width, height, title, prefix
        # markup, or a line of text: (x, y, scale, paint, its <use>s), x and y written out (num)
        self.body: list[str | tuple[str, str, str, str, str]] = []
        self.glyphs: dict[str, str] = {}
        self.patterns: dict[str, str] = {}
        self.missing: set[str] = set()
        self.texts: list[tuple[float, float, float, float, str]] = []  # each line's box (x0, top, x1, bottom) and text
        self.rect(0, 0, width, height, fill="#fff")

    # ------------------------------------------------------------ shapes

    def rect(self, x: float, y: float, w: float, h: float, fill: str, **extra: object) -> None:
        self.body.append(f"<rect{_attrs(x=x, y=y, width=max(w, 0.0), height=max(h, 0.0), fill=fill, **extra)}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1.0, **extra) -> None:
        width = None if width == 1 else width  # SVG's default
        self.body.append(f"<line{_attrs(x1=x1, y1=y1, x2=x2, y2=y2, stroke=stroke, stroke_width=width, **extra)}/>")

    def ticks(self, xs: Iterable[float], y: float, stroke: str, length: float = 4) -> None:
        """Tick marks down from y at each x, as one path."""
        d = "".join(f"M{num(x)} {num(y)}v{num(length)}" for x in xs)
        if d:
            self.path(d, "none", stroke=stroke)

    def rules(self, ys: Iterable[float], x1: float, x2: float, stroke: str) -> None:
        """Horizontal lines (grid lines) from x1 to x2 at each y, as one path."""
        d = "".join(f"M{num(x1)} {num(y)}H{num(x2)}" for y in ys)
        if d:
            self.path(d, "none", stroke=stroke)

    @contextmanager
    def group(self, attributes: str) -> Iterator[None]:
        """What is drawn inside shares `attributes` (markup from this module, e.g. HALO)."""
        self.body.append(f"<g{attributes}>")
        yield
        self.body.append("</g>")

    def polyline(self, pts: Sequence[tuple[float, float]], stroke: str, width: float, **extra: object) -> None:
        attrs = _attrs(points=points(pts), fill="none", stroke=stroke, stroke_width=width, **extra)
        self.body.append(f'<polyline{attrs} stroke-linejoin="round"/>')

    def circle(self, cx: float, cy: float, r: float, fill: str | None, **extra: object) -> None:
        self.body.append(f"<circle{_attrs(cx=cx, cy=cy, r=r, fill=fill, **extra)}/>")

    def path(self, d: str, fill: str | None, **extra: object) -> None:
        self.body.append(f"<path{_attrs(d=d, fill=fill, **extra)}/>")

    def marker(self, shape: str, x: float, y: float, r: float, fill: str | None, **extra: object) -> None:
        """A point marker of radius `r` centred on (x, y): o circle, s square, ^ v < > triangles,
        D diamond, P plus, X cross, h hexagon (matplotlib's letters). A fill of None: the group's."""
        if shape == "o":
            self.circle(x, y, r, fill, **extra)
        else:
            corners = " ".join(f"{num(x + dx * r)} {num(y + dy * r)}" for dx, dy in MARKERS[shape])
            self.path(f"M{corners}Z", fill, **extra)

    def hatch(self, colour: str) -> str:
        """A fill of diagonal white lines over `colour` (derived values), defined once: its url()."""
        key = self.prefix + "h" + colour.lstrip("#")
        self.patterns[key] = (
            f'<pattern id="{key}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
            f'<rect width="2" height="6" fill="#fff"/></pattern>'
        )
        return f"url(#{key})"

    # ------------------------------------------------------------ text

    def text(self, x: float, y: float, text: str, size: float, anchor: str = "start", fill: str = INK) -> None:
        """`text` set at `size` px, its baseline at y (each further line 1.25 sizes lower); `anchor`
        start, middle or end says where x is on each line."""
        for n, line in enumerate(str(text).split("\n")):
            self._line(x, y + n * size * 1.25, line, size, anchor, fill)

    def _line(self, x: float, y: float, line: str, size: float, anchor: str, fill: str) -> None:
        shift = {"start": 0, "middle": 0.5, "end": 1}[anchor] * fonts.line_width(line)
        uses, at = [], 0
        for char in line:
            glyph = fonts.glyph(char)
            if glyph.path:
                self.glyphs[glyph.key] = glyph.path
                offset = round((at - shift) * fonts.OUTLINE / fonts.EM)
                ref = _GLYPH + glyph.key
                uses.append(f'<use href="#{ref}" x="{offset}"/>' if offset else f'<use href="#{ref}"/>')
            if glyph.missing:
                self.missing.add(char)
            at += glyph.advance
        if not uses:
            return
        k = size / fonts.EM
        self.texts.append((x - shift * k, y - fonts.ASCENT * k, x + (at - shift) * k, y + fonts.DESCENT * k, line))
        scale = f"{size / fonts.OUTLINE:.6f}".rstrip("0").rstrip(".")  # the outlines' units to px
        paint = "" if fill == INK else f' fill="{fill}"'
        self.body.append((num(x), num(y), scale, paint, "".join(uses)))

    # ------------------------------------------------------------ output

    def markup(self, description: str = "", glyphs: str | None = None) -> str:
        """The <svg> element, for a page or a file: the title its accessible name, `description` (what
        it shows, in words) its <desc>. A line of text drawn more than once is defined once, by a
        name taken from its content. Its glyphs are defined in its own <defs>, or, given `glyphs` (a
        prefix), referred to as defined elsewhere in the page, by `glyph_sheet(drawings, glyphs)`.
        A line defined once carries its scale, and each place it is drawn only its x and y."""
        runs = Counter((item[2], item[4]) for item in self.body if isinstance(item, tuple))
        names = _run_names([run for run, n in runs.items() if n > 1], self.prefix + "r")
        own = [] if glyphs is not None else sorted(self.glyphs.items())
        defs = [f'<path id="{self.prefix}{key}" d="{d}"/>' for key, d in own]
        defs += [self.patterns[key] for key in sorted(self.patterns)]
        defs += [f'<g id="{name}" transform="scale({scale})">{run}</g>'
                 for (scale, run), name in sorted(names.items(), key=lambda t: t[1])]  # fmt: skip
        body = []
        for item in self.body:
            if isinstance(item, str):
                body.append(item)
                continue
            x, y, scale, paint, run = item
            if (scale, run) in names:
                body.append(f'<use href="#{names[scale, run]}" x="{x}" y="{y}"{paint}/>')
            else:
                body.append(f'<g transform="translate({x} {y}) scale({scale})"{paint}>{run}</g>')
        w, h = num(self.width), num(self.height)
        size = f'width="{w}" height="{h}" viewBox="0 0 {w} {h}"'
        desc = f"<desc>{xml_text(description)}</desc>" if description else ""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" {size} role="img" fill="{INK}">'
            f"<title>{xml_text(self.title)}</title>{desc}<defs>{''.join(defs)}</defs>{''.join(body)}</svg>"
        ).replace(_GLYPH, self.prefix if glyphs is None else glyphs)

    def svg(self, description: str = "") -> bytes:
        """The drawing as an SVG file."""
        return self.markup(description).encode("utf-8")


def glyph_sheet(drawings: Iterable[Drawing], prefix: str) -> str:
    """The glyphs of `drawings`, each defined once, in a hidden <svg> for a page whose charts are
    written with `markup(glyphs=prefix)`; ids are `prefix` and the glyph's key (font, glyph index),
    in their order, so the same charts give the same sheet."""
    paths: dict[str, str] = {}
    for drawing in drawings:
        paths.update(drawing.glyphs)
    defs = "".join(f'<path id="{prefix}{key}" d="{d}"/>' for key, d in sorted(paths.items()))
    return f'<svg xmlns="http://www.w3.org/2000/svg" class="glyphs" aria-hidden="true"><defs>{defs}</defs></svg>'


def _run_names(runs: list[tuple[str, str]], prefix: str) -> dict[tuple[str, str], str]:
    """A name per run (its scale and its <use>s) from a digest of its content, as short as keeps them
    apart (5 hex digits, more only for a pair that would share them)."""
    names: dict[tuple[str, str], str] = {}
    for length in (5, 8, 16, 40):
        names = {run: prefix + hashlib.sha1(f"{run[0]} {run[1]}".encode()).hexdigest()[:length] for run in runs}
        if len(set(names.values())) == len(names):
            break
    return names
