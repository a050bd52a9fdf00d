"""Slot conventions of eval/data/README.md, on fixed utterances (fixture corpus: EG-2100,
SN-VB500-Pro; lines EG SN EC MP AR ...)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.dialogue.nlu import Nlu
from assistant.dialogue.numbers import find_numbers
from assistant.dialogue.types import CustomerProfile

EMPTY = CustomerProfile()


def slots(nlu: Nlu, text: str, profile: CustomerProfile = EMPTY) -> dict[str, object]:
    return dict(nlu.understand(text, profile=profile).slots.values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the first-named product...
        ("vb500装好了 2100上看不到数据", {"product_model": "SN-VB500-Pro"}),
        # ...unless it is one of alternatives: then the line, when they share one
        ("2100跟网关哪个好", {"product_line": "EG"}),
        ("2100还是vb500 客户该上哪个", {}),
        # a line word describing the named product adds nothing
        ("2100网关的功耗多少", {"product_model": "EG-2100"}),
        # a line only without a product, "平台上" counts, several lines name none
        ("网关固件怎么升级", {"product_line": "EG"}),
        ("平台上显示离线怎么回事", {"product_line": "MP"}),
        ("网关cld灯常亮 平台上显示离线", {}),
        # someone else's product or line is not ours; a competitor with one line names it
        ("客户现场有别家的网关 能接到云眸上不", {"product_line": "MP"}),
        ("视界通的眼镜比我们便宜吗", {"product_line": "AR"}),
    ],
)
def test_product_model_and_line_rules(nlu: Nlu, text: str, expected: dict[str, object]) -> None:
    got = {k: v for k, v in slots(nlu, text).items() if k in ("product_model", "product_line")}
    assert got == expected


def test_no_slots_on_greeting_and_out_of_scope(nlu: Nlu) -> None:
    u = nlu.understand("明天去苏州的高铁票还有吗", profile=EMPTY)
    assert u.intent == "out_of_scope"
    assert u.slots.values == {}


def test_a_quoted_role_in_a_question_is_not_the_persona(nlu: Nlu) -> None:
    assert "persona" not in slots(nlu, "操作工说实际停机多得多 网关数据是不是少采了")
    assert slots(nlu, "对接的是设备部长")["persona"] == "tech_decision_maker"


def test_concern_words_are_not_a_persona(nlu: Nlu) -> None:
    # "回本" says what someone cares about, not who they are.
    assert "persona" not in slots(nlu, "有没有汽配中型厂回本快的案例")


def test_rough_ranges_are_not_figures() -> None:
    assert find_numbers("厂里装了四五十台网关") == []
    assert [n.value for n in find_numbers("五十五台")] == [Decimal(55)]


def test_device_count_in_a_question_only_for_the_customers_fleet(nlu: Nlu) -> None:
    assert slots(nlu, "客户有600台 网关怎么批量配置").get("device_count") == 600
    assert "device_count" not in slots(nlu, "锐拓说免费接100台 我们网关怎么配")


def test_device_count_after_a_measuring_point_word(nlu: Nlu) -> None:
    assert slots(nlu, "客户是化工厂 测点120个")["device_count"] == 120


def test_a_region_plus_industry_word_is_not_a_customer_name(nlu: Nlu) -> None:
    got = slots(nlu, "宁夏煤化工 中等规模")
    assert "customer_name" not in got
    assert got["region"] == "西北"
    assert slots(nlu, "客户叫恒达精密")["customer_name"] == "恒达精密"
    assert "customer_name" not in slots(nlu, "这个你搞不定就叫个人来")


def test_unanchored_question_is_out_of_scope(nlu: Nlu) -> None:
    # No product, line, competitor, customer fact, domain word or task cue.
    assert nlu.understand("周末带孩子去哪儿放风筝好", profile=EMPTY).intent == "out_of_scope"
    # The same kind of wording with a product of ours is a question for us.
    assert nlu.understand("2100装在户外淋雨会坏吗", profile=EMPTY).intent != "out_of_scope"
