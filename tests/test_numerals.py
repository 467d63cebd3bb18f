from decimal import Decimal

import pytest

from pipeline.text.normalise import normalise
from pipeline.text.numerals import format_value, parse_number, parse_quantity

# (text, value in the base unit, unit, approx)
QUANTITIES = [
    ("9", 9, "", "exact"),
    ("１５", 15, "", "exact"),
    ("十二", 12, "", "exact"),
    ("二十六", 26, "", "exact"),
    ("两千余", 2000, "", "more_than"),
    ("逾百", 100, "", "more_than"),
    ("一个", 1, "个", "exact"),
    ("2万余", 20000, "", "more_than"),
    ("1.2万余", 12000, "", "more_than"),
    ("3400余万", 34000000, "", "more_than"),
    ("1.5亿", 150000000, "", "exact"),
    ("98.6%", Decimal("98.6"), "%", "exact"),
    ("百分之三十", 30, "%", "exact"),
    ("一个百分点", 1, "百分点", "exact"),
    ("9次", 9, "次", "exact"),
    ("67人次", 67, "人次", "exact"),
    ("56人(次)", 56, "人次", "exact"),
    ("2万余条", 20000, "条", "more_than"),
    ("3400余万元", 34000000, "元", "more_than"),
    ("3845万元", 38450000, "元", "exact"),
    ("约1.5亿元", 150000000, "元", "about"),
    ("近3000人", 3000, "人", "less_than"),
    ("不足百分之五", 5, "%", "less_than"),
    ("超过200件", 200, "件", "more_than"),
    ("逾百条", 100, "条", "more_than"),
    ("百余条", 100, "条", "more_than"),
    ("上百次", 100, "次", "more_than"),
    ("1000人以上", 1000, "人", "more_than"),
    ("50万元左右", 500000, "元", "about"),
    ("十几次", 10, "次", "more_than"),
    ("二十余项", 20, "项", "more_than"),
    ("两千余名", 2000, "名", "more_than"),
    ("三千四百万元", 34000000, "元", "exact"),
    ("九十八点六%", Decimal("98.6"), "%", "exact"),
    ("3,400人", 3400, "人", "exact"),
    ("1.1万", 11000, "", "exact"),
    ("0.5个百分点", Decimal("0.5"), "百分点", "exact"),
    ("两个百分点", 2, "百分点", "exact"),
    ("5个月", 5, "个月", "exact"),
    ("156件次", 156, "件次", "exact"),
    ("一万二千人", 12000, "人", "exact"),
    ("十万元", 100000, "元", "exact"),
    ("2000多个", 2000, "个", "more_than"),
    ("大约300户", 300, "户", "about"),
    ("12.5%", Decimal("12.5"), "%", "exact"),
    ("零点五个百分点", Decimal("0.5"), "百分点", "exact"),
]


@pytest.mark.parametrize(("text", "value", "unit", "approx"), QUANTITIES)
def test_parse_quantity(text, value, unit, approx):
    normalised, _ = normalise(text)
    q = parse_quantity(normalised)
    assert q.value == Decimal(value)
    assert (q.unit, q.approx) == (unit, approx)


def test_at_least_forty_cases():
    assert len(QUANTITIES) >= 40


@pytest.mark.parametrize("text", ["", "abc", "二〇二三", "一二", "点", "第九", "12.4宪法日"])
def test_not_a_quantity(text):
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_parse_number_uses_decimal_for_arabic_with_scales():
    # cn2an's smart mode goes through floats; 1.1万 must stay exactly 11000
    assert parse_number("1.1万") == Decimal("11000")
    assert parse_number("3,400") == 3400


def test_bare_scale_is_flagged():
    assert parse_quantity("逾百").bare_scale
    assert not parse_quantity("一百次").bare_scale


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal(9), "9"), (Decimal("98.60"), "98.6"), (Decimal("34000000"), "34000000"), (12000.0, "12000")],
)
def test_format_value(value, text):
    assert format_value(value) == text
