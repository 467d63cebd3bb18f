"""Labels: what each figure counts, read from the words around it in its sentence.

A label is the clause before the figure with fillers dropped (其中, 共计, 的…), or the words after a
figure that opens its clause; where a list leaves words implicit the labelling steps below restore
them (召开立法听证会3次、座谈会17次 -> 召开座谈会; 制定法规3件、修订1件 -> 修订法规; 发放补贴32241人,
3400余万元 -> the same activity, 金额). The word lists are data: lexicons/verbs.yaml and
lexicons/label_words.yaml.

The label follows the clause (issue 13): each item of a number-before-noun list names its own noun
(召开9次常委会会议、21次主任会议 -> 召开主任会议); 分别 pairs values with items in order; a citation
marker ([2], ①), a bullet at a line's start (· - ●) or a framing dash (立法答卷——制定地方性法规)
ends the words before a figure; leading words (包括, 配合上级人大) are dropped; pinyin glosses
(調(diào)研) are read past; a combined count (视察、执法检查、专题询问32次) keeps its whole list.
Only the label changes: a figure's offsets and its label's start index the raw text as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from pipeline.extract.clauses import _last_delimiter, _next_delimiter
from pipeline.extract.model import Candidate
from pipeline.extract.wordlists import words
from pipeline.reference.indicators import only_titles
from pipeline.text.numerals import qualifier_is_part_of_a_word
from pipeline.text.patterns import CJK, literal_alternation

# Verbs that open a counted activity in work reports; longest first when matched.
VERBS = sorted(dict.fromkeys(words("verbs", "verbs")), key=len, reverse=True)
_VERB_RE = re.compile(literal_alternation(VERBS))  # = "|".join(VERBS), faster
MONEY_UNITS = frozenset(words("label_words", "money_units"))
PERSON_UNITS = frozenset(words("label_words", "person_units"))
TIME_UNITS = frozenset(words("label_words", "time_units"))
LIST_MODIFIERS = words("label_words", "list_modifiers")
LEADING_WORDS = words("label_words", "leading_words")  # 包括, 配合上级人大: they open, never name
# Words that say when or how, not what: dropped from the ends of a label.
_LEADING_FILLER = re.compile(
    r"^(?:[、,;:\s(]|其中|同时|此外|另外|全年共|全年|一年来|年内|今年|本年度|共计|共|累计|先后|依法|分别|"
    r"还|并|又|已|均|将|把|对|并且|以及|和|与|及|" + literal_alternation(LEADING_WORDS) + r")+"
)
# 調(diào)研, 詢(xún)問: a pinyin gloss inside a word, read past when labelling (the raw text keeps it)
_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])\((?:[a-zü]|[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňḿ]){1,7}\)")
# What ends the words before a figure, so that a label starts after it: a citation marker ([2], ①),
# a bullet at a line's start (· - ●), a dash after a framing phrase (立法答卷——制定地方性法规)
_MARKER = r"\[\d{1,3}\]|【\d{1,3}】|[①-⑳]|(?P<dash>—{1,2}|―{1,2}|-{2})"
_BULLET = r"[ \t\u3000]*[·•・●◆■▪*\-–][ \t\u3000]*"
_BOUNDARY = re.compile(rf"{_MARKER}|(?:^|\n){_BULLET}")
_BOUNDARY_NOT_AT_START = re.compile(rf"{_MARKER}|\n{_BULLET}")  # after a figure: 12次·4 is no bullet
_LIST_TAIL = re.compile(r"(?:、|和|及|与|以及)\s*$")
_TRAILING_FILLER = re.compile(
    r"(?:共计|总计|合计|共|计|达到|达|为|约|近|逾|超过|突破|超|多达|高达|的|了|[、,;:\s—―])+$"
)
# 2024年工作报告显示代表提出建议…, 统计数据表明…: who reports it, not what was counted
_REPORTED_BY = re.compile(r"^[^、]{0,16}?(?:报告|数据|统计|资料|调查)(?:显示|表明)")
# 建议1.26万件由203家承办单位办理: a preposition before the next figure belongs to it, not to this noun
_NEXT_ITEMS_WORD = re.compile(r"(?:由|向|经|从)\s*$")
_TIME_POSTPOSITION = re.compile(r"^(?:以来|期间|之内|之间|内|来|后|前|间|中)")
_BARE_MEETING = re.compile(
    r"(?P<who>(?:第?[一二三四五六七八九十]+届)?(?:全国|[省市县区州盟旗])?(?:人大常委会|人大|常委会)(?:党组)?)"
    r"(?:共|全年|先后|累计|依法)*(?P<verb>召开|举行)了?(?:全体)?会议"
)
_SUBJECT = re.compile(
    r"^(?:(?:第?[一二三四五六七八九十]+届)?(?:全国|[省市县区州盟旗])?(?:人大常委会|人大|常委会)(?=[^党])|我[省市县区州盟旗])"
)
# 本届以来常委会共制定法律, 五年来审议…: when, before the subject or verb that opens what was counted
_LEADING_TIME = re.compile(r"^(?:本届以来|本届|[一二三四五两]年来|近年来|过去一年)")
# X提高到Y, 由X降至Y: the first number is a baseline, the second the new level
# 比上年提高1.4个百分点, 增长6.2%: a change in what the previous figure measured
_RELATIVE_CHANGE = re.compile(
    r"^(?:分别)?(?:(?:比|较)(?:上年|去年|上一年|上年末|上年同期|上年度|上届|上一届|\d{4}年(?:末|底|同期)?)?|同比|年均|年平均)?"
    r"(?:提高|提升|增长|增加|上升|下降|降低|减少|回落)了?$"
)
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
    if "(" in label:
        label = _GLOSS.sub("", label)
    label = _LEADING_FILLER.sub("", label)
    reported = _REPORTED_BY.match(label)
    if reported and CJK.search(label, reported.end()):
        label = _LEADING_FILLER.sub("", label[reported.end() :])
    time = _LEADING_TIME.match(label)
    if time:
        rest = _LEADING_FILLER.sub("", label[time.end() :])
        if _SUBJECT.match(rest) or _VERB_RE.match(rest):
            label = rest
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


def _respectively_group(text: str, cands: list[Candidate], first: int) -> list[int]:
    """The figures of a 分别 clause: cands[first] and those after it joined only by 和/、/与/及."""
    group = [first]
    while group[-1] + 1 < len(cands) and _JOINED_ONLY.fullmatch(text[cands[group[-1]].e : cands[group[-1] + 1].s]):
        group.append(group[-1] + 1)
    return group


def _respectively(text: str, cands: list[Candidate], n: int, left_raw: str, left: str) -> dict[int, str]:
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
    # an item that opens with a verb of its own keeps it; 专题询问 (询问 inside the noun) takes 组织
    return {
        member: _clean(item if member == n or _VERB_RE.match(item) else shared_verb + item)
        for member, item in zip(group, items, strict=True)
    }


@dataclass(slots=True)
class _Around:
    """The words around the n-th figure of a sentence, as the labelling steps read them."""

    n: int
    cand: Candidate
    previous: Candidate | None
    left_raw: str  # the clause before the figure, as written
    left: str  # the same, cleaned (_clean)
    right: str  # the words after it, when the figure opens its clause (pre_nominal)
    pre_nominal: bool
    separator: str  # "、" when the figure follows the previous one in a tight list
    verb: str
    obj: str
    distributed: dict[int, str]  # labels given out by a 分别 clause, by candidate index
    follows: bool = False  # the words before the figure start where the previous figure ends


def _given_out(a: _Around) -> str | None:
    """召开全体会议、主任委员会议分别为8次、14次: the label a 分别 clause gave this figure."""
    return a.distributed[a.n] if a.n in a.distributed else None


def _next_noun_of_list(a: _Around) -> str | None:
    """办理5件代表议案、402件代表建议; 11次专题询问、33项专题调研: in a list of number-before-noun items
    each item names its own noun and shares the words before the first item (办理), never the noun
    of the item before it."""
    previous = a.previous
    if not (a.pre_nominal and a.follows and previous is not None and previous.lead is not None):
        return None
    if not _LIST_TAIL.search(a.left_raw):
        return None
    a.cand.lead = previous.lead
    label = previous.lead + a.right
    a.verb, a.obj = _split_verb(label)
    return label


def _named_after(a: _Around) -> str | None:
    """212人次代表进站履职: the figure opens its clause and the words after it name it."""
    if not a.pre_nominal:
        return None
    a.cand.lead = a.left
    return a.left + a.right


def _new_level(a: _Around) -> str | None:
    """由8.64亿元增至11.93亿元: the new level of what the previous figure measured, the same subject."""
    previous = a.previous
    if previous is None or not _CHANGE_VERB.fullmatch(_YEAR_PHRASE.sub("", a.left)):
        return None
    a.cand.subject = previous.subject
    return previous.subject + a.left


def _relative_change(a: _Around) -> str | None:
    """比上年增长6.2%: a change in what the previous figure measured (each 比… against the same subject)."""
    previous = a.previous
    if previous is None or not _RELATIVE_CHANGE.match(a.left):
        return None
    a.cand.subject = previous.subject or previous.label
    return a.cand.subject + a.left


def _total(a: _Around) -> str | None:
    """总数达到58个: the total of what the previous figure counted."""
    previous = a.previous
    if previous is None or not _TOTAL_WORDS.match(a.left):
        return None
    return (previous.obj or previous.label) + a.left


def _measured_otherwise(a: _Around) -> str | None:
    """32241人,3400余万元: nothing before the figure, so the previous activity measured another way."""
    previous = a.previous
    if a.left or previous is None:
        return None
    suffix = ""
    if a.cand.quantity.unit in MONEY_UNITS and previous.quantity.unit not in MONEY_UNITS:
        suffix = "金额"
    elif a.cand.quantity.unit in PERSON_UNITS and previous.quantity.unit not in PERSON_UNITS:
        suffix = "人数"
    a.verb, a.obj = previous.verb, previous.obj
    return previous.label + suffix


def _verb_borrows_object(a: _Around) -> str | None:
    """制定法规3件、修订1件: the verb alone borrows the previous object."""
    previous = a.previous
    if not (a.left and a.verb == a.left and previous is not None and previous.obj):
        return None
    # 表决通过法规9件，包括制定4件: the object is 法规, not the verb phrase 通过法规
    # 表决通过16件，其中制定6件: the object 通过 is a verb with no noun; nothing to borrow
    inner_verb, noun = _split_verb(previous.obj)
    if inner_verb and previous.obj.startswith(inner_verb):
        if not noun:
            return None
        a.obj = noun
    else:
        a.obj = previous.obj
    return a.verb + a.obj


def _noun_borrows_verb(a: _Around) -> str | None:
    """召开立法听证会3次、座谈会17次: the noun alone borrows the previous verb, and in a tight list (、)
    the modifier both items share (立法听证会, 座谈会 -> 立法座谈会)."""
    previous, left = a.previous, a.left
    if not (left and not a.verb and previous is not None and previous.verb and (a.separator == "、" or len(left) <= 5)):
        return None
    modifier = next((m for m in LIST_MODIFIERS if previous.obj.startswith(m)), "")
    if a.separator != "、" or left.startswith(LIST_MODIFIERS) or modifier in left:
        modifier = ""
    a.verb, a.obj = previous.verb, modifier + left
    return a.verb + a.obj


def _own_words(a: _Around) -> str | None:
    """Otherwise the clause before the figure names it."""
    return a.left


# Tried in order; the first that gives a label (possibly empty) labels the figure.
LABEL_STEPS: tuple[Callable[[_Around], str | None], ...] = (
    _given_out,
    _next_noun_of_list,
    _named_after,
    _new_level,
    _relative_change,
    _total,
    _measured_otherwise,
    _verb_borrows_object,
    _noun_borrows_verb,
    _own_words,
)
# the steps that lean on the figure before: none of them labels the first figure of a sentence
_LEANING = frozenset(
    {
        _next_noun_of_list,
        _new_level,
        _relative_change,
        _total,
        _measured_otherwise,
        _verb_borrows_object,
        _noun_borrows_verb,
    }
)
_FIRST_STEPS = tuple(step for step in LABEL_STEPS if step not in _LEANING)
# the steps that read words before the figure: none of them labels a figure with none (32241人,3400余万元)
_READING_LEFT = frozenset(
    {_next_noun_of_list, _new_level, _relative_change, _total, _verb_borrows_object, _noun_borrows_verb}
)
_AFTER_NOTHING_STEPS = tuple(step for step in LABEL_STEPS if step not in _READING_LEFT)


def _words_start(left_raw: str, at_line_start: bool) -> int:
    """Where the words that name a figure start in the clause before it: after the last citation
    marker or bullet, or the last framing dash that has words after it (0 when there is none)."""
    start = 0
    for boundary in (_BOUNDARY if at_line_start else _BOUNDARY_NOT_AT_START).finditer(left_raw):
        if not boundary.group("dash") or CJK.search(left_raw, boundary.end()):
            start = boundary.end()
    return start


def _label_sentence(text: str, delimiters: list[int], s0: int, s1: int, cands: list[Candidate]) -> None:
    """Label the figures of one sentence, text[s0:s1], in order: each may lean on the one before."""
    previous: Candidate | None = None
    distributed: dict[int, str] = {}
    for n, cand in enumerate(cands):
        # where the words before the figure start: a delimiter before the previous figure changes
        # nothing (left_lo becomes previous.e), so the search stops there: a long clause of figures
        # is not scanned once per figure
        left_lo = _last_delimiter(delimiters, s0 if previous is None else max(s0, previous.s), cand.s)
        separator = ""  # "、" when the figure follows the previous one in a tight list
        if previous is not None and previous.e > left_lo:
            left_lo = previous.e
            separator = "、" if text[previous.e : cand.s].startswith("、") else ""
        elif previous is not None:
            separator = text[left_lo - 1] if left_lo > s0 else ""
        right_hi = _next_delimiter(delimiters, cand.e, cands[n + 1].s if n + 1 < len(cands) else s1)
        after = _BOUNDARY_NOT_AT_START.search(text, cand.e, right_hi)  # 11项[2]: the marker ends the noun
        right_hi = after.start() if after else right_hi
        follows = previous is not None and previous.e == left_lo
        left_raw = text[left_lo : cand.s]
        if left_lo > s0 and text[left_lo - 1] in ":：" and only_titles(left_raw):
            # 主任会议：21次, 执法检查：《…条例》等4部 — the item's name is the clause before the colon
            colon = left_lo - 1
            left_lo = _last_delimiter(delimiters, s0 if previous is None else max(s0, previous.e), colon)
            left_raw = text[left_lo:colon] + left_raw.strip()
        cut = _words_start(left_raw, not follows)  # · 召开主任会议; 立法答卷——制定地方性法规
        if cut:
            left_lo, left_raw = left_lo + cut, left_raw[cut:]
        if previous is not None and previous.quantity.unit in TIME_UNITS and previous.e == left_lo:
            left_raw = _TIME_POSTPOSITION.sub("", left_raw)
        left = _clean(left_raw)
        if _TIME_ONLY.match(left):
            left = ""
        right = _POST_QUALIFIER.sub("", text[cand.e : right_hi])
        if not left and previous is None:  # a digest line gives the figure first: 48场 居民议事会
            right = right.lstrip()
        pre_nominal = bool(right) and bool(CJK.match(right[0])) and not _CHANGE_VERB.match(right)
        if pre_nominal and n + 1 < len(cands) and right_hi == cands[n + 1].s:
            # 295件议案和8314件建议: the 和 joins the next item; 建议…由203家: 由 opens the next clause
            right = _NEXT_ITEMS_WORD.sub("", _LIST_TAIL.sub("", right))
        right = _clean(right) if pre_nominal else ""
        cand.subject = left.split("由")[0] if "由" in left else left
        verb, obj = _split_verb(left)
        if "分别" in left_raw and n not in distributed:
            distributed.update(_respectively(text, cands, n, left_raw, left))
        around = _Around(
            n, cand, previous, left_raw, left, right, pre_nominal, separator, verb, obj, distributed, follows
        )
        for step in _FIRST_STEPS if previous is None else LABEL_STEPS if left else _AFTER_NOTHING_STEPS:
            label = step(around)
            if label is not None:
                break
        cand.label = label[:40]
        cand.label_start = left_lo
        # a figure that opens its clause (212人次代表进站履职, 27件 代表建议全部交办) is named only by
        # the words after it, so the context the taxonomy looks at runs on through them
        named_after = pre_nominal and (not left_raw.strip() or step is _next_noun_of_list)
        cand.label_end = right_hi if named_after else cand.e
        cand.verb, cand.obj = around.verb, around.obj
        previous = cand
