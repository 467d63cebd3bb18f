"""Figures: quantities (number + measure word or unit) that count or measure what a body did.

For each figure: offsets into the raw text, value in the base unit, unit, how exact the text is,
and a label of what was counted, with what a list leaves implicit restored
(召开立法听证会3次、座谈会17次 -> 召开座谈会; 制定法规3件、修订1件 -> 修订法规).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache

from pipeline.reference.indicators import Indicator, by_id, default_taxonomy, only_titles, titles_as_kinds
from pipeline.text.document import Document
from pipeline.text.layout import Layout, Paragraph, repair
from pipeline.text.normalise import traditional_character
from pipeline.text.numerals import (
    CN_NUMERAL_CHARS,
    EXACT,
    QUANTITY_RE,
    SIGNED_UNITS,
    Quantity,
    is_bare_scale,
    is_plausible,
    prefix_qualifier,
    qualifier_is_part_of_a_word,
    quantity_from_parts,
)
from pipeline.text.patterns import CJK, literal_alternation

# ---------------------------------------------------------------- what is not a figure

# Fixed political expressions whose numeral + measure word is a name, not a count.
FIXED_EXPRESSIONS = (
    "八项规定",
    "两个确立",
    "两个维护",
    "两个大局",
    "两个结合",
    "两个毫不动摇",
    "两个务必",
    "三个务必",
    "三个代表",
    "三个有利于",
    "四个意识",
    "四个自信",
    "四个全面",
    "四个机关",
    "四个伟大",
    "五个必由之路",
    "五位一体",
    "一府一委两院",
    "一府两院",
    "千家万户",
    "千方百计",
    "十四五",
    "十三五",
    "十五五",
    "十二五",
    "一国两制",
    "两学一做",
    "三严三实",
    "六稳六保",
    "三会一课",
    # idioms built from numerals and measure words
    "三番五次",
    "三令五申",
    "四面八方",
    "五湖四海",
    "一五一十",
    "万无一失",
    "三五成群",
    "九牛一毛",
    "一岗双责",
)
_FIXED_RE = re.compile(literal_alternation(FIXED_EXPRESSIONS))  # = longest-first alternation, faster

# A measure word directly followed by these characters is the start of another word:
# 十四五期间, 统一部署, 14亿人民, 一处理.
UNIT_WORD_COLLISIONS = {
    "期": "间限望待盼刊",
    "名": "单称义",
    "位": "置于",
    "处": "理置于室",
    "部": "门署分长",
    "场": "所景地馆",
    "批": "准复评示",
    "条": "例件",
    "项": "目",
    "人": "民大口员才士群物家身心工类生均事",
    "个": "人体性别",
    "次": "要序年日",
    "元": "素旦",
    "户": "籍口",
    "件": "事",
    "台": "湾",
    "所": "有属在得以",
    "本": "身",
    "起": "来草",
    "天": "然气",
    "眼": "光前睛界神",
}

OPENING_QUOTES = "“‘「『《\"'"
# a number right after these is part of a code or model number (A3, G20), as is one right before a letter
_CODE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.")
_LATIN_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_WHITE_SPACE = re.compile(r"\s")
_FREQUENCY = re.compile(r"每(?:周|月|季度|季|年|半年|天|日|旬)")
_SESSION_ORDINAL = re.compile(r"(?:次|届)(?:会议|全会|全体会议|常委会)")
# what follows 以上/以下 when they set a class (投资1亿元以上的项目) rather than qualify a count
_AFTER_THRESHOLD = ("的", "联名", "项目", "企业", "单位", "工程", "规模")
_THRESHOLD_BEFORE = re.compile(r"(?:不足|低于|高于|超过)$")
# QUANTITY_RE with a look-ahead for the characters a quantity can start with: the same matches,
# but the scan skips the other characters at once instead of trying the whole pattern on each.
_QUANTITY_SCAN = re.compile(rf"(?=[\d{CN_NUMERAL_CHARS}])" + QUANTITY_RE.pattern)
TIME_UNITS = {"个月", "天", "小时", "工作日"}

# ---------------------------------------------------------------- labels

# Verbs that open a counted activity in work reports; longest first when matched.
VERBS = sorted(
    {
        "召开",
        "举行",
        "举办",
        "开展",
        "组织",
        "组织开展",
        "制定",
        "修订",
        "修改",
        "废止",
        "出台",
        "作出",
        "做出",
        "完成",
        "听取",
        "审议",
        "听取审议",
        "审查",
        "审议通过",
        "批准",
        "通过",
        "任免",
        "任命",
        "提出",
        "办理",
        "推动",
        "推送",
        "形成",
        "解决",
        "化解",
        "检视",
        "查摆",
        "检视查摆",
        "实施",
        "发放",
        "投放",
        "整改",
        "受理",
        "转办",
        "受理转办",
        "明确",
        "邀请",
        "安排",
        "刊发",
        "推出",
        "发布",
        "讲授",
        "批示",
        "接待",
        "走访",
        "收集",
        "征集",
        "征求",
        "督办",
        "视察",
        "检查",
        "备案",
        "纠正",
        "交办",
        "答复",
        "聘请",
        "培训",
        "吸纳",
        "采纳",
        "建成",
        "建立",
        "设立",
        "新建",
        "开通",
        "编发",
        "印发",
        "编印",
        "报送",
        "撰写",
        "录用",
        "表决",
        "颁发",
        "参加",
        "参与",
        "列席",
        "回复",
        "协调",
        "争取",
        "打造",
        "创建",
        "评选",
        "表彰",
        "慰问",
        "捐赠",
        "投入",
        "筹集",
        "落实",
        "督导",
        "清理",
        "审核",
        "指导",
        "接收",
        "收到",
        "提交",
        "提请",
        "召集",
        "主持",
        "制发",
        "修正",
        "废除",
        "解释",
        "作出决定",
        "选举",
        "补选",
        "罢免",
        "接受",
        "审批",
        "核查",
        "督查",
        "约谈",
        "询问",
        "质询",
        "评议",
        "测评",
        "调研",
        "宣讲",
        "宣传",
        "报道",
        "刊登",
        "播出",
        "发表",
        "举报",
        "处理",
        "查处",
        "立案",
        "办结",
        "追回",
        "挽回",
        "新增",
        "新设",
        "增加",
        "减少",
        "增长",
        "下降",
        "提高",
        "降低",
    },
    key=len,
    reverse=True,
)
_VERB_RE = re.compile(literal_alternation(VERBS))  # = "|".join(VERBS), faster
# Words that say when or how, not what: dropped from the ends of a label.
_LEADING_FILLER = re.compile(
    r"^(?:[、,;:\s(]|其中|同时|此外|另外|全年共|全年|一年来|年内|今年|本年度|共计|共|累计|先后|依法|分别|"
    r"还|并|又|已|均|将|把|对|并且|以及|和|与|及)+"
)
_TRAILING_FILLER = re.compile(r"(?:共计|总计|合计|共|计|达到|达|为|约|近|逾|超过|突破|超|多达|高达|的|了|[、,;:\s])+$")
_TIME_POSTPOSITION = re.compile(r"^(?:以来|期间|之内|之间|内|来|后|前|间|中)")
MONEY_UNITS = {"元"}
PERSON_UNITS = {"人", "名", "位", "人次"}

LIST_MODIFIERS = ("立法", "执法", "专题", "专项")

SENTENCE_END = "。！？!?"
# A "sentence" longer than this is text whose sentence ends were lost; evidence is then a window.
MAX_EVIDENCE = 500
EVIDENCE_WINDOW = 100  # characters either side of the figure
CLAUSE_DELIMITERS = ",;:，；：。！？!?"


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    text: str
    value: Decimal
    unit: str
    approx: str
    indicator: str
    section: str
    sentence: str
    sentence_start: int
    sentence_end: int
    category: str = ""
    indicator_id: str = ""
    kind: str = "actual"


@dataclass(frozen=True)
class Rejection:
    start: int
    end: int
    text: str
    reason: str


@dataclass
class Extraction:
    document: Document
    layout: Layout
    figures: list[Figure] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(slots=True)
class _Candidate:
    s: int  # positions in the paragraph text
    e: int
    quantity: Quantity
    label: str = ""
    verb: str = ""
    obj: str = ""
    subject: str = ""
    label_start: int = 0  # where the words that name it start: before a colon, for a list item (主任会议：21次)
    label_end: int = 0  # where the words that name it end: after the figure when it opens its clause


def _word_end_before(text: str, s: int) -> int:
    """Where the word before the number at `s` ends: one space may stand between them (第 3 次,
    约 3000 人), as between number and unit (numerals.QUANTITY_RE)."""
    return s - 1 if s and text[s - 1] in " \u00a0" else s


def _reject_reason(
    text: str,
    s: int,
    e: int,
    groups: tuple[str | None, ...],
    quantity: Quantity,
    lead: int,
    qualifier_len: int,
    value_problem: str | None,
) -> str | None:
    """Why a numeral + measure word in `text` (a normalised paragraph) is not a figure, or None.

    `s`, `e` and `groups` (QUANTITY_RE's, in _GROUPS order) are the match's, `lead` where the word
    before it ends (_word_end_before), `qualifier_len` the length of the 约/近/逾 that ends there,
    `value_problem` what _checked_quantity found wrong with the value."""
    percent_of, number, mid, _scale, unit, post = groups
    unit = unit or ""
    before = text[lead - 1] if lead else ""
    after = text[e] if e < len(text) else ""
    before_qualifier = text[lead - qualifier_len - 1] if lead - qualifier_len > 0 else ""
    if before == "第" or before_qualifier == "第":
        return "ordinal (第…)"
    # (a bare `in` would refuse a number at a paragraph's start too: "" is in every string)
    if (before and before in OPENING_QUOTES) or (before_qualifier and before_qualifier in OPENING_QUOTES):
        return "opens a quoted name or slogan"
    if (before and before in _CODE_CHARACTERS) or (after and after in _LATIN_LETTERS):
        return "part of a code or model number"
    if quantity.bare_scale and quantity.approx == EXACT and not percent_of:
        return "bare 百/千/万 without a qualifier is an idiom (征程万里, 千家万户)"
    if unit == "次" and before and before in "届大会委" and _SESSION_ORDINAL.match(text, e - 1):
        return "session ordinal (四届人大一次会议)"
    if number == "一" and unit not in ("个百分点", "百分点") and not mid:
        if after and ("\u4e00" <= after <= "\u9fff" or after in OPENING_QUOTES):
            return "一 + measure word before a noun is an article (一项重要内容, 一批成果)"
    if post in ("以上", "以下") and text.startswith(_AFTER_THRESHOLD, e):
        return "a threshold (3000万元以上的项目, 5000万元以上项目, 10人以上联名), not a count"
    if text.startswith("的", e) and _THRESHOLD_BEFORE.search(text, max(0, s - 2), s):
        return "a threshold (执行率不足60%的项目), not a count"
    if text.find("每", max(0, s - 200), s) != -1:  # every frequency starts with 每; most clauses have none
        # the clause's start, looked for in a bounded window: a paragraph without one of these marks
        # would otherwise be scanned to its start once per numeral
        window = max(0, s - 200)
        clause_start = max(text.rfind(ch, window, s) for ch in ",;:，；：。！？")
        if _FREQUENCY.search(text, max(clause_start + 1, window), s):
            return "a frequency (每月两次), not a count"
    if unit and after and not post and after in UNIT_WORD_COLLISIONS.get(unit[-1], ""):
        return f"measure word is part of the word {unit[-1]}{after}"
    if number[0] in CN_NUMERAL_CHARS and before and before in CN_NUMERAL_CHARS:
        return "part of a longer numeral expression"
    if unit == "字" and number[0] in CN_NUMERAL_CHARS and not _scale:
        return "the length of a slogan (十六字方针), not a count"
    if unit == "个" and _ANNOUNCED_ENUMERATION.match(text, e):
        # 概括起来有三个方面。一是…: it announces the list that follows (围绕4个方面27项内容 counts)
        return "a rhetorical count announcing a list (有三个方面。一是…), not a figure"
    return value_problem


# QUANTITY_RE's groups, in the order _reject_reason and _checked_quantity take them
_GROUPS = ("percent_of", "number", "mid", "scale", "unit", "post")


@lru_cache(maxsize=65536)  # the same numbers with the same measure words recur in every report
def _checked_quantity(groups: tuple[str | None, ...], prefix_approx: str) -> tuple[Quantity, str | None]:
    """The Quantity of a match's groups, and what is wrong with its value (None when nothing is).

    Raises ValueError when the number is not a numeral."""
    percent_of, number, mid, scale, unit, post = groups
    quantity = quantity_from_parts(number, scale, unit or "", percent_of, mid, post, prefix_approx)
    if quantity.value < 0 or not quantity.value.is_finite():
        return quantity, "not a finite count"
    if not is_plausible(float(quantity.value), quantity.unit):
        # the clean step refuses such a value; a typo or a phone number must not fail the document
        return quantity, f"implausible magnitude for {quantity.unit} (a typo, a phone or document number?)"
    return quantity, None


def _fixed_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _FIXED_RE.finditer(text)]


def _is_minus_sign(text: str, at: int) -> bool:
    """A minus sign at `at`, not a hyphen: nothing of a code, a number or a range before it (A-3, 2020-2023)."""
    return at >= 0 and text[at] in "-−" and (at == 0 or (text[at - 1] not in _CODE_CHARACTERS and text[at - 1] != "-"))


def find_quantities(text: str) -> tuple[list[_Candidate], list[tuple[int, int, str]]]:
    """Quantities in one normalised paragraph, and the numeral+unit spans rejected (with why)."""
    found: list[_Candidate] = []
    rejected: list[tuple[int, int, str]] = []
    fixed = _fixed_spans(text)  # sorted and disjoint, so the last one starting before a span is the one to check
    fixed_starts = [fs for fs, _fe in fixed]
    for match in _QUANTITY_SCAN.finditer(text):
        groups = match.group(*_GROUPS)
        percent_of, number, _mid, _scale, unit, post = groups
        if not (unit or percent_of):
            continue
        s, e = match.span()
        lead = _word_end_before(text, s)
        prefix_approx, qualifier_len = prefix_qualifier(text[max(0, lead - 3) : lead], is_bare_scale(number))
        try:
            quantity, value_problem = _checked_quantity(groups, prefix_approx)
        except ValueError as exc:
            rejected.append((s, e, f"not a numeral ({exc})"))
            continue
        last = bisect.bisect_left(fixed_starts, e) - 1
        if last >= 0 and fixed[last][1] > s:
            rejected.append((s, e, "inside a fixed expression (八项规定, 两个确立, 十四五…)"))
            continue
        reason = _reject_reason(text, s, e, groups, quantity, lead, qualifier_len, value_problem)
        if reason:
            rejected.append((s, e, reason))
            continue
        if post:  # the span is number through measure word; 以上/左右 only qualify it
            e = match.start("post")
        if quantity.unit in SIGNED_UNITS and _is_minus_sign(text, s - 1) and number[0].isdigit():
            # 同比增长-0.5%, 自然增长率-1.35‰: a rate below zero, its sign part of the figure
            s -= 1
            quantity = replace(quantity, value=-quantity.value)
        found.append(_Candidate(s, e, quantity))
    return found, rejected


# ---------------------------------------------------------------- labelling


_BARE_MEETING = re.compile(
    r"(?P<who>(?:第?[一二三四五六七八九十]+届)?(?:全国|[省市县区州盟旗])?(?:人大常委会|人大|常委会)(?:党组)?)"
    r"(?:共|全年|先后|累计|依法)*(?P<verb>召开|举行)了?(?:全体)?会议"
)
_SUBJECT = re.compile(
    r"^(?:第?[一二三四五六七八九十]+届)?(?:全国|[省市县区州盟旗])?(?:人大常委会|人大|常委会)(?=[^党])"
)
# X提高到Y, 由X降至Y: the first number is a baseline, the second the new level
# 比上年提高1.4个百分点, 增长6.2%: a change in what the previous figure measured
_RELATIVE_CHANGE = re.compile(
    r"^(?:分别)?(?:(?:比|较)(?:上年|去年|上一年|上年末|上年同期|上年度|上届|上一届|\d{4}年(?:末|底|同期)?)?|同比|年均|年平均)?"
    r"(?:提高|提升|增长|增加|上升|下降|降低|减少|回落)了?$"
)
_ANNOUNCED_ENUMERATION = re.compile(r"方面[。:：]")
_JOINED_ONLY = re.compile(r"\s*(?:和|与|及|、)\s*")
_RESPECTIVELY_END = re.compile(r"分别(?:为|是|达到|达)?\s*$")
_LIST_SEPARATOR = re.compile(r"[、和及与]")
# 2026年, 2026年底的: when, inside a label that says what (增至2026年的11.93亿元)
_YEAR_PHRASE = re.compile(r"\d{4}年(?:末|底|初)?的?")
# (其中2026年9次): a part of the previous figure in a year; the year alone names nothing
_TIME_ONLY = re.compile(r"^(?:\d{4}年(?:度|末|底|初)?|今年|去年|当年|本年度?|上半年|下半年|全年)$")
_CHANGE_VERB = re.compile(r"^(?:(?:提高|提升|增长|增加|上升|下降|降低|减少|扩大|缩小)(?:到|至)|增至|降至|升至|达到)")
# 总数达到58个: the total of what the previous figure counted
_TOTAL_WORDS = re.compile(r"^(?:总数|总量|总计|合计|累计|共计|累计总数|数量)$")
_POST_QUALIFIER = re.compile(r"^(?:以上|以下|以内|左右|上下|之多)")


@lru_cache(maxsize=65536)  # a pure function of the label; the same labels recur across reports
def _clean(label: str) -> str:
    label = _LEADING_FILLER.sub("", label)
    # The reporting body as subject says nothing about what was counted; keep it when it is part
    # of the thing counted (常委会会议, 人大代表).
    # 常委会共举行会议7次, 常委会党组召开会议86次: the subject names the meeting
    bare_meeting = _BARE_MEETING.fullmatch(label)
    if bare_meeting:
        return bare_meeting.group("verb") + bare_meeting.group("who") + "会议"
    subject = _SUBJECT.match(label)
    if subject:
        rest = label[subject.end() :]
        if _LEADING_FILLER.match(rest) or _VERB_RE.match(rest):
            label = _LEADING_FILLER.sub("", rest)
    tail = _TRAILING_FILLER.search(label)
    if tail:
        # 累计节约: the 约 of 节约 is no qualifier, and stays
        kept = 1 if qualifier_is_part_of_a_word(label[: tail.start()], label[tail.start()]) else 0
        label = label[: tail.start() + kept]
    # An opening quote whose closing one lies outside the label (or the reverse) says nothing.
    for opening, closing in ("“”", "《》", "‘’", "「」"):
        if label.count(opening) != label.count(closing):
            label = label.replace(opening, "").replace(closing, "")
    return label.strip()


@lru_cache(maxsize=65536)
def _split_verb(label: str) -> tuple[str, str]:
    """('召开', '常委会会议') for '召开常委会会议': the first verb and what follows it."""
    match = _VERB_RE.search(label)
    if not match:
        return "", label
    return match.group(0), label[match.end() :]


# a stop, and any closing quotes or brackets that follow it (they stay with the sentence)
_SENTENCE_STOP = re.compile(f"[{re.escape(SENTENCE_END)}][”’」』)）]*")


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


_CLAUSE_DELIMITER = re.compile(f"[{re.escape(CLAUSE_DELIMITERS)}]")


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


def _respectively_group(text: str, cands: list[_Candidate], first: int) -> list[int]:
    """The figures of a 分别 clause: cands[first] and those after it joined only by 和/、/与/及."""
    group = [first]
    while group[-1] + 1 < len(cands) and _JOINED_ONLY.fullmatch(text[cands[group[-1]].e : cands[group[-1] + 1].s]):
        group.append(group[-1] + 1)
    return group


def _respectively(text: str, cands: list[_Candidate], n: int, left_raw: str, left: str) -> dict[int, str]:
    """Labels a 分别 clause gives out, by candidate index (none when cands[n] opens no such clause).

    议案6件、建议689件,分别比上届增长20%和14.3%: the n-th change is the n-th earlier figure's.
    召开全体会议、主任委员会议分别为8次、14次: the n-th figure counts the n-th item of the list."""
    if n and left_raw.lstrip().startswith("分别") and _RELATIVE_CHANGE.match(left):
        group = _respectively_group(text, cands, n)
        if len(group) > n:
            return {}
        earlier = cands[n - len(group) : n]
        return {member: (named.subject or named.label) + left for member, named in zip(group, earlier, strict=True)}
    ending = _RESPECTIVELY_END.search(left_raw)
    if not ending:
        return {}
    items = _LIST_SEPARATOR.split(_clean(left_raw[: ending.start()]))
    group = _respectively_group(text, cands, n)
    if not (len(items) == len(group) > 1 and all(items)):
        return {}
    shared_verb = _split_verb(items[0])[0]  # 召开 of 召开全体会议, for 主任委员会议 after it
    return {
        member: _clean(item if member == n or _split_verb(item)[0] else shared_verb + item)
        for member, item in zip(group, items, strict=True)
    }


def _label_sentence(text: str, delimiters: list[int], s0: int, s1: int, cands: list[_Candidate]) -> None:
    previous: _Candidate | None = None
    distributed: dict[int, str] = {}  # labels given out by a 分别 clause, by candidate index
    for n, cand in enumerate(cands):
        # a delimiter before the previous figure changes nothing (left_lo becomes previous.e), so
        # the search stops there: a long clause of figures is not scanned once per figure
        left_lo = _last_delimiter(delimiters, s0 if previous is None else max(s0, previous.s), cand.s)
        separator = ""
        if previous is not None and previous.e > left_lo:
            left_lo = previous.e
            separator = "、" if text[previous.e : cand.s].startswith("、") else ""
        elif previous is not None:
            separator = text[left_lo - 1] if left_lo > s0 else ""
        next_start = cands[n + 1].s if n + 1 < len(cands) else s1
        right_hi = _next_delimiter(delimiters, cand.e, next_start)
        left_raw = text[left_lo : cand.s]
        if left_lo > s0 and text[left_lo - 1] in ":：" and only_titles(left_raw):
            # 主任会议：21次, 执法检查：《…条例》等4部 — the item's name is the clause before the colon
            colon = left_lo - 1
            left_lo = _last_delimiter(delimiters, s0 if previous is None else max(s0, previous.e), colon)
            left_raw = text[left_lo:colon] + left_raw.strip()
        if previous is not None and previous.quantity.unit in TIME_UNITS and previous.e == left_lo:
            left_raw = _TIME_POSTPOSITION.sub("", left_raw)
        left = _clean(left_raw)
        if _TIME_ONLY.match(left):
            left = ""
        right = _POST_QUALIFIER.sub("", text[cand.e : right_hi])
        if not left and previous is None:  # a digest line gives the figure first: 48场 居民议事会
            right = right.lstrip()
        pre_nominal = bool(right) and bool(CJK.match(right[0])) and not _CHANGE_VERB.match(right)
        right = _clean(right) if pre_nominal else ""
        cand.subject = left.split("由")[0] if "由" in left else left

        verb, obj = _split_verb(left)
        if "分别" in left_raw and n not in distributed:
            distributed.update(_respectively(text, cands, n, left_raw, left))
        if n in distributed:
            label = distributed[n]
        elif pre_nominal:
            label = left + right
        elif previous is not None and _CHANGE_VERB.fullmatch(_YEAR_PHRASE.sub("", left)):
            label = previous.subject + left
            cand.subject = previous.subject  # 由8.64亿元增至11.93亿元,年均增长6.7%: still the same subject
        elif previous is not None and _RELATIVE_CHANGE.match(left):
            label = (previous.subject or previous.label) + left
            cand.subject = previous.subject or previous.label  # 比上年…、比2019年…: each against the same subject
        elif previous is not None and _TOTAL_WORDS.match(left):
            label = (previous.obj or previous.label) + left
        elif not left and previous is not None:
            # 32241人,3400余万元: the same activity measured another way
            suffix = ""
            if cand.quantity.unit in MONEY_UNITS and previous.quantity.unit not in MONEY_UNITS:
                suffix = "金额"
            elif cand.quantity.unit in PERSON_UNITS and previous.quantity.unit not in PERSON_UNITS:
                suffix = "人数"
            label = previous.label + suffix
            verb, obj = previous.verb, previous.obj
        elif left and verb == left and previous is not None and previous.obj:
            # 制定法规3件、修订1件: the verb alone borrows the previous object
            obj = previous.obj
            label = verb + obj
        elif left and not verb and previous is not None and previous.verb and (separator == "、" or len(left) <= 5):
            # 召开立法听证会3次、座谈会17次: the noun alone borrows the previous verb, and in a
            # tight list (、) the modifier both items share (立法听证会, 座谈会 -> 立法座谈会)
            modifier = next((m for m in LIST_MODIFIERS if previous.obj.startswith(m)), "")
            if separator != "、" or left.startswith(LIST_MODIFIERS) or modifier in left:
                modifier = ""
            verb, obj = previous.verb, modifier + left
            label = verb + obj
        else:
            label = left
        cand.label = label[:40]
        cand.label_start = left_lo
        # a figure that opens its clause (212人次代表进站履职, 27件 代表建议全部交办) is named only by
        # the words after it, so the context the taxonomy looks at runs on through them
        cand.label_end = right_hi if pre_nominal and not left_raw.strip() else cand.e
        cand.verb, cand.obj = verb, obj
        previous = cand


# ---------------------------------------------------------------- categories

CATEGORY_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("party", ("党组", "中心组", "党课", "主题教育", "党建", "读书班", "研讨", "书记", "批示")),
    ("appointments", ("任免", "任命", "免职", "选举", "罢免")),
    ("deputies", ("代表", "议案", "建议", "联络站", "民生实事")),
    ("meetings", ("常委会会议", "主任会议", "全体会议", "代表大会", "会议")),
    ("decisions", ("决议", "决定")),
    ("legislation", ("立法", "法规", "条例", "法律案", "法律")),
    ("supervision", ("执法检查", "工作报告", "审查", "备案", "询问", "测评", "监督", "调研", "视察", "检查")),
    ("rule_of_law", ("宪法", "普法", "法律考试", "信访", "来信来访")),
    ("publicity", ("宣传", "专刊", "栏目", "新闻", "稿件", "作品", "报道")),
    ("environment", ("生态", "环境", "森林", "绿化", "污染", "环保")),
    ("rural", ("乡村", "村", "衔接", "帮扶", "扶贫", "危房", "饮水", "补贴", "补助", "信贷", "户", "搬迁")),
    ("self_building", ("制度", "廉政", "警示教育", "机关", "干部", "培训", "措施")),
)
SECTION_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("party", ("政治", "党的领导", "旗帜")),
    ("legislation", ("立法", "良法", "法治")),
    ("supervision", ("监督",)),
    ("deputies", ("代表",)),
    ("self_building", ("自身建设", "机关", "效能", "基础")),
)


# each category's words as one pattern: one search per category instead of one `in` per word
_CATEGORY_PATTERNS = tuple((category, re.compile(literal_alternation(words))) for category, words in CATEGORY_KEYWORDS)
_SECTION_PATTERNS = tuple((category, re.compile(literal_alternation(words))) for category, words in SECTION_CATEGORIES)


@lru_cache(maxsize=65536)  # labels and sections recur across reports
def categorise(label: str, section: str) -> str:
    for category, pattern in _CATEGORY_PATTERNS:
        if pattern.search(label):
            return category
    for category, pattern in _SECTION_PATTERNS:
        if pattern.search(section):
            return category
    return "other"


# ---------------------------------------------------------------- the whole document


class _IndicatorMemo:
    """map_label and the id -> indicator table for one taxonomy, remembered per (label, unit).

    The same labels (召开常委会会议, 次) recur in every report; the taxonomy is read once."""

    def __init__(self, taxonomy: tuple) -> None:
        self.taxonomy = taxonomy
        self.by_id = by_id(taxonomy)
        self.fitting: dict[tuple[str, str], tuple[Indicator, ...]] = {}
        # the entries that take each unit, in taxonomy order: a label is matched against those only
        # (a unit is taken by a third of the entries at most)
        by_unit: dict[str, list[Indicator]] = {}
        for indicator in taxonomy:
            for unit in dict.fromkeys(indicator.units):
                by_unit.setdefault(unit, []).append(indicator)
        self.taking_unit = {unit: tuple(indicators) for unit, indicators in by_unit.items()}

    def map(self, label: str, unit: str, context: str = "", clause: str = "") -> str:
        # what fits the label and unit is remembered; the sentence around it is checked each time,
        # and only for the few entries that ask for it
        for indicator in self.fits(label, unit):
            if indicator.context_allows(label, context, clause):
                return indicator.id
        return ""

    def fits(self, label: str, unit: str) -> tuple[Indicator, ...]:
        """The entries whose pattern and units fit the label and unit (their context not looked at), best first."""
        key = (label, unit)
        fitting = self.fitting.get(key)
        if fitting is None:
            if len(self.fitting) > 100_000:  # bounded, for a run over tens of thousands of reports
                self.fitting.clear()
            matchable = titles_as_kinds(label)  # 制定《…条例》等 is matched as 制定条例, as map_label does
            fitting = self.fitting[key] = tuple(
                i for i in self.taking_unit.get(unit, ()) if i.fits_label(matchable, unit)
            )
        return fitting


_MEMO: _IndicatorMemo | None = None


def _indicator_memo() -> _IndicatorMemo:
    global _MEMO
    taxonomy = default_taxonomy()
    if _MEMO is None or _MEMO.taxonomy is not taxonomy:
        _MEMO = _IndicatorMemo(taxonomy)
    return _MEMO


def _raw_span(raw: str, offsets: list[int], s0: int, s1: int) -> str:
    """The raw characters at offsets[s0:s1]: one slice when they are contiguous, as they mostly are."""
    if s1 > s0 and offsets[s1 - 1] - offsets[s0] == s1 - 1 - s0:
        return raw[offsets[s0] : offsets[s1 - 1] + 1]
    return "".join(map(raw.__getitem__, offsets[s0:s1]))


def _paragraph_figures(
    document: Document, paragraph: Paragraph, memo: _IndicatorMemo, own_forms: dict[int, str] | None = None
) -> tuple[list[Figure], list[Rejection]]:
    """The figures and rejections of one paragraph. `own_forms` (a traditional text's: _own_forms)
    puts labels and the section back into the document's own characters."""
    text = paragraph.text
    offsets = paragraph.offsets
    raw = document.raw
    candidates, rejected = find_quantities(text)
    # the paragraph's raw characters, position for position with `text` (offsets may jump at a join)
    raw_text = _raw_span(raw, offsets, 0, len(offsets)) if candidates else ""
    figures = []
    delimiters = _delimiter_positions(text) if candidates else []
    next_candidate = 0
    for s0, s1 in _sentences(text) if candidates else ():
        # candidates are in text order: skip those before the sentence, take those inside it
        while next_candidate < len(candidates) and candidates[next_candidate].s < s0:
            next_candidate += 1
        first = next_candidate
        while next_candidate < len(candidates) and candidates[next_candidate].s < s1:
            next_candidate += 1
        in_sentence = candidates[first:next_candidate]
        if not in_sentence:
            continue
        _label_sentence(text, delimiters, s0, s1, in_sentence)
        # strip white space around the sentence so the evidence reads cleanly
        while s0 < s1 and text[s0].isspace():
            s0 += 1
        sentence = raw_text[s0:s1].strip()
        for cand in in_sentence:
            start, end = offsets[cand.s], offsets[cand.e - 1] + 1
            figure_text = raw[start:end]
            joined = raw_text[cand.s : cand.e]  # the same characters, unless a line or column break lies between
            if figure_text != joined and _WHITE_SPACE.sub("", figure_text) != _WHITE_SPACE.sub("", joined):
                # 十 | caption | 二次: the parts were joined across a column break, so raw[start:end]
                # would hold the caption too; a figure is one span of the text (a line wrap aside)
                rejected.append((cand.s, cand.e, "split by a column break: its parts lie apart in the text"))
                continue
            fitting = memo.fits(cand.label, cand.quantity.unit)
            if not fitting or not fitting[0].context:
                # the usual case: no entry fits, or the best one does not look at the words around the figure
                indicator_id = fitting[0].id if fitting else ""
            else:
                # bounded, as the evidence is: a text without sentence ends is one long sentence
                context_start = max(s0, cand.s - MAX_EVIDENCE)
                clause_start = min(_last_delimiter(delimiters, context_start, cand.s), max(cand.label_start, s0))
                # up to the figure, or through the words that name it (_Candidate.label_end)
                context_end = max(cand.e, cand.label_end)
                indicator_id = memo.map(
                    cand.label, cand.quantity.unit, text[context_start:context_end], text[clause_start:context_end]
                )
            e0, e1, evidence = s0, s1, sentence
            if s1 - s0 > MAX_EVIDENCE:
                # text without sentence ends (a page whose 。 were lost): a window around the figure,
                # or every figure would carry the whole text and the output grow with its square
                e0 = max(s0, cand.s - EVIDENCE_WINDOW)
                e1 = min(s1, cand.e + EVIDENCE_WINDOW)
                evidence = raw_text[e0:e1].strip()
            figures.append(
                Figure(
                    start=start,
                    end=end,
                    text=figure_text,
                    value=cand.quantity.value,
                    unit=cand.quantity.unit,
                    approx=cand.quantity.approx,
                    indicator=cand.label.translate(own_forms) if own_forms else cand.label,
                    section=paragraph.section.translate(own_forms) if own_forms else paragraph.section,
                    sentence=evidence,
                    sentence_start=offsets[e0],
                    sentence_end=offsets[e1 - 1] + 1,
                    category=memo.by_id[indicator_id].category
                    if indicator_id
                    else categorise(cand.label, paragraph.section),
                    indicator_id=indicator_id,
                )
            )
    rejections = [
        Rejection(offsets[s], offsets[e - 1] + 1, raw[offsets[s] : offsets[e - 1] + 1], reason)
        for s, e, reason in rejected
    ]
    return figures, rejections


def extract(document: Document, layout: Layout | None = None) -> Extraction:
    """All figures of a document, in raw-text order."""
    layout = layout or repair(document.norm)
    result = Extraction(document=document, layout=layout)
    memo = _indicator_memo()
    # labels are read in simplified characters; a reader of a traditional text sees them in its own
    own_forms = _own_forms(document) if document.traditional else None
    for paragraph in layout.paragraphs:
        figures, rejections = _paragraph_figures(document, paragraph, memo, own_forms)
        result.figures.extend(figures)
        result.rejections.extend(rejections)
    result.figures.sort(key=lambda f: (f.start, f.end))
    result.rejections.sort(key=lambda r: (r.start, r.end))
    return result


def _own_forms(document: Document) -> dict[int, str]:
    """simplified -> the traditional form this document writes it in (the commonest, where it uses two)."""
    norm = document.norm
    pairs = Counter((norm[m.start()], m.group()) for m in traditional_character().finditer(document.raw))
    forms: dict[int, str] = {}
    for (simplified, written), _count in pairs.most_common():
        if simplified != written:
            forms.setdefault(ord(simplified), written)
    return forms
