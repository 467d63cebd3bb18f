"""Report-style paragraphs written for these tests (not the seed): what must be found, how it is
labelled, and what must be rejected."""

from decimal import Decimal

import pytest

from pipeline.extract.figures import extract
from pipeline.text.document import Document


def figures_of(text: str):
    doc = Document(doc_id="test", raw=text, encoding="utf-8")
    figures = extract(doc).figures
    for f in figures:
        assert text[f.start : f.end] == f.text
    return figures


def summary(text: str):
    return [(f.text, f.value, f.unit, f.approx) for f in figures_of(text)]


CASES = [
    (
        "全年共召开常委会会议十二次、主任会议二十六次,审议法规草案九件,作出决议决定十五项。",
        [
            ("十二次", 12, "次", "exact", "常委会会议"),
            ("二十六次", 26, "次", "exact", "主任会议"),
            ("九件", 9, "件", "exact", "法规草案"),
            ("十五项", 15, "项", "exact", "决议决定"),
        ],
    ),
    (
        "组织开展执法检查５次、专题询问２次，听取审议专项工作报告２１个，满意度测评结果显示满意率达到９６．８％。",
        [
            ("５次", 5, "次", "exact", "执法检查"),
            ("２次", 2, "次", "exact", "专题询问"),
            ("２１个", 21, "个", "exact", "专项工作报告"),
            ("９６．８％", Decimal("96.8"), "%", "exact", "满意率"),
        ],
    ),
    (
        "审查批准财政预算调整方案,全市一般公共预算收入约86.5亿元,同比增长12.3%,比上年提高两个百分点。",
        [
            ("86.5亿元", 8650000000, "元", "about", "预算收入"),
            ("12.3%", Decimal("12.3"), "%", "exact", "增长"),
            ("两个百分点", 2, "百分点", "exact", "比上年提高"),
        ],
    ),
    (
        # the change names no subject: it is the previous figure's
        "全市空气质量优良天数比例达到86.3%,较上年提高1.5个百分点;预算联网监督系统累计采集数据突破2亿条。",
        [
            ("86.3%", Decimal("86.3"), "%", "exact", "优良天数比例"),
            ("1.5个百分点", Decimal("1.5"), "百分点", "exact", "优良天数比例较上年提高"),
            ("2亿条", 200000000, "条", "more_than", "采集数据"),
        ],
    ),
    (
        "各级人大代表走访联系群众1.2万余人次,收集意见建议两千余条,督办解决群众急难愁盼问题近300个。",
        [
            ("1.2万余人次", 12000, "人次", "more_than", "走访"),
            ("两千余条", 2000, "条", "more_than", "意见建议"),
            ("300个", 300, "个", "less_than", "问题"),
        ],
    ),
    (
        "制定地方性法规4部、修订2部、废止1部,批准县级人民政府规范性文件备案12件。",
        [
            ("4部", 4, "部", "exact", "制定"),
            ("2部", 2, "部", "exact", "修订"),
            ("1部", 1, "部", "exact", "废止"),
            ("12件", 12, "件", "exact", "备案"),
        ],
    ),
    (
        "争取上级资金逾3000万元,惠及群众超过5万人,完成投资百分之四十以上。",
        [
            ("3000万元", 30000000, "元", "more_than", "资金"),
            ("5万人", 50000, "人", "more_than", "惠及"),
            ("百分之四十", 40, "%", "more_than", "投资"),
        ],
    ),
]


CASES += [
    (
        # a web digest: one space between number and measure word belongs to the span
        "召开常委会会议 9 次、主任会议 ２４ 次,代表进站履职 2.1万 人次,收集群众意见 5000 余条,约 120 人参加。",
        [
            ("9 次", 9, "次", "exact", "常委会会议"),
            ("２４ 次", 24, "次", "exact", "主任会议"),
            ("2.1万 人次", 21000, "人次", "exact", "进站"),
            ("5000 余条", 5000, "条", "more_than", "意见"),
            ("120 人", 120, "人", "about", "参加"),
        ],
    ),
    (
        # the subject names the meeting when the object is a bare 会议
        "一年来,省人大常委会共举行会议7次;常委会党组召开会议14次。",
        [
            ("7次", 7, "次", "exact", "常委会会议"),
            ("14次", 14, "次", "exact", "党组会议"),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:12] for c in CASES])
def test_figures_values_and_labels(text, expected):
    figures = figures_of(text)
    assert [(f.text, f.value, f.unit, f.approx) for f in figures] == [e[:4] for e in expected]
    for f, e in zip(figures, expected, strict=True):
        assert e[4] in f.indicator, (f.text, f.indicator)


def test_elided_list_items_restore_the_shared_verb_and_object():
    figures = figures_of("召开立法听证会3次、论证会5次,制定条例4部、修订2部。")
    labels = [f.indicator for f in figures]
    assert labels == ["召开立法听证会", "召开立法论证会", "制定条例", "修订条例"]


def test_second_measure_of_one_activity_inherits_its_label():
    figures = figures_of("发放困难群众救助金、临时补助1280人,460余万元,兑现惠民政策。")
    assert [f.text for f in figures] == ["1280人", "460余万元"]
    assert figures[0].indicator == "发放困难群众救助金、临时补助"
    assert figures[1].indicator.startswith("发放困难群众救助金、临时补助")
    assert figures[1].value == 4600000 and figures[1].approx == "more_than"


@pytest.mark.parametrize(
    "text",
    [
        "省十四届人大二次会议在太原召开,会期5天。",  # 会期5天 is a figure; the session ordinal is not
        "深入学习贯彻党的二十大精神和十四届全国人大一次会议精神。",
        "第十四届人民代表大会常务委员会第九次会议审议了有关报告。",
        "忠诚捍卫“两个确立”、坚决做到“两个维护”,增强“四个意识”。",
        "严格落实中央八项规定精神,千方百计为千家万户办实事。",
        "2024年3月7日是一个重要的日子,也是人民代表大会制度建立70周年。",
        "根据〔2024〕5号文件精神,12·4国家宪法日当天开展了宣传。",
        "5G基站建设和G20峰会的有关情况。",
        "这是一项重要内容,也是一次全面体检,形成了一批制度成果和一系列经验。",
        "“十四五”期间,统一部署,一年来取得一定成效。",
        "大会期间,代表依法由10人以上联名提出议案。",  # a legal quota, not a count
        "对投资5000万元以上项目开展跟踪监督。",  # a class of projects, not an amount
        "第 3 次会议于 2024 年 5 月召开。",  # an ordinal, with spaces as web pages write it
    ],
)
def test_non_figures(text):
    found = [f.text for f in figures_of(text)]
    allowed = {"5天"}
    assert [t for t in found if t not in allowed] == []


def test_no_figures_at_all():
    assert figures_of("坚持党的领导、人民当家作主、依法治国有机统一。\n") == []


def test_each_figure_carries_its_sentence_and_section():
    text = "一、立法工作\n\n制定条例3部。修改条例1部。\n\n二、监督工作\n\n开展执法检查6次。\n"
    figures = figures_of(text)
    assert [(f.text, f.section, f.sentence) for f in figures] == [
        ("3部", "一、立法工作", "制定条例3部。"),
        ("1部", "一、立法工作", "修改条例1部。"),
        ("6次", "二、监督工作", "开展执法检查6次。"),
    ]


@pytest.mark.parametrize(
    "text, found",
    [
        ("约3000名代表参加了履职培训。", [("3000名", 3000, "名", "about")]),
        ("15项重点工作全部完成,群众满意。", [("15项", 15, "项", "exact")]),
        ("前言\n\n12件民生实事项目全部落地。", [("12件", 12, "件", "exact")]),
    ],
)
def test_a_figure_that_opens_a_paragraph_is_found(text, found):
    assert summary(text) == found


def test_a_number_after_an_opening_quote_is_still_a_name_not_a_figure():
    assert summary("“3个一”工作法在全市推广。") == []


def _labels(text: str):
    return [(f.text, f.indicator, f.indicator_id) for f in figures_of(text)]


def test_a_digest_line_that_gives_the_figure_first_is_named_by_the_words_after_it():
    text = "【年度数据】\n9次 常委会会议\n146户 困难家庭得到代表走访帮扶\n\n正文。\n"
    found = [(t, label) for t, label, _ in _labels(text)]
    assert found == [("9次", "常委会会议"), ("146户", "困难家庭得到代表走访帮扶")]


def test_a_change_against_a_named_year_takes_the_previous_subject():
    text = "森林覆盖率达到35.2%,比2020年提高2.1个百分点,较2019年末增加3个百分点。"
    labels = [label for _, label, _ in _labels(text)]
    assert labels == ["森林覆盖率", "森林覆盖率比2020年提高", "森林覆盖率较2019年末增加"]


def test_a_figure_that_opens_its_clause_is_mapped_with_the_words_after_it():
    # liaison-station visits need a station named; here it comes after the figure
    assert _labels("412人次代表进站履职,收集意见建议90条。")[0][2] == "liaison_station_visits"
    assert _labels("调研结束。412人次代表进站履职。")[0][2] == "liaison_station_visits"
    # a figure with words before it is looked up with what precedes it, as before: these drafts are
    # no public comments, whatever the words after them say
    assert _labels("将29件法律草案公开征求意见。")[0][2] == ""


def test_a_list_of_titles_counts_as_what_the_titles_name():
    found = _labels("制定《某市古树名木保护条例》《某市养犬管理条例》等3件,修改《某市物业管理条例》1件。")
    assert [(t, i) for t, _, i in found] == [("3件", "laws_enacted"), ("1件", "laws_revised")]


def test_a_list_item_is_named_by_what_stands_before_its_colon():
    text = "".join(
        [
            "召开常委会会议：10次（其中临时会议1次）；主任会议：21次；",
            "执法检查：《某市物业管理条例》等4部法律法规；办理代表建议：276件。",
        ]
    )
    found = _labels(text)
    assert [(t, label) for t, label, _ in found] == [
        ("10次", "召开常委会会议"),
        ("1次", "召开临时会议"),
        ("21次", "召开主任会议"),
        ("4部", "执法检查《某市物业管理条例》等法律法规"),
        ("276件", "办理代表建议"),
    ]
    # the clause the taxonomy looks at starts where the name does: 代表 is before the colon
    assert dict((t, i) for t, _, i in found)["276件"] == "deputy_suggestions"


def test_respectively_gives_the_nth_figure_the_nth_name():
    found = _labels("提出议案6件、建议689件,分别比上届增长20%和14.3%。")
    assert [label for _, label, _ in found][2:] == ["提出议案比上届增长", "建议比上届增长"]
    found = _labels("召开全体会议、主任委员会议分别为8次、14次。")
    assert [label for _, label, _ in found] == ["召开全体会议", "召开主任委员会议"]


def test_a_change_after_a_change_keeps_the_first_subject():
    found = _labels("一般公共预算收入由2021年的8.64亿元增至2026年的11.93亿元,年均增长6.7%。")
    assert [label for _, label, _ in found][1:] == ["一般公共预算收入增至2026年", "一般公共预算收入年均增长"]
    assert _labels("代表列席常委会会议38人次,比上届增加12人次。")[1][1] == "代表列席常委会会议比上届增加"


def test_yue_inside_a_word_is_no_qualifier():
    assert summary("通过压减支出,累计节约财政资金2,360万元。") == [("2,360万元", 23600000, "元", "exact")]
    assert _labels("通过压减支出,累计节约2,360万元。")[0][1] == "节约"
    assert summary("全年共约300人参加。")[0][3] == "about"  # 共约 is in the word list, but rarely


def test_a_part_in_a_given_year_is_named_by_the_total_it_belongs_to():
    found = _labels("全年召开常委会会议41次(其中2026年9次)。")
    assert [label for _, label, _ in found] == ["召开常委会会议", "召开常委会会议"]


def test_characters_are_counted_but_a_slogans_length_is_not():
    assert summary("翻译法规文本及释义5.6万字,撰写调研报告3000字。") == [
        ("5.6万字", 56000, "字", "exact"),
        ("3000字", 3000, "字", "exact"),
    ]
    assert summary("坚持十六字方针。") == []


def test_a_count_that_announces_a_list_is_rhetorical():
    assert summary("概括起来有三个方面。一是议事更规范。") == []
    assert summary("主要有以下两个方面：一是……") == []
    assert [f[0] for f in summary("围绕4个方面27项内容开展督导。")] == ["4个", "27项"]


def test_thousands_set_off_by_a_space_are_one_number():
    assert summary("共收到代表建议1 642件,组织代表2 400余人次,地区生产总值4\u2009786.35亿元。") == [
        ("1 642件", 1642, "件", "exact"),
        ("2 400余人次", 2400, "人次", "more_than"),
        ("4\u2009786.35亿元", Decimal("478635000000"), "元", "exact"),
    ]
    assert summary("咨询电话2564 0788,召开会议 9 次。") == [("9 次", 9, "次", "exact")]  # no thousands groups


def test_a_traditional_texts_labels_are_in_its_own_characters():
    found = figures_of("去年，省人大常委會舉行常委會會議7次，審議地方性法規草案23件，作出決議決定9項。")
    assert [(f.text, f.indicator, f.indicator_id) for f in found] == [
        ("7次", "舉行常委會會議", "sc_sessions"),
        ("23件", "審議地方性法規草案", "bills_reviewed"),
        ("9項", "作出決議決定", "decisions"),
    ]


def test_a_rate_may_be_below_zero_but_a_count_may_not():
    assert summary("人口自然增长率-1.35‰,工业增加值同比增长−0.5%。") == [
        ("-1.35‰", Decimal("-1.35"), "‰", "exact"),
        ("−0.5%", Decimal("-0.5"), "%", "exact"),
    ]
    # a hyphen of a range or a code is no sign, and a count keeps its own span
    assert [f[:2] for f in summary("2020-2023年年均增长5%,减少-6人次。")] == [("5%", 5), ("6人次", 6)]


def test_a_negative_rate_passes_the_plausibility_check_and_a_negative_count_does_not():
    from pipeline.text.numerals import is_plausible

    assert is_plausible(-1.35, "‰") and is_plausible(-2.5, "%") and is_plausible(-0.3, "百分点")
    assert not is_plausible(-6, "人次") and not is_plausible(-2000, "%")
