from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.errors import EmptyUtteranceError
from assistant.dialogue.nlu import Nlu
from assistant.dialogue.types import CustomerProfile

EMPTY = CustomerProfile()


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", "greeting"),
        ("在吗", "greeting"),
        ("EG-2100的功耗是多少", "product_params"),
        ("2100多少钱一台", "product_params"),
        ("有没有汽配行业的成功案例", "case_request"),
        ("厂长嫌贵 我该怎么回他", "script_request"),
        ("q3返利能拿多少", "rebate_query"),
        ("转人工", "handoff_request"),
        ("客户是苏州的汽配厂 中型的", "profile_update"),
        ("网关串口采集不到数据怎么回事", "knowledge_qa"),
        ("今天天气怎么样", "out_of_scope"),
    ],
)
def test_intents(nlu: Nlu, text: str, intent: str) -> None:
    u = nlu.understand(text, profile=EMPTY)
    assert u.intent == intent
    assert 0 < u.confidence <= 1


def test_product_abbreviations(nlu: Nlu) -> None:
    for text in ("eg2100的功耗", "EG 2100 功耗多少", "2100的功耗", "eg-2100功耗"):
        assert nlu.understand(text, profile=EMPTY).slots.get("product_model") == "EG-2100", text
    assert nlu.understand("vb500电池能用几年", profile=EMPTY).slots.get("product_model") == "SN-VB500-Pro"


def test_profile_slots_in_canonical_form(nlu: Nlu) -> None:
    u = nlu.understand("客户是苏州的汽配厂，中型的，对接人是厂长", profile=EMPTY)
    assert u.intent == "profile_update"
    assert u.slots.values == {
        "industry": "汽车制造",
        "region": "华东",
        "scale": "medium",
        "persona": "roi_manager",
    }


def test_roi_numbers_go_to_their_slots(nlu: Nlu) -> None:
    u = nlu.understand("每月停机10小时，停机一小时损失2万，人工一个月8万块，这单大概30w", profile=EMPTY)
    assert u.slots.values == {
        "downtime_hours_per_month": Decimal(10),
        "downtime_cost_per_hour": Decimal(20_000),
        "labour_cost_per_month": Decimal(80_000),
        "amount": Decimal(300_000),
    }


def test_rebate_what_if_amount_and_quarter(nlu: Nlu) -> None:
    u = nlu.understand("四季度要是能冲到350万 返点多少钱", profile=EMPTY)
    assert u.intent == "rebate_query"
    assert u.slots.values == {"quarter": "2026Q4", "amount": Decimal(3_500_000)}


def test_correction_keeps_the_new_value(nlu: Nlu) -> None:
    u = nlu.understand("其实是大型企业 不是中型", profile=CustomerProfile(scale="medium"))
    assert u.slots.values == {"scale": "large"}
    u = nlu.understand("不对 是华南不是华东", profile=CustomerProfile(region="华东"))
    assert u.slots.get("region") == "华南"


def test_device_count_and_customer_name(nlu: Nlu) -> None:
    u = nlu.understand("他们厂里有200台设备", profile=EMPTY)
    assert u.slots.get("device_count") == 200
    u = nlu.understand("客户叫恒达精密", profile=EMPTY)
    assert u.slots.get("customer_name") == "恒达精密"


def test_a_restated_slot_is_reported_again(nlu: Nlu) -> None:
    # eval/data/README.md: "only what this text states, every time it states it".
    u = nlu.understand("有没有汽配厂的案例", profile=CustomerProfile(industry="汽车制造"))
    assert u.intent == "case_request"
    assert u.slots.values == {"industry": "汽车制造"}


def test_off_topic_has_no_slots(nlu: Nlu) -> None:
    u = nlu.understand("明天北京飞上海的机票还有吗", profile=EMPTY)
    assert u.intent == "out_of_scope"
    assert u.slots.values == {}


def test_deterministic(nlu: Nlu) -> None:
    # Speed is a benchmark figure (python -m eval load), never a timed unit test.
    text = "eg2100功耗多少 客户是苏州的汽配厂"
    first = nlu.understand(text, profile=EMPTY)
    for _ in range(20):
        assert nlu.understand(text, profile=EMPTY) == first


def test_empty_text_is_an_error(nlu: Nlu) -> None:
    with pytest.raises(EmptyUtteranceError):
        nlu.understand("   ", profile=EMPTY)


def test_the_pro_typed_short(shipped_engine: DialogueEngine) -> None:
    """ "2100p", "4500p": the Pro of the shipped catalogue; the full spelling still matches."""
    for text, pid in (
        ("2100p工作温度多少", "EG-2100-Pro"),
        ("4500p能跑docker吗", "EG-4500-Pro"),
        ("2100pro温度", "EG-2100-Pro"),
    ):
        assert shipped_engine.nlu.understand(text, profile=EMPTY).slots.get("product_model") == pid, text
