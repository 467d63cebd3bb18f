"""The fast paths give exactly what the plain code they replace gives, on arbitrary text.

Each test holds a plain reference implementation (what the code did before it was made fast)
against the fast one, on text drawn from the characters that matter: digits, numerals, CJK,
full-width forms, punctuation, traditional forms, control characters."""

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract import classify, clauses, labels, quantities, rejects
from pipeline.text import document, layout, normalise
from pipeline.text.numerals import QUANTITY_RE
from pipeline.text.patterns import CJK, literal_alternation

ALPHABET = (
    "0123456789.,%０１２３４５６７８９．，％　"
    "一二两三四五六七八九十百千万亿零〇第次件项个人名余多约近逾以上左右百分之"
    "召开组织开展会议常委会审议通过制定修订條例會議萬億與"
    "。！？!?;；:：、“”‘’」』)）\r\n\t\x00\x07 abcXYZ"
)
texts = st.text(alphabet=st.sampled_from(ALPHABET), max_size=80)


@settings(deadline=None)  # no timing in tests: the first example loads dictionaries
@given(st.lists(st.text(alphabet="abcd召开组织开展", min_size=1, max_size=4), min_size=1, max_size=8), texts)
def test_prefix_tree_alternation_matches_the_longest_first_alternation(words, text):
    plain = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    tree = re.compile(literal_alternation(words))
    text = text + "".join(words)
    assert [m.span() for m in tree.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_verb_and_fixed_expression_patterns_are_the_plain_ones():
    for words, pattern in ((labels.VERBS, labels._VERB_RE), (rejects.FIXED_EXPRESSIONS, rejects._FIXED_RE)):
        plain = re.compile("|".join(sorted(words, key=len, reverse=True)))
        text = "，".join(words) + "".join(words) + "召开组织开展审议通过听取审议"
        assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in plain.finditer(text)]


@settings(deadline=None)  # no timing in tests: the first example loads dictionaries
@given(texts)
def test_quantity_scan_finds_what_quantity_re_finds(text):
    fast = [(m.span(), m.groupdict()) for m in quantities._QUANTITY_SCAN.finditer(text)]
    plain = [(m.span(), m.groupdict()) for m in QUANTITY_RE.finditer(text)]
    assert fast == plain


@settings(deadline=None)  # no timing in tests: the first example loads dictionaries
@given(texts)
def test_fullwidth_runs_translate_like_str_translate(text):
    assert normalise._translate_fullwidth(text) == text.translate(normalise._FULLWIDTH)


def _looks_traditional_plain(text: str) -> bool:
    table = normalise._traditional_map()
    cjk = CJK.findall(text[:50000])
    if not cjk:
        return False
    changed = sum(1 for ch in cjk if ord(ch) in table)
    return changed >= 5 and changed / len(cjk) > 0.03


@settings(deadline=None)  # no timing in tests: the first example loads dictionaries
@given(texts)
def test_traditional_detection_is_the_plain_count(text):
    for sample in (text, text * 3, "會議條例萬億與" + text):
        assert normalise.looks_traditional(sample) == _looks_traditional_plain(sample)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_control_count_skips_only_characters_that_are_not_control(text):
    def count(sample):
        return sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\r\n\t\f")

    assert count(document._COMMON_TEXT.sub("", text)) == count(text)


def _sentences_plain(text):
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch in clauses.SENTENCE_END:
            j = i + 1
            while j < len(text) and text[j] in "”’」』)）":
                j += 1
            spans.append((start, j))
            start = j
    if start < len(text):
        spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


@settings(deadline=None)  # no timing in tests: the first example loads dictionaries
@given(texts)
def test_sentences_are_split_as_before(text):
    assert clauses._sentences(text) == _sentences_plain(text)


@settings(deadline=None)  # no timing in tests: the first example loads dictionaries
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=30), st.data())
def test_raw_span_slices_or_joins(gaps, data):
    offsets, position = [], 0
    for gap in gaps:
        position += gap + 1
        offsets.append(position)
    raw = "".join(chr(0x4E00 + i % 500) for i in range(position + 2))
    s0 = data.draw(st.integers(min_value=0, max_value=len(offsets)))
    s1 = data.draw(st.integers(min_value=s0, max_value=len(offsets)))
    assert clauses._raw_span(raw, offsets, s0, s1) == "".join(raw[o] for o in offsets[s0:s1])


@settings(deadline=None)  # no timing in tests: the first example loads dictionaries
@given(st.text(alphabet="提升审查质效维护法制统一人大代表,。", min_size=1, max_size=6), st.text(min_size=1, max_size=6))
def test_boundary_score_depends_on_two_characters_each_side(left, right):
    # the remembered score of the last two and first two characters is the score of the whole strings
    assert layout._boundary_word_score(left, right) == layout._boundary_score.__wrapped__(left, right)


def _last_delimiter_plain(text, lo, hi):
    for i in range(hi - 1, lo - 1, -1):
        if text[i] in clauses.CLAUSE_DELIMITERS:
            return i + 1
    return lo


def _next_delimiter_plain(text, lo, hi):
    for i in range(lo, hi):
        if text[i] in clauses.CLAUSE_DELIMITERS:
            return i
    return hi


@settings(deadline=None)
@given(texts, st.data())
def test_bisected_delimiters_are_the_ones_a_walk_finds(text, data):
    delimiters = clauses._delimiter_positions(text)
    lo = data.draw(st.integers(min_value=0, max_value=len(text)))
    hi = data.draw(st.integers(min_value=0, max_value=len(text)))  # hi < lo happens too: nothing to find
    assert clauses._last_delimiter(delimiters, lo, hi) == _last_delimiter_plain(text, lo, hi)
    assert clauses._next_delimiter(delimiters, lo, hi) == _next_delimiter_plain(text, lo, hi)


def _categorise_plain(label, section):
    for category, words in classify.CATEGORY_KEYWORDS:
        if any(w in label for w in words):
            return category
    for category, words in classify.SECTION_CATEGORIES:
        if any(w in section for w in words):
            return category
    return "other"


_CATEGORY_WORDS = "".join(
    {w for _, words in (*classify.CATEGORY_KEYWORDS, *classify.SECTION_CATEGORIES) for w in words}
)


@settings(deadline=None)
@given(st.text(alphabet=_CATEGORY_WORDS + "召开件次", max_size=12), st.text(alphabet=_CATEGORY_WORDS, max_size=8))
def test_category_patterns_find_what_the_keyword_loops_find(label, section):
    assert classify.categorise.__wrapped__(label, section) == _categorise_plain(label, section)


_CAPTION_PLAIN = re.compile(r"^(?:图为|图片为|图[:：]|图片[:：]|[(（]图|图注|▲|△)|(?:记者|通讯员|摄影).{0,20}摄[)）]?$")


@settings(deadline=None)
@given(st.text(alphabet="图为片:：(（注▲△记者通讯员摄影王某)）。 ", max_size=30))
def test_caption_patterns_find_what_the_one_alternation_found(line):
    split = bool(layout._CAPTION_OPENING.match(line) or ("摄" in line and layout._PHOTO_CREDIT.search(line)))
    assert split == bool(_CAPTION_PLAIN.search(line))


def test_a_label_is_matched_only_against_the_entries_that_take_its_unit():
    from pipeline.reference.indicators import default_taxonomy

    memo = classify._indicator_memo()
    labels = ["召开常委会会议", "提出意见建议", "审议通过法规", "组织代表视察", "接待群众", "督促纠正", "受理信访"]
    units = [*sorted({u for i in default_taxonomy() for u in i.units}), "棵"]
    for label in labels:
        for unit in units:
            plain = tuple(i for i in default_taxonomy() if i.fits_label(label, unit))
            assert memo.fits(label, unit) == plain, (label, unit)
