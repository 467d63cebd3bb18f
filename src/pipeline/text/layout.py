"""Layout repair for text that came off a newspaper page or a PDF.

Lines are told apart by role (body, heading, title, headline, kicker, byline, caption, meta), then
body text is put back into reading order: a paragraph cut at a column break is joined to its
continuation when the continuation is in the text, and cuts whose other half is missing are
flagged. Every character of a repaired paragraph keeps the offset it has in the raw text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.text.lexicon import lexicon
from pipeline.text.numerals import QUANTITY_RE
from pipeline.text.patterns import CJK

BODY, HEADING, TITLE, HEADLINE, KICKER, BYLINE, CAPTION, META = (
    "body",
    "heading",
    "title",
    "headline",
    "kicker",
    "byline",
    "caption",
    "meta",
)

# A paragraph that ends in one of these ends a sentence (or introduces a list); anything else
# at the end of a body line means the line was cut.
SENTENCE_END = set("。！？!?;；…:：—”’」』)）")
_SENTENCE_STOPS = re.compile(r"[。！？!?；;]")
_INNER_PUNCT = re.compile(r"[。！？!?；;，,：:]")
# A caption opens like one (图为…) or ends with a photo credit (记者 王某 摄). Two patterns, not one
# alternation: the credit's is then searched for by its first characters instead of at every position.
_CAPTION_OPENING = re.compile(r"(?:图为|图片为|图[:：]|图片[:：]|[(（]图|图注|▲|△)")
_PHOTO_CREDIT = re.compile(r"(?:记者|通讯员|摄影).{0,20}摄[)）]?$")
_BYLINE = re.compile(
    r"^(?:本报记者|本报通讯员|本报讯|新华社记者|记者|通讯员|特约记者|文/|文图/|图/|图文/|作者[:：]|来源[:：]|"
    r"责任编辑|编辑[:：/]|校对|审核|审校|监制|稿件来源)"
)
_META = re.compile(
    # a dash opens a subtitle (——2024年1月16日在…会议上) only when the line is short and no
    # sentence; "——议事决策有力有序。本届以来,…" is a paragraph of a term review
    r"^(?:——|--|－－)[^。;；!！?？]{0,60}$|^\d{4}年\d{1,2}月\d{1,2}日$|^\(\d{4}年\d{1,2}月\d{1,2}日"
    # the speaker under a report's title: 市人大常委会主任 王某某
    r"|^.{0,24}(?:主任|副主任|秘书长|委员长|副委员长|主席|书记)\s+[\u4e00-\u9fff·]{2,5}$"
)
# What a web page puts around an article: breadcrumbs, links to the next one, share buttons
_WEB_FURNITURE = re.compile(
    r"^(?:上一篇|下一篇|分享到|主办[:：]|承办[:：]|发布时间|发布日期|【打印本页】|【关闭窗口】|【字体|首页\s*[>›»]|.{0,20}ICP备)"
)
# Page numbers of a document that went through a PDF: — 3 —, - 3 -, 第 2 页, 第2页 共5页, 2/5
_PAGE_FURNITURE = re.compile(
    r"^(?:[—\-–－·•]\s*\d{1,4}\s*[—\-–－·•]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|(?:page|Page|PAGE)\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$"
)
# How many blocks after a cut its continuation may lie (a caption, a headline, a byline between).
MAX_JOIN_DISTANCE = 40
_TITLE_WORDS = re.compile(r"报告|综述|总结|公报|回眸|纪实")

# Single characters that commonly open a sentence on their own; a paragraph after a caption or
# headline that opens with any other lone character most likely lost its beginning.
_SENTENCE_OPENERS = set(
    "在对把为以从向将由与和但并又再更要让使据经按凡这那我他她它其各每该此今去全本市县省区镇乡村"
    "党人是有当如若虽因所自至于及或而且还也都就才已曾正亦即便共近约逾超截到一二三四五六七八九十"
)


@dataclass(frozen=True)
class Block:
    """One non-empty line of the raw text with its role."""

    line: int  # 1-based line number, as an editor shows it
    start: int  # offsets of the stripped line in the raw text
    end: int
    role: str
    text: str  # normalised text


@dataclass
class Paragraph:
    """Body text in reading order. `offsets[i]` is the raw offset of `text[i]`."""

    text: str
    offsets: list[int]
    lines: tuple[int, ...]
    section: str = ""
    heading: bool = False  # a section heading that gives a figure (一、召开常委会会议12次，…), read as text too

    @property
    def start(self) -> int:
        return self.offsets[0]


@dataclass(frozen=True)
class Repair:
    kind: str  # joined | wrapped | cut_no_continuation | start_missing
    line: int
    other_line: int | None
    at: int  # raw offset where the cut is (end of the cut line, or start of the orphan)
    detail: str


@dataclass
class Layout:
    blocks: list[Block]
    paragraphs: list[Paragraph]
    repairs: list[Repair] = field(default_factory=list)


# ---------------------------------------------------------------- roles


def _lines(norm: str) -> list[tuple[int, int, int]]:
    """(line number, start, end) of each non-empty stripped line."""
    out = []
    pos = 0
    for number, line in enumerate(norm.split("\n"), start=1):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            out.append((number, pos + lead, pos + lead + len(stripped)))
        pos += len(line) + 1
    return out


# a line that opens with these continues the line above it, whatever that one ends with
_CONTINUING_PUNCTUATION = set(",，、;；:：")


def _has_a_count(text: str) -> bool:
    return any(match.group("unit") for match in QUANTITY_RE.finditer(text))


def _ends_with_a_count(text: str) -> bool:
    """'召开常委会会议 9 次': a line of a figures digest, not a heading."""
    for match in QUANTITY_RE.finditer(text, max(0, len(text) - 16)):
        if match.end() == len(text) and match.group("unit"):
            return True
    return False


_CALENDAR_UNITS = {"年", "月", "日", "号", "时"}


def _starts_with_a_count(text: str) -> bool:
    """'48场 居民议事会', '2次 镇人民代表大会会议顺利召开': a digest line that gives the figure first,
    set off by a space. A date or year first (2025年 工作回顾) is not a count."""
    match = QUANTITY_RE.match(text)
    return bool(
        match
        and match.group("unit")
        and match.group("unit") not in _CALENDAR_UNITS
        and match.end() < len(text)
        and text[match.end()].isspace()
    )


# a section number opening a line: 一、 （一） 第一部分
_SECTION_NUMBER = re.compile(
    r"(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+(?:部分|章|节))"
)
# the longest numbered heading with a comma in it (一、依法召开会议，保障代表权利): prose wrapped at
# a page's width is cut at 30 characters or more, with no room for a short parallel pair like this
_NUMBERED_HEADING_MAX = 24


def _ends_like_a_clause(text: str) -> bool:
    """A line ending in a comma or colon, or with a count, goes on or is a digest item: no heading."""
    return text[-1] in "、,，;；:：" or _ends_with_a_count(text)


def _is_heading_like(text: str) -> bool:
    if len(text) > 30 or len(CJK.findall(text)) < 2:
        return False
    if _ends_like_a_clause(text) or _starts_with_a_count(text):
        return False
    return not _INNER_PUNCT.search(text)


def _is_numbered_heading(text: str, next_line: str) -> bool:
    """'一、依法召开会议，保障代表权利': a numbered heading of two short phrases, one comma between.
    Not when the next line is as long as this one: that is a narrow column, wrapped at its width."""
    if len(text) > _NUMBERED_HEADING_MAX or not _SECTION_NUMBER.match(text):
        return False
    if _ends_like_a_clause(text) or abs(len(next_line) - len(text)) <= 2:
        return False
    inner = _INNER_PUNCT.findall(text)
    return len(inner) == 1 and inner[0] in ",，"


def classify(norm: str) -> list[Block]:
    spans = _lines(norm)
    roles: list[str] = []
    texts = [norm[s:e] for _, s, e in spans]
    for i, text in enumerate(texts):
        if _CAPTION_OPENING.match(text) or ("摄" in text and _PHOTO_CREDIT.search(text)):
            roles.append(CAPTION)
        elif len(text) <= 40 and _BYLINE.match(text) and not _SENTENCE_STOPS.search(text):
            roles.append(BYLINE)
        elif _META.search(text) or _PAGE_FURNITURE.match(text) or _WEB_FURNITURE.match(text):
            roles.append(META)
        elif _is_heading_like(text) or _is_numbered_heading(text, texts[i + 1] if i + 1 < len(texts) else ""):
            roles.append(HEADING)
        else:
            roles.append(BODY)
    # Heading-like lines right above a byline are the article's headline (first) and kicker.
    for i, role in enumerate(roles):
        if role != BYLINE:
            continue
        j = i - 1
        stack = []
        while j >= 0 and roles[j] in (HEADING, META) and len(stack) < 4:
            if roles[j] == HEADING:
                stack.append(j)
            j -= 1
        for k, index in enumerate(reversed(stack)):
            roles[index] = HEADLINE if k == 0 else KICKER
    # A heading-like first line that names the document is its title, not a section.
    first_body = next((i for i, r in enumerate(roles) if r == BODY), len(roles))
    for i in range(first_body):
        if roles[i] == HEADING and _TITLE_WORDS.search(texts[i]):
            roles[i] = TITLE
            break
    return [Block(n, s, e, role, t) for (n, s, e), role, t in zip(spans, roles, texts, strict=True)]


# ---------------------------------------------------------------- joining cut paragraphs


def _is_cut(text: str) -> bool:
    return text[-1] not in SENTENCE_END and not _is_digest_line(text)


def _is_digest_line(text: str) -> bool:
    """'召开常委会会议 9 次': one short item of a figures digest, complete without a full stop.
    A long line that ends with a count is a hard-wrapped line of prose (…对财政投资1000万元 / 以上的…)."""
    return (
        len(text) <= 30
        and not _SENTENCE_STOPS.search(text)
        and (_ends_with_a_count(text) or _starts_with_a_count(text))
    )


def _boundary_word_score(left: str, right: str) -> float:
    """How strongly the end of `left` and the start of `right` form one dictionary word."""
    return _boundary_score(left[-2:], right[:2])  # every cut paragraph meets every orphan: remember


@lru_cache(maxsize=65536)
def _boundary_score(left: str, right: str) -> float:
    words = lexicon()
    best = 0.0
    for k in (1, 2):
        for m in (1, 2):
            a, b = left[-k:], right[:m]
            word = a + b
            if len(a) < k or len(b) < m or not all(CJK.match(ch) for ch in word):
                continue
            count = words.count(word)
            if count:
                best = max(best, math.log10(count + 1))
    return best


def _starts_with_fragment(text: str) -> bool:
    """'效,维护…': a lone character and then punctuation is the tail of a cut word."""
    return len(text) > 1 and bool(CJK.match(text[0])) and text[1] in ",，、;；。"


def _lone_opening_char(text: str) -> bool:
    """True when the paragraph opens with a single character that does not start sentences."""
    if not text or not CJK.match(text[0]) or text[0] in _SENTENCE_OPENERS:
        return False
    return _first_word_length(text[:8]) == 1


@lru_cache(maxsize=65536)  # a paragraph's first eight characters: the same openings recur across reports
def _first_word_length(head: str) -> int:
    return len(lexicon().first_word(head))


@dataclass
class _Unit:
    """One step of the text in its printed order: a non-body block, or a paragraph of body lines."""

    block: Block | None = None
    paragraph: Paragraph | None = None
    cut: bool = False  # the paragraph ends mid-sentence
    orphan: bool = False  # the paragraph may be the continuation of a column cut earlier
    direct: _Unit | None = None  # the unit just before, when that one is a paragraph too


def _continues_the_line_above(last: _Unit | None, previous: Block | None, adjacent_line: int, block: Block) -> bool:
    return (
        last is not None
        and last.paragraph is not None
        and previous is not None
        and previous.role == BODY
        and adjacent_line + 1 == block.line
        and (_is_cut(last.paragraph.text) or block.text[0] in _CONTINUING_PUNCTUATION)
    )


def _units(blocks: list[Block], repairs: list[Repair]) -> list[_Unit]:
    """Consecutive body lines with no blank line between are one paragraph when the first ends
    mid-sentence (hard-wrapped text); every other block is a unit of its own."""
    units: list[_Unit] = []
    previous: Block | None = None
    adjacent_line = -1  # the line a wrapped continuation would follow: previous's, or a page number's under it
    for block in blocks:
        if block.role == META and _PAGE_FURNITURE.match(block.text) and block.line == adjacent_line + 1:
            # a page break inside a wrapped paragraph: the text goes on after the page number
            adjacent_line = block.line
            continue
        if block.role != BODY:
            units.append(_Unit(block=block))
        elif _continues_the_line_above(units[-1] if units else None, previous, adjacent_line, block):
            paragraph = units[-1].paragraph
            repairs.append(Repair("wrapped", previous.line, block.line, previous.end, "line wrap joined"))
            paragraph.text += block.text
            paragraph.offsets.extend(range(block.start, block.end))
            paragraph.lines += (block.line,)
        else:
            units.append(_Unit(paragraph=Paragraph(block.text, list(range(block.start, block.end)), (block.line,))))
        previous = block
        adjacent_line = block.line
    return units


def _mark_cuts_and_orphans(units: list[_Unit]) -> None:
    """Paragraphs that follow a caption/headline/byline/meta block or a cut paragraph may be the
    continuation of a column cut earlier."""
    # whether each paragraph ends mid-sentence, found once: joining and ordering ask it several times
    for unit in units:
        if unit.paragraph is not None:
            unit.cut = _is_cut(unit.paragraph.text)
    for i, unit in enumerate(units):
        if unit.paragraph is None:
            continue
        before = units[i - 1] if i else None
        unit.orphan = before is not None and (
            (before.block is not None and before.block.role in (CAPTION, HEADLINE, KICKER, BYLINE, META))
            or (before.paragraph is not None and before.cut)
        )
        unit.direct = before if before is not None and before.paragraph is not None else None


def _join_candidates(units: list[_Unit]) -> list[tuple[float, int, int, int]]:
    """(-score, distance, index of the cut A, index of the orphan B) for each pair that could be one
    paragraph, best first once sorted."""
    paragraph_indices = [i for i, unit in enumerate(units) if unit.paragraph is not None]
    # Indices, not list.index (quadratic), and a bounded look-ahead: a column's continuation is a few
    # blocks after the cut, and a PDF turned to text can hold thousands of cut lines.
    candidates = []
    for n, a_index in enumerate(paragraph_indices):
        a = units[a_index]
        if not a.cut:
            continue
        for m in range(n + 1, len(paragraph_indices)):  # not a slice: that copies the rest each time
            b_index = paragraph_indices[m]
            if b_index - a_index > MAX_JOIN_DISTANCE:
                break
            b = units[b_index]
            if not b.orphan:
                continue
            score = _boundary_word_score(a.paragraph.text, b.paragraph.text)
            if b.direct is a and _starts_with_fragment(b.paragraph.text):
                score += 10
            if score > 0:
                candidates.append((-score, b_index - a_index, a_index, b_index))
    return candidates


def _continuations(units: list[_Unit]) -> dict[int, int]:
    """Index of each orphan B -> index of the cut A it continues; best pairs first, each used once."""
    joined_to: dict[int, int] = {}
    used_a: set[int] = set()
    for _neg, _dist, a_index, b_index in sorted(_join_candidates(units)):
        if a_index in used_a or b_index in joined_to:
            continue
        joined_to[b_index] = a_index
        used_a.add(a_index)
    return joined_to


def _runs(units: list[_Unit], joined_to: dict[int, int]) -> list[list[int]]:
    """Body paragraphs in a row, broken by non-body blocks (a run each) and after a cut paragraph."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, unit in enumerate(units):
        if unit.paragraph is not None and not (current and (i in joined_to or units[current[-1]].cut)):
            current.append(i)
            continue
        if current:
            runs.append(current)
            current = []
        if unit.paragraph is not None:
            current = [i]
        else:
            runs.append([i])
    if current:
        runs.append(current)
    return runs


def _reading_order(runs: list[list[int]], joined_to: dict[int, int]) -> list[int]:
    """Unit indices in reading order: the runs as printed, each followed at once by the run that
    continues its last paragraph; a run that continues another is read there, not where it was printed."""
    run_of = {i: r for r, run in enumerate(runs) for i in run}
    moved = {run_of[b] for b in joined_to}
    continuation = {a_index: b_index for b_index, a_index in joined_to.items()}  # one B per A
    order: list[int] = []
    emitted: set[int] = set()

    def emit(run_index: int) -> None:
        # a loop, not recursion: a chain of joined cuts can be thousands long
        while True:
            order.extend(runs[run_index])
            emitted.update(runs[run_index])
            b_index = continuation.get(runs[run_index][-1])
            if b_index is None:
                return
            run_index = run_of[b_index]

    for r in range(len(runs)):
        if r not in moved:
            emit(r)
    # A continuation that is not the end of its run's A (A mid-run) still gets emitted once.
    for r in sorted(moved):
        if runs[r][0] not in emitted:
            emit(r)
    return order


def _join(a_par: Paragraph, paragraph: Paragraph, repairs: list[Repair]) -> None:
    seam = f"…{a_par.text[-6:]} | {paragraph.text[:6]}…"
    repairs.append(Repair("joined", a_par.lines[-1], paragraph.lines[0], a_par.offsets[-1] + 1, seam))
    a_par.text += paragraph.text
    a_par.offsets.extend(paragraph.offsets)
    a_par.lines += paragraph.lines


def _assemble(
    units: list[_Unit], order: list[int], joined_to: dict[int, int], repairs: list[Repair]
) -> list[Paragraph]:
    """Join each continuation to its cut, give paragraphs the section they fall under in reading
    order, and flag those that begin mid-sentence."""
    out: list[Paragraph] = []
    section = ""
    by_index: dict[int, Paragraph] = {}  # the paragraph each unit's text ended up in
    for i in order:
        unit = units[i]
        if unit.block is not None:
            block = unit.block
            if block.role == HEADING:
                section = block.text
                if _has_a_count(block.text):
                    offsets = list(range(block.start, block.end))
                    out.append(Paragraph(block.text, offsets, (block.line,), section, heading=True))
            continue
        paragraph = unit.paragraph
        if i in joined_to:
            by_index[i] = by_index[joined_to[i]]
            _join(by_index[i], paragraph, repairs)
            continue
        if unit.orphan and _lone_opening_char(paragraph.text):
            section = ""
            why = f"{paragraph.text[:12]}…: begins mid-sentence; its start is not in the text"
            repairs.append(Repair("start_missing", paragraph.lines[0], None, paragraph.offsets[0], why))
        paragraph.section = section
        by_index[i] = paragraph
        out.append(paragraph)
    return out


def _flag_cut_ends(paragraphs: list[Paragraph], repairs: list[Repair]) -> None:
    for paragraph in paragraphs:
        if not paragraph.heading and _is_cut(paragraph.text):
            why = f"…{paragraph.text[-12:]}: ends mid-sentence; its continuation is not in the text"
            repairs.append(Repair("cut_no_continuation", paragraph.lines[-1], None, paragraph.offsets[-1] + 1, why))


def repair(norm: str, blocks: list[Block] | None = None) -> Layout:
    """Classify lines, join cut paragraphs to their continuations, and put body text in order."""
    blocks = blocks if blocks is not None else classify(norm)
    repairs: list[Repair] = []
    units = _units(blocks, repairs)
    _mark_cuts_and_orphans(units)
    joined_to = _continuations(units)
    order = _reading_order(_runs(units, joined_to), joined_to)
    paragraphs = _assemble(units, order, joined_to, repairs)
    _flag_cut_ends(paragraphs, repairs)
    repairs.sort(key=lambda r: (r.at, r.kind))
    return Layout(blocks=blocks, paragraphs=paragraphs, repairs=repairs)
