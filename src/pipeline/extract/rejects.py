"""What only looks like a figure: the rejection rules as one ordered table of named rules.

A numeral + measure word (a match of numerals.QUANTITY_RE in a normalised paragraph) is looked at
by each rule in turn; the first whose test holds rejects it with that rule's reason. Each rule
carries an example that the tests run through the extractor (tests/test_extract_rules.py).
The word lists the rules use are data: lexicons/fixed_expressions.yaml and
lexicons/unit_word_collisions.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.extract.wordlists import load, words
from pipeline.text.numerals import CN_NUMERAL_CHARS, EXACT, Quantity
from pipeline.text.patterns import literal_alternation

# Fixed political expressions (and idioms) whose numeral + measure word is a name, not a count.
FIXED_EXPRESSIONS = words("fixed_expressions", "political") + words("fixed_expressions", "idioms")
_FIXED_RE = re.compile(literal_alternation(FIXED_EXPRESSIONS))  # = longest-first alternation, faster
# A measure word directly followed by these characters is the start of another word:
# 十四五期间, 统一部署, 14亿人民, 一处理.
UNIT_WORD_COLLISIONS: dict[str, str] = {str(k): str(v) for k, v in load("unit_word_collisions").items()}

OPENING_QUOTES = "“‘「『《\"'"
# a number right after these is part of a code or model number (A3, G20), as is one right before a letter
_CODE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.")
_LATIN_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_FREQUENCY = re.compile(r"每(?:周|月|季度|季|年|半年|天|日|旬)")
_SESSION_ORDINAL = re.compile(r"(?:次|届)(?:会议|全会|全体会议|常委会)")
# what follows 以上/以下 when they set a class (投资1亿元以上的项目) rather than qualify a count
_AFTER_THRESHOLD = ("的", "联名", "项目", "企业", "单位", "工程", "规模")
_THRESHOLD_BEFORE = re.compile(r"(?:不足|低于|高于|超过)$")
_ANNOUNCED_ENUMERATION = re.compile(r"方面[。:：]")
_CLAUSE_MARKS = ",;:，；：。！？"


@dataclass(slots=True)
class Match:
    """One numeral + measure word and what stands around it, as the rules look at it.

    `s`, `e` are the match's span in `text`, `lead` where the word before it ends (one space may
    stand between them), `qualifier_len` the length of the 约/近/逾 that ends there. `quantity` is
    None when the number is no numeral (`parse_error` says why); `plausible` is what the value
    check found (numerals.is_plausible)."""

    text: str
    s: int
    e: int
    percent_of: str | None
    number: str
    mid: str | None
    scale: str | None
    unit: str
    post: str | None
    lead: int
    qualifier_len: int
    before: str  # the character before the word end `lead` ("" at the paragraph's start)
    after: str  # the character after the match ("" at the paragraph's end)
    before_qualifier: str  # the character before the qualifier that ends at `lead`
    quantity: Quantity | None
    parse_error: str
    plausible: bool
    in_fixed: bool

    @property
    def word(self) -> str:
        """The last character of the measure word and the one after it (期间 of 十四五期间)."""
        return self.unit[-1:] + self.after


@dataclass(frozen=True)
class Rule:
    name: str
    test: Callable[[Match], bool]
    reason: str  # may name attributes of the Match: {m.unit} (filled in only when the rule fires)
    example: str  # a sentence in which this rule, and no earlier one, rejects a numeral
    # the measure words the rule can hold for (empty: any); only lets reject_reason skip it for others
    units: frozenset[str] = frozenset()

    def reason_for(self, m: Match) -> str:
        return self.reason.format(m=m) if "{" in self.reason else self.reason

    def gives(self, reason: str) -> bool:
        """Whether `reason` is one this rule gives (its template, whatever it names filled in)."""
        parts = re.split(r"\{[^}]*\}", self.reason)
        return re.fullmatch(".+".join(map(re.escape, parts)), reason) is not None


def _is_article(m: Match) -> bool:
    after = m.after
    return (
        m.number == "一"
        and m.unit not in ("个百分点", "百分点")
        and not m.mid
        and bool(after)
        and ("\u4e00" <= after <= "\u9fff" or after in OPENING_QUOTES)
    )


def _is_frequency(m: Match) -> bool:
    text, s = m.text, m.s
    window = max(0, s - 200)
    if text.find("每", window, s) == -1:  # every frequency starts with 每; most clauses have none
        return False
    # the clause's start, looked for in a bounded window: a paragraph without one of these marks
    # would otherwise be scanned to its start once per numeral
    clause_start = max(text.rfind(ch, window, s) for ch in _CLAUSE_MARKS)
    return _FREQUENCY.search(text, max(clause_start + 1, window), s) is not None


def _collides(m: Match) -> bool:
    after = m.after
    return bool(m.unit) and bool(after) and not m.post and after in UNIT_WORD_COLLISIONS.get(m.unit[-1], "")


def _in_quotes(m: Match) -> bool:
    # (a bare `in` would refuse a number at a paragraph's start too: "" is in every string)
    before, before_qualifier = m.before, m.before_qualifier
    return bool(before and before in OPENING_QUOTES) or bool(before_qualifier and before_qualifier in OPENING_QUOTES)


def _in_code(m: Match) -> bool:
    before, after = m.before, m.after
    return bool(before and before in _CODE_CHARACTERS) or bool(after and after in _LATIN_LETTERS)


def _session_ordinal(m: Match) -> bool:
    if m.unit != "次" or not m.before or m.before not in "届大会委":
        return False
    return _SESSION_ORDINAL.match(m.text, m.e - 1) is not None


def _longer_numeral(m: Match) -> bool:
    before = m.before
    return m.number[0] in CN_NUMERAL_CHARS and bool(before) and before in CN_NUMERAL_CHARS


# The rules in the order they are tried. The first two look at the numeral itself; the last two at
# its value (the clean step refuses such a value: a typo or a phone number must not fail the document;
# numerals.is_plausible also refuses a value below zero or not finite).
RULES: tuple[Rule, ...] = (
    Rule("not_a_numeral", lambda m: m.quantity is None, "not a numeral ({m.parse_error})",
         "会上宣读了一二三次的记录。"),
    Rule("fixed_expression", lambda m: m.in_fixed, "inside a fixed expression (八项规定, 两个确立, 十四五…)",
         "常委会党组严格落实中央八项规定精神。"),
    Rule("ordinal", lambda m: m.before == "第" or m.before_qualifier == "第", "ordinal (第…)",
         "常委会召开第12次会议。"),
    Rule("quoted_name", _in_quotes, "opens a quoted name or slogan",
         "开展“三个一批”活动。"),
    Rule("code", _in_code, "part of a code or model number",
         "采购了A3台设备。"),
    Rule("bare_scale", lambda m: m.quantity.bare_scale and m.quantity.approx == EXACT and not m.percent_of,
         "bare 百/千/万 without a qualifier is an idiom (征程万里, 千家万户)",
         "万人空巷。"),
    Rule("session_ordinal", _session_ordinal, "session ordinal (四届人大一次会议)",
         "在市四届人大一次会议上。", frozenset({"次"})),
    Rule("article", _is_article, "一 + measure word before a noun is an article (一项重要内容, 一批成果)",
         "这是一项重要内容。"),
    Rule("threshold_above", lambda m: m.post in ("以上", "以下") and m.text.startswith(_AFTER_THRESHOLD, m.e),
         "a threshold (3000万元以上的项目, 5000万元以上项目, 10人以上联名), not a count",
         "审查投资3000万元以上的项目。"),
    Rule("threshold_below",
         lambda m: m.text.startswith("的", m.e) and _THRESHOLD_BEFORE.search(m.text, max(0, m.s - 2), m.s) is not None,
         "a threshold (执行率不足60%的项目), not a count",
         "督促执行率不足60%的项目整改。"),
    Rule("frequency", _is_frequency, "a frequency (每月两次), not a count",
         "主任会议每月召开两次。"),
    Rule("unit_word_collision", _collides, "measure word is part of the word {m.word}",
         "全市14亿人民。"),
    Rule("longer_numeral", _longer_numeral, "part of a longer numeral expression",
         "共3万五千人参加。"),
    Rule("slogan_length", lambda m: m.unit == "字" and m.number[0] in CN_NUMERAL_CHARS and not m.scale,
         "the length of a slogan (十六字方针), not a count",
         "贯彻十六字方针。", frozenset({"字"})),
    # 概括起来有三个方面。一是…: it announces the list that follows (围绕4个方面27项内容 counts)
    Rule("announced_list", lambda m: m.unit == "个" and _ANNOUNCED_ENUMERATION.match(m.text, m.e) is not None,
         "a rhetorical count announcing a list (有三个方面。一是…), not a figure",
         "概括起来有三个方面。一是加强立法。", frozenset({"个"})),
    Rule("implausible_magnitude", lambda m: not m.plausible,
         "implausible magnitude for {m.quantity.unit} (a typo, a phone or document number?)",
         "受理来信13912345678件。"),
)  # fmt: skip


# measure word -> the (test, rule) pairs of RULES that can hold for it, in order; filled as units come up
_BY_UNIT: dict[str, tuple[tuple[Callable[[Match], bool], Rule], ...]] = {}


def reject_reason(m: Match) -> str | None:
    """Why `m` is not a figure (the first rule that holds), or None when it is one."""
    rules = _BY_UNIT.get(m.unit)
    if rules is None:
        rules = _BY_UNIT[m.unit] = tuple((r.test, r) for r in RULES if not r.units or m.unit in r.units)
    for test, rule in rules:
        if test(m):
            return rule.reason_for(m)
    return None
