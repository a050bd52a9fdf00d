"""Customer facts in the long first message of a visit report (labelled batches P19/P20 kinds):
a registered name with the visit before it, a short name after the trade, titles by surname,
a contact said not to be the one, figures whose words sit in the clause before."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.nlu import _number_slots
from assistant.dialogue.numbers import find_numbers
from assistant.dialogue.types import CustomerProfile
from assistant.retrieval.tokenizer import normalize

EMPTY = CustomerProfile()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("太原这边，今天去了晋药华康股份有限公司，做原料药的", "晋药华康股份有限公司"),
        ("南宁这边，刚跟广西铝峰集团有限公司开完会，总部在南宁", "广西铝峰集团有限公司"),
        ("客户是西域天成煤化有限责任公司，做煤制烯烃的", "西域天成煤化有限责任公司"),
        ("今天见的是齐钢集团历城特钢有限公司，钢铁厂", "齐钢集团历城特钢有限公司"),  # the company under the group
        ("昆明这边，今天去了安宁市的滇磷化工集团有限公司，做磷化工的", "滇磷化工集团有限公司"),
        ("帮我把客户名改成宁波永佳模具有限公司", "宁波永佳模具有限公司"),
        ("泉州做运动鞋的 鸿盛", "鸿盛"),  # a short name set off after the trade
        ("做小水泵的 七十来人", None),  # a head count, not a name
        ("澜图智联有限公司的返利怎么算", None),  # our own company
    ],
)
def test_names_in_a_visit_report(shipped_engine: DialogueEngine, text: str, name: str | None) -> None:
    assert shipped_engine.nlu.understand(text, profile=EMPTY).slots.get("customer_name") == name


@pytest.mark.parametrize(
    ("text", "persona"),
    [
        ("张工想把关键回路换冗余", "tech_decision_maker"),  # an engineer by surname
        ("尹总监说他们停一个小时损失一万二", "tech_decision_maker"),  # a director, not the boss 尹总
        ("对了 谢主任不是车间主任 他是设备科的科长", "tech_decision_maker"),
        ("王总想看回本", "roi_manager"),
    ],
)
def test_titles_by_surname(shipped_engine: DialogueEngine, text: str, persona: str) -> None:
    assert shipped_engine.nlu.understand(text, profile=EMPTY).slots.get("persona") == persona


def test_a_homophone_of_explosion_proof_names_the_tablet(shipped_engine: DialogueEngine) -> None:
    slots = shipped_engine.nlu.understand("想让巡检的人拿我们的防暴平板进罐区", profile=EMPTY).slots
    assert slots.get("product_model") == "AR-T10-EX"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "外请工程师的差旅费，一个月平均四万，岸桥停一个小时影响船期，损失大概六万",
            {"labour_cost_per_month": "40000", "downtime_cost_per_hour": "60000"},
        ),
        ("停一个小时少产的黄磷加上恢复开车，损失大概八万", {"downtime_cost_per_hour": "80000"}),
        ("基线我自己算出来210万 对不对", {}),  # the caller's own sum to check, no sale
    ],
)
def test_figures_named_in_the_clause_before(text: str, want: dict[str, str]) -> None:
    norm = normalize(text)
    got = _number_slots(norm, find_numbers(norm))
    assert {k: Decimal(str(v)) for k, v in got.items()} == {k: Decimal(v) for k, v in want.items()}


def test_a_fee_names_no_trade(shipped_engine: DialogueEngine) -> None:
    # "快递" is a trade in "客户是做快递的", a fee in "来回快递费各算谁头上"
    assert shipped_engine.nlu.understand("来回快递费各算谁头上", profile=EMPTY).slots.get("industry") is None
    assert shipped_engine.nlu.understand("客户是做快递的", profile=EMPTY).slots.get("industry") == "物流仓储"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("生产科管这块 32个站 一站一台", 32),
        ("40个屋顶电站 每个配电房放一台", 40),
        ("8个试压台 一台装一个", 8),
    ],
)
def test_one_device_at_each_site_counted(text: str, count: int) -> None:
    norm = normalize(text)
    assert _number_slots(norm, find_numbers(norm)).get("device_count") == count


def test_an_order_sum_named_beside_a_policy_question(shipped_engine: DialogueEngine) -> None:
    text = "这个项目金额估计三百二十万，是项目档的，特价怎么申请"
    assert shipped_engine.nlu.understand(text, profile=EMPTY).slots.get("amount") == Decimal(3_200_000)


def test_a_rename_then_the_old_name_said_not_to_be_it(shipped_engine: DialogueEngine) -> None:
    # (the name read, whatever intent the tests' NLU gives so short a message)
    text = "改下 顺达 不是顺安"
    assert shipped_engine.nlu._find_customer_name(normalize(text), text) == "顺达"
