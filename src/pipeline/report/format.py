"""Plain-text formatting for the report: safe text, numbers, periods and bilingual labels.

Nothing here writes markup. The templates use these as filters; escaping happens once, where a
value reaches the HTML (`esc`, the environment's finalize step in `report.fragments`). Everything
that comes from a source document, a published-figures row or a reference table is treated as
hostile: control characters and bidi overrides are stripped, and a URL is only a link target when
it is plain http(s).
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

import pandas as pd

from pipeline.text.patterns import code_point_class

# ---------------------------------------------------------------- bilingual labels

CATEGORIES = {
    "meetings": ("会议", "Meetings"),
    "decisions": ("决议决定", "Resolutions and decisions"),
    "appointments": ("人事任免", "Appointments"),
    "legislation": ("立法", "Legislation"),
    "supervision": ("监督", "Supervision"),
    "deputies": ("代表工作", "Deputies"),
    "party": ("党的建设", "Party building"),
    "rule_of_law": ("法治建设", "Rule of law"),
    "publicity": ("宣传", "Publicity"),
    "environment": ("生态环境", "Environment"),
    "rural": ("乡村振兴", "Rural revitalisation"),
    "self_building": ("自身建设", "The committee's own work"),
    "other": ("其他", "Other"),
}
# one entry per kind in pipeline.compare.baselines.BASELINE_KINDS (a test holds them together)
METHODS = {
    "earlier_year": ("往年数字", "an earlier year, as reported"),
    "term_total_annualised": ("任期总数折合年均", "term total, annualised"),
    "cumulative_difference": ("两个累计数之差", "difference of two cumulative counts"),
    "ordinal": ("会议序号，仅作核对", "a meeting number: a cross-check, not a count"),
    "peer": ("同级机关", "a peer body of the same level"),
}
PERIOD_KINDS = {
    "calendar_year": ("自然年", "calendar year"),
    "session_year": ("会议年度", "session year"),
    "term_total": ("任期总数", "term total"),
    "cumulative": ("累计", "cumulative"),
    "point_in_time": ("时点数", "point in time"),
    "ordinal": ("序号", "ordinal"),
    "partial_year": ("部分年度", "part of a year"),
}
APPROX = {
    "exact": ("", ""),
    "more_than": ("余", "more than"),
    "about": ("约", "about"),
    "less_than": ("近", "less than"),
}
CHECK_STATUS = {
    "pass": ("通过", "pass"),
    "fail": ("不符", "fail"),
    "inconclusive": ("无法判断", "inconclusive"),
}
CHECKS = {
    "summary_vs_named_laws": ("概述数字与文中列出的法规", "summary count against the laws the text names"),
    "cumulative_never_falls": ("累计数不减少", "a running total never falls"),
    "cumulative_vs_year": ("累计数之差与本年数字", "difference of running totals against the year's count"),
    "cumulative_covers_year": ("累计数不小于本年数字", "a later running total covers the year's count"),
    "count_vs_ordinal": ("会议次数与会议序号", "meeting count against the meeting number"),
}
REPAIRS = {
    "joined": ("已接续", "joined to its continuation"),
    "wrapped": ("折行已合并", "line wrap joined"),
    "cut_no_continuation": ("段落中断，下文不在文中", "cut mid-sentence, continuation not in the text"),
    "start_missing": ("段落开头缺失", "begins mid-sentence, start not in the text"),
}
SECTIONS = [
    ("headline", "主要数字", "Headline figures"),
    ("comparison", "与往期及同级比较", "Comparison with earlier periods and peers"),
    ("charts", "图表", "Charts"),
    ("evidence", "证据", "Evidence"),
    ("quality", "数据质量", "Data quality"),
]
LABEL_TABLES = {
    "categories": CATEGORIES,
    "methods": METHODS,
    "period_kinds": PERIOD_KINDS,
    "approx": APPROX,
    "check_status": CHECK_STATUS,
    "checks": CHECKS,
    "repairs": REPAIRS,
}


def label_pair(table: dict[str, tuple[str, str]], key: Any) -> tuple[str, str]:
    """(Chinese, English) for a key of a label table; an unknown key shows as itself, no English."""
    key = clean_keeping_line_breaks(key)
    return table.get(key, (key, ""))


# ---------------------------------------------------------------- text safety

# bidi embeddings, overrides and isolates, and the implicit marks: they can make text read backwards
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK_RUN = re.compile(r"\s*[\r\n]+\s*")
_UNSHOWN = ("Cc", "Cs", "Co")  # control, surrogate and private-use characters


def _shown_pattern() -> re.Pattern[str]:
    """Runs of the characters report text is mostly made of (ASCII, Latin letters, general and CJK
    punctuation, CJK ideographs, full-width forms) that are neither unshown nor bidi controls:
    text made only of them needs no look-up character by character. Built from unicodedata and
    _BIDI themselves, so it agrees with the slow path (a test compares the two on every code point)."""
    ranges = [(0x20, 0x7E), (0xA0, 0x24F), (0x2010, 0x205E), (0x3000, 0x303F), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E)]
    refused = lambda c: unicodedata.category(c) in _UNSHOWN or bool(_BIDI.match(c))  # noqa: E731
    return re.compile(code_point_class(ranges, refused, "\n\t") + "*")


_SHOWN = _shown_pattern()


def clean_keeping_line_breaks(value: Any) -> str:
    """Text fit to show, its line breaks kept: '' for missing, no bidi controls, no control,
    surrogate or private-use characters, tabs as spaces.

    Unlike `pipeline.display.clean_text` (one line for a terminal or a cell), the breaks stay so
    that the evidence can mark where the source broke a sentence. Every printed value of a report
    passes here, thousands per report: text of common characters only is taken as it is."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    if not _SHOWN.fullmatch(text):
        text = _BIDI.sub("", text)
        text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _UNSHOWN)
    return text.replace("\t", " ")


def one_line(value: Any) -> str:
    """Cleaned, each run of line breaks (and the space around it) as one space."""
    text = clean_keeping_line_breaks(value)
    return _LINE_BREAK_RUN.sub(" ", text) if "\n" in text or "\r" in text else text


def esc(value: Any) -> str:
    """Cleaned and HTML-escaped, line breaks as spaces: safe in element text and quoted attributes."""
    return html.escape(one_line(value), quote=True)


def line_pieces(text: str) -> list[str]:
    """The parts of a text between its line breaks."""
    return _LINE_BREAK_RUN.split(text)


_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`\\]+$", re.IGNORECASE)


def safe_url(value: Any) -> str | None:
    url = clean_keeping_line_breaks(value).strip()
    return url if _SAFE_URL.match(url) else None


def url_host(url: Any) -> str:
    match = re.match(r"^https?://([^/?#]+)", clean_keeping_line_breaks(url).strip(), re.IGNORECASE)
    return match.group(1) if match else clean_keeping_line_breaks(url)


def highlight_parts(sentence: Any, offset: int | None, text: Any) -> tuple[str, str, str] | tuple[str]:
    """The sentence cut around the figure's text, (before, figure, after), where the offset says it is.

    Falls back to the first occurrence of the text when the offset does not point at it (a sentence
    rejoined across a column break); (sentence,) alone when the text is not in it."""
    sentence, text = clean_keeping_line_breaks(sentence), clean_keeping_line_breaks(text)
    at = -1
    if text:
        if offset is not None and 0 <= offset and sentence[offset : offset + len(text)] == text:
            at = offset
        else:
            at = sentence.find(text)
    if at < 0:
        return (sentence,)
    return sentence[:at], text, sentence[at + len(text) :]


def figure_span(sentence: str, offset: int | None, text: str) -> tuple[int, int] | None:
    """Where `highlight_parts` marks `text` in the (cleaned) `sentence`: (from, to), None if nowhere."""
    parts = highlight_parts(sentence, offset, text)
    if len(parts) == 1:
        return None
    return len(parts[0]), len(parts[0]) + len(parts[1])


def marks_tokens(sentence: Any, marks: list[tuple[int, int, Any]]) -> list[tuple[str, str]]:
    """The (cleaned) sentence as the pieces a template prints, with several figures marked: `marks`
    are (from, to, name) spans that do not overlap, in order; ("mark", name) opens one, ("/mark", "")
    closes it, ("cut", "") where the source broke a line, ("", text) the text between."""
    sentence = clean_keeping_line_breaks(sentence)
    tokens: list[tuple[str, str]] = []

    def text(part: str) -> None:
        for i, line in enumerate(line_pieces(part)):
            if i:
                tokens.append(("cut", ""))
            tokens.append(("", line))

    at = 0
    for begin, end, name in marks:
        text(sentence[at:begin])
        tokens.append(("mark", str(name)))
        text(sentence[begin:end])
        tokens.append(("/mark", ""))
        at = end
    text(sentence[at:])
    return tokens


def highlight_tokens(sentence: Any, offset: int | None, text: Any) -> list[tuple[str, str]]:
    """`highlight_parts` as the pieces a template prints in order: ("", text), ("cut", "") where
    the source broke a line, and ("mark", "") / ("/mark", "") around the figure's text: the
    one-figure case of `marks_tokens`."""
    span = figure_span(sentence, offset, text)
    return marks_tokens(sentence, [(*span, "")] if span else [])


# ---------------------------------------------------------------- numbers


def as_float(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def number(value: Any) -> str:
    """20000.0 -> '20,000'; 3.8 -> '3.8'; missing -> ''; anything else as (cleaned) text."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return one_line(value)
    if v != v:
        return ""
    return format(v, ",.15g")


def signed(value: Any, suffix: str = "") -> str:
    v = as_float(value)
    if v is None:
        return ""
    return ("+" if v > 0 else "") + format(v, ",.15g") + suffix


def percent(value: Any) -> str:
    """-28.57 -> '-28.6%'; missing -> ''."""
    v = as_float(value)
    if v is None:
        return ""
    return "0%" if round(v, 1) == 0 else f"{v:+,.1f}%"


def plain_number(value: Any) -> str:
    """A value as a machine reads it, no grouping: 20000.0 -> '20000' (for data attributes)."""
    return format(float(value), ".15g")


def period_label(start: Any, end: Any) -> str:
    """'2022-01-01'..'2022-12-31' -> '2022'; '2017'..'2022-02' -> '2017–2022-02'."""
    start, end = clean_keeping_line_breaks(start), clean_keeping_line_breaks(end)
    full = re.fullmatch(r"(\d{4})-01-01", start)
    if full and end == f"{full.group(1)}-12-31":
        return full.group(1)
    if start == end or not start:
        return end
    if not end:
        return start
    return f"{start}–{end}"
