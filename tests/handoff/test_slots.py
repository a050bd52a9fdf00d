"""Reading what the expert needs from the requester's words."""

from __future__ import annotations

import pytest

from assistant.content.loader import Corpus
from assistant.handoff.setup import slot_extractor
from assistant.handoff.slots import SlotExtractor, is_cancel, is_dont_know, missing_slots, urgency_of
from assistant.handoff.types import SlotValues


@pytest.fixture
def extractor(fixture_corpus: Corpus) -> SlotExtractor:
    return slot_extractor(fixture_corpus)


def test_request_text_gives_model_line_and_symptom_without_handoff_words(extractor: SlotExtractor) -> None:
    s = extractor.extract("EG-2100 现场装不上，找专家")
    assert (s.product_model, s.product_line) == ("EG-2100", "EG")
    assert s.symptom == "现场装不上" and "专家" not in s.symptom


def test_longest_model_id_wins_and_case_is_canonical(extractor: SlotExtractor) -> None:
    assert extractor.extract("sn-vb500-pro 没数据").product_model == "SN-VB500-Pro"


def test_model_ids_typed_without_hyphens_or_with_spaces(extractor: SlotExtractor) -> None:
    # "eg2100坏了 能派人来吗": the NLU reads EG-2100; so must the handoff, or it asks for the model
    s = extractor.extract("eg2100坏了 现场装不上")
    assert (s.product_model, s.product_line) == ("EG-2100", "EG")
    assert "2100" not in s.symptom and "装不上" in s.symptom
    assert extractor.extract("SN VB500 pro 没数据").product_model == "SN-VB500-Pro"
    assert extractor.extract("eg21000 坏了").product_model == ""  # another number is no id


def test_an_error_code_is_a_symptom(extractor: SlotExtractor) -> None:
    # said the turn before "能连个专家不": the expert need not ask what happens
    assert extractor.extract("gs700屏上出个E-03 电流输出才2mA").symptom.startswith("gs700屏上出个E-03")
    assert extractor.extract("老提示连接被拒绝").symptom == "老提示连接被拒绝"
    assert extractor.extract("型号是EG-2100").symptom == ""


def test_serial_and_firmware(extractor: SlotExtractor) -> None:
    s = extractor.extract("序列号 LT21A00123，固件 v3.2.1")
    assert s.serial == "LT21A00123" and s.firmware == "v3.2.1"
    assert extractor.extract("固件版本 3.1.0").firmware == "v3.1.0"
    # When asked, a bare token is the serial; a product id or a version is not.
    assert extractor.extract("LT21B99", asking="serial_firmware").serial == "LT21B99"
    assert extractor.extract("EG-2100 v3.2.1", asking="serial_firmware").serial == ""
    assert extractor.extract("不知道", asking="serial_firmware") == SlotValues()


def test_free_text_fills_the_slot_asked_for(extractor: SlotExtractor) -> None:
    assert extractor.extract("宁波吉利汽车工厂", asking="site").site == "宁波吉利汽车工厂"
    assert extractor.extract("指示灯全灭", asking="symptom").symptom == "指示灯全灭"
    assert extractor.extract("XQ-880", asking="product_model").product_model == "XQ-880"
    assert extractor.extract("网关，型号不确定", asking="product_model").product_line == "EG"
    assert extractor.extract("随便", asking="urgency").urgency == "normal"


def test_site_from_a_sentence(extractor: SlotExtractor) -> None:
    assert extractor.extract("在苏州博世的现场连不上平台").site == "苏州博世"


@pytest.mark.parametrize(
    ("said", "level"),
    [("紧急，停线了", "high"), ("不急", "low"), ("不紧急，下周都行", "low"), ("一般", "normal"), ("好的", "")],
)
def test_urgency(said: str, level: str) -> None:
    assert urgency_of(said) == level


def test_context_fills_from_history_and_profile(extractor: SlotExtractor) -> None:
    s = extractor.from_context(
        text="找专家",
        history=["EG-2100 串口读不到数据", "序列号 LT21A00777"],
        profile={"customer_name": "宁波吉利", "region": "华东"},
    )
    assert s.product_model == "EG-2100" and s.serial == "LT21A00777"
    assert s.symptom == "串口读不到数据" and s.site == "宁波吉利 / 华东"


def test_missing_slots_in_order_and_optional_ones_asked_once() -> None:
    empty = SlotValues()
    assert missing_slots(empty, ()) == ("product_model", "symptom", "site", "serial_firmware", "urgency")
    assert missing_slots(empty, ("product_model", "serial_firmware")) == ("symptom", "site", "urgency")
    full = SlotValues(product_model="EG-2100", symptom="x", site="y", firmware="v1.0", urgency="high")
    assert missing_slots(full, ()) == ()


def test_cancel_and_dont_know_words() -> None:
    assert is_cancel("取消") and is_cancel("算了。") and not is_cancel("取消订单流程是怎样的，怎么操作")
    assert is_dont_know("不知道") and not is_dont_know("我不知道为什么串口读不到数据，已经换过线了")


@pytest.mark.parametrize(
    ("said", "asks"),
    [
        ("寄过去以后大概多长时间能修好", True),
        ("那来回邮寄的钱是我们掏还是澜图掏", True),  # a choice asked, no question word
        ("要是最后判定硬件坏了 接下来咋走", True),  # a fault supposed, not told
        ("为啥还是读不到数据呢", False),  # a fault told in a question: an answer all the same
        ("设备是2100还是3200我不确定", False),  # models in doubt answer the model asked
        ("宁波北仑 华美塑料", False),
    ],
)
def test_a_question_of_its_own_while_details_are_collected(extractor: SlotExtractor, said: str, asks: bool) -> None:
    assert extractor.asks_instead(said) is asks
