"""The four ROI figures read out of one message as staff type them (eval facts F1/F2 kinds):
devices, downtime hours per month, downtime cost per hour, labour cost per month.  Which of them
a turn keeps depends on its intent (a figure in a parameter question is a spec); these tests read
the figures themselves, as every intent that keeps them does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.dialogue.nlu import _number_slots
from assistant.dialogue.numbers import find_numbers
from assistant.retrieval.tokenizer import normalize

FIGURES = ("device_count", "downtime_hours_per_month", "downtime_cost_per_hour", "labour_cost_per_month")


def _figures(text: str) -> dict[str, Decimal]:
    norm = normalize(text)
    values = _number_slots(norm, find_numbers(norm))
    return {k: Decimal(str(values[k])) for k in FIGURES if k in values}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # half hours
        ("佛山那家 一个月停7个半小时", {"downtime_hours_per_month": "7.5"}),
        # a correction replaces the figure said before it, in its own slot
        ("刚才说60台空压机 不对 车间主任纠正了 是64台", {"device_count": "64"}),
        ("巡检人工一个月四万 不对 是六万", {"labour_cost_per_month": "60000"}),
        ("停机一小时损失他开始说5万 后来改口说4万", {"downtime_cost_per_hour": "40000"}),
        ("说错了 不是一个月24小时 是一年24小时", {"downtime_hours_per_month": "2"}),
        ("一个月停10小时 不对 一小时亏8000", {"downtime_hours_per_month": "10", "downtime_cost_per_hour": "8000"}),
        # a year named further back; hours that are no unplanned stop
        ("去年因为设备老化非计划停机一共九十六个小时", {"downtime_hours_per_month": "8"}),
        ("机组一年运行七千小时 大修一次", {}),
        ("计划检修一个月十二个小时 非计划的没统计", {}),
        ("两班倒 二十四小时连续生产 一次停车损失八十万", {}),
        ("一年非计划停机三百六十小时 损失多少还没算", {"downtime_hours_per_month": "30"}),
        # a rough range is no figure
        ("一个月停个十几二十个小时", {}),
        # counts: vessels and wells after their noun, points in 路, a total named as such
        ("印染厂 染缸六十口 都想看温度", {"device_count": "60"}),
        ("测点要上180路 温度压力都有", {"device_count": "180"}),
        ("九个泵站 泵一共48台 都是老泵", {"device_count": "48"}),
        ("地面的水泵 就十来个", {"device_count": "10"}),
        ("之前报的两百台不算数了 要重新盘点", {}),
        ("隔壁厂装了三百多个传感器 效果一般", {}),
        # money per hour: a loss said further back or after the figure; a fee is no loss
        ("主皮带停一个小时 少出煤 折下来亏个四十万", {"downtime_cost_per_hour": "400000"}),
        ("停机损失十八万一小时 挺吓人", {"downtime_cost_per_hour": "180000"}),
        ("生产线停一小时 按财务算的3600", {"downtime_cost_per_hour": "3600"}),
        ("请外面维修师傅一小时一百五十块", {}),
        # labour: the work a product saves, yearly divided by 12; the whole wage bill is not
        ("抄表靠3个人跑 一个月八千", {"labour_cost_per_month": "8000"}),
        ("巡线一年花一百二十万 人工加车辆", {"labour_cost_per_month": "100000"}),
        ("全厂工资总额一个月两百万", {}),
    ],
)
def test_roi_figures(text: str, want: dict[str, str]) -> None:
    assert _figures(text) == {k: Decimal(v) for k, v in want.items()}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("6个半小时", [("6.5", "小时")]),
        ("两个半月", [("2.5", "月")]),
        ("一个半钟", [("1.5", "钟头")]),
        ("十几台", []),  # rough
        ("十几二十个小时", []),  # a range
        ("一个季度也就卖个十五六万", []),
        ("二十七八台", []),
        ("一百零五台", [("105", "台")]),
        ("损失二十二万一小时", [("220000", "")]),  # the 一 counts the hour
        ("两万一", [("21000", "")]),  # no hour after it: 两万一 is 21 000
        ("两百万 人工加车辆", [("2000000", "")]),  # 人 of 人工 is no measure word
    ],
)
def test_numbers_as_spoken(text: str, want: list[tuple[str, str]]) -> None:
    assert [(str(n.value), n.unit) for n in find_numbers(text)] == want
