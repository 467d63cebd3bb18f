from pipeline.text.layout import BODY, BYLINE, CAPTION, HEADING, HEADLINE, KICKER, classify, repair
from pipeline.text.normalise import normalise

# A made-up newspaper page: a column cut mid-word (…不断加 | 强…) continues after the headline
# block, another column lost its end, and one lost its start.
PAGE = """引言

一年来,县人大常委会聚焦中心工作,召开常委会会议8次,审议议题35项。

守初心、担使命 扎实推进依法监督

县人大常委会坚持问题导向,不断加

履职尽责开新局

——某县人大常委会2024年工作回眸

本报记者 张三 李四

图为县人大常委会组成人员视察重点项目建设

态度温和的群众代表说明了情况,并且

强监督力度,开展执法检查4次,专题询问2次。

聚民智、汇民意 代表工作提质增效

县人大常委会组织代表培训3期,培训代表260余人次,收集意见建议
"""


def _norm(text):
    return normalise(text)[0]


def test_roles():
    blocks = classify(_norm(PAGE))
    roles = {b.text: b.role for b in blocks}
    assert roles["引言"] == HEADING
    assert roles["守初心、担使命 扎实推进依法监督"] == HEADING
    assert roles["履职尽责开新局"] == HEADLINE
    assert roles["本报记者 张三 李四"] == BYLINE
    assert roles["图为县人大常委会组成人员视察重点项目建设"] == CAPTION
    assert roles["强监督力度,开展执法检查4次,专题询问2次。"] == BODY
    assert [b.role for b in blocks].count(KICKER) + [b.role for b in blocks].count("meta") == 1


def test_cut_is_joined_to_its_continuation_and_offsets_survive():
    norm = _norm(PAGE)
    layout = repair(norm)
    joined = [p for p in layout.paragraphs if "不断加强监督力度" in p.text]
    assert len(joined) == 1
    paragraph = joined[0]
    assert paragraph.section == "守初心、担使命 扎实推进依法监督"
    # every character of the repaired paragraph is the raw character at its offset
    assert all(PAGE[o] == ch for o, ch in zip(paragraph.offsets, paragraph.text, strict=True))
    kinds = [(r.kind, r.line) for r in layout.repairs]
    assert ("joined", 7) in kinds


def test_cuts_without_continuation_are_flagged():
    layout = repair(_norm(PAGE))
    flagged = {r.line for r in layout.repairs if r.kind == "cut_no_continuation"}
    # the orphan "态度温和…并且" ends mid-sentence; so does the last paragraph
    assert flagged == {17, 23}


def test_plain_report_needs_no_repair():
    text = "一、召开会议情况\n\n全年召开常委会会议6次。\n\n二、立法工作\n\n制定条例2部。\n"
    layout = repair(_norm(text))
    assert layout.repairs == []
    assert [p.section for p in layout.paragraphs] == ["一、召开会议情况", "二、立法工作"]


def test_hard_wrapped_lines_are_one_paragraph():
    text = "全年召开常委会会议6次,听取审议专项工作\n报告12项,开展执法检查5次。\n"
    layout = repair(_norm(text))
    assert len(layout.paragraphs) == 1
    assert layout.paragraphs[0].text == "全年召开常委会会议6次,听取审议专项工作报告12项,开展执法检查5次。"
    assert [r.kind for r in layout.repairs] == ["wrapped"]


def test_a_page_number_inside_a_wrapped_paragraph_is_skipped():
    text = (
        "2024年,县人大常委会召开常委会会议12次、主任会\n— 1 —\n议19次,开展执法检查5次。\n\n第 2 页\n\n制定条例2部。\n"
    )
    layout = repair(_norm(text))
    assert [p.text for p in layout.paragraphs] == [
        "2024年,县人大常委会召开常委会会议12次、主任会议19次,开展执法检查5次。",
        "制定条例2部。",
    ]
    # offsets still point into the raw text, past the page number
    first = layout.paragraphs[0]
    assert "".join(text[o] for o in first.offsets) == first.text


def test_a_long_wrapped_line_ending_in_a_count_is_still_joined():
    text = "听取审议预算执行和审计工作报告,推动整改问题47个。对财政投资1000万元\n以上的重大项目开展跟踪监督。\n"
    layout = repair(_norm(text))
    assert len(layout.paragraphs) == 1


def test_a_figures_digest_is_one_line_per_figure():
    text = "数说2024\n\n—— 会议篇 ——\n召开常委会会议 9 次\n召开主任会议 24 次\n审议议题 63 项\n"
    layout = repair(_norm(text))
    assert [p.text for p in layout.paragraphs] == ["召开常委会会议 9 次", "召开主任会议 24 次", "审议议题 63 项"]


def test_a_dash_opens_a_paragraph_of_a_term_review_as_well_as_a_subtitle():
    text = (
        "——2024年1月16日在县第十八届人民代表大会第四次会议上\n\n——议事决策有力有序。本届以来,共召开常委会会议47次。\n"
    )
    roles = [b.role for b in classify(_norm(text))]
    assert roles == ["meta", BODY]


def test_a_digest_that_gives_the_figure_first_is_one_line_per_figure():
    text = "【全年数据】\n12次 常委会会议\n35项 审议议题顺利通过\n2024年 工作回顾\n\n正文从这里开始。\n"
    layout = repair(_norm(text))
    assert [b.role for b in layout.blocks][:4] == [HEADING, BODY, BODY, HEADING]  # a year first is no count
    assert [p.text for p in layout.paragraphs] == ["12次 常委会会议", "35项 审议议题顺利通过", "正文从这里开始。"]


def test_a_numbered_heading_of_two_short_phrases_is_not_joined_to_the_text_below():
    lines = [
        "一、坚持依法履职,保障代表权利",
        "全年召开常委会会议9次,审议议题35项。",
        "（二）强化监督,助推发展",
        "组织视察3次。",
    ]
    text = "\n".join(lines) + "\n"
    layout = repair(_norm(text))
    assert [b.role for b in layout.blocks] == [HEADING, BODY, HEADING, BODY]
    assert [(p.section, p.text) for p in layout.paragraphs] == [
        ("一、坚持依法履职,保障代表权利", "全年召开常委会会议9次,审议议题35项。"),
        ("(二)强化监督,助推发展", "组织视察3次。"),
    ]


def test_a_numbered_line_cut_at_the_page_width_is_still_joined():
    # longer than a heading of two short phrases: prose wrapped at the page's width
    text = "（一）坚持党的领导,全年共召开常委会会议和主任会议\n23次,审议议题35项。\n"
    layout = repair(_norm(text))
    assert [p.text for p in layout.paragraphs] == ["(一)坚持党的领导,全年共召开常委会会议和主任会议23次,审议议题35项。"]


def test_a_numbered_line_in_a_narrow_column_is_still_joined():
    # a newspaper column wraps at about a dozen characters: the next line is as long as this one
    text = "（一）坚持党的领导,全年\n召开常委会会议9次,审\n议议题35项。\n"
    layout = repair(_norm(text))
    assert [p.text for p in layout.paragraphs] == ["(一)坚持党的领导,全年召开常委会会议9次,审议议题35项。"]


def test_a_web_pages_furniture_is_not_text():
    lines = [
        "正文召开会议3次。",
        "",
        "责任编辑：陈晓",
        "上一篇：市人大常委会召开第二十八次会议",
        "下一篇：我市召开一次座谈会",
    ]
    text = "\n".join([*lines, "分享到：微信"]) + "\n"
    layout = repair(_norm(text))
    assert [p.text for p in layout.paragraphs] == ["正文召开会议3次。"]


def test_a_reporters_question_is_text_not_a_byline():
    text = "记者：您刚才提到18项专项工作报告，怎样保证听了不白听？\n\n本报记者 张三\n"
    assert [b.role for b in classify(_norm(text))] == [BODY, BYLINE]


def test_a_heading_that_gives_a_figure_is_read_as_text_too():
    lines = ["一、召开常委会会议12次,议事决策更加规范", "全年审议议题35项。", "二、加强监督,助推发展", "组织视察3次。"]
    layout = repair(_norm("\n".join(lines) + "\n"))
    assert [(p.text, p.section, p.heading) for p in layout.paragraphs] == [
        ("一、召开常委会会议12次,议事决策更加规范", "一、召开常委会会议12次,议事决策更加规范", True),
        ("全年审议议题35项。", "一、召开常委会会议12次,议事决策更加规范", False),
        ("组织视察3次。", "二、加强监督,助推发展", False),
    ]
    assert not [r for r in layout.repairs if r.kind == "cut_no_continuation"]  # a heading is not cut prose


def test_a_continuation_is_read_right_after_its_cut_before_what_was_printed_between():
    layout = repair(_norm(PAGE))
    # line 19 continues line 7; the orphan of line 17, printed between them, is read after both
    assert [p.lines for p in layout.paragraphs] == [(3,), (7, 19), (17,), (23,)]


MISSING_START = (
    "二、监督工作\n\n全年开展执法检查4次。\n\n图为代表视察项目建设\n\n{opening}维护群众合法权益,开展专题询问2次。\n"
)


def test_a_paragraph_after_a_caption_opening_with_a_lone_character_lost_its_start():
    layout = repair(_norm(MISSING_START.format(opening="效")))
    missing = [(r.kind, r.line, r.other_line) for r in layout.repairs]
    assert missing == [("start_missing", 7, None)]
    # what it belongs to is unknown, so it is not put under the heading above the caption
    assert [p.section for p in layout.paragraphs] == ["二、监督工作", ""]


def test_a_paragraph_after_a_caption_opening_with_a_sentence_opener_is_whole():
    layout = repair(_norm(MISSING_START.format(opening="为")))
    assert layout.repairs == []
    assert [p.section for p in layout.paragraphs] == ["二、监督工作", "二、监督工作"]
