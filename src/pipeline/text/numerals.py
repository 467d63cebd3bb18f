"""Numerals and quantities: 9, 15, 十二, 两千余, 逾百, 2万余, 3400余万, 1.5亿, 98.6%, 百分之三十,
一个百分点 -> a value in the base unit, the unit, and how exact the text says it is.

Text reaching this module is already normalised (full-width digits and punctuation as ASCII,
simplified characters), so only ASCII digits and simplified measure words appear here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from pipeline.text.lexicon import lexicon

EXACT, MORE_THAN, ABOUT, LESS_THAN = "exact", "more_than", "about", "less_than"
APPROX_CLASSES = (EXACT, MORE_THAN, ABOUT, LESS_THAN)

CN_DIGITS = "零〇一二两三四五六七八九"
CN_NUMERAL_CHARS = CN_DIGITS + "十百千万亿"
SCALES = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}

# Measure words and units, longest first so 人次 wins over 人 and 个百分点 over 个.
# Composite forms map to the unit we report.
UNIT_CANONICAL = {
    "个百分点": "百分点",
    "人(次)": "人次",
    "个工作日": "工作日",
}
UNITS = sorted(
    {
        *UNIT_CANONICAL,
        "百分点",
        "个月",
        "人次",
        "件次",
        "户次",
        "场次",
        "批次",
        "车次",
        "班次",
        "平方公里",
        "平方米",
        "立方米",
        "公里",
        "公顷",
        "小时",
        "课时",
        "学时",
        "工作日",
        "元",
        "%",
        "‰",
        "亩",
        "吨",
        "次",
        "项",
        "件",
        "个",
        "条",
        "名",
        "位",
        "户",
        "处",
        "期",
        "部",
        "篇",
        "场",
        "批",
        "人",
        "家",
        "所",
        "座",
        "台",
        "辆",
        "套",
        "份",
        "册",
        "本",
        "首",
        "幅",
        "张",
        "轮",
        "支",
        "起",
        "宗",
        "例",
        "天",
        "栋",
        "类",
        "封",
        "盏",
        "眼",
        "字",
    },
    key=len,
    reverse=True,
)

# Arabic digits may carry scale characters (3400万, 1.2万, 1.5亿); 百 before 分 is 百分点, not 百.
# thousands set off by commas (3,400) or, in typeset and official text, by a space or a thin space
# (1 642, 4 786.35); a group is three digits and no more, so 2564 0788 (a phone number) is no number
_THOUSANDS_SPACE = "[ \u2009\u202f\u00a0]"
# zero-width characters copied in between digits (1\u200b2) reach here as U+200B (text.normalise) and
# are skipped inside a number
_DIGITS = "\\d+(?:\u200b+\\d+)*"
_ARABIC = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,3}}(?:{_THOUSANDS_SPACE}\d{{3}}(?!\d))+|{_DIGITS})(?:\.{_DIGITS})?"
_ARABIC_SCALE = r"(?:[万亿]|千(?![克瓦米])|百(?!分))*"
_CHINESE = rf"[{CN_NUMERAL_CHARS}]+(?:点[{CN_DIGITS}]+[万亿]?)?"
NUMBER_PATTERN = rf"(?:{_ARABIC}{_ARABIC_SCALE}|{_CHINESE})"
_UNIT_ALT = "|".join(re.escape(u) for u in UNITS)

# Web digests and typeset pages put one space between a number and its measure word ("召开常委会
# 会议 9 次", "2.1万 人次", "80 余人次"); the space belongs to the span. Never a line break: a figure
# wrapped across lines is joined by the layout repair, not here.
_GAP = "[ \u00a0]?"
QUANTITY_RE = re.compile(
    rf"(?P<percent_of>百分之)?"
    rf"(?P<number>{NUMBER_PATTERN})"
    rf"(?:{_GAP}(?P<mid>余|多|几))?"
    rf"(?P<scale>[万亿])?"
    rf"(?:{_GAP}(?P<unit>{_UNIT_ALT}))?"
    rf"(?P<post>以上|以下|以内|左右|上下|之多)?"
)

# Words before a number that say how exact it is. Longest first.
PREFIX_QUALIFIERS = {
    "大约": ABOUT,
    "大概": ABOUT,
    "约": ABOUT,
    "将近": LESS_THAN,
    "接近": LESS_THAN,
    "不足": LESS_THAN,
    "不到": LESS_THAN,
    "近": LESS_THAN,
    "不少于": MORE_THAN,
    "至少": MORE_THAN,
    "超过": MORE_THAN,
    "突破": MORE_THAN,  # 采集数据突破1亿条: past the round number
    "逾": MORE_THAN,
    "超": MORE_THAN,
    "上": MORE_THAN,  # 上百, 上千: only before a bare scale (checked by the caller)
}
_PREFIX_RE = re.compile("(?:" + "|".join(sorted(PREFIX_QUALIFIERS, key=len, reverse=True)) + ")$")
MID_QUALIFIERS = {"余": MORE_THAN, "多": MORE_THAN, "几": MORE_THAN}
POST_QUALIFIERS = {
    "以上": MORE_THAN,
    "之多": EXACT,
    "左右": ABOUT,
    "上下": ABOUT,
    "以下": LESS_THAN,
    "以内": LESS_THAN,
}


KNOWN_UNITS = frozenset(UNIT_CANONICAL.get(u, u) for u in UNITS)
# Beyond these a value in one annual report is a mistake (a year read as a count, a phone number).
_MAX_PLAUSIBLE = {"元": 1e13, "%": 1000, "‰": 1000, "百分点": 100}
_MAX_PLAUSIBLE_COUNT = 1e9


# rates and changes of rates may fall below zero (同比下降-1.35‰); a count may not
SIGNED_UNITS = frozenset({"%", "‰", "百分点"})


def is_plausible(value: float, unit: str) -> bool:
    top = _MAX_PLAUSIBLE.get(unit, _MAX_PLAUSIBLE_COUNT)
    return math.isfinite(value) and (-top if unit in SIGNED_UNITS else 0) <= value <= top


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str
    approx: str
    bare_scale: bool = False  # 百, 千, 万 with no digit before: an idiom unless qualified (逾百)


_ARABIC_CORE = re.compile(rf"({_ARABIC})([万亿千百]*)")
_CHINESE_CORE = re.compile(_CHINESE)
_DIGIT_BY_DIGIT = re.compile(rf"[{CN_DIGITS}]{{2,}}")
_BARE_SCALE = re.compile("[百千万亿]+")


@lru_cache(maxsize=65536)  # the same numerals recur in every report; a Decimal is immutable
def parse_number(core: str) -> Decimal:
    """'9', '3,400', '十二', '两千', '2万', '1.2万', '3400万', '1.5亿', '九十八点六' -> Decimal."""
    core = core.strip()
    if not core:
        raise ValueError("empty numeral")
    arabic = _ARABIC_CORE.fullmatch(core)
    if arabic:
        # Decimal arithmetic, not cn2an's smart mode, which goes through floats and turns
        # 1.1万 into 11000.000000000002.
        value = Decimal(re.sub("[,\\s\u200b]", "", arabic.group(1)))
        for scale in arabic.group(2):
            value *= SCALES[scale]
        return value
    if not _CHINESE_CORE.fullmatch(core):
        raise ValueError(f"not a numeral: {core!r}")
    if set(core) <= set("百千万亿"):
        value = Decimal(1)
        for scale in core:
            value *= SCALES[scale]
        return value
    if _DIGIT_BY_DIGIT.fullmatch(core):
        raise ValueError(f"digit-by-digit numeral is a name or a year, not a count: {core!r}")
    try:
        import cn2an  # 70 ms to import: only documents with Chinese numerals need it, not every kernel

        result = cn2an.cn2an(core, "smart")
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"not a numeral: {core!r}") from exc
    try:
        return Decimal(str(result))
    except InvalidOperation as exc:  # pragma: no cover - cn2an returns int or float
        raise ValueError(f"not a numeral: {core!r}") from exc


@lru_cache(maxsize=65536)  # `before` is three characters of context; they recur
def prefix_qualifier(before: str, bare_scale: bool = False) -> tuple[str, int]:
    """The qualifier that ends `before` (the text just before a number) and its length."""
    match = _PREFIX_RE.search(before)
    if not match:
        return EXACT, 0
    word = match.group(0)
    if word == "上" and not bare_scale:
        return EXACT, 0
    if qualifier_is_part_of_a_word(before[: match.start()], word):
        return EXACT, 0
    return PREFIX_QUALIFIERS[word], len(word)


# how common a word must be in jieba's dictionary for 节约 to be read as one word, not 节 + 约
# (共约 is in it too, three times: 共约300人 is about 300)
_COMMON_WORD = 50


def qualifier_is_part_of_a_word(before: str, qualifier: str) -> bool:
    """节约2,360万元, 最近3年: a one-character 约/近/超 that ends a common word with the character
    before it (not itself a qualifier, as 大约 and 将近 are) qualifies nothing."""
    if qualifier not in PREFIX_QUALIFIERS or len(qualifier) != 1 or not before:
        return False
    return _ends_a_common_word(before[-1] + qualifier)


@lru_cache(maxsize=4096)
def _ends_a_common_word(pair: str) -> bool:
    return pair not in PREFIX_QUALIFIERS and lexicon().count(pair) >= _COMMON_WORD


@lru_cache(maxsize=65536)
def is_bare_scale(number: str) -> bool:
    """百, 千万: scale characters with no digit before them."""
    return bool(_BARE_SCALE.fullmatch(number))


def quantity_from_match(match: re.Match[str], before: str = "") -> Quantity:
    """Turn a QUANTITY_RE match (plus the text before it, for 约/近/逾) into a Quantity."""
    percent_of, number, mid, scale, unit, post = match.group("percent_of", "number", "mid", "scale", "unit", "post")
    prefix_approx, _ = prefix_qualifier(before, is_bare_scale(number))  # positional: a quicker cache key
    return quantity_from_parts(number, scale, unit or "", percent_of, mid, post, prefix_approx)


def quantity_from_parts(
    number: str,
    scale: str | None,
    unit: str,
    percent_of: str | None,
    mid: str | None,
    post: str | None,
    prefix_approx: str,
) -> Quantity:
    """The Quantity of a QUANTITY_RE match's groups, given how exact the words before it say it is."""
    value = parse_number(number)
    if scale:
        value *= SCALES[scale]
    if percent_of:
        unit = "%"
    unit = UNIT_CANONICAL.get(unit, unit)
    approx = prefix_approx
    for qualifier, table in ((mid, MID_QUALIFIERS), (post, POST_QUALIFIERS)):
        if approx == EXACT and qualifier:
            approx = table[qualifier]
    return Quantity(value=value, unit=unit, approx=approx, bare_scale=is_bare_scale(number))


def parse_quantity(text: str) -> Quantity:
    """Parse one whole quantity expression: '约1.5亿元', '2万余条', '百分之三十', '逾百', '近3000人'."""
    text = text.strip()
    prefix = _PREFIX_RE.pattern.rstrip("$")
    lead = re.match(prefix, text)
    start = 0
    if lead:
        rest = text[lead.end() :]
        if rest and (rest[0].isdigit() or rest[0] in CN_NUMERAL_CHARS or rest.startswith("百分之")):
            start = lead.end()
    match = QUANTITY_RE.fullmatch(text, start)
    if not match:
        raise ValueError(f"not a quantity: {text!r}")
    return quantity_from_match(match, before=text[:start])


def format_value(value: Decimal | float) -> str:
    """Shortest exact text for a value: 9, 98.6, 34000000 (never 9.0 or 3.4e+07)."""
    dec = Decimal(str(value)) if not isinstance(value, Decimal) else value
    if dec == dec.to_integral_value():
        return str(int(dec))
    return format(dec.normalize(), "f")
