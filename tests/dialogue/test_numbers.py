from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.dialogue.numbers import chinese_to_int, find_numbers, find_quarter, is_bare_sales


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("50万", Decimal(500_000)),
        ("1.2个亿", Decimal(120_000_000)),
        ("30w", Decimal(300_000)),
        ("三十万", Decimal(300_000)),
        ("2万5", Decimal(25_000)),
        ("¥12,000", Decimal(12_000)),
        ("两百万", Decimal(2_000_000)),
        ("300多万", Decimal(3_000_000)),
        ("0.5万", Decimal(5_000)),
        ("一个亿", Decimal(100_000_000)),
    ],
)
def test_money_figures(text: str, value: Decimal) -> None:
    found = find_numbers(text)
    assert len(found) == 1
    assert found[0].value == value
    assert found[0].is_money


@pytest.mark.parametrize(
    ("text", "value"),
    [("三十", 30), ("一百二十", 120), ("两千五百万", 25_000_000), ("一亿二千万", 120_000_000), ("十五", 15)],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert chinese_to_int(text) == value


def test_quantities_are_not_money() -> None:
    (hours,) = find_numbers("每月停机10小时")
    assert hours.value == 10 and hours.unit == "小时" and not hours.is_money
    (devices,) = find_numbers("200台设备")
    assert devices.unit == "台" and not devices.is_money


def test_model_numbers_and_vague_amounts_are_not_numbers() -> None:
    assert find_numbers("eg2100pro宽温能到多少度") == []
    assert find_numbers("ip67") == []
    assert find_numbers("还差几万") == []


def test_unit_after_a_space_belongs_to_the_next_phrase() -> None:
    first = find_numbers("损失5万 人工")[0]
    assert first.value == 50_000 and first.is_money


@pytest.mark.parametrize(
    ("text", "quarter"),
    [
        ("q3返利能拿多少", "2026Q3"),
        ("三季度到现在累计返利多少", "2026Q3"),
        ("2季度的对账单", "2026Q2"),
        ("2025年第四季度", "2025Q4"),
        ("25年Q1", "2025Q1"),
        ("这个季度返利多少", None),
    ],
)
def test_quarters(text: str, quarter: str | None) -> None:
    found = find_quarter(text.lower(), current_year=2026)
    assert (found[0] if found else None) == quarter


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("三千五", 3500),
        ("一万二", 12000),
        ("两万五", 25000),
        ("一百二", 120),
        ("一亿二", 120_000_000),
        ("一千二百五", 1250),
        ("一千零五", 1005),
        ("两万零五", 20005),
        ("二十五", 25),
        ("一二三", 123),
    ],
)
def test_a_numeral_said_short_ends_in_the_next_unit_down(numeral: str, value: int) -> None:
    assert chinese_to_int(numeral) == value


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # "万把块": about one of the unit; "个钟" is an hour said colloquially
        ("停一个钟亏万把块", [(Decimal(1), "钟头"), (Decimal(10_000), "块")]),
        ("一个月停个十来个钟", [(Decimal(1), "月"), (Decimal(10), "钟头")]),
        ("千把台", [(Decimal(1_000), "台")]),
        ("三点钟到", []),  # a time of day, no duration
        ("十把刀", [(Decimal(10), "")]),  # a count of knives: no "about"
        # a Chinese numeral is never part of a model number, even glued to letters
        ("agv一百六十台 老掉线", [(Decimal(160), "台")]),
        ("vb500 两台", [(Decimal(2), "台")]),
        ("那万一升完出问题呢", []),  # "in case"
        ("千万别装反了", []),  # "by all means"
        ("一千万的单子", [(Decimal(10_000_000), "")]),
    ],
)
def test_colloquial_figures(text: str, found: list[tuple[Decimal, str]]) -> None:
    assert [(n.value, n.unit) for n in find_numbers(text)] == found


@pytest.mark.parametrize(
    ("text", "sold"),
    [
        ("再卖3500能拿多少", True),
        ("如果当时多做够那3500", True),
        ("再签8000呢", True),
        ("再卖30能拿多少", False),  # too small to be a sale in yuan
        ("再卖3500台能拿多少", False),  # a count
        ("停机3500小时", False),  # no verb of selling
        ("再卖3500元", False),  # money already, by its unit
        ("再签2026年的框架合同", False),  # a year
    ],
)
def test_a_bare_figure_after_a_verb_of_selling_is_a_sale(text: str, sold: bool) -> None:
    (number,) = find_numbers(text)
    assert is_bare_sales(number, text) is sold


def test_the_many_of_how_long_is_not_a_rough_figure() -> None:
    # "投50万多久回本": 多久 asks, the figure is 50万 and ends there; "300多万" stays rough
    (invest,) = find_numbers("投50万多久回本")
    assert (invest.value, invest.end) == (Decimal(500_000), 4)
    (rough,) = find_numbers("300多万")
    assert rough.value == Decimal(3_000_000)
