"""Sentences and clauses of a normalised paragraph, found once and then looked up by position."""

from __future__ import annotations

import bisect
import re

SENTENCE_END = "。！？!?"
CLAUSE_DELIMITERS = ",;:，；：。！？!?"
# A "sentence" longer than this is text whose sentence ends were lost; evidence is then a window.
MAX_EVIDENCE = 500
EVIDENCE_WINDOW = 100  # characters either side of the figure

# a stop, and any closing quotes or brackets that follow it (they stay with the sentence)
_SENTENCE_STOP = re.compile(f"[{re.escape(SENTENCE_END)}][”’」』)）]*")
_CLAUSE_DELIMITER = re.compile(f"[{re.escape(CLAUSE_DELIMITERS)}]")


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for stop in _SENTENCE_STOP.finditer(text):
        j = stop.end()
        spans.append((start, j))
        start = j
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _delimiter_positions(text: str) -> list[int]:
    """Where the clause delimiters of a paragraph are, in order: found once, then bisected for
    each figure instead of walking back and forth over the clause character by character."""
    return [m.start() for m in _CLAUSE_DELIMITER.finditer(text)]


def _last_delimiter(delimiters: list[int], lo: int, hi: int) -> int:
    """Just after the last delimiter in text[lo:hi], or lo when there is none."""
    i = bisect.bisect_left(delimiters, hi) - 1
    return delimiters[i] + 1 if i >= 0 and delimiters[i] >= lo else lo


def _next_delimiter(delimiters: list[int], lo: int, hi: int) -> int:
    """The first delimiter in text[lo:hi], or hi when there is none."""
    i = bisect.bisect_left(delimiters, lo)
    return delimiters[i] if i < len(delimiters) and delimiters[i] < hi else hi


def _raw_span(raw: str, offsets: list[int], s0: int, s1: int) -> str:
    """The raw characters at offsets[s0:s1]: one slice when they are contiguous, as they mostly are."""
    if s1 > s0 and offsets[s1 - 1] - offsets[s0] == s1 - 1 - s0:
        return raw[offsets[s0] : offsets[s1 - 1] + 1]
    return "".join(map(raw.__getitem__, offsets[s0:s1]))
