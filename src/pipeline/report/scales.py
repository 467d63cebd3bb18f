"""Scales, ticks and number labels for the SVG charts, and text fitted to a width.

A `Scale` maps data to px (linear or log10); `nice_ticks` picks steps of 1, 2, 2.5 or 5 times a power
of ten, `decade_ticks` the powers of ten a log axis spans; `thousands` writes 12,000 and 1.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.report import fonts

ELLIPSIS = "…"


def thousands(value: float) -> str:
    """A value or tick label with thousands separators: 12,000; one decimal for a fraction: 1.5;
    two significant digits below one: 0.85, 0.05."""
    if value != value:
        return ""
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) < 1:
        return f"{value:.2g}"
    return f"{value:,.1f}"


def nice_ticks(low: float, high: float, most: int = 5, integer: bool = False) -> list[float]:
    """At most `most` + 1 evenly spaced round ticks from at or below `low` to at or above `high`."""
    if high < low:
        low, high = high, low
    span = high - low or abs(high) or 1.0
    magnitude = 10 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 2.5, 5, 10, 20):
        step = factor * magnitude
        if integer and (step < 1 or not float(step).is_integer()):
            continue
        first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
        if last - first <= most:
            return [_clean(i * step) for i in range(first, last + 1)]
    return [_clean(low), _clean(high)]


def _clean(value: float) -> float:
    """A tick without binary noise (0.30000000000000004 -> 0.3) and never -0."""
    return round(value, 9) + 0.0


def decade_ticks(low: float, high: float) -> list[float]:
    """The powers of ten from at or below `low` to at or above `high` (both > 0)."""
    first, last = math.floor(math.log10(low) + 1e-9), math.ceil(math.log10(high) - 1e-9)
    return [_clean(10.0**e) if e < 0 else float(10**e) for e in range(first, max(last, first + 1) + 1)]


@dataclass(frozen=True)
class Scale:
    """Data in [lo, hi] to px in [start, end] (end may be below start: y grows downwards)."""

    lo: float
    hi: float
    start: float
    end: float
    log: bool = False

    def __call__(self, value: float) -> float:
        lo, hi, v = (math.log10(self.lo), math.log10(self.hi), math.log10(value)) if self.log else (
            self.lo, self.hi, value)  # fmt: skip
        if hi == lo:
            return (self.start + self.end) / 2
        return self.start + (v - lo) / (hi - lo) * (self.end - self.start)


def fit(text: str, size: float, width: float, smallest: float) -> tuple[str, float]:
    """`text` at `size` px, or smaller down to `smallest` so it fits `width`; still too wide, it is cut
    with an ellipsis (the chart's alt text keeps the whole of it)."""
    natural = fonts.text_width(text, size)
    if natural <= width:
        return text, size
    size = max(smallest, size * width / natural)
    return "\n".join(_cut(line, size, width) for line in str(text).split("\n")), size


def _cut(line: str, size: float, width: float) -> str:
    if fonts.line_width(line) * size / fonts.EM <= width:
        return line
    room, at = width * fonts.EM / size - fonts.glyph(ELLIPSIS).advance, 0
    for i, char in enumerate(line):
        at += fonts.glyph(char).advance
        if at > room:
            return line[:i] + ELLIPSIS
    return line
