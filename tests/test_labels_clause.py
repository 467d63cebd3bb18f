"""Issue 13, part B: the label of a figure follows its clause.

Each rule is shown on made-up sentences in the styles of several bodies (a county, a prefecture, a
province, the national NPC, a web page). Every test extracts through the whole pipeline and
asserts the labels, and where the rule is about ids, the ids the taxonomy gives them."""

import pytest

from pipeline.extract import labels
from pipeline.extract.figures import extract
from pipeline.text.document import Document


def _figures(text: str):
    document = Document(doc_id="labels-example", raw=text, encoding="utf-8")
    found = extract(document).figures
    for f in found:  # whatever the labeller reads past, a figure still indexes the raw text exactly
        assert text[f.start : f.end] == f.text
    return found


def _labels(text: str) -> dict[str, str]:
    return {f.text: f.indicator for f in _figures(text)}


def _ids(text: str) -> dict[str, str]:
    return {f.text: f.indicator_id for f in _figures(text)}


# ---------------------------------------------------------------- number-before-noun lists

NOUN_LISTS = [
    # a city's summary: the verb before the first item is shared, each item keeps its own noun
    ("全年召开9次常委会会议、21次主任会议。", {"9次": "召开常委会会议", "21次": "召开主任会议"}),
    (
        "监督上，开展4次执法检查、2次专题询问、12项专题调研。",
        {"4次": "开展执法检查", "2次": "开展专题询问", "12项": "开展专题调研"},
    ),
    ("代表工作上，办理5件代表议案、402件代表建议。", {"5件": "办理代表议案", "402件": "办理代表建议"}),
    # no words before the first item at all (a web page's digest line)
    ("· 11次专题询问、33项专题调研", {"11次": "专题询问", "33项": "专题调研"}),
    # 和 between the items, national style
    ("代表提出295件议案和8314件建议。", {"295件": "代表提出议案", "8314件": "代表提出建议"}),
]


@pytest.mark.parametrize(("text", "expected"), NOUN_LISTS, ids=[t for t, _ in NOUN_LISTS])
def test_each_item_of_a_number_before_noun_list_names_its_own_noun(text, expected):
    assert _labels(text) == expected


def test_the_second_noun_gets_its_own_id():
    ids = _ids("市人大常委会开展3次专题询问、15项专题调研，办理6件代表议案、310件代表建议。")
    assert ids["3次"] == "special_inquiries" and ids["15项"] == "surveys"
    assert ids["6件"] == "deputy_bills" and ids["310件"] == "deputy_suggestions"


def test_a_noun_after_the_figure_does_not_leak_into_an_item_that_names_itself():
    # the second item has its own words before the figure (修订), so it is no number-before-noun item
    assert _labels("制定5件地方性法规，修订3件。") == {"5件": "制定地方性法规", "3件": "修订"}


# ---------------------------------------------------------------- 分别

RESPECTIVELY = [
    ("全年召开全体会议、主任会议分别为6次、13次。", {"6次": "召开全体会议", "13次": "召开主任会议"}),
    (
        "县人大常委会组织执法检查、专题询问分别为3次、2次。",
        {"3次": "组织执法检查", "2次": "组织专题询问"},
    ),
    ("州、县两级人大分别举办代表培训班4期、19期。", None),  # 分别 before the verb: one label for both
]


@pytest.mark.parametrize(("text", "expected"), RESPECTIVELY[:2], ids=[t for t, _ in RESPECTIVELY[:2]])
def test_respectively_pairs_values_with_items_in_order(text, expected):
    assert _labels(text) == expected


def test_respectively_with_more_values_than_items_gives_out_nothing():
    found = _labels("听取审议专项工作报告、执法检查报告分别为12个、5个、3个。")
    # the list cannot be paired, so no value takes a list item's name from the 分别 clause
    assert found["12个"] != "听取审议专项工作报告"


# ---------------------------------------------------------------- bullets and citation markers

BULLETS = [
    ("· 召开常委会会议7次\n· 召开主任会议18次", {"7次": "召开常委会会议", "18次": "召开主任会议"}),
    ("- 制定单行条例2件\n- 修改单行条例1件", {"2件": "制定单行条例", "1件": "修改单行条例"}),
    ("● 作出决议决定6项\n● 任免国家机关工作人员72人次", {"6项": "作出决议决定", "72人次": "任免国家机关工作人员"}),
    (
        "召开常委会会议7次\n听取审议专项工作报告11项[2]\n开展执法检查3次",
        {"7次": "召开常委会会议", "11项": "听取审议专项工作报告", "3次": "开展执法检查"},
    ),
    ("[3] 含区人民政府专项工作报告8项。", {"8项": "含区人民政府专项工作报告"}),
    ("①召开常委会会议10次；②召开主任会议24次。", {"10次": "召开常委会会议", "24次": "召开主任会议"}),
]


@pytest.mark.parametrize(("text", "expected"), BULLETS, ids=[t for t, _ in BULLETS])
def test_bullets_and_citation_markers_are_boundaries(text, expected):
    assert _labels(text) == expected


def test_a_middle_dot_inside_a_line_is_no_bullet():
    # 召开常委会会议12次·主任会议15次 has no line start before the dot: the label still starts after
    # the previous figure, and no dot stays in it
    found = _labels("常委会召开会议12次\n·主任会议15次")
    assert found["15次"] == "主任会议" or found["15次"] == "召开主任会议"


# ---------------------------------------------------------------- framing phrases and leading words

FRAMING = [
    ("立法答卷——制定地方性法规7件、修改10件。", {"7件": "制定地方性法规", "10件": "修改地方性法规"}),
    ("交出人民满意的监督答卷——听取审议专项工作报告16个。", {"16个": "听取审议专项工作报告"}),
    ("配合上级人大——配合全国人大常委会开展立法调研5次。", {"5次": "开展立法调研"}),
    ("常委会审议法律案34件，通过24件，包括制定法律8件。", {"8件": "制定法律"}),
    ("本届以来，我市累计制定地方性法规42件。", {"42件": "制定地方性法规"}),
]


@pytest.mark.parametrize(("text", "expected"), FRAMING, ids=[t for t, _ in FRAMING])
def test_framing_phrases_and_leading_words_are_dropped(text, expected):
    found = _labels(text)
    assert {k: found[k] for k in expected} == expected


def test_framed_labels_get_the_plain_ids():
    ids = _ids("立法答卷——制定地方性法规7件。配合省人大常委会开展立法调研4次。包括制定法律3件。")
    assert ids == {"7件": "laws_enacted", "4次": "legislative_surveys", "3件": "laws_enacted"}


def test_a_dash_with_nothing_after_it_keeps_the_words_before():
    # the dash ends a heading and the count follows it at once: the words before are all there is
    assert _labels("召开常委会会议——8次")["8次"] == "召开常委会会议"


def test_bare_verb_after_a_verb_phrase_borrows_no_verb_as_object():
    found = _labels("表决通过16件，其中制定6件、修改8件。")
    assert found["6件"] == "制定" and found["8件"] == "修改"


# ---------------------------------------------------------------- glosses in traditional text


def test_pinyin_glosses_are_read_past_with_offsets_kept():
    text = "2024年，常委會深入基層調(diào)研43次，組織專題詢(xún)問2次，審議條例草案8件。"
    found = _figures(text)
    by_text = {f.text: f for f in found}
    assert by_text["43次"].indicator == "常委會深入基層調研"
    assert by_text["2次"].indicator == "組織專題詢問"
    assert by_text["43次"].indicator_id == "surveys" and by_text["2次"].indicator_id == "special_inquiries"
    # the figure still points at the raw text, gloss and all before it
    assert by_text["2次"].start == text.index("2次")


def test_a_bracket_that_is_no_gloss_stays():
    # (试行) is a word of the title, not a pinyin gloss
    assert "(试行)" in _labels("审议办法(试行)草案3件。")["3件"]


# ---------------------------------------------------------------- combined counts

COMBINED_ID = "inspections_and_surveys_combined"
COMBINED = [
    ("常委会组织视察、执法检查、专题询问32次。", "组织视察、执法检查、专题询问", COMBINED_ID),
    ("五年来组织代表视察、执法检查和专题调研147次。", "组织代表视察、执法检查和专题调研", COMBINED_ID),
    ("常委會組織視察、執法檢查、專題詢問26次。", "組織視察、執法檢查、專題詢問", COMBINED_ID),
]


@pytest.mark.parametrize(("text", "label", "indicator_id"), COMBINED, ids=[t for t, _, _ in COMBINED])
def test_a_combined_count_keeps_the_whole_list(text, label, indicator_id):
    (figure,) = _figures(text)
    assert figure.indicator == label
    assert figure.indicator_id == indicator_id


# ---------------------------------------------------------------- the patterns, unit by unit


def test_the_gloss_pattern_reads_tone_marks_and_plain_letters():
    assert labels._GLOSS.sub("", "調(diào)研") == "調研"
    assert labels._GLOSS.sub("", "询(xun)问") == "询问"
    assert labels._GLOSS.sub("", "(diào)研") == "(diào)研"  # no character before it: no gloss


def test_words_start_after_the_last_boundary():
    assert labels._words_start("· 召开主任会议", True) == 2
    assert labels._words_start("· 召开主任会议", False) == 0  # after a figure, no line start
    assert labels._words_start("监督答卷——听取审议", True) == len("监督答卷——")
    assert labels._words_start("开展调研——", True) == 0  # nothing after the dash


def test_who_reports_a_figure_is_no_part_of_its_label():
    # 工作報告 after a year phrase, as a reporting frame: the report shows, it is not what was counted
    found = _figures("2024年工作報告顯示代表提出建議1216件，辦結率100%，審議條例草案6件。")
    (suggestions,) = [f for f in found if f.text == "1216件"]
    assert suggestions.indicator == "代表提出建議" and suggestions.indicator_id == "deputy_suggestions"
    assert _labels("统计数据表明，全年代表提出建议300件。")["300件"] == "代表提出建议"


def test_a_preposition_before_the_next_figure_leaves_the_noun():
    found = _labels("代表提出建议1260件由203家承办单位办理。")
    assert found["1260件"] == "代表提出建议"
    assert found["203家"] == "由承办单位办理"
