"""The taxonomy a researcher can audit: every entry defines what it counts, how its units compare and
whether it is one activity or a list counted together; a defect names the entry and the field."""

import pytest
import yaml

from pipeline.errors import DataCheckError
from pipeline.reference.indicators import default_taxonomy, load_taxonomy, map_label, match_form, taxonomy_path


def test_every_entry_has_the_audit_fields():
    entries = yaml.safe_load(taxonomy_path().read_text(encoding="utf-8"))
    for entry in entries:
        for field in ("definition", "kind", "unit_equivalences", "exclude", "match"):
            assert field in entry, (entry["id"], field)
        assert entry["definition"]["zh"].strip() and entry["definition"]["en"].strip(), entry["id"]
        assert entry["kind"] in ("single", "combined"), entry["id"]
    loaded = default_taxonomy()
    assert len(loaded) == len(entries)
    assert all(i.definition_zh and i.definition_en for i in loaded)
    combined = {i.id for i in loaded if i.combined}
    assert combined == {"inspections_and_surveys_combined", "decisions_and_opinions_combined"}


def test_unit_equivalences():
    table = {i.id: i for i in default_taxonomy()}
    assert table["laws_enacted"].units_equivalent("件", "部")
    assert table["special_work_reports"].units_equivalent("个", "项")
    # departments evaluated and evaluations held are two counts under one concept
    assert table["satisfaction_evaluations"].units_equivalent("个", "家")
    assert not table["satisfaction_evaluations"].units_equivalent("个", "次")
    # opinions collected (条) are never suggestions (件)
    assert not table["deputy_suggestions"].units_equivalent("条", "件")
    assert table["deputy_suggestions"].units_equivalent("件", "件")


GOOD = (
    "- id: a\n  zh: 甲\n  en: A\n  category: x\n  kind: single\n  definition: {zh: 甲, en: A}\n"
    "  units: [件, 部]\n  unit_equivalences: [[件, 部]]\n  match: '甲'\n  exclude: ''\n"
)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  kind: single\n", "", r"entry 1: missing kind"),
        ("  definition: {zh: 甲, en: A}\n", "", r"missing definition"),
        ("  exclude: ''\n", "", r"missing exclude"),
        ("  unit_equivalences: [[件, 部]]\n", "", r"missing unit_equivalences"),
        ("kind: single", "kind: sum", r"\(a\): field 'kind' is 'sum'"),
        ("definition: {zh: 甲, en: A}", "definition: {zh: 甲}", r"\(a\): field 'definition' must be"),
        ("definition: {zh: 甲, en: A}", "definition: 甲", r"\(a\): field 'definition' must be"),
        ("[[件, 部]]", "[[件, 项]]", r"\(a\): field 'unit_equivalences' names 项, not in its units"),
        ("[[件, 部]]", "[[件]]", r"\(a\): field 'unit_equivalences' has a group of fewer than two"),
        ("[[件, 部]]", "[件, 部]", r"\(a\): field 'unit_equivalences' must be a list of lists"),
        ("[[件, 部]]", "[[件, 部], [部, 件]]", r"\(a\): field 'unit_equivalences' puts 件, 部 in two groups"),
        ("match: '甲'", "match: ['甲', '(乙']", r"\(a\): field 'match' has a bad pattern"),
        ("exclude: ''", "exclude: [3]", r"\(a\): field 'exclude' must be a pattern"),
    ],
)
def test_a_defect_names_the_entry_and_the_field(tmp_path, old, new, message):
    assert old in GOOD
    path = tmp_path / "indicators.yaml"
    path.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(DataCheckError, match=message) as caught:
        load_taxonomy(path)
    assert caught.value.exit_code == 6  # a malformed reference table, as the README's table says


def test_a_good_entry_loads_and_lists_of_wordings_are_alternatives(tmp_path):
    path = tmp_path / "indicators.yaml"
    path.write_text(GOOD.replace("match: '甲'", "match: ['^甲$', '乙丙']"), encoding="utf-8")
    (entry,) = load_taxonomy(path)
    assert entry.fits_label("甲", "件") and entry.fits_label("开展乙丙", "部") and not entry.fits_label("甲乙", "件")
    assert entry.exclude is None and entry.unit_equivalences == (frozenset({"件", "部"}),)


@pytest.mark.parametrize(
    ("label", "form"),
    [
        ("交出人民满意的立法答卷——制定地方性法规", "制定地方性法规"),
        ("· 召开常委会会议", "召开常委会会议"),
        ("- 制定单行条例", "制定单行条例"),
        ("[2] 审查规范性文件", "审查规范性文件"),
        ("常委会深入基层调(diào)研", "常委会深入基层调研"),
        ("包括制定法律", "制定法律"),
        ("配合上级人大制定", "制定"),
        ("——", "——"),  # nothing after the dash: the label stays as it is
        ("制定《某条例》", "制定条例"),
    ],
)
def test_what_only_frames_a_label_is_dropped_before_matching(label, form):
    assert match_form(label) == form


@pytest.mark.parametrize(
    ("label", "unit", "ident"),
    [
        # short forms of recurring concepts
        ("召开常委会", "次", "sc_sessions"),
        ("召开主任会", "次", "chair_meetings"),
        ("召集代表大会", "次", "congress_sessions"),
        ("召开人大例会", "次", ""),  # a township's regular meeting is not a session of the congress
        # legislation verbs without their object, in a list whose object came before
        ("打包修正", "件", "laws_revised"),
        ("废止", "件", "laws_repealed"),
        ("废止不再适应形势的法规", "件", "laws_repealed"),
        ("初次审议", "件", "bills_reviewed"),
        ("继续审议法规案", "件", "bills_reviewed"),
        ("新制定", "件", "laws_enacted"),
        # inspections phrased from the law's side
        ("对法律法规开展检查", "部", "enforcement_inspections"),
        # lists counted together get the combined id, never the last item's
        ("组织视察、执法检查、专题调研", "次", "inspections_and_surveys_combined"),
        ("组织视察、执法检查、专题询问", "次", "inspections_and_surveys_combined"),
        ("组织代表视察、执法检查和专题调研", "次", "inspections_and_surveys_combined"),
        ("开展专题询问", "次", "special_inquiries"),
        # decision types
        ("作出有关法律问题和重大问题的决定", "件", "decisions_on_legal_questions"),
        ("作出决议决定和审议意见", "件", "decisions_and_opinions_combined"),  # counted together: not decisions
        ("作出决议决定", "件", "decisions"),
        ("尚未通过的法律案", "件", "bills_pending"),
        ("通过法律案", "件", "bills_passed"),
        # what deputies collect from residents is not what they propose
        ("代表之家、联络站收集意见建议", "条", "opinions_collected"),
        ("办理代表建议", "件", "deputy_suggestions"),
        ("组织代表培训", "期", "deputy_training_sessions"),
        ("培训代表", "人次", "deputies_trained"),
        ("交由承办单位研究办理", "家", "suggestion_handling_units"),
    ],
)
def test_variant_wordings_of_recurring_concepts(label, unit, ident):
    assert map_label(label, unit) == ident
