"""Fuzzing numerals, extraction and layout repair with hypothesis.

The text is built from the pieces work reports are made of (verbs, objects, numerals of every
kind, qualifiers, measure words, punctuation of both widths, line breaks, headings, captions,
bylines, years, ordinals, slogans) mixed with noise (ASCII, control characters, bidi marks, any
Unicode). Properties: no exception; every offset in range and `raw[start:end] == text`; values
finite and non-negative, units and classes known, plausible enough for the clean step's checks;
the same input gives the same output; CRLF and full-width forms give the same figures.

The profile (conftest.py) bounds the examples in a normal run; HYPOTHESIS_PROFILE=long runs more.
"""

from __future__ import annotations

import codecs
import itertools
import math
import re
from decimal import Decimal

import cn2an
import opencc
from hypothesis import assume, given, note
from hypothesis import strategies as st

from pipeline.errors import UnreadableDocument
from pipeline.extract.clean import check_figures
from pipeline.extract.figures import VERBS, extract
from pipeline.extract.rows import figure_rows
from pipeline.text.document import Document, decode_bytes
from pipeline.text.layout import repair
from pipeline.text.normalise import normalise
from pipeline.text.numerals import (
    APPROX_CLASSES,
    KNOWN_UNITS,
    MID_QUALIFIERS,
    POST_QUALIFIERS,
    PREFIX_QUALIFIERS,
    QUANTITY_RE,
    UNITS,
    parse_number,
    parse_quantity,
    quantity_from_match,
)

# ---------------------------------------------------------------- strategies

_FULLWIDTH = str.maketrans("0123456789.,%;:!?()", "０１２３４５６７８９．，％；：！？（）")
OBJECTS = (
    "常委会会议 主任会议 法规 地方性法规 代表建议 意见建议 执法检查 专题询问 工作报告 人事任免 代表联络站 "
    "资金 补贴 群众 议题 调研 座谈会 决议决定"
).split()
UNIT_WORDS = [*UNITS, "年", "月", "日", "届", "周年", "万", "亿", ""]


def _chinese(n: int) -> str:
    text = cn2an.an2cn(str(n))
    return re.sub("二(?=[千百万亿])", "两", text) if n % 3 == 0 else text


@st.composite
def numerals(draw) -> str:
    """One numeral as reports write it, possibly in full-width digits."""
    n = draw(st.integers(0, 10**9) | st.integers(0, 200))
    form = draw(st.integers(0, 9))
    if form == 0:
        text = str(n)
    elif form == 1:
        text = f"{n:,}"
    elif form == 2:
        text = f"{n}.{draw(st.integers(0, 99))}"
    elif form == 3:
        text = _chinese(n)
    elif form == 4:
        text = (
            f"{draw(st.integers(1, 9999))}{draw(st.sampled_from(['', '.5', '.25']))}{draw(st.sampled_from('万亿千百'))}"
        )
    elif form == 5:
        text = draw(
            st.sampled_from(["十余", "百余", "两千余", "逾百", "上千", "十几", "数十", "几十", "一", "两", "零"])
        )
    elif form == 6:
        text = "百分之" + _chinese(draw(st.integers(0, 100)))
    elif form == 7:
        text = f"{_chinese(draw(st.integers(1, 99)))}点{draw(st.sampled_from(['五', '零五', '三二']))}"
    elif form == 8:
        text = draw(st.text(alphabet="0123456789,.", min_size=1, max_size=12))
    else:
        text = draw(st.text(alphabet="零〇一二两三四五六七八九十百千万亿点", min_size=1, max_size=8))
    if draw(st.booleans()):
        text = text.translate(_FULLWIDTH)
    return text


@st.composite
def quantities(draw) -> str:
    prefix = draw(st.sampled_from(["", "", *PREFIX_QUALIFIERS, "第", "“", "《", "每月"]))
    mid = draw(st.sampled_from(["", "", *MID_QUALIFIERS]))
    post = draw(st.sampled_from(["", "", *POST_QUALIFIERS, "的"]))
    return prefix + draw(numerals()) + mid + draw(st.sampled_from(UNIT_WORDS)) + post


PUNCTUATION = [*"，。；、：,.;!?！？“”‘’《》()（）—…·% \t", "\n", "\n\n", "\r\n", "\r", "\u3000"]
HOSTILE = ["\x00", "\x07", "\x1b[31m", "\x0c", "\x7f", "\x85", "\u202e", "\u200b", "\u200e", "\ufeff", "\u2028",
           "<script>alert(1)</script>", "&amp;", "\ud7ff", "\U0001f600"]  # fmt: skip
FRAGMENTS = [
    "\n\n一、坚持党的领导\n\n", "\n图为常委会组成人员视察项目建设\n", "\n本报记者 张三 李四\n",
    "\n——某县人大常委会工作回眸\n", "2023年", "12月31日", "第3次会议", "十四届人大一次会议", "十四五", "八项规定",
    "两个确立", "一批", "千家万户", "市人大常委会主任 王某某\n", "\n(2024年1月5日)\n", "其中", "共", "累计",
    "同比增长", "提高到", "由", "总数达到",
]  # fmt: skip
NOISE = st.one_of(
    st.sampled_from(PUNCTUATION),
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6),
    st.text(max_size=4),
)
PIECES = st.one_of(
    st.builds(lambda v, o, q: v + o + q, st.sampled_from(VERBS), st.sampled_from(OBJECTS), quantities()),
    st.builds(lambda o, q: o + q, st.sampled_from(OBJECTS), quantities()),
    quantities(),
    st.sampled_from(FRAGMENTS),
    NOISE,
)
LINES = [
    "踔厉奋发担使命 某某人大常委会2023年工作综述", "一、坚持党的领导", "二、聚焦立法提质", "履职尽责开新局",
    "——某县人大常委会2024年工作回眸", "本报记者 张三 李四", "图为常委会组成人员视察重点项目建设", "(2024年1月5日)",
    "市人大常委会主任 王某某", "责任编辑:刘某",
]  # fmt: skip


@st.composite
def pages(draw) -> str:
    """A page as it comes off a newspaper or a PDF: body lines, headings, captions, bylines; some body
    lines cut at any character (inside a numeral too) with the rest further down, as at a column break."""
    body = st.lists(PIECES, min_size=1, max_size=8).map("，".join)
    ending = st.sampled_from(["。", "。", "；", "", "，", "："])
    lines = draw(
        st.lists(st.one_of(st.tuples(body, ending).map("".join), st.sampled_from(LINES)), min_size=1, max_size=12)
    )
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        if len(lines[i]) < 2:
            continue
        inside_numerals = [k for k in range(1, len(lines[i])) if lines[i][k] in "0123456789十百千万亿两二三五点余"]
        if inside_numerals and draw(st.booleans()):
            k = draw(st.sampled_from(inside_numerals))
        else:
            k = draw(st.integers(1, len(lines[i]) - 1))
        head, tail = lines[i][:k], lines[i][k:]
        lines[i] = head
        at = draw(st.integers(i + 1, len(lines)))
        lines[at:at] = [*draw(st.lists(st.sampled_from(LINES), max_size=2)), tail]
    breaks = draw(
        st.lists(
            st.sampled_from(["\n", "\n\n", "\r\n", "\n\u3000\n", "\n \n\n"]), min_size=len(lines), max_size=len(lines)
        )
    )
    return "".join(line + end for line, end in zip(lines, breaks, strict=True))


REPORTS = st.one_of(st.lists(PIECES, max_size=40).map("".join), pages())


# ---------------------------------------------------------------- properties


def _figures(raw: str) -> list[tuple]:
    ex = extract(Document(doc_id="fuzz", raw=raw, encoding="utf-8"))
    return [(f.start, f.end, f.text, f.value, f.unit, f.approx, f.indicator, f.sentence) for f in ex.figures]


@given(REPORTS)
def test_extraction_never_fails_and_offsets_hold(raw):
    document = Document(doc_id="fuzz", raw=raw, encoding="utf-8")
    extraction = extract(document)
    spans = []
    for f in extraction.figures:
        note(repr(f))
        assert 0 <= f.start < f.end <= len(raw)
        assert raw[f.start : f.end] == f.text
        assert f.value.is_finite() and f.value >= 0 and math.isfinite(float(f.value))
        assert f.unit in KNOWN_UNITS and f.approx in APPROX_CLASSES
        assert f.sentence_start <= f.start and f.end <= f.sentence_end <= len(raw)
        # the figure's own text reads as the figure (white space from a wrapped line aside)
        quantity = parse_quantity(re.sub(r"\s", "", normalise(f.text)[0]))
        assert (quantity.value, quantity.unit) == (f.value, f.unit)
        spans.append((f.start, f.end))
    assert spans == sorted(spans) and all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    for r in extraction.rejections:
        assert 0 <= r.start < r.end <= len(raw) and raw[r.start : r.end] == r.text
    # what the extractor finds, the clean step accepts: no figure fails its sanity checks
    rows = figure_rows(extraction)
    check_figures([{**row, "doc_id": "fuzz"} for row in rows], "fuzz")
    # the fields people read carry no control characters or bidi marks
    for row in rows:
        for column in ("indicator", "section", "sentence"):
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]", row[column])
    # the same input gives the same output
    assert _figures(raw) == _figures(raw)


@given(REPORTS)
def test_crlf_and_fullwidth_give_the_same_figures(raw):
    assume("\r" not in raw)
    base = _figures(raw)
    # CRLF: the same figures, each start shifted by the CRs before it
    crlf = raw.replace("\n", "\r\n")
    expected = [(s + raw.count("\n", 0, s), e + raw.count("\n", 0, e), v, u, a) for s, e, _t, v, u, a, *_ in base]
    assert [(s, e, v, u, a) for s, e, _t, v, u, a, *_ in _figures(crlf)] == expected
    # full-width digits and punctuation: one character for one, so the same offsets and values
    wide = raw.translate(_FULLWIDTH)
    assert [(s, e, v, u, a, i) for s, e, _t, v, u, a, i, _ in _figures(wide)] == [
        (s, e, v, u, a, i) for s, e, _t, v, u, a, i, _ in base
    ]


@given(REPORTS)
def test_layout_repair_keeps_every_character_in_place(raw):
    norm, _ = normalise(raw)
    assert len(norm) == len(raw)
    layout = repair(norm)
    seen: set[int] = set()
    for paragraph in layout.paragraphs:
        assert len(paragraph.text) == len(paragraph.offsets) > 0
        assert all(
            0 <= o < len(norm) and norm[o] == ch for o, ch in zip(paragraph.offsets, paragraph.text, strict=True)
        )
        assert not seen & set(paragraph.offsets)  # no character is used twice
        seen.update(paragraph.offsets)
    for r in layout.repairs:
        assert 0 <= r.at <= len(norm)
    assert repair(norm) == layout


# ---------------------------------------------------------------- numerals against an oracle


@given(st.integers(0, 10**12 - 1))
def test_chinese_numerals_read_back(n):
    text = _chinese(n)
    assume(not re.fullmatch("[零〇一二两三四五六七八九]{2,}", text))
    assert parse_number(text) == n


@given(
    st.integers(0, 10**8),
    st.sampled_from(["", "0", "5", "25", "125"]),
    st.sampled_from(["", "万", "亿", "千", "百", "万亿"]),
    st.booleans(),
)
def test_arabic_numerals_with_scales(n, fraction, scales, grouped):
    digits = f"{n:,}" if grouped else str(n)
    text = f"{digits}.{fraction}{scales}" if fraction else f"{digits}{scales}"
    expected = Decimal(f"{n}.{fraction}" if fraction else str(n))
    for scale in scales:
        expected *= {"万": 10**4, "亿": 10**8, "千": 1000, "百": 100}[scale]
    assert parse_number(text) == expected


@given(
    st.sampled_from(["", *PREFIX_QUALIFIERS]),
    st.integers(1, 10**6),
    st.sampled_from(["", *MID_QUALIFIERS]),
    st.sampled_from([u for u in UNITS if u not in ("%", "‰")]),
    st.sampled_from(["", *POST_QUALIFIERS]),
)
def test_quantity_value_and_approx(prefix, n, mid, unit, post):
    q = parse_quantity(prefix + str(n) + mid + unit + post)
    assert q.value == n
    expected = "exact"
    if prefix and prefix != "上":  # 上 qualifies only a bare scale (上百)
        expected = PREFIX_QUALIFIERS[prefix]
    elif mid:
        expected = MID_QUALIFIERS[mid]
    elif post:
        expected = POST_QUALIFIERS[post]
    assert q.approx == expected


@given(st.text(max_size=30) | st.lists(st.one_of(numerals(), quantities(), NOISE), max_size=8).map("".join))
def test_numerals_fail_only_with_value_error(text):
    norm, _ = normalise(text)
    try:
        q = parse_quantity(norm)
    except ValueError:
        pass
    else:
        assert q.value.is_finite() and q.value >= 0
    for match in QUANTITY_RE.finditer(norm):
        try:
            q = quantity_from_match(match, before=norm[max(0, match.start() - 3) : match.start()])
        except ValueError:
            continue
        assert q.value.is_finite() and q.value >= 0


# ---------------------------------------------------------------- decoding


@given(
    st.binary(max_size=3000)
    | st.tuples(REPORTS, st.sampled_from(["utf-8", "gb18030", "utf-16-le", "big5"])).map(
        lambda pair: pair[0].encode(pair[1], errors="ignore")
    )
)
def test_any_bytes_decode_or_are_refused_with_a_reason(data):
    try:
        text, encoding = decode_bytes(data)
    except UnreadableDocument as exc:
        assert str(exc).startswith("<bytes>: ")
        return
    assert text.strip() and encoding
    Document(doc_id="fuzz", raw=text, encoding=encoding)  # normalises to the same length


@given(REPORTS, st.sampled_from([("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                  ("utf-16-be", codecs.BOM_UTF16_BE)]))  # fmt: skip
def test_unicode_encodings_decode_to_the_same_text(raw, encoding):
    name, bom = encoding
    assume(not raw.startswith("\ufeff"))  # a text that opens with U+FEFF has a BOM, whatever was meant
    # NUL means UTF-16 or binary when there is no BOM (a UTF-8 text with NULs reads as UTF-16)
    assume(bom or "\x00" not in raw)
    try:
        text, _ = decode_bytes(bom + raw.encode(name, errors="surrogatepass"))
    except UnreadableDocument:
        return  # white space only, or mostly control characters: refused, and said why
    assert text == raw


_TO_TRADITIONAL = opencc.OpenCC("s2tw")  # Taiwan forms: all in Big5
PLAIN_REPORTS = st.lists(
    st.one_of(
        st.builds(lambda v, o, q: v + o + q, st.sampled_from(VERBS), st.sampled_from(OBJECTS), quantities()),
        st.sampled_from(FRAGMENTS),
        st.sampled_from(PUNCTUATION),
    ),
    min_size=5,
    max_size=60,
).map("，".join)


@given(PLAIN_REPORTS, st.sampled_from(["gb18030", "gbk", "big5"]))
def test_chinese_encodings_are_detected(raw, encoding):
    """A report of a few lines in GBK, GB18030 or Big5 (without noise) decodes to its own text."""
    if encoding == "big5":  # a 繁體 mirror
        raw = _TO_TRADITIONAL.convert(raw)
    try:
        data = raw.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    assume(len(re.findall(r"[\u4e00-\u9fff]", raw)) >= 30 and "\x00" not in raw)
    assert decode_bytes(data)[0] == raw
