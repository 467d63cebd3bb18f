import warnings

import pytest

from pipeline.errors import DataCheckError
from pipeline.reference.indicators import HarmonisationWarning, harmonise, load_taxonomy, map_label


def entry(zh: str, en: str, rest: str) -> str:
    """One taxonomy entry as a YAML line, with the audit fields every entry must have."""
    audit = f"kind: single, definition: {{zh: {zh}, en: {en}}}, unit_equivalences: [], exclude: ''"
    return f"- {{id: a, zh: {zh}, en: {en}, category: x, {audit}, {rest}"


SAME_CONCEPT_OTHER_WORDS = [
    ("sc_sessions", [("召开常委会会议", "次"), ("举行常委会会议", "次"), ("常务委员会会议", "次"), ("举行会议", "次")]),
    ("chair_meetings", [("召开主任会议", "次"), ("委员长会议", "次")]),
    (
        "special_work_reports",
        [("听取审议专项工作报告", "项"), ("听取和审议专项工作报告", "个"), ("专项工作报告", "件")],
    ),
    ("appointments", [("任免国家机关工作人员", "人次"), ("完成人事任免", "人次"), ("任命", "人")]),
    (
        "laws_enacted",
        [("制定法规", "件"), ("出台地方性法规", "部"), ("制定法律", "件"), ("制定出台地方性法规（累计）", "件")],
    ),
    ("laws_revised", [("修订法规", "件"), ("修改法律", "件"), ("修改地方性法规", "件")]),
    ("enforcement_inspections", [("组织执法检查", "次"), ("开展执法检查", "项")]),
    ("deputy_suggestions", [("各级人大代表提出意见建议", "条"), ("代表提出建议", "件"), ("代表建议批评和意见", "件")]),
    ("decisions", [("作出决议决定", "项"), ("审议通过决议决定", "项"), ("作出决议、决定", "件")]),
]


@pytest.mark.parametrize(("ident", "wordings"), SAME_CONCEPT_OTHER_WORDS, ids=[x[0] for x in SAME_CONCEPT_OTHER_WORDS])
def test_one_concept_many_wordings(ident, wordings):
    assert [map_label(label, unit) for label, unit in wordings] == [ident] * len(wordings)


@pytest.mark.parametrize(
    ("label", "unit", "ident"),
    [
        ("执法检查、代表视察和专题调研（合计）", "次", "inspections_and_surveys_combined"),  # never a single one
        ("常委会党组召开会议", "次", "party_group_meetings"),
        ("邀请代表列席常委会会议", "名", ""),  # a count of deputies, particular to each report
        ("召开常委会会议", "人", ""),  # a meeting count is never in persons
        ("修订制度", "项", ""),  # internal rules are not regulations
        ("审议关于设立宪法宣传周的决定草案", "件", "bills_reviewed"),  # a draft under review, not a decision made
        ("征求到意见建议融入法规文本", "条", ""),
        ("审议法律案、决定案和法律解释案", "件", "bills_reviewed"),
    ],
)
def test_boundaries(label, unit, ident):
    assert map_label(label, unit) == ident


@pytest.mark.parametrize(
    ("label", "unit", "context", "ident"),
    [
        # 提出意见建议 is the deputies' count only where deputies propose them
        ("提出意见建议", "条", "全市各级人大代表提出意见建议", "deputy_suggestions"),
        ("提出意见建议", "条", "围绕工业园区开展专题调研，提出意见建议", ""),
        ("提出意见建议", "条", "初步审查部门预算96家，提出意见建议", ""),
        ("提出建议", "件", "全国人大代表提出建议", "deputy_suggestions"),
        # 接待群众 counts liaison-station visits only at a station
        ("接待群众", "人次", "全市建成代表联络站64个，累计接待群众", "liaison_station_visits"),
        ("接待群众来访", "人次", "信访部门接待群众来访", ""),
        # 督促纠正 counts normative documents only where the filing review is the subject
        ("督促纠正", "件", "审查报送备案的规范性文件14件，督促纠正", "normative_documents_corrected"),
        ("督促纠正", "件", "对饮用水水源地开展执法检查，督促纠正", ""),
        ("开展满意度测评", "个", "对审计查出问题整改情况开展满意度测评", "satisfaction_evaluations"),
    ],
)
def test_context_decides(label, unit, context, ident):
    assert map_label(label, unit, context=context, clause=context.split("，")[-1]) == ident


@pytest.mark.parametrize(
    ("label", "unit", "sentence", "clause", "ident"),
    [
        # 代表 must be in the figure's own clause: earlier clauses may be about something else
        ("提出建议", "件", "代表提出议案487件、建议", "代表提出议案487件、建议", "deputy_suggestions"),
        ("提出意见建议", "条", "组织代表视察3次，提出意见建议", "提出意见建议", ""),
        # the formal name of deputies' suggestions needs no 代表 beside it
        ("提出建议、批评和意见", "件", "大会期间，提出建议、批评和意见", "提出建议、批评和意见", "deputy_suggestions"),
    ],
)
def test_clause_scope(label, unit, sentence, clause, ident):
    assert map_label(label, unit, context=sentence, clause=clause) == ident


def test_unknown_scope_is_an_error(tmp_path):
    path = tmp_path / "indicators.yaml"
    text = entry("甲", "A", "units: [次], match: '甲', scope: paragraph}\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataCheckError, match="scope 'paragraph'"):
        load_taxonomy(path)


def test_harmonise_warns_both_ways():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = harmonise([("召开常委会会议", "次"), ("栽种树木", "棵")])
    assert result.ids == ["sc_sessions", ""]
    assert result.unmapped == ["栽种树木"]
    assert "chair_meetings" in result.unused and "sc_sessions" not in result.unused
    messages = [str(w.message) for w in caught if issubclass(w.category, HarmonisationWarning)]
    assert any("map to no indicator" in m and "栽种树木" in m for m in messages)
    assert any("used by nothing" in m for m in messages)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            entry("甲", "A", "units: [次], match: '甲'}\n") + entry("乙", "B", "units: [次], match: '乙'}\n"),
            "duplicate indicator id 'a'",
        ),
        (entry("甲", "A", "units: [棵], match: '甲'}\n"), "unknown unit"),
        (entry("甲", "A", "units: [次], match: '(甲'}\n"), "bad pattern"),
        (entry("甲", "A", "units: [次]}\n"), "missing match"),
        ("{id: a}\n", "expected a list"),
        (entry("甲", "A", "units: [次], match: '甲', contxt: '乙'}\n"), "unknown field.*contxt"),
    ],
)
def test_malformed_taxonomy(tmp_path, text, message):
    path = tmp_path / "indicators.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataCheckError, match=message):
        load_taxonomy(path)


def test_seed_figures_get_the_gold_concepts():
    import csv

    from pipeline.extract.figures import extract
    from pipeline.text.document import read_document

    from .conftest import FIXTURES, SEED

    figures = {f.start: f for f in extract(read_document(SEED)).figures}
    with (FIXTURES / "lvliang_2023.gold.csv").open(encoding="utf-8") as handle:
        gold = [r for r in csv.DictReader(handle) if r["concept"]]
    assert len(gold) >= 20
    got = [(r["start"], r["text"], figures[int(r["start"])].indicator_id) for r in gold]
    assert got == [(r["start"], r["text"], r["concept"]) for r in gold]


def test_the_extractors_remembered_mapping_agrees_with_map_label():
    from pipeline.extract.figures import _indicator_memo

    memo = _indicator_memo()
    cases = [
        ("召开常委会会议", "次", "", ""),
        ("提出意见建议", "条", "全市各级人大代表提出意见建议", "全市各级人大代表提出意见建议"),
        ("提出意见建议", "条", "组织代表视察3次，提出意见建议", "提出意见建议"),
        ("接待群众", "人次", "全市建成代表联络站64个，累计接待群众", "累计接待群众"),
        ("接待群众", "人次", "信访部门接待群众", "信访部门接待群众"),
        ("督促纠正", "件", "审查规范性文件14件，督促纠正", "督促纠正"),
        ("栽种树木", "棵", "", ""),
    ]
    for label, unit, context, clause in cases * 2:  # the second pass answers from memory
        expected = map_label(label, unit, context=context, clause=clause)
        assert memo.map(label, unit, context=context, clause=clause) == expected, (label, context)
    assert {map_label(*c[:2], context=c[2], clause=c[3]) for c in cases} >= {"deputy_suggestions", ""}


def test_titles_stand_for_the_kind_they_name():
    from pipeline.reference.indicators import titles_as_kinds

    assert titles_as_kinds("制定《某市古树名木保护条例》等") == "制定条例"
    assert titles_as_kinds("审议《某某条例（修订草案）》") == "审议条例草案"
    assert titles_as_kinds("听取《关于某某工作情况的报告》") == "听取报告"
    assert titles_as_kinds("表决《甲》《乙》") == "表决"
    assert titles_as_kinds("制定法规") == "制定法规"


def test_a_plenary_without_a_body_named_is_not_counted_as_the_standing_committees():
    # a special committee's report has plenaries too (财经委召开全体会议8次)
    assert map_label("召开全体会议", "次") == ""
    assert map_label("召开常委会全体会议", "次") == "sc_sessions"
    assert map_label("召开会议", "次") == "sc_sessions"  # what is left of 常委会共召开会议 once its subject is cut
