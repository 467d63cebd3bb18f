"""How each comparison row was computed, in Chinese and in English, from one table of wordings.

A `Note` names a wording and the values it states. Both languages are rendered from the same note,
so they always say the same thing: comparison.csv's `note` (English, worded as it always was) and
`note_zh`. A value may itself be a note (a method, a period, why two figures are not differenced),
rendered in the same language; numbers come already formatted, so both languages show the same
digits. `WORDINGS` is the whole vocabulary: a test renders every entry in both languages.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

ZH, EN = "zh", "en"

# key -> (Chinese, English). Placeholders name the note's values; both languages use the same ones
# (a label may leave one out, as "when.later" does in English).
WORDINGS: dict[str, tuple[str, str]] = {
    # the baseline methods (compare.baselines), one wording each
    "earlier_year": ("{year}年（{period}）", "{period} {year}"),
    "term_total_annualised": (
        "{start}至{end}任期总数{total}，任期{years}年，按年数折合年均：{total} ÷ {years} = 每年{rate}",
        "term total {total} over {years} years ({start} to {end}) annualised: {total} / {years} = {rate} a year",
    ),
    "term_start_assumed": (
        "起始月份未载明，按{month}计（任期以换届大会为界）",
        "start month not given, taken as {month} (terms run congress to congress)",
    ),
    "cumulative_difference": (
        "截至{later_end}累计{later}，减去截至{earlier_end}累计{earlier}：两个累计数之差为{difference}，"
        "历时{months}个月，这段时间并非{year}年自然年度",
        "cumulative {later} at {later_end} minus {earlier} at {earlier_end}: {difference} in {months} months, "
        "a window that is not the calendar year {year}",
    ),
    "ordinal": (
        "这是会议序号，不是次数：截至{end}已开到第{number}次会议，{year}年开会{count}次，即第{first}至{number}次在{year}年召开",
        "an ordinal, not a count: meeting no. {number} by {end}, so {count} in {year} means nos. {first}-{number} "
        "fell in {year}",
    ),
    "peer": (
        "另一{level}机关{year}年的数字，属同级机关对照，不是趋势",
        "another {level} body, {year}: a peer, not a trend",
    ),
    "same_document": (
        "本文件字符位置{start}处另有{value}{unit}（{label}）；比较采用首次出现的数字，即字符位置{first_start}处的"
        "{first_value}{first_unit}，视为文本对全年的概括",
        "also stated in this document at offset {start}: {value} {unit} ({label}); the comparison uses the first "
        "mention, at offset {first_start} ({first_value} {first_unit}), as the text's own summary of the year",
    ),
    "none": (
        "该指标没有可以比较的往年数字或同级机关数字",
        "no earlier or peer figure for this indicator that can be compared",
    ),
    "not_reported": (
        "往期（{start}至{end}）有报告，{year}年文件未载明",
        "reported for {start}-{end} but not in {year}",
    ),
    # a row shown but no baseline (compare.semantics, rules 1 and 2): the method's note inside
    "not_comparable": (
        "{method}：{note}。{reason}，仅并列列出，不计算增减",
        "{method}: {note}; {reason}: shown, not differenced",
    ),
    "unit_differs": ("基准以{other_unit}计，本年数字以{unit}计", "counted in {other_unit}, not {unit}"),
    "kind_differs": ("{kind}与{other_kind}相比", "a {kind} count against a {other_kind} one"),
    "not_earlier": (
        "{method}所涉时期{when}，不是{year}年之前的时期，仅列出，不作为基准；{note}",
        "{method} {when}, not earlier than {year}: shown, not a baseline; {note}",
    ),
    "when.later": ("晚于{year}年", "later"),
    "when.overlapping": ("与{year}年重叠", "overlapping"),
    "joined": ("{first}；{second}", "{first}; {second}"),
    # labels a note names: the English is the id comparison.csv has always shown
    "method.earlier_year": ("往年数字", "earlier_year"),
    "method.term_total_annualised": ("任期总数折合年均", "term_total_annualised"),
    "method.cumulative_difference": ("两个累计数之差", "cumulative_difference"),
    "method.ordinal": ("会议序号", "ordinal"),
    "method.peer": ("同级机关数字", "peer"),
    "method.same_document": ("本文件另一处数字", "same_document"),
    "period.calendar_year": ("自然年", "calendar year"),
    "period.session_year": ("会议年度", "session year"),
    "level.national": ("全国", "national"),
    "level.province": ("省级", "province"),
    "level.city": ("市级", "city"),
    "level.county": ("县级", "county"),
    "level.aggregate": ("汇总口径的", "aggregate"),
    "level.unknown": ("级别不明的", "unknown"),
    "indicator_kind.single": ("单项数", "single"),
    "indicator_kind.combined": ("合计数", "combined"),
}


@dataclass(frozen=True)
class Note:
    key: str
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, key: str, **values: object) -> Note:
        if key not in WORDINGS:
            raise KeyError(f"no wording {key!r} in pipeline.compare.notes.WORDINGS")
        return cls(key, tuple(values.items()))

    def render(self, language: str) -> str:
        zh, en = WORDINGS[self.key]
        values = {k: v.render(language) if isinstance(v, Note) else v for k, v in self.values}
        return (zh if language == ZH else en).format(**values)

    @property
    def zh(self) -> str:
        return self.render(ZH)

    @property
    def en(self) -> str:
        return self.render(EN)


def label(kind: str, value: str) -> Note | str:
    """The label note of `value` ("method", "peer" -> method.peer); the value itself where there is none."""
    key = f"{kind}.{value}"
    return Note.of(key) if key in WORDINGS else value


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
