"""Answers that match the question (issue 12): composed from the asked product's own facts,
honest about what no document says, follow-ups that change one thing of the last task, ROI
asked directly, comparisons from the competitor blocks, handoff before answering a fault."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from assistant.content.loader import Corpus
from assistant.content.schema import Product
from assistant.dialogue import followup
from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.lexicon import line_of_need
from assistant.dialogue.nlu import Analysis, Nlu
from assistant.dialogue.roi_task import parse_roi
from assistant.dialogue.skills import SkillResult
from assistant.dialogue.state import DialogueState
from assistant.dialogue.types import Caller, CaseCard, CustomerProfile, RebateCard, Reply, ScriptCard
from assistant.retrieval.retriever import Hit

CALLER = Caller(user_id="u-1", partner_id="P-HZ-01")


def ask(engine: DialogueEngine, *texts: str) -> list[Reply]:
    """A conversation: each turn gets the profile and state the previous reply left."""
    profile, state, history = CustomerProfile(), DialogueState(), []
    replies = []
    for text in texts:
        reply = engine.handle(text=text, profile=profile, caller=CALLER, history=tuple(history), state=state)
        profile, state = reply.profile, reply.state or state
        history.append(text)
        replies.append(reply)
    return replies


def row(engine: DialogueEngine, pid: str, name: str) -> str:
    p = engine.corpus.product(pid)
    assert isinstance(p, Product)
    return next(r.display() for r in p.params if r.name == name)


def cited(reply: Reply) -> list[str]:
    return [c.doc_id for c in reply.citations]


def test_value_in_everyday_words_comes_from_that_products_row(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "EG-2100 的供电电压范围")
    assert row(shipped_engine, "EG-2100", "工作电压") in reply.text
    assert cited(reply) == ["EG-2100#params"]
    assert "根据资料" not in reply.text and "标签" not in reply.text


def test_each_question_of_a_message_is_answered(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "vb500pro电池能用多久？传输多远？质保几年")
    p = shipped_engine.corpus.product("SN-VB500-Pro")
    assert p is not None
    for name in ("电池寿命", "通信距离"):
        assert row(shipped_engine, "SN-VB500-Pro", name) in reply.text
    assert f"{p.warranty_months} 个月" in reply.text
    # (the warranty with its line's policy in the FAQ)
    assert set(cited(reply)) == {"SN-VB500-Pro#params", "SN-VB500-Pro#overview", "FAQ-WAR-002"}


def test_what_no_document_holds_is_said_with_the_expert_offered(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "eg2100 MTBF多少小时 标书要填")
    assert "资料里没有" in reply.text and reply.handoff_offered
    # the only MTBF in the corpus is another product's: never quoted for this one
    assert "300000" not in reply.text.replace(",", "") and "CM-SW8#params" not in cited(reply)


def test_capability_yes_and_an_opposite_role(shipped_engine: DialogueEngine) -> None:
    (yes,) = ask(shipped_engine, "eg2100能接modbus吗")
    assert yes.text.startswith("可以") and cited(yes) == ["EG-2100#params"]
    (no,) = ask(shipped_engine, "ec300能做profinet主站吗")
    assert no.text.startswith("不行") and "从站" in no.text


def test_a_quantity_the_product_cannot_take_names_one_that_can(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "客户大概700台设备 云眸标准版能带得动吗")
    assert reply.text.startswith("不够") and "500" in reply.text and "MP-CLD-ENT" in reply.text


def test_a_product_named_by_a_feature(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "8个串口的网关多少钱一台")
    assert "EG-3200" in reply.text and "6,800" in reply.text


def test_competitor_sides_are_never_swapped(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "锐拓的RT-G1跟我们1100比怎么样")
    p = shipped_engine.corpus.product("EG-1100")
    assert p is not None
    block = next(c for c in p.competitors if c.competitor_model == "RT-G1")
    ours, theirs = reply.text.split("对方的长处")
    assert block.our_advantages[0] in ours and block.their_advantages[0] in theirs
    assert cited(reply) == ["EG-1100#competitors"]


def test_roi_from_the_figures_with_the_formula(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "每月停机15个小时 每小时损失2万 停机能减少30% 人工先不算 项目投50万 多久回本")
    # 15 x 12 x 20,000 x 30% = 1,080,000 a year; 500,000 / 90,000 = 5.6 months
    assert "1,080,000" in reply.text and "5.6 个月" in reply.text


def test_roi_asks_for_what_is_missing_then_computes_on_the_follow_up(shipped_engine: DialogueEngine) -> None:
    first, second = ask(shipped_engine, "帮客户算个回本 一年能省64万", "投入30万")
    assert "投资" in first.text and "个月回本" not in first.text
    assert "5.6 个月" in second.text  # 300,000 / (640,000 / 12)


def test_a_case_follow_up_changes_the_scale(shipped_engine: DialogueEngine) -> None:
    _, smaller = ask(shipped_engine, "有没有大型汽配厂的案例", "要小一点的")
    assert smaller.intent == "case_request"
    assert smaller.state is not None and smaller.state.get("scale") == "medium"
    assert smaller.cards[0].scale in ("medium", "small")  # type: ignore[union-attr]


def test_a_script_follow_up_changes_the_contact_and_keeps_the_line(shipped_engine: DialogueEngine) -> None:
    first, second = ask(shipped_engine, "给厂长讲eg2100的开场白", "换成跟他们IT部门谈")
    assert second.intent == "script_request"
    assert second.cards[0].persona == "it_security"  # type: ignore[union-attr]
    assert second.cards[0].product_line == first.cards[0].product_line  # type: ignore[union-attr]


def test_a_need_only_one_line_meets_picks_that_lines_script(shipped_engine: DialogueEngine) -> None:
    # No product or line word: "振动监测" is what the sensor line does; the follow-up keeps it.
    first, second = ask(shipped_engine, "设备部长想搞振动监测 第一次聊 该问他些啥", "换成跟他们采购聊呢")
    assert first.cards[0].product_line == "SN"  # type: ignore[union-attr]
    assert first.cards[0].stage == "discovery"  # type: ignore[union-attr]
    assert second.cards[0].product_line == "SN"  # type: ignore[union-attr]
    assert second.cards[0].persona == "procurement"  # type: ignore[union-attr]
    # Needs of two lines name neither.
    assert line_of_need("想做振动监测和数据看板") is None
    assert line_of_need("车间想搞振动监测") == "SN"


def test_a_rival_raised_while_pitching_gets_the_objection_script_and_figures_fill_it(
    shipped_engine: DialogueEngine,
) -> None:
    opening, objection, figures = ask(
        shipped_engine,
        "下午见个食品厂厂长 想推云眸平台 开场怎么讲",
        "他说订阅费年年交 锐拓的还便宜 咋接",
        "他们每月停机8小时左右 一小时损失1.5万 相关人工每月3万 首年投入12万 把数带进去",
    )
    assert opening.cards[0].stage == "opening"  # type: ignore[union-attr]
    card = objection.cards[0]
    assert isinstance(card, ScriptCard) and card.stage == "objection" and "锐拓" in card.text
    assert "MP-CLD-STD#competitors" in cited(objection)  # the facts follow the script
    # The figures fill the script just shown: 8 x 12 x 15,000 x its reduction + labour x 12 x its rate.
    refilled = figures.cards[0]
    assert isinstance(refilled, ScriptCard) and refilled.script_id == card.script_id
    assert refilled.roi is not None
    reduction = refilled.roi.assumptions["downtime_reduction"]
    labour_rate = refilled.roi.assumptions["labour_saving_rate"]
    assert refilled.roi.annual_saving == round(8 * 12 * 15000 * reduction + 30000 * 12 * labour_rate)
    assert f"{refilled.roi.annual_saving:,}" in figures.text
    # Each missing figure is asked for once, not again as a missing script slot.
    assert objection.text.count("每月停机小时数、每小时停机损失") == 1


def test_compatibility_is_answered_from_the_row_that_lists_products(shipped_engine: DialogueEngine) -> None:
    # EC-MT20's 插补功能 row mentions EC-500-Pro in passing; its 适配控制器 row lists what it fits.
    (reply,) = ask(shipped_engine, "mt20能配ec300吗")
    assert reply.text.startswith("不能") and "适配控制器：EC-500-Pro" in reply.text
    assert "插补" not in reply.text
    # "它" is the product of the last answer: the pair is (EC-MT20, EC-300), not a re-ask of its IO.
    _, follow = ask(shipped_engine, "ec300最多能扩几个io模块", "那运动控制模块mt20能配它吗")
    assert follow.text.startswith("不能") and "EC-300" in follow.text and "适配控制器" in follow.text


def test_a_story_about_waiting_for_engineers_with_a_script_ask_is_a_script(shipped_engine: DialogueEngine) -> None:
    # A fault and engineers in the story, but the ask is words for a first meeting.
    (reply,) = ask(
        shipped_engine, "钢厂设备部的技术负责人说设备坏了老要等厂家工程师出差过来 想了解AR远程协助 第一次见面开场怎么说"
    )
    assert reply.intent == "script_request"
    card = reply.cards[0]
    assert isinstance(card, ScriptCard) and card.product_line == "AR" and card.stage == "opening"


def test_a_comparison_follow_up_naming_another_rival_switches_to_it(shipped_engine: DialogueEngine) -> None:
    _, other = ask(shipped_engine, "锐拓RT-G1才1280还送流量卡 客户拿来压我们eg1100 咋说", "那博远的BY-G100呢 人家带DI")
    assert "BY-G100" in other.text and "RT-G1" not in other.text
    assert "EG-1100#competitors" in cited(other)


def test_a_policy_question_after_a_warranty_answer_reads_the_policy(shipped_engine: DialogueEngine) -> None:
    _, repaired = ask(shipped_engine, "2100保修多久", "维修更换后的呢")
    assert "FAQ-WAR-011" in cited(repaired) and "90" in repaired.text


def test_an_faq_for_a_longer_model_id_is_not_about_the_shorter_one(shipped_engine: DialogueEngine) -> None:
    # FAQ-INS-004 is about EG-2100-Pro's dual power; "两台2100 … 当天发走" is the shipping cut-off.
    (reply,) = ask(shipped_engine, "客户急着要两台二一零零 现货的 我下午下单的话 几点之前确认能当天发走")
    assert "FAQ-INS-004" not in cited(reply)
    assert "FAQ-ORD-015" in cited(reply) and "15:00" in reply.text


@pytest.mark.parametrize(
    ("question", "row"),
    [
        ("gs700 一漏气 探头多久能反应过来", "响应时间"),
        ("oee模块的数据从哪来 客户好多老机床", "数据来源"),
        ("oee模块机器停多久才算一次停机", "最短停机判定时间"),
        ("cu120多久报一次数据", "上报间隔"),
        ("夹在电线上不用停电的那个无线电流传感器 最大能测到多少安", "电流量程"),
    ],
)
def test_rows_asked_in_everyday_words(shipped_engine: DialogueEngine, question: str, row: str) -> None:
    (reply,) = ask(shipped_engine, question)
    assert f"{row}：" in reply.text


def test_an_interface_language_no_table_holds_is_said_missing(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "ar-link有没有英文界面 客户那边有外籍的专家要用")
    assert reply.handoff_offered and "资料里没有" in reply.text
    assert "MP-APP#params" not in cited(reply)


def test_a_feature_that_names_a_fault_word_picks_the_product_that_has_it(shipped_engine: DialogueEngine) -> None:
    # "离线" is also a fault cue; "离线语音控制" is AR-G2-Pro's feature, which AR-G1 lacks.
    (reply,) = ask(shipped_engine, "有个能离线语音控制的AR眼镜 噪音特别大 多少分贝以内还能用语音")
    assert "AR-G2-Pro#params" in cited(reply) and "95" in reply.text
    assert "AR-G1#params" not in cited(reply)


def test_which_edition_is_enough_then_a_what_if(shipped_engine: DialogueEngine) -> None:
    # A choice, not a fact to note; then the same question under another condition.
    first, what_if = ask(
        shipped_engine, "客户一个厂三百来台设备想上云 云眸用哪个版本就够了", "要是他们集团六个厂加一块三千多台呢"
    )
    assert first.intent == "knowledge_qa" and "FAQ-CMP-017" in cited(first) and "标准版" in first.text
    assert what_if.intent == "knowledge_qa" and "FAQ-CMP-017" in cited(what_if) and "企业版" in what_if.text


def test_the_answering_sentence_of_a_one_product_faq_is_not_the_one_naming_the_product(
    shipped_engine: DialogueEngine,
) -> None:
    # FAQ-INS-012 is about SN-LV800 only; its sentence that names the model is not the answer.
    (where,) = ask(shipped_engine, "lv800装罐顶正中间行不")
    assert "FAQ-INS-012" in cited(where) and "正中心" in where.text and "300" in where.text


def test_a_value_about_alarms_is_not_a_fault(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "云眸手机app 设备报警了推送过来大概要延迟几秒")
    assert "MP-APP#params" in cited(reply) and "告警推送延迟" in reply.text


def test_a_display_resolution_no_row_holds_is_not_the_cameras(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "安全帽那款AR 翻下来的那个显示屏 分辨率是多少")
    assert "资料里没有" in reply.text and "摄像头" not in reply.text
    (camera,) = ask(shipped_engine, "g1摄像头分辨率多少")
    assert "AR-G1 摄像头：1080p" in camera.text


def test_a_symptom_beside_richer_passages_finds_the_products_fault_entry(shipped_engine: DialogueEngine) -> None:
    # "性能率显示105%" against the entry "性能率超过 100%": its cause and fix, not the overview.
    (reply,) = ask(shipped_engine, "客户的OEE看板上性能率显示105% 这正常吗 是不是平台算错了")
    assert cited(reply)[:1] == ["MP-OEE#fault-1"] and "节拍" in reply.text


@pytest.mark.parametrize(
    ("question", "starts", "has"),
    [
        ("em600能测谐波不 能到几次", "可以", "谐波测量：2~31 次"),  # a row named by what was asked
        ("2100能不能接485", "可以", "RS485"),  # "485" is the RS485 value
        ("lv800能测多远", "SN-LV800", "测量范围"),  # a range, not a radio's reach
    ],
)
def test_capabilities_and_ranges_in_short_phone_wording(
    shipped_engine: DialogueEngine, question: str, starts: str, has: str
) -> None:
    (reply,) = ask(shipped_engine, question)
    assert reply.text.startswith(starts) and has in reply.text


def test_a_first_person_view_is_not_a_field_of_view(shipped_engine: DialogueEngine) -> None:
    # AR-H5's overview says "第一视角"; it has no 视场角 row.
    (reply,) = ask(shipped_engine, "ar安全帽那款 显示的视场角多大")
    assert "资料里没有 AR-H5 视场角" in reply.text and "AR-H5#overview" not in cited(reply)


def test_what_a_product_learns_is_not_training(shipped_engine: DialogueEngine) -> None:
    # "基线要学几天" is the PDM module's baseline, not a course; both questions are answered.
    (reply,) = ask(shipped_engine, "PDM一个授权包多少测点 基线要学几天")
    assert reply.intent == "product_params" and "100" in reply.text and "14" in reply.text
    assert "微课" not in reply.text  # not the training answer with its list of lessons


def test_a_training_answer_never_quotes_another_topics_faq(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "新人要学哪些课")
    assert cited(reply) and all(c.startswith(("L-", "FAQ-TRN")) for c in cited(reply))


@pytest.mark.parametrize(
    ("question", "product"),
    [
        ("那个8口的工业交换机 供电电压是多少伏", "CM-SW8"),  # the ports counted, not "的工业"
        ("16口能给摄像头供电的那个 供电电压多少", "CM-SW16-PoE"),
        ("NB-IoT那个导轨上的小网关 休眠电流多大", "EG-mini-S"),  # "nbiot" typed without the hyphen
    ],
)
def test_products_described_by_counted_ports_and_latin_words(
    shipped_engine: DialogueEngine, question: str, product: str
) -> None:
    (reply,) = ask(shipped_engine, question)
    assert f"{product}#params" in cited(reply)


def test_a_latin_word_of_a_description_is_matched_whole(shipped_engine: DialogueEngine) -> None:
    # "di" is not the "di" of "DIN 导轨", and "4路di" is not "4 dBi": no gateway has 4 DI.
    (reply,) = ask(shipped_engine, "4路DI的网关")
    assert "符合的型号" not in reply.text


def test_how_two_of_our_products_differ_comes_from_both_tables(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "2100和2100pro有啥区别")
    assert cited(reply) == ["EG-2100#params", "EG-2100-Pro#params"]
    assert "工作温度 EG-2100 -20~70 ℃、EG-2100-Pro -40~75 ℃" in reply.text
    assert "FAQ-CMP-002" not in cited(reply)  # EG-2100 against EG-3200 is another question
    # An attribute asked of both is answered row by row, not as the whole difference.
    (power,) = ask(shipped_engine, "2100和3200功耗区别")
    assert "EG-2100 功耗：5 W" in power.text and "参数表里不一样" not in power.text


def test_everyday_names_of_invoices(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "客户要专票 怎么开")
    assert "FAQ-ORD-011" in cited(reply) and "增值税专用发票" in reply.text


def test_a_script_follow_up_switching_the_product_line(shipped_engine: DialogueEngine) -> None:
    first, second = ask(shipped_engine, "给厂长讲eg2100的开场白", "换成ar的")
    assert second.intent == "script_request"
    assert second.cards[0].product_line == "AR"  # type: ignore[union-attr]
    assert second.cards[0].persona == first.cards[0].persona  # type: ignore[union-attr]


def test_a_quantity_asked_is_not_answered_with_a_yes(shipped_engine: DialogueEngine) -> None:
    (battery,) = ask(shipped_engine, "ar眼镜能戴多久 电池")
    assert "续航" in battery.text and "支持 电池" not in battery.text
    (serial,) = ask(shipped_engine, "3200能接几个485")  # the 485 of RS485 is not a quantity of 485
    assert "串口数量" in serial.text and "不够" not in serial.text


def test_a_question_word_alone_grounds_no_passage(shipped_engine: DialogueEngine) -> None:
    # "充满要多久": no document gives a charging time; "保修多久" shares only "多久".
    _, charge = ask(shipped_engine, "ar眼镜能戴多久 电池", "充满要多久")
    assert not any(c.startswith("FAQ-WAR") for c in cited(charge))


def test_a_deal_worked_over_turns_keeps_its_product_line(shipped_engine: DialogueEngine) -> None:
    # The need said in the first turn picks the line of the opening; an objection after it
    # stays in that line.
    _, _, opening, objection = ask(
        shipped_engine,
        "苏州一个汽配厂 中型的 设备科长想做设备联网",
        "有类似案例吗",
        "给科长来段开场",
        "他说预算不够 咋回",
    )
    assert opening.cards[0].product_line == "EG" and opening.cards[0].stage == "opening"  # type: ignore[union-attr]
    assert objection.cards[0].product_line == "EG" and objection.cards[0].stage == "objection"  # type: ignore[union-attr]


def test_the_pro_of_the_product_just_discussed(shipped_engine: DialogueEngine) -> None:
    _, pro = ask(shipped_engine, "eg2100防护等级多少", "那pro呢")
    assert cited(pro) == ["EG-2100-Pro#params"] and "IP40" in pro.text


def test_short_follow_ups_stay_on_the_case_or_product_just_discussed(shipped_engine: DialogueEngine) -> None:
    cases, _, results = ask(shipped_engine, "有没有药厂的案例", "用的什么产品", "效果怎么样")
    first = cases.cards[0].case_id  # type: ignore[union-attr]
    assert cited(results) == [first] and "成效" in results.text  # the results of that case, not a new list
    _, walls = ask(shipped_engine, "lr1基站能覆盖多远", "穿墙呢")
    assert walls.intent == "product_params" and walls.handoff_offered  # about CM-LR1, not a greeting


def test_more_about_a_fault_being_worked_on_is_not_a_new_product_question(shipped_engine: DialogueEngine) -> None:
    fault = DialogueState(task="knowledge", params={"query": "网关装好了 平台上一直显示离线"})
    plan = shipped_engine.understand(
        text="4g信号是满格的", profile=CustomerProfile(), caller=CALLER, history=(), state=fault
    )
    assert plan.task == "knowledge" and plan.changes == {"query": "网关装好了 平台上一直显示离线"}
    # Not a fault: a value asked after a knowledge answer stays a product question.
    other = DialogueState(task="knowledge", params={"query": "网关怎么接平台"})
    plan = shipped_engine.understand(text="4g信号是满格的", profile=CustomerProfile(), caller=CALLER, state=other)
    assert plan.task != "knowledge"


def test_a_company_named_in_passing_fills_the_script(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "深圳华芯电子的IT 怕眼镜拍的视频传出去 给个开场白")
    assert "华芯电子" in reply.text and "【客户名称】" not in reply.text


def test_a_params_follow_up_about_another_product(shipped_engine: DialogueEngine) -> None:
    _, other = ask(shipped_engine, "2100功耗多少", "那3200呢")
    assert row(shipped_engine, "EG-3200", "功耗") in other.text and cited(other) == ["EG-3200#params"]


class RecordingRebates:
    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def answer(
        self,
        *,
        caller: Caller,
        text: str,
        quarter: str | None,
        amount: Decimal | None,
        new_customer: bool | None = None,
        follows: Mapping[str, str] | None = None,
    ) -> SkillResult:
        self.calls.append({"text": text, "amount": amount, "new_customer": new_customer, "quarter": quarter})
        said = "new" if "新客户" in text else None
        task = {"ask": "what_if" if amount else "statement"}
        if amount is not None:
            task["amount"] = str(amount)
        if said:
            task["new_customer"] = "True"
        return SkillResult(text="ok", task=task)


def test_a_what_if_follow_up_keeps_the_amount(shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    rebates = RecordingRebates()
    monkeypatch.setattr(shipped_engine, "rebates", rebates)
    _, second = ask(shipped_engine, "再卖30万能拿多少", "那如果都是新客户呢")
    assert second.intent == "rebate_query"
    assert rebates.calls[1]["amount"] == Decimal("300000")


class RecordingHandoff:
    def __init__(self) -> None:
        self.requests: list[str] = []

    def request(self, *, caller: Caller, text: str, profile: CustomerProfile, history: Sequence[str]) -> SkillResult:
        self.requests.append(text)
        return SkillResult(text="已为你转接", handoff_offered=True)


def test_a_person_asked_with_a_fault_is_a_handoff(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    handoff = RecordingHandoff()
    monkeypatch.setattr(shipped_engine, "handoff", handoff)
    (reply,) = ask(shipped_engine, "eg2100现场装不上 读数一直是0 帮我找个懂的人远程看看")
    assert reply.intent == "handoff_request" and handoff.requests


def test_asking_about_experts_with_no_problem_only_offers(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    handoff = RecordingHandoff()
    monkeypatch.setattr(shipped_engine, "handoff", handoff)
    (reply,) = ask(shipped_engine, "有没有懂传感器的专家 以后选型想请教下")
    assert reply.handoff_offered and not handoff.requests


def test_training_questions(shipped_engine: DialogueEngine) -> None:
    (model,) = ask(shipped_engine, "721培训模式是啥意思")
    assert "70%" in model.text and "20%" in model.text and "10%" in model.text
    (lessons,) = ask(shipped_engine, "有没有讲vb500pro跟lr1配对的实操课")
    assert "L-006" in lessons.text and "L-006" in cited(lessons)


def test_a_product_called_by_its_kind_is_that_product(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "防爆那个平板 电池几多毫安")
    assert row(shipped_engine, "AR-T10-EX", "电池容量") in reply.text
    assert cited(reply) == ["AR-T10-EX#params"]


def test_a_value_of_no_product_in_sight_is_asked_back_not_taken_from_some_table(
    shipped_engine: DialogueEngine,
) -> None:
    (reply,) = ask(shipped_engine, "电池多少毫安")
    assert cited(reply) == [] and not reply.grounded
    assert "mAh" not in reply.text
    # The examples offered are products whose table has a battery row.
    offered = [p for p in shipped_engine.corpus.products if p.id in reply.text]
    assert offered and all(any("电池" in r.name for r in p.params) for p in offered)


def test_the_line_of_the_product_in_talk_names_that_product(shipped_engine: DialogueEngine) -> None:
    _, reply = ask(shipped_engine, "gs700多久要标定一次", "那传感器能用几年")
    assert row(shipped_engine, "SN-GS700", "传感器寿命") in reply.text
    assert cited(reply) == ["SN-GS700#params"]


def test_their_price_after_a_comparison_is_the_competitors(shipped_engine: DialogueEngine) -> None:
    _, reply = ask(shipped_engine, "eg2100跟博远比有啥优势", "他们那个卖多少钱")
    p = shipped_engine.corpus.product("EG-2100")
    assert p is not None
    note = next(c.price_note for c in p.competitors if c.competitor.startswith("博远"))
    assert note in reply.text
    assert "优势" not in reply.text  # the price, not the whole comparison again
    assert cited(reply) == ["EG-2100#competitors"]


def test_a_symptom_in_other_words_finds_the_products_fault_entry(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "食品厂冷库那支th100湿度一直显示99% 不会动")
    assert cited(reply) == ["SN-TH100#fault-2"]
    assert "冷凝" in reply.text


def test_a_smaller_plant_after_cases_shows_small_cases_first(shipped_engine: DialogueEngine) -> None:
    first, smaller = ask(
        shipped_engine, "深圳有间大电子厂 smt线好多 数据不可以出厂 有无类似案例", "有无小厂的 也是电子厂"
    )
    assert first.cards and smaller.cards
    assert smaller.cards[0].scale == "small"  # type: ignore[union-attr]
    assert cited(first)[0] not in cited(smaller)


def test_how_to_reach_experts_later_is_a_question_not_a_handoff(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "你们那有专家吗 以后现场有事咋找")
    assert reply.intent == "knowledge_qa"
    assert any(c.startswith("FAQ-RA-") for c in cited(reply))


def test_a_company_named_before_its_trade_fills_the_script(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "株洲恒力机电 做轨交配件的 技术负责人 控制器改造第一次见面 开场白给一个")
    assert reply.intent == "script_request"
    assert reply.profile.customer_name == "株洲恒力机电"
    assert "株洲恒力机电" in reply.text and "【客户名称】" not in reply.text


def test_asking_outright_for_a_peer_case_after_a_description_is_a_case_request(
    shipped_engine: DialogueEngine,
) -> None:
    (reply,) = ask(shipped_engine, "武汉这边一个快递分拨中心 分拣线老是停 想做预测性维护 有同行做过的没")
    assert reply.intent == "case_request" and reply.cards
    assert all(c.startswith("C-") for c in cited(reply))


def test_a_rule_is_not_cut_in_the_middle(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "增量激励是啥 怎么算")
    assert "新客户" in reply.text  # the condition between the definition and the formula
    assert cited(reply)[0] == "FAQ-REB-007"


def test_an_faq_written_about_the_product_answers_with_less_overlap(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "3200 5g版交器多久 客户月底就要")
    assert cited(reply) == ["FAQ-ORD-002"]
    assert "15~20 个工作日" in reply.text


def test_a_competitor_comparison_takes_only_the_product_described(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "锐拓无线振动传感器跟我们的比 便宜在哪 咋说")
    # (the script for that objection may come with it: "咋说" asks how to put it)
    assert [c for c in cited(reply) if c.endswith("#competitors")] == ["SN-VB500-Pro#competitors"]


def test_an_option_named_by_a_figure_follows_the_last_row(shipped_engine: DialogueEngine) -> None:
    first, option = ask(shipped_engine, "cu120那个互感器开口多大", "600a那档的呢")
    p = shipped_engine.corpus.product("SN-CU120")
    assert isinstance(p, Product)
    opening = next(r for r in p.params if r.name == "互感器开口尺寸")
    assert opening.note and "600 A" in opening.note  # the option asked about is in the row's note
    for reply in (first, option):
        assert opening.display() in reply.text and opening.note in reply.text
    assert cited(option) == ["SN-CU120#params"]


def test_a_product_certification_is_not_answered_by_a_training_certificate(
    shipped_engine: DialogueEngine,
) -> None:
    (reply,) = ask(shipped_engine, "SN-TH100 有没有CE认证 客户设备要出口欧洲")
    assert "资料里没有" in reply.text and reply.handoff_offered
    assert not any(c.startswith("FAQ-TRN") for c in cited(reply))
    assert "LCE" not in reply.text and "证书" not in reply.text


def test_a_count_of_measuring_points_or_seats_fills_the_script(shipped_engine: DialogueEngine) -> None:
    first, fixed = ask(
        shipped_engine, "给宁波顺联物流的采购写个AR的异议处理 他们嫌席位贵 10个席位", "说错了 是20个席位"
    )
    assert first.profile.device_count == 10 and "10 个席位" in first.text
    assert fixed.profile.device_count == 20 and "20 个席位" in fixed.text and "10 个席位" not in fixed.text
    (points,) = ask(shipped_engine, "给操作工讲vb500的话术 客户是唐山丰润钢铁 第一批先装30个测点")
    assert points.profile.device_count == 30 and "【设备数量】" not in points.text


def test_another_script_after_a_script_stays_a_script(shipped_engine: DialogueEngine) -> None:
    _, other = ask(
        shipped_engine,
        "给操作工讲vb500的话术 他们怕测点多了维护不过来 客户是唐山丰润钢铁",
        "再来一段给设备部长的 他说锐拓参数差不多还便宜",
    )
    assert other.intent == "script_request"
    card = next(c for c in other.cards if isinstance(c, ScriptCard))
    script = shipped_engine.corpus.script(card.script_id)
    assert script is not None and script.stage.value == "objection" and script.product_line == "SN"
    assert "锐拓" in script.template and "唐山丰润钢铁" in other.text


def test_a_new_contact_for_the_script_keeps_its_product_line(shipped_engine: DialogueEngine) -> None:
    _, other = ask(
        shipped_engine,
        "客户采购嫌我们网关贵 要打折还催交期 怎么回 客户叫常州恒力机械 这次40台",
        "换成给他们老板讲 老板只看回本",
    )
    card = next(c for c in other.cards if isinstance(c, ScriptCard))
    assert card.product_line == "EG" and card.persona == "roi_manager"
    assert "常州恒力机械" in other.text


def test_the_name_said_not_to_be_it_is_not_the_customers(shipped_engine: DialogueEngine) -> None:
    _, fixed = ask(
        shipped_engine,
        "帮我写个给采购的开场 网关的 客户是永泰化工 杭州这边",
        "客户名搞错了 是永泰新材 不是永泰化工",
    )
    assert fixed.profile.customer_name == "永泰新材"
    assert "永泰新材" in fixed.text and "不是永泰化工" not in fixed.text


def test_the_person_of_a_department_is_the_contact(shipped_engine: DialogueEngine) -> None:
    _, other = ask(shipped_engine, "青岛澳海冷链的厂长 开场咋说 推振动传感器的", "换成给他们设备科的师傅讲")
    assert other.profile.persona == "operator"


def test_their_strengths_after_a_comparison_stay_with_the_comparison(shipped_engine: DialogueEngine) -> None:
    _, theirs = ask(
        shipped_engine, "客户拿博远BY-G200跟我们2100比 说人家便宜 咋回", "那他们有啥比我们强的 我心里有个数"
    )
    assert theirs.intent == "knowledge_qa" and not any(isinstance(c, RebateCard) for c in theirs.cards)
    assert cited(theirs) == ["EG-2100#competitors"]
    assert "对方的长处" in theirs.text


def test_a_rule_asked_with_an_example_is_the_rules_worked_example(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "超额累进是啥 举个例子")
    assert reply.intent == "knowledge_qa" and not any(isinstance(c, CaseCard) for c in reply.cards)
    faq = next(f for f in shipped_engine.corpus.faqs if f.id == "FAQ-REB-003")
    assert "超额累进" in faq.question and "44,000" in faq.answer
    assert cited(reply)[0] == "FAQ-REB-003" and "44,000" in reply.text


def test_a_capacity_in_everyday_words_of_a_product_described_by_a_feature(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "8个串口的那款网关能采多少个点")
    for pid in ("EG-3200", "EG-3200-5G"):
        assert f"{pid} 最大采集点数：{row(shipped_engine, pid, '最大采集点数')}" in reply.text


def test_a_share_saved_after_a_figure_is_that_figures_share() -> None:
    figures = parse_roi("帮我算个账 每月停机15小时 一小时损失12000 停机减少按25% 点检人工每月4万 能省15% 报价28万")
    assert (figures.reduction, figures.labour_rate, figures.labour) == (
        Decimal("0.25"),
        Decimal("0.15"),
        Decimal(40000),
    )
    travel = parse_roi("工程师差旅每月2万 投入8万")
    assert travel.labour == Decimal(20000) and travel.investment == Decimal(80000)
    stated = parse_roi("差旅加停机一年能省36万 眼镜加席位一共226000 回本几个月")
    assert stated.saving == Decimal(360000) and stated.labour is None


@pytest.mark.parametrize(
    ("text", "investment", "saving", "labour", "cost_per_hour"),
    [
        # typed without a pause: each figure reads its own words, not the figure's before it
        ("总共投36万客户说一年能省90万多久回本", 360000, 900000, None, None),
        ("人工先不算项目投50万多久回本", 500000, None, None, None),
        ("每月停8个钟一小时损失1.5万停机能降25%人工3万一个月省20%我们报价25万", 250000, None, 30000, 15000),
        ("抄表巡检人工一个月5万这回项目报价32万", 320000, None, 50000, None),
    ],
)
def test_figures_typed_without_a_pause_are_each_read_from_their_own_words(
    text: str, investment: int, saving: int | None, labour: int | None, cost_per_hour: int | None
) -> None:
    figures = parse_roi(text)
    assert figures.investment == Decimal(investment)
    assert figures.saving == (None if saving is None else Decimal(saving))
    assert figures.labour == (None if labour is None else Decimal(labour))
    assert figures.cost_per_hour == (None if cost_per_hour is None else Decimal(cost_per_hour))


def test_asked_to_do_the_sum_without_figures_asks_for_them(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "客户想上AR远程协助 你帮我算算能省多少钱")
    assert not reply.handoff_offered and "停机" in reply.text and "损失" in reply.text
    assert "个月回本" not in reply.text


def test_beside_a_fault_a_row_named_in_passing_is_not_answered(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "mp平台上告警都触发了 值班的人没收到短信 咋回事")
    assert "MP-CLD-STD#fault-2" in cited(reply)
    assert "告警通道：" not in reply.text and "支持 短信" not in reply.text


def test_how_to_answer_a_competitors_price_is_the_objection_script_then_the_facts(
    shipped_engine: DialogueEngine,
) -> None:
    (reply,) = ask(shipped_engine, "客户技术主管说博远的网关便宜好几百 我咋回 客户叫恒能新能源 做锂电的 要上20台eg2100")
    card = next(c for c in reply.cards if isinstance(c, ScriptCard))
    script = shipped_engine.corpus.script(card.script_id)
    assert script is not None and script.stage.value == "objection" and "博远" in script.title
    assert "恒能新能源" in reply.text and "20 台" in reply.text
    assert cited(reply)[0] == card.script_id and "EG-2100#competitors" in cited(reply)
    # every citation has its own marker, the comparison's shifted after the script's
    marks = sorted({int(n) for n in re.findall(r"\[(\d+)\]", reply.text)})
    assert marks == list(range(1, len(reply.citations) + 1))


def test_a_script_asked_with_the_payback_figures_is_the_script(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(
        shipped_engine,
        "客户老板就关心多久回本 客户叫华瑞纺织 每月停机30小时左右 一小时损失8000 打算上eg3200 给老板的开场怎么说",
    )
    assert reply.intent == "script_request"
    card = next(c for c in reply.cards if isinstance(c, ScriptCard))
    assert card.persona == "roi_manager" and card.product_line == "EG" and "华瑞纺织" in reply.text


def test_whether_an_expert_is_there_at_an_hour_is_a_question_not_a_handoff(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "晚上11点客户现场出问题 这个点还能找到原厂专家吗")
    assert reply.intent == "knowledge_qa" and "FAQ-RA-003" in cited(reply)
    assert "工单" in reply.text
    (now,) = ask(shipped_engine, "网关坏了 现在就找个专家")
    assert now.intent == "handoff_request"


def test_the_poe_budget_is_not_the_switchs_own_consumption(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "带poe的那款交换机 总共能带多少瓦 单口最大多少")
    assert f"PoE 总功率：{row(shipped_engine, 'CM-SW16-PoE', 'PoE 总功率')}" in reply.text
    assert "功耗：" not in reply.text


def test_a_yes_no_question_answered_no_by_a_passage_starts_with_the_verdict(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "pt200压力变送器能直接接2100网关吗")
    assert reply.text.startswith("不能。") and "模拟量" in reply.text
    _, zone = ask(shipped_engine, "t10ex防爆等级是啥", "0区能用不")
    assert zone.text.startswith("不能，")
    (yes,) = ask(shipped_engine, "2100支持modbus吗")
    assert yes.text.startswith("可以，")


def test_the_lexicon_extended_with_row_names_keeps_its_word_lists(shipped_engine: DialogueEngine) -> None:
    lexicon = shipped_engine.attributes
    assert lexicon.negative_cues and lexicon.not_product_kinds and lexicon.fault_cues


def test_a_follow_up_to_another_version_asks_what_it_names_now(shipped_engine: DialogueEngine) -> None:
    first, other = ask(shipped_engine, "客户问eg3200最多能接多少点", "换成5g那款 功耗多少")
    assert f"EG-3200 最大采集点数：{row(shipped_engine, 'EG-3200', '最大采集点数')}" in first.text
    assert f"EG-3200-5G 功耗：{row(shipped_engine, 'EG-3200-5G', '功耗')}" in other.text
    assert "采集点数" not in other.text


def test_points_installed_and_a_trade_suffix_fill_the_script(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(
        shipped_engine, "常州恒润轴承车间老师傅说传感器装多了维护不过来 不想要 无线振动那款 先装30个点 咋说服"
    )
    assert reply.profile.customer_name == "常州恒润轴承" and reply.profile.device_count == 30
    (capacity,) = ask(shipped_engine, "eg3200能采多少个点")
    assert capacity.profile.device_count is None  # a capacity asked, not points installed


def test_a_payback_on_travel_alone_with_its_share_in_words(shipped_engine: DialogueEngine) -> None:
    figures = parse_roi("ar远程协助项目 工程师差旅每月4万 上了能省一半 停机那块先不算 投入27万 几个月回本")
    assert figures.labour == Decimal(40000) and figures.labour_rate == Decimal("0.5")
    assert figures.downtime_excluded and figures.reduction is None
    assert parse_roi("每小时损失2万 能省三成 每月停机10小时").reduction == Decimal("0.3")
    (reply,) = ask(shipped_engine, "AR远程协助项目 工程师差旅每月4万 上了能省一半 停机那块先不算 投入27万 几个月回本")
    assert not reply.handoff_offered  # "远程协助" names the product line here, no one is asked for
    assert "40,000 × 12 × 50% = 240,000" in reply.text and "13.5 个月回本" in reply.text


def test_the_downtime_loss_asked_is_said_before_anything_else(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "每月非计划停机14个小时 每小时损失3.5万 一个月光停机损失多少钱 一年呢")
    assert reply.text.startswith("每月停机损失 = 14 小时 × 35,000 元 = 490,000 元")
    assert "5,880,000" in reply.text and "项目投资" in reply.text  # the payback still needs the investment


def test_a_title_that_modifies_a_noun_asks_for_no_person(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "投标要附工程师证书 客户要核真伪 咋证明")
    assert reply.intent != "handoff_request" and not reply.handoff_offered
    assert cited(reply) == ["FAQ-TRN-015"]
    (now,) = ask(shipped_engine, "网关一直掉线 搞不定了 帮我找个工程师")
    assert now.intent == "handoff_request"


def test_the_customers_hurry_asks_for_no_person(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read as a request for a person (as the shipped encoder reads these), '客户急用' with no
    problem in sight is the customer's hurry: the expert is offered, no handoff starts."""
    handoff = RecordingHandoff()
    monkeypatch.setattr(shipped_engine, "handoff", handoff)
    classify = shipped_engine.nlu.analyse

    def as_handoff(text: str, **kwargs: Any) -> Analysis:
        analysis = classify(text, **kwargs)
        return replace(analysis, understanding=replace(analysis.understanding, intent="handoff_request"))

    monkeypatch.setattr(shipped_engine.nlu, "analyse", as_handoff)
    ask(shipped_engine, "5g网关下单要等多久 客户急用")
    assert handoff.requests == []
    ask(shipped_engine, "急 找个人")  # the caller's own hurry, a person asked: started
    assert len(handoff.requests) == 1


def test_a_symptom_in_the_users_words_is_the_products_known_fault(shipped_engine: DialogueEngine) -> None:
    p = shipped_engine.corpus.product("SN-GS700")
    assert p is not None and "漂移" in p.faults[0].symptom
    first, then = ask(shipped_engine, "gs700可燃气探头在干净空气里读数慢慢往上爬 标定完没几天又漂了", "它标定周期多久")
    assert cited(first) == ["SN-GS700#fault-1"] and p.faults[0].cause.rstrip("。") in first.text
    assert "SN-GS700#params" in cited(then)  # "它" is the product whose fault was answered
    # a plain value question of the same product is still its row
    (value,) = ask(shipped_engine, "gs700防爆等级多少")
    assert cited(value) == ["SN-GS700#params"]


def test_a_symptom_told_not_asked_is_the_products_fault_even_with_few_words_in_common(
    shipped_engine: DialogueEngine,
) -> None:
    """A statement about a product that shares a few marks with one of its symptoms reports that
    fault; the same words asked as a question are a capability question for the table."""
    p = shipped_engine.corpus.product("AR-G2-Pro")
    assert p is not None and "4G" in p.faults[2].symptom
    (told,) = ask(shipped_engine, "邢台一个建筑工地的客户说我们的AR-G2-Pro上不了4G，只能连Wi-Fi。")
    assert cited(told) == ["AR-G2-Pro#fault-3"] and "APN" in told.text
    (drifts,) = ask(shipped_engine, "安全帽那款ar-h5 定位飘到几百米外去了")  # "几百" is no question
    assert cited(drifts) == ["AR-H5#fault-2"]
    for question in ("AR-G2-Pro能上4G吗", "ar-g2-pro带4g不", "AR-G2-Pro支持4G不 客户工地没有wifi"):
        (asked,) = ask(shipped_engine, question)
        assert cited(asked) == ["AR-G2-Pro#params"], question
    # the product's own name says which product, not what is wrong with it
    (remark,) = ask(shipped_engine, "云眸那个手机app 安装包好大")
    assert not any("#fault-" in c for c in cited(remark))


def test_a_name_typed_after_its_city_is_the_customer(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "北京中科恒远的采购 想推AR眼镜加AR-LINK 开场话术给一个")
    assert reply.profile.customer_name == "北京中科恒远" and "北京中科恒远" in reply.text
    (district,) = ask(shipped_engine, "苏州工业园区 有个汽配厂 中型")
    assert district.profile.customer_name is None


def test_an_attribute_no_row_holds_is_not_matched_by_an_expansion_word(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "2100网关能在海拔三千米用吗 有没有海拔的参数")
    assert "功耗" not in reply.text and "EG-2100#params" not in cited(reply)
    assert reply.handoff_offered


def test_a_lessons_header_is_never_the_answer(shipped_engine: DialogueEngine) -> None:
    from assistant.dialogue.knowledge import pick_sentences

    lesson = next(d for d in shipped_engine.retriever.documents if d.id == "L-015")
    assert re.match(r"\d+ 分钟", lesson.text)
    assert pick_sentences(lesson, ["跟3200比", "重量"], "跟3200比哪个重") == []
    said = pick_sentences(lesson, ["充电"], "防爆平板怎么充电")
    assert said and not any(re.match(r"\d+ 分钟", s) for s in said)


def test_a_load_of_ports_times_watts_is_weighed_against_the_power_budget(shipped_engine: DialogueEngine) -> None:
    budget = row(shipped_engine, "CM-SW16-PoE", "PoE 总功率")
    assert budget.startswith("240")
    _, over = ask(shipped_engine, "poe交换机16口那个", "那12个口全插满25w的 总功率够不够")
    assert over.text.startswith("不够") and "12 × 25 W = 300 W" in over.text  # "25w": watts, not 25万
    (under,) = ask(shipped_engine, "那个带poe的交换机 8个口每个接15w的摄像头 带得动吗")
    assert "够用，8 × 15 W = 120 W" in under.text


def test_an_faq_asked_in_other_words_is_the_encoders_clear_first_hit() -> None:
    from assistant.content.documents import Document
    from assistant.dialogue.knowledge import _asked_like
    from assistant.retrieval.retriever import Hit

    def hit(doc_id: str, kind: str, cosine: float | None) -> Hit:
        doc = Document(doc_id, doc_id, kind, "t", "x")
        return Hit(doc, 0.0, 1, 1 if cosine is not None else None, 1.0, cosine)

    assert _asked_like([hit("FAQ-A", "faq", 0.79), hit("FAQ-B", "faq", 0.66)]) == "FAQ-A"
    assert _asked_like([hit("FAQ-A", "faq", 0.79), hit("FAQ-B", "faq", 0.72)]) is None  # not clearly first
    assert _asked_like([hit("FAQ-A", "faq", 0.6), hit("FAQ-B", "faq", 0.3)]) is None  # not close enough
    assert _asked_like([hit("EG-2100#params", "product", 0.9), hit("FAQ-B", "faq", 0.5)]) is None  # not an FAQ
    assert _asked_like([hit("X", "product", None), hit("FAQ-B", "faq", 0.8)]) == "FAQ-B"


def test_a_word_no_product_table_has_is_no_capability_to_ask_a_model_about(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "我们跟厂家签代理也就十个月 cashflow压得紧 能不能申请个月结")
    assert "哪个型号" not in reply.text


def test_an_expert_of_a_kind_asked_for_after_a_fault_is_a_handoff(shipped_engine: DialogueEngine) -> None:
    _, call = ask(
        shipped_engine,
        "700r下面带了十几块io32 冗余环网一直报B口链路断开",
        "线捋了两遍 B口也回到X3B了 还是报 找个控制器专家连线吧",
    )
    (later,) = ask(shipped_engine, "想找个澜图的专家聊下5g专网项目方案 客户下个月招标")
    offer = later.text  # a wish for later: the expert is offered only
    assert later.handoff_offered and "帮我找专家" in offer
    assert call.intent == "handoff_request" and call.text != offer  # the handoff itself, not the offer


def test_a_name_set_off_after_its_city_ends_in_its_trade(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "白银铜城冶炼 电解车间设备一坏就等厂家工程师 想推AR远程协助 话术咋说")
    assert reply.profile.customer_name == "白银铜城冶炼"
    (kind,) = ask(shipped_engine, "上海一家生物药企 大型的 gmp要求很高")
    assert kind.profile.customer_name is None  # a kind of company, no name


def test_asking_to_practise_hands_the_talk_to_the_practice_page(shipped_engine: DialogueEngine) -> None:
    from assistant.dialogue.types import PracticeCard

    (reply,) = ask(shipped_engine, "练习一下：跟化工厂设备部长谈 EG-3200")
    card = next(c for c in reply.cards if isinstance(c, PracticeCard))
    assert card.product_id == "EG-3200" and card.persona == "tech_decision_maker" and card.industry == "化工"
    assert card.href == "/practice?product=EG-3200&persona=tech_decision_maker&industry=%E5%8C%96%E5%B7%A5"
    (bare,) = ask(shipped_engine, "陪练一下")
    assert next(c for c in bare.cards if isinstance(c, PracticeCard)).href == "/practice"


def test_a_course_to_practise_with_is_a_lesson_question(shipped_engine: DialogueEngine) -> None:
    from assistant.dialogue.types import PracticeCard

    (reply,) = ask(shipped_engine, "有没有讲EC控制器的实操课 想让新人练练")
    assert not any(isinstance(c, PracticeCard) for c in reply.cards)
    assert any(c.startswith("L-") for c in cited(reply))


def test_a_short_faq_answer_is_said_whole_a_long_one_by_its_answering_sentences(
    shipped_engine: DialogueEngine,
) -> None:
    from assistant.dialogue.knowledge import _WHOLE_FAQ_MAX_CHARS, pick_sentences

    docs = {d.id: d for d in shipped_engine.retriever.documents}
    # "能卖到国外去用吗": the rule (mainland only) and its exception (report overseas projects).
    export = docs["FAQ-ORD-020"]
    assert len(export.text) <= _WHOLE_FAQ_MAX_CHARS
    said = "".join(pick_sentences(export, ["国外"], "客户说明年把设备搬到越南的厂子用 能卖到国外去用吗"))
    assert "中国大陆" in said and "报备" in said
    (reply,) = ask(shipped_engine, "设备能带到国外用吗")
    assert "FAQ-ORD-020" in cited(reply) and "报备" in reply.text
    # A long entry is still cut to the sentences that answer.
    long = max((d for d in docs.values() if d.kind == "faq"), key=lambda d: len(d.text))
    assert len(long.text) > _WHOLE_FAQ_MAX_CHARS
    assert len("".join(pick_sentences(long, ["价格"], "价格多少"))) < len(long.text)


def test_a_fault_told_in_other_words_is_matched_by_meaning_only_when_clearly_first() -> None:
    from types import SimpleNamespace

    import numpy as np

    from assistant.content.documents import Document
    from assistant.dialogue import knowledge
    from assistant.dialogue.compose import Composer
    from assistant.dialogue.knowledge import KnowledgeAnswerer

    def fault(n: int, symptom: str) -> Document:
        text = f"现象：{symptom}。原因：原因{n}。处理方法：处理{n}。"
        meta = {"kind": "product", "section": "fault", "product": "EC-IO16"}
        return Document(f"EC-IO16#fault-{n}", "EC-IO16", "product", f"EC-IO16 常见故障：{symptom}", text, metadata=meta)

    entries = [fault(1, "模块离线"), fault(2, "继电器不动作")]
    told = "io16设好以后那路一直没反应"  # no mark shared with either symptom

    class Encoder:  # the sentence encoder's cosines, fixed: the slow seam
        def __init__(self, name: str, cosines: tuple[float, float]) -> None:
            self.name, self.cosines = name, cosines

        def encode(self, texts: list[str]) -> np.ndarray:
            if texts == [told] or texts == [told.replace("一直没反应", "为啥没反应")]:
                return np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
            a, b = self.cosines  # the symptoms' vectors, with those cosines to the message
            return np.array([[a, np.sqrt(1 - a * a), 0.0], [b, 0.0, np.sqrt(1 - b * b)]], dtype=np.float32)

    def said(encoder: Encoder, text: str = told) -> str | None:
        knowledge._SYMPTOM_VECTORS.clear()  # the symptoms' vectors are kept per encoder name
        # (the fused search finds nothing first: the symptoms' cosines alone decide)
        retriever = SimpleNamespace(documents=entries, embedder=encoder, search=lambda q, k: [])
        return KnowledgeAnswerer(retriever=retriever).known_fault(  # type: ignore[arg-type]
            text, ["EC-IO16"], Composer("zh"), reported="为啥" not in text
        )

    assert said(Encoder("usem3", (0.2, 0.62))) == "EC-IO16"  # the second entry, clearly first
    assert said(Encoder("usem3", (0.55, 0.6))) is None  # not clearly first
    assert said(Encoder("usem3", (0.1, 0.45))) is None  # not close enough
    assert said(Encoder("usem3", (0.2, 0.62)), told.replace("一直没反应", "为啥没反应")) is None  # asked
    assert said(Encoder("hash-64", (0.2, 0.62))) is None  # cosines of another encoder mean nothing here


def test_a_version_asked_with_it_and_then_the_plain_model(shipped_engine: DialogueEngine) -> None:
    _, five_g, plain = ask(shipped_engine, "3200最多能采多少点", "它5g版功耗多大", "普通版呢")
    assert cited(five_g) == ["EG-3200-5G#params"] and row(shipped_engine, "EG-3200-5G", "功耗") in five_g.text
    assert cited(plain) == ["EG-3200#params"] and row(shipped_engine, "EG-3200", "功耗") in plain.text


def test_a_figure_corrected_away_is_not_the_investment(shipped_engine: DialogueEngine) -> None:
    _, fixed = ask(shipped_engine, "一年能省36万 投入54万 几个月回本", "搞错了 投入是72万不是54万")
    assert "720,000" in fixed.text and "24 个月" in fixed.text and "540,000" not in fixed.text


def test_a_capability_a_longer_term_stands_for_is_listed_by_it(shipped_engine: DialogueEngine) -> None:
    # The row lists LoRaWAN, a protocol on LoRa radio: never "不支持 LORA".
    (reply,) = ask(shipped_engine, "vb500pro支持lora吗")
    assert reply.text.startswith("可以") and "不支持" not in reply.text
    assert cited(reply) == ["SN-VB500-Pro#params"]


def test_an_analog_output_asked_in_words_is_the_output_row_not_the_battery(shipped_engine: DialogueEngine) -> None:
    # "毫安" alone is a battery's capacity; "4到20毫安" is an output signal.
    (no,) = ask(shipped_engine, "th100能直接出4到20毫安不")
    assert no.text.startswith("不能") and "4到20毫安" in no.text and "RS485 Modbus RTU" in no.text
    assert "电池" not in no.text and cited(no) == ["SN-TH100#params"]
    (yes,) = ask(shipped_engine, "vb300能出4到20毫安吗")
    assert yes.text.startswith("可以") and "4-20 mA" in yes.text and cited(yes) == ["SN-VB300#params"]


def test_a_blind_zone_in_everyday_words(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "80g雷达液位计 离探头多近就测不到了")
    assert row(shipped_engine, "SN-LV800", "盲区") in reply.text and cited(reply) == ["SN-LV800#params"]


def test_another_customer_described_after_cases_asks_for_cases_like_it(shipped_engine: DialogueEngine) -> None:
    # Long and read as a profile note (as the shipped classifier reads it): still a case search.
    text = "换个客户 是做冻肉的小厂 冷库压缩机也想做振动 有没有这种"
    read = shipped_engine.nlu.analyse(text, profile=CustomerProfile())
    as_note = replace(read, understanding=replace(read.understanding, intent="profile_update"))
    found = followup.detect(as_note, DialogueState(task="cases", params={"scale": "large"}))
    assert found is not None and found.task == "cases" and found.changes == {"scale": "small"}
    long_note = "换个客户 是做冻肉的小厂 冷库压缩机也想做振动监测 先记一下"
    statement = replace(read, text=long_note, understanding=as_note.understanding)
    assert followup.detect(statement, DialogueState(task="cases")) is None  # no question: a note


def test_a_script_whose_topic_the_question_names_comes_first(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "客户IT那边说数据不能出厂 帮我写段回应的话术")
    assert isinstance(reply.cards[0], ScriptCard) and reply.cards[0].title.endswith("数据不能出厂")


def test_the_first_hit_of_both_sides_close_in_meaning_is_grounded_only_for_its_encoder() -> None:
    from types import SimpleNamespace

    from assistant.content.documents import Document
    from assistant.dialogue.knowledge import KnowledgeAnswerer
    from assistant.retrieval.retriever import Hit

    question, answer = "客户买了不需要了，能退货吗？", "非质量问题退货需在发货后 30 天内提出。"
    doc = Document("FAQ-WAR-013", "退货", "faq", question, answer)

    def agreed(name: str, *, bm25: int | None = 1, dense: int | None = 1, cosine: float | None = 0.63) -> bool:
        retriever = SimpleNamespace(embedder=SimpleNamespace(name=name))
        hit = Hit(doc, 1.0, bm25_rank=bm25, dense_rank=dense, bm25_score=1.0, dense_score=cosine)
        return KnowledgeAnswerer(retriever=retriever)._agreed_in_meaning(hit)  # type: ignore[arg-type]

    assert agreed("usem3")
    assert not agreed("usem3", cosine=0.55)  # not close enough
    assert not agreed("usem3", dense=2) and not agreed("usem3", bm25=3) and not agreed("usem3", bm25=None)
    assert not agreed("hash-64")  # another encoder's cosines mean nothing here


def test_someones_own_thing_is_not_one_of_ours_picked_by_a_feature(shipped_engine: DialogueEngine) -> None:
    # "他那个ct是200/5的": the customer's CT, not "the one with 200" (SN-PT200) of our catalogue.
    _, ratio = ask(
        shipped_engine,
        "客户配电房em600电表接了ct 读出来的电量只有实际的几十分之一 咋回事",
        "他那个ct是200/5的 变比填多少",
    )
    assert "SN-PT200" not in ratio.text and not any(c.startswith("SN-PT200") for c in cited(ratio))
    assert "变比" in ratio.text


def _encoder_puts_first(
    engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch, doc_id: str, *, fused_first: bool = False
) -> None:
    """The slow seam faked: the sentence encoder ranks ``doc_id`` first in meaning (and, with
    ``fused_first``, the fusion puts it first of all hits)."""
    retriever = engine.retriever
    search = retriever.search

    def ranked(*args: object, **kwargs: object) -> list[Hit]:
        hits = search(*args, **kwargs)  # type: ignore[arg-type]
        moved = [replace(h, dense_rank=1 if h.document.id == doc_id else (h.dense_rank or 99) + 1) for h in hits]
        if fused_first:
            moved.sort(key=lambda h: h.document.id != doc_id)  # stable: the others keep their order
        return moved

    monkeypatch.setattr(retriever, "search", ranked)


def test_a_fault_the_meaning_puts_first_is_answered_from_that_fault_entry(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "客户配电房em600电表接了ct 读出来的电量只有实际的几十分之一 咋回事"
    (before,) = ask(shipped_engine, question)
    assert cited(before)[:1] != ["SN-EM600#fault-2"]  # the words alone pick another passage
    # the real encoder puts the 1/40 fault entry first in meaning
    _encoder_puts_first(shipped_engine, monkeypatch, "SN-EM600#fault-2")
    (reply,) = ask(shipped_engine, question)
    assert cited(reply)[:1] == ["SN-EM600#fault-2"] and "变比" in reply.text


def test_a_policy_question_whose_words_name_a_row_is_not_asked_back_for_a_model(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.dialogue.knowledge import KnowledgeAnswerer

    question = "项目特价批下来能用多久"  # "能用多久" is also how a battery's life is asked
    (asked_back,) = ask(shipped_engine, question)
    assert "哪个型号" in asked_back.text  # the words alone: a value of no product in sight
    # The sentence encoder (the slow seam, faked) agrees with the words on the special-price entry.
    monkeypatch.setattr(KnowledgeAnswerer, "agreed_first", lambda self, q, *, kinds: True)
    (reply,) = ask(shipped_engine, question)
    assert "哪个型号" not in reply.text and "90 天" in reply.text and "FAQ-PRC-004" in cited(reply)


def _roi_script(engine: DialogueEngine, script_id: str) -> tuple[Decimal, Decimal]:
    script = engine.corpus.script(script_id)
    assert script is not None and script.roi is not None
    return Decimal(str(script.roi.downtime_reduction)), Decimal(str(script.roi.labour_saving_rate))


def test_roi_takes_the_assumptions_of_the_script_for_the_stage_said(shipped_engine: DialogueEngine) -> None:
    # "太贵了不值": an objection, so the AR objection script's conservative model, not the line's median.
    (reply,) = ask(
        shipped_engine,
        "厂长觉得AR眼镜加席位太贵了不值 帮我算算 停机一个月8小时 每小时1.2万 差旅一个月25000 总价18万 多久回本",
    )
    reduction, labour_rate = _roi_script(shipped_engine, "S-AR-011")
    saving = 8 * 12 * 12000 * reduction + 25000 * 12 * labour_rate
    assert cited(reply) == ["S-AR-011"]
    assert f"{saving:,.0f}" in reply.text
    assert f"{(Decimal(180000) / (saving / 12)).quantize(Decimal('0.1'))} 个月回本" in reply.text


def test_roi_without_labour_says_so_and_a_follow_up_keeps_the_stage(shipped_engine: DialogueEngine) -> None:
    first, second = ask(
        shipped_engine,
        "平台加PDM快签了 给老板算下回本 每月停机10小时 每小时损失2万 合同50万",
        "人工一个月4万左右",
    )
    reduction, labour_rate = _roi_script(shipped_engine, "S-MP-012")  # the platform's closing script
    assert cited(first) == ["S-MP-012"] and "还没算人工" in first.text
    saving = 10 * 12 * 20000 * reduction + 40000 * 12 * labour_rate
    assert cited(second) == ["S-MP-012"] and f"{saving:,.0f}" in second.text and "还没算人工" not in second.text


def test_roi_without_a_stage_keeps_the_lines_median(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "平台项目 每月停机10小时 每小时损失2万 合同50万 多久回本")
    median = next(iter(cited(reply)))
    scripts = sorted(
        (s for s in shipped_engine.corpus.scripts if s.roi is not None and s.product_line == "MP"),
        key=lambda s: (s.roi.downtime_reduction if s.roi else 0, s.id),
    )
    assert median == scripts[(len(scripts) - 1) // 2].id


def test_a_named_contacts_objection_and_how_to_answer_it_is_a_script(shipped_engine: DialogueEngine) -> None:
    # "要学" alone reads like a course; with the contact's objection and "咋回" it is a script.
    first, corrected = ask(
        shipped_engine,
        "客户是鑫源汽配 准备上云眸平台 明天见车间班组长 师傅们嫌又多一个系统要学要填 这种咋回",
        "不对 明天见的不是班组长 是他们信息部的 人家顾虑是数据不能出厂",
    )
    assert first.intent == "script_request" and cited(first) == ["S-MP-007"] and "鑫源汽配" in first.text
    assert cited(corrected) == ["S-MP-011"] and "MP-ONP" in corrected.text


def test_a_correction_after_an_interjection_re_asks_the_question(shipped_engine: DialogueEngine) -> None:
    _, fixed = ask(shipped_engine, "ar g1视场角多少度", "哦搞错了 客户要的是双目那款 g2pro")
    assert fixed.intent == "product_params" and cited(fixed) == ["AR-G2-Pro#params"]
    assert row(shipped_engine, "AR-G2-Pro", "视场角") in fixed.text


def test_how_many_can_join_a_session_is_a_question_not_a_handoff(shipped_engine: DialogueEngine) -> None:
    (asked,) = ask(shipped_engine, "一个ar远程会话最多能拉几个人进来 客户想让三个厂的工程师一起看")
    # (which passage answers it is the sentence encoder's part; the hash embedder here only reads words)
    assert asked.intent == "knowledge_qa" and not asked.handoff_offered
    (wanted,) = ask(shipped_engine, "eg2100坏了 能派几个人来现场吗")
    assert wanted.intent == "handoff_request"


def test_how_far_ahead_to_book_an_expert_is_a_question_not_a_handoff(shipped_engine: DialogueEngine) -> None:
    # Nothing is wrong yet: the session is next week (DECISIONS #3: offer the expert, start nothing).
    (asked,) = ask(shipped_engine, "下周四去银川调一套ec500pro 想让原厂专家在线盯着 咋弄 得提前几天")
    assert asked.intent != "handoff_request"


def test_whether_a_product_copes_is_a_question_not_a_note(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "成都一个客户 600台设备要上云眸 标准版够不够")
    assert reply.intent != "profile_update" and "500" in reply.text


def test_a_fault_of_our_product_told_with_customer_facts_is_troubleshooting(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "成都一个电子厂 客户自己做的docker镜像丢到4500pro上一启动就退出 状态是exited 139")
    assert reply.intent == "knowledge_qa" and cited(reply)[:1] == ["EG-4500-Pro#fault-1"]
    assert reply.profile.industry == "电子制造"  # the facts told with it are noted all the same


def test_a_question_with_nothing_to_note_follows_the_last_answer(shipped_engine: DialogueEngine) -> None:
    _, more = ask(shipped_engine, "项目特价怎么申请", "客户非要再低点呢")
    assert more.intent == "knowledge_qa" and more.grounded and "已记下" not in more.text


def test_a_correction_of_a_fault_however_long_stays_on_the_fault(shipped_engine: DialogueEngine) -> None:
    _, fixed = ask(
        shipped_engine,
        "客户那的em 600电能表 功率显示负的 电能也不走",
        "哦我说错了 不是负的 是读数小了好多 大概只有实际的四十分之一",
    )
    # The corrected symptom (a reading far too small) is the CT ratio: the product's fault entry or
    # the installation entry that says the same.
    assert fixed.intent == "knowledge_qa" and cited(fixed)
    assert cited(fixed)[0] in ("SN-EM600#fault-2", "FAQ-INS-014") and "变比" in fixed.text


def test_another_contact_after_a_script_is_the_script_for_them(shipped_engine: DialogueEngine) -> None:
    _, switched = ask(shipped_engine, "给江城化工的设备部长来段ec300的开场", "换成采购呢")
    cards = [c for c in switched.cards if isinstance(c, ScriptCard)]
    assert switched.intent == "script_request" and cards and cards[0].persona == "procurement"


def test_how_to_order_a_service_is_no_closing_script(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "想叫原厂工程师来现场调试 咋个下单 要提前几天约")
    assert reply.intent != "script_request" and reply.profile.customer_name is None


@pytest.mark.parametrize(
    "turns",
    [
        # a refused connection is a fault; "折腾两天了" and "叫个原厂的人" ask for a person with it
        ("eg3200读一台西门子plc老提示连接被拒绝 ping是通的 折腾两天了 能不能叫个原厂的人远程看看",),
        # an error code on the screen the turn before; "连个专家" asks for one
        ("gs700屏上出个E-03 电流输出才2mA 嘎哈呢这是", "客户那边没人敢开隔爆腔 能连个专家不"),
        # "要是还不行" is no hypothetical when "现在能不能拉个专家" follows
        (
            "黑龙江一个泵站 装的1100 四g灯一直慢慢闪 cld也不亮 咋回事",
            "apn按运营商给的填了也重启了 还是慢闪",
            "那要是还不行呢 现在能不能拉个网官专家远程帮我看一下",
        ),
    ],
)
def test_a_person_asked_for_with_a_problem_in_sight_is_a_handoff(
    shipped_engine: DialogueEngine, turns: tuple[str, ...]
) -> None:
    assert ask(shipped_engine, *turns)[-1].intent == "handoff_request"


def test_ones_own_engineer_is_no_person_asked_for(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "化工厂让咱工程师去装gs700 咱有LCP证好使不 还要啥证")
    assert reply.intent != "handoff_request"


def test_a_share_of_the_70_20_10_model_named_by_its_number_lists_its_lessons(shipped_engine: DialogueEngine) -> None:
    _, listed = ask(shipped_engine, "带新人说要按70/20/10来 这三块分别指啥", "那20那块具体有哪几节课 列给我")
    mentoring = {lesson.id for lesson in shipped_engine.corpus.lessons if lesson.mode.value == "mentoring"}
    assert cited(listed) and set(cited(listed)) <= mentoring


def test_another_product_for_the_same_contact_anywhere_in_a_longer_message(shipped_engine: DialogueEngine) -> None:
    _, switched = ask(
        shipped_engine,
        "客户叫华晟汽配 他们IT说数据不能上公有云 网关项目卡住了 给个话术",
        "同一家 换成AR眼镜那个项目 他们是怕生产画面传到外面去",
    )
    cards = [c for c in switched.cards if isinstance(c, ScriptCard)]
    assert switched.intent == "script_request" and cards and cards[0].product_line == "AR"
    assert "华晟汽配" in switched.text


@pytest.mark.parametrize(
    ("text", "count"),
    [("成都一个客户 600台设备要上云眸 标准版够不够", "600"), ("客户那边有800台 标准版不够了吧 上啥", "800")],
)
def test_whether_a_product_takes_so_many_devices_without_a_capacity_word(
    shipped_engine: DialogueEngine, text: str, count: str
) -> None:
    (reply,) = ask(shipped_engine, text)
    assert f"不够，MP-CLD-STD 带不了 {count}" in reply.text
    assert "MP-CLD-STD#params" in cited(reply) and "MP-CLD-ENT" in reply.text  # the edition that takes them


def test_a_what_if_after_a_table_answer_asks_the_same_question_again(shipped_engine: DialogueEngine) -> None:
    *_, what_if = ask(shipped_engine, "客户那边有800台 标准版不够了吧 上啥", "要是他们IT说数据不能出厂呢")
    assert what_if.intent == "knowledge_qa" and "已记下" not in what_if.text


def test_the_fused_first_hit_the_meaning_also_puts_first_needs_less_overlap(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "客户一台网关修过一回 原先保修就剩俩月了 修完还能保多长时间"
    # fused, the repair-warranty entry comes first, and the real encoder puts it first too
    # ("修完还能保多长时间" is "维修过的设备还保修多久" in other words)
    _encoder_puts_first(shipped_engine, monkeypatch, "FAQ-WAR-011", fused_first=True)
    (reply,) = ask(shipped_engine, question)
    assert cited(reply)[:1] == ["FAQ-WAR-011"] and "90 天" in reply.text


def test_a_capability_asked_over_two_clauses_is_one_question(shipped_engine: DialogueEngine) -> None:
    # the term in one clause, the verb in the next: the row does not list it, and the reply says so
    _, mc = ask(shipped_engine, "eg2100能读西门子s7吗", "那三菱的MC协议呢 它也能读不")
    assert "资料里没有" in mc.text and "mc" in mc.text.lower() and cited(mc) == ["EG-2100#params"]


def test_the_oee_board_is_the_oee_module_and_a_wrong_setting_is_a_fault(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "客户oee看板上性能率显示112% 这不对吧 哪里设错了")
    assert cited(reply)[:1] == ["MP-OEE#fault-1"] and "节拍" in reply.text


def test_a_capability_question_of_no_product_and_no_row_is_answered_from_the_knowledge(
    shipped_engine: DialogueEngine,
) -> None:
    # "po" reads as a capability term, but no product is named and no row holds it: the order cut-off.
    (reply,) = ask(shipped_engine, "现货po几点前确认能当天走 今天款4点多才到")
    assert "FAQ-ORD-015" in cited(reply) and "15:00" in reply.text


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("客户项目黄了 下的单还能撤不", "FAQ-ORD-007"),  # not a case of a failed project
        ("外箱压坏了 能直接拒签吗", "FAQ-ORD-010"),  # a damaged delivery, not a dead-on-arrival unit
    ],
)
def test_an_faq_asked_in_a_salesperson_s_words_is_found_by_its_variants(
    shipped_engine: DialogueEngine, question: str, entry: str
) -> None:
    (reply,) = ask(shipped_engine, question)
    assert entry in cited(reply)


def test_a_passage_naming_the_product_comes_first_only_when_about_as_grounded(
    shipped_engine: DialogueEngine,
) -> None:
    # A lesson that names EG-2100 in passing shares one word of the question; the return-for-repair
    # entry, written for no model, shares most of them.
    (reply,) = ask(shipped_engine, "客户有台2100还在保修期 坏了要寄回厂里修 我第一次弄 这个流程咋走")
    assert "FAQ-WAR-007" in cited(reply) and "L-003" not in cited(reply)


def test_a_payback_asked_in_english_is_computed(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(
        shipped_engine,
        "西安一个汽配厂 每月非计划停机大概15个小时 一小时损失6000块 抄表巡检人工一个月4万 "
        "网关项目报28万 停机按少30% 人工按省20%算 多久payback",
    )
    assert "420,000" in reply.text and "8" in reply.text and "案例" not in reply.text


def test_a_sibling_model_by_its_number_is_answered_from_its_table(shipped_engine: DialogueEngine) -> None:
    _, switched = ask(
        shipped_engine, "重庆一个包装机厂 用EC100 现场IO点不够用 能加扩展模块吗", "那换成300呢 最多能挂几块"
    )
    assert row(shipped_engine, "EC-300", "IO 扩展").split("（")[0] in switched.text
    assert [c.doc_id for c in switched.citations][:1] == ["EC-300#params"]


def test_more_of_the_last_topic_is_not_a_missing_row_of_the_product_in_context(shipped_engine: DialogueEngine) -> None:
    # The product came from the conversation; the question is more of the firmware topic.
    _, traffic = ask(
        shipped_engine,
        "甘肃一个客户三十多台2100 想远程一起升级固件 云眸上能批量搞吗",
        "其中一半是走4g卡的 会不会很费流量",
    )
    assert "资料里没有" not in traffic.text
    assert "FAQ-FW-019" in [c.doc_id for c in traffic.citations]


def test_mean_time_between_failures_is_no_fault(shipped_engine: DialogueEngine) -> None:
    # "无故障" holds "故障": a row no table of EG-2100 has, never a fault entry's fix.
    (reply,) = ask(shipped_engine, "投标文件里要填网关的MTBF，EG-2100的平均无故障时间是多少小时")
    assert "资料里没有" in reply.text and not any("#fault" in c for c in cited(reply))


def test_a_question_that_states_facts_on_the_way_is_answered(served_engine: DialogueEngine) -> None:
    (reply,) = ask(served_engine, "银川客户要澜图派人到现场调ec700r 按人天付的钱之外 差旅住宿是另算还是含在里面")
    assert "已记下" not in reply.text
    assert reply.profile.region == "西北", "the facts it states are noted all the same"


def test_returning_firmware_after_a_firmware_answer_is_no_rebate(served_engine: DialogueEngine) -> None:
    _, back = ask(served_engine, "云眸上能批量升级2100的固件吗", "那万一升完出问题呢 能退回去吗")
    assert back.intent != "rebate_query"
    assert any(c in cited(back) for c in ("FAQ-FW-003", "FAQ-FW-018"))


@pytest.mark.parametrize("text", ["培训说的70 20 10是啥子意思", "带新人说要按70/20/10来 这三块分别指啥"])
def test_the_70_20_10_model_asked_any_way(served_engine: DialogueEngine, text: str) -> None:
    (reply,) = ask(served_engine, text)
    assert "FAQ-TRN-009" in cited(reply) and "订单金额" not in reply.text


class _ReadsEveryStoryAsACase:
    """The served NLU as it reads some long stories (trained on story-first case requests): a
    case request, sure of it.  Deterministic, so the routing rule is tested on that reading."""

    def __init__(self, nlu: Nlu) -> None:
        self._nlu = nlu
        self.lexicon = nlu.lexicon

    def analyse(self, text: str, *, profile: CustomerProfile) -> Analysis:
        a = self._nlu.analyse(text, profile=profile)
        return replace(a, understanding=replace(a.understanding, intent="case_request", confidence=0.95))

    def __getattr__(self, name: str) -> object:
        return getattr(self._nlu, name)


@pytest.fixture(scope="module")
def case_reader(shipped_engine: DialogueEngine, shipped_corpus: Corpus) -> DialogueEngine:
    nlu = _ReadsEveryStoryAsACase(shipped_engine.nlu)
    return DialogueEngine(corpus=shipped_corpus, retriever=shipped_engine.retriever, nlu=nlu)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "cites_one_of"),
    [
        (
            "深圳一个出口型的电子厂 老外客户要他们提供碳足迹数据 咱们能源管理那个模块能算碳排放吗",
            ("MP-EMS#params", "MP-EMS#overview"),
        ),
        ("我们想在深圳搞个小的客户交流会 请十几个工厂的人来 澜图这边有没有市场活动的费用支持 能出一部分不", ()),
    ],
)
def test_a_story_that_ends_in_a_question_without_a_case_word_is_that_question(
    case_reader: DialogueEngine, text: str, cites_one_of: tuple[str, ...]
) -> None:
    (reply,) = ask(case_reader, text)
    assert not any(c.startswith("C-") for c in cited(reply))
    assert not cites_one_of or any(c in cited(reply) for c in cites_one_of)


def test_a_case_follow_up_without_a_case_word_stays_a_case(case_reader: DialogueEngine) -> None:
    _, more = ask(case_reader, "武汉一个汽配厂 中型 有没有类似的案例", "那小一点的有没有")
    assert any(c.startswith("C-") for c in cited(more))


def test_a_rival_set_against_us_in_passing_gets_the_comparison(shipped_engine: DialogueEngine) -> None:
    _, reply = ask(
        shipped_engine,
        "客户点名要八十G雷达的那种液位计 最远能测多少米",
        "客户又说凯森那个能测一百二十米 比咱们远多了 我该咋回他",
    )
    assert "SN-LV800#competitors" in cited(reply) and "凯森" in reply.text


def test_a_rival_after_cases_is_a_comparison_not_another_case(shipped_engine: DialogueEngine) -> None:
    *_, reply = ask(
        shipped_engine,
        "配电房用那个入门的4G网关 几个串口",
        "有写字楼做能耗的案例吗",
        "客户拿锐拓rt-g1比 说人家才1280 咋应对",
    )
    assert "EG-1100#competitors" in cited(reply)
    assert not any(c.startswith("C-") for c in cited(reply))


def test_another_contact_after_an_objection_script_gets_that_contacts_script(shipped_engine: DialogueEngine) -> None:
    first, again = ask(
        shipped_engine,
        "宁波恒泰精机 注塑车间60台机子 设备部长嫌我们网关比博远贵 我咋回他",
        "他们IT又说数据不能上公有云 换成给IT的说法",
    )
    assert any(isinstance(c, ScriptCard) for c in first.cards)
    card = next(c for c in again.cards if isinstance(c, ScriptCard))
    assert card.persona == "it_security" and "恒泰精机" in again.text


def test_a_capability_asked_after_the_product_and_this_model(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "想用那个入门的四G网官一一零零 但他们MES那边要走OPC UA 这个型号支不支持")
    assert "EG-1100#params" in cited(reply) and "不支持" in reply.text


def test_a_policy_the_question_is_about_is_said_after_the_row_it_names_in_passing(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.dialogue.knowledge import KnowledgeAnswerer

    question = "客户有台2100返修过，寄回来的时候原来的保修就只剩一个来月了，修好以后还能保多久"
    (row_only,) = ask(shipped_engine, question)
    # the warranty row (with its line's policy), not the repair's own warranty
    assert cited(row_only) == ["EG-2100#overview", "FAQ-WAR-001"]
    # The sentence encoder (the slow seam, faked) puts the repair-warranty entry first of everything.
    _encoder_puts_first(shipped_engine, monkeypatch, "FAQ-WAR-011", fused_first=True)
    monkeypatch.setattr(KnowledgeAnswerer, "general_first", lambda self, q, *, products, others: True)
    (reply,) = ask(shipped_engine, question)
    assert cited(reply)[:1] == ["EG-2100#overview"] and "FAQ-WAR-011" in cited(reply)
    assert "90" in reply.text


def test_a_general_passage_is_first_over_everything_only_close_in_meaning_and_about_the_product() -> None:
    from types import SimpleNamespace

    from assistant.content.documents import Document
    from assistant.dialogue.knowledge import KnowledgeAnswerer
    from assistant.retrieval.retriever import Hit

    repair = Document("FAQ-WAR-011", "维修后保修", "faq", "修好后保修多久？", "维修更换的部件保修 90 天。")
    listing = Document(
        "FAQ-CMP-014", "防爆型号", "faq", "哪些型号防爆？", "防爆型号有 AR-T10-EX、SN-GS700 和 SN-LV800。"
    )
    row = Document("EG-2100#overview", "EG-2100", "product", "EG-2100", "质保 24 个月。")

    def first(doc: Document, *, cosine: float = 0.7, products: tuple[str, ...] = ("EG-2100",)) -> bool:
        hit = Hit(doc, 1.0, bm25_rank=1, dense_rank=1, bm25_score=1.0, dense_score=cosine)
        retriever = SimpleNamespace(embedder=SimpleNamespace(name="usem3"), documents=[], search=lambda q, k: [hit])
        others = ("EG-2100", "AR-T10-EX", "SN-GS700", "SN-LV800")
        return KnowledgeAnswerer(retriever=retriever).general_first(  # type: ignore[arg-type]
            "修好以后还能保多久", products=products, others=others
        )

    assert first(repair)
    assert not first(repair, cosine=0.45)  # first on both sides, but not close enough to beat a row
    assert not first(row)  # a product's own passage is the row's business
    assert not first(listing, products=("AR-T10-EX",))  # a list of other products


def test_the_passage_both_retrievers_put_first_in_meaning_leads_the_answer(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.dialogue.knowledge import KnowledgeAnswerer

    question = "就是那个 目录价是含税的还是不含税的 我给客户报价要不要再加税点"
    # The sentence encoder (the slow seam, faked) puts the list-price entry first, as BM25 does
    # on the real index; the net-sales entry shares the word 含税 and more of the question's words.
    _encoder_puts_first(shipped_engine, monkeypatch, "FAQ-PRC-002", fused_first=True)
    monkeypatch.setattr(KnowledgeAnswerer, "_agreed_in_meaning", lambda self, hit: hit.document.id == "FAQ-PRC-002")
    (reply,) = ask(shipped_engine, question)
    assert cited(reply)[:1] == ["FAQ-PRC-002"] and "含税价" in reply.text


def test_a_contacts_question_that_asks_for_no_words_to_say_is_answered_not_scripted(
    served_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.dialogue.knowledge import KnowledgeAnswerer

    question = "客户是鞍山一个钢厂 信息中心管得特别严 客户IT就问了 你们远程登我们的网关得走什么手续 怎么保证合规"
    (scripted,) = ask(served_engine, question)
    assert scripted.intent == "script_request"  # the contact's concern reads as an objection to script
    # A general passage answers it first of everything (the sentence encoder, faked, agreeing).
    monkeypatch.setattr(KnowledgeAnswerer, "general_first", lambda self, q, *, products, others: True)
    (reply,) = ask(served_engine, question)
    assert reply.intent != "script_request" and not any(c.startswith("S-") for c in cited(reply))
    (asked,) = ask(served_engine, "客户IT说数据不能出厂 这个怎么回")  # words to say asked: still a script
    assert asked.intent == "script_request"


def test_a_fault_entry_the_fused_search_puts_first_is_the_fault_told() -> None:
    from types import SimpleNamespace

    from assistant.content.documents import Document
    from assistant.dialogue.knowledge import KnowledgeAnswerer
    from assistant.retrieval.retriever import Hit

    fault = Document(
        "SN-CU120#fault-2",
        "SN-CU120",
        "product",
        "设备停机后仍显示运行",
        "原因：运行阈值过低。",
        metadata={"section": "fault"},
    )
    told = "机加车间 老机床都停了 平台上还显示运行 用的是卡电流那个无线传感器 cu120"

    def first(*, dense: int | None = 1, encoder: str = "usem3", products: tuple[str, ...] = ("SN-CU120",)) -> bool:
        hit = Hit(fault, 4.0, bm25_rank=3, dense_rank=dense, bm25_score=1.0, dense_score=0.6)
        retriever = SimpleNamespace(embedder=SimpleNamespace(name=encoder), documents=[], search=lambda q, k: [hit])
        return KnowledgeAnswerer(retriever=retriever)._fault_first(told, products) is fault  # type: ignore[arg-type]

    assert first()
    assert first(dense=2)
    assert not first(dense=3)  # the meaning does not put it near the top
    assert not first(dense=None)
    assert not first(products=("CM-LR1",))  # another product's fault
    assert not first(encoder="hash-64")  # another encoder's ranks say nothing of meaning


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("lr1收上来的数 平台上要晚好几分钟 看了下状态在走4g", False),
        ("在没气的地方数也慢慢往上涨 标定完没几天又飘了 那几台用了好几年了", False),
        ("十几台机床都停了", False),
        ("开关量能进几路", True),
        ("几天能到货", True),
        ("电池好多毫安", True),
    ],
)
def test_a_few_of_something_asks_nothing(text: str, asks: bool) -> None:
    from assistant.dialogue.cues import ASKING

    assert bool(ASKING.search(text)) is asks


def test_how_to_set_a_product_up_is_answered_not_scripted(served_engine: DialogueEngine) -> None:
    (reply,) = ask(served_engine, "16口网管那款交换机 环网咋配 三台串一圈")
    assert reply.intent != "script_request" and not any(c.startswith("S-") for c in cited(reply))
    (taken,) = ask(served_engine, "采购又来压价要折扣 怎么接")  # how to take an objection: still a script
    assert taken.intent == "script_request"


def test_a_row_asked_beside_the_customers_story_is_answered_not_scripted(
    served_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the classifier reads a story as a script request (as the shipped encoder does for
    these), a row of the table asked with no word asking what to say is answered; "我该咋跟
    班长说" asks for the words."""
    classify = served_engine.nlu.analyse

    def as_script(text: str, **kwargs: Any) -> Analysis:
        analysis = classify(text, **kwargs)
        return replace(analysis, understanding=replace(analysis.understanding, intent="script_request"))

    monkeypatch.setattr(served_engine.nlu, "analyse", as_script)
    (reply,) = ask(served_engine, "5800边缘服务器摆放环境温度有咩要求？客户打算塞喺车间配电房嗰边")
    assert reply.intent != "script_request" and cited(reply) == ["EG-5800#params"]
    assert "0~45 ℃" in reply.text
    (script,) = ask(served_engine, "点检班长说装这么多振动传感器 以后换电池维护都忙不过来 我该咋跟班长说")
    assert script.intent == "script_request"


def test_a_fault_told_with_a_split_verb_is_that_fault(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "配电房装的1100 走4g的 平台上隔几个钟头就掉一回线 过会又自己连上了")
    assert "EG-1100#fault-3" in cited(reply) and "Keepalive" in reply.text


def test_the_opening_of_a_clamp_is_asked_as_how_big_its_mouth_is(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "cu120 600那档的口子多大 他们电缆贼粗")
    assert "互感器开口尺寸" in reply.text and "Φ36" in reply.text and "以太网口" not in reply.text
    (ports,) = ask(shipped_engine, "eg2100几个口子")  # a count of them is still the ports
    assert "以太网口" in ports.text


def test_a_word_two_attributes_share_is_the_one_the_products_table_has(shipped_engine: DialogueEngine) -> None:
    cache, changed = ask(shipped_engine, "eg1100断网能缓存多少", "那要是换成二一零零呢 它能存多久的")
    assert "断网缓存：" in cache.text and "内存" not in cache.text  # "缓存多少" is no question of storage
    assert "EG-2100 断网缓存：" in changed.text and cited(changed) == ["EG-2100#params"]
    (platform,) = ask(shipped_engine, "mp云平台数据能存多久")
    assert "原始数据保留期：" in platform.text and "断网缓存" not in platform.text


def test_a_warranty_also_cites_its_lines_policy(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "lv800质保多久")
    assert "18 个月" in reply.text and cited(reply) == ["SN-LV800#overview", "FAQ-WAR-002"]
    (kit,) = ask(shipped_engine, "ar-kit-s质保多久")  # the entry naming the kit itself, not the glasses' one
    assert cited(kit) == ["AR-KIT-S#overview", "FAQ-WAR-005"]
    (software,) = ask(shipped_engine, "mp企业版保修几年")  # no entry states a software's months as a period
    assert cited(software) == ["MP-CLD-ENT#overview"]


def test_how_many_metres_after_a_row_is_its_unit_not_a_price(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "lv800量程多少米")
    assert "测量范围：" in reply.text and "目录价" not in reply.text
    (price,) = ask(shipped_engine, "lv800多少米一台")  # on its own it is still the slang for a price
    assert "目录价" in price.text


def test_a_break_in_a_warranty_question_is_no_fault_on_site(shipped_engine: DialogueEngine) -> None:
    faults = shipped_engine.attributes
    assert not faults.names_fault("客户问eg2100坏了给保几年的") and not faults.names_fault("坏了的话原厂包几个月")
    assert faults.names_fault("eg2100坏了 灯都不亮")
    first, then = ask(shipped_engine, "客户问eg2100坏了给保几年的", "那一起配的th100呢")
    assert "24 个月" in first.text and "18 个月" in then.text and "SN-TH100#overview" in cited(then)
    (months,) = ask(shipped_engine, "2100坏了保几个月")  # 保几个月 asks the warranty too
    assert "24 个月" in months.text and "EG-2100#overview" in cited(months)


def test_an_attribute_no_row_holds_is_looked_for_in_meaning_too(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No row of SN-VB500-Pro holds 防爆; the FAQ on explosion-proof devices says it has no such
    version in words ("无线振动传感器") the model number does not pull up by BM25: after the lexical
    search, the hybrid one (the sentence encoder, faked here) is asked before saying it is missing."""
    from assistant.dialogue.knowledge import KnowledgeAnswerer
    from assistant.dialogue.types import Citation

    modes: list[str] = []

    def answer(self: KnowledgeAnswerer, question: str, **kw: Any) -> bool:
        modes.append(kw.get("mode", "hybrid"))
        if kw.get("require") and kw.get("mode") == "hybrid":
            cite = Citation(doc_id="FAQ-CMP-014", title="防爆", snippet="", kind="faq")
            kw["out"].say("无线振动传感器均没有防爆版本", cite)
            return True
        return False

    monkeypatch.setattr(KnowledgeAnswerer, "answer", answer)
    (reply,) = ask(shipped_engine, "vb500pro有防爆版没 客户罐区要用")
    assert modes[:2] == ["bm25", "hybrid"]
    assert cited(reply) == ["FAQ-CMP-014"] and "资料里没有" not in reply.text


def _classified_as_a_script(engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the classifier's pick to a script request: what the tests using it check is what the
    routing does with a rival named beside the request."""
    analyse = engine.nlu.analyse

    def as_script(text: str, *, profile: CustomerProfile) -> Analysis:
        a = analyse(text, profile=profile)
        return replace(a, understanding=replace(a.understanding, intent="script_request", confidence=0.9))

    monkeypatch.setattr(engine.nlu, "analyse", as_script)


def test_an_objection_script_asked_with_figures_and_a_rival_computes_the_payback(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rival named beside the figures does not turn the asked script into a bare comparison.
    _classified_as_a_script(shipped_engine, monkeypatch)
    (reply,) = ask(
        shipped_engine,
        "温州一个泵阀厂，厂长嫌我们振动传感器贵，说锐拓物联便宜一大截。每月非计划停机大概20个小时，"
        "每小时损失8000，点检人工每月3万，我们方案报价30万。帮我出段回他的话术，把账算进去",
    )
    assert any(isinstance(c, ScriptCard) for c in reply.cards)
    assert "5.1" in reply.text


def test_a_case_follow_up_asking_products_and_payback_gets_both(shipped_engine: DialogueEngine) -> None:
    first, then = ask(
        shipped_engine,
        "哈尔滨有个做肉食加工的小厂，冷库的制冷机组老出毛病，有没有类似的案例",
        "那个案子用的都是啥产品，多久回的本？",
    )
    case = shipped_engine.corpus.case(first.state.get("case") if first.state else "")
    assert case is not None
    assert case.products[0] in then.text
    assert all(r.metric in then.text for r in case.results)  # what it achieved, the payback among them


@pytest.mark.parametrize("typed", ["ec700r", "EG-2100?", "冗余控制器"])
def test_a_product_typed_alone_gets_its_overview_and_table(shipped_engine: DialogueEngine, typed: str) -> None:
    (reply,) = ask(shipped_engine, typed)
    pid = shipped_engine.nlu.understand(typed, profile=CustomerProfile()).slots.get("product_model")
    assert pid is not None
    assert cited(reply) == [f"{pid}#overview"]
    assert any(getattr(c, "product_id", None) == pid for c in reply.cards)


def test_a_contact_named_after_the_question_does_not_steer_the_search(shipped_engine: DialogueEngine) -> None:
    # "技术负责人要排计划" says why the lead time is asked; its words would find a lesson about that contact
    _, reply = ask(shipped_engine, "ec700r交期要多久", "那它交期要多久 技术负责人要排计划")
    assert cited(reply) and all(c.startswith("FAQ-") for c in cited(reply))


def test_something_to_say_asked_for_with_a_rivals_price_is_a_script(
    shipped_engine: DialogueEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rival's price beside "给我一段…说的话" is the objection the script answers, not a comparison
    # of price lists.
    _classified_as_a_script(shipped_engine, monkeypatch)
    (reply,) = ask(shipped_engine, "要换三十台工业交换机 采购拿锐拓的报价压我 说人家便宜 让打折 给我一段跟采购说的话")
    assert any(isinstance(c, ScriptCard) for c in reply.cards)
    script = shipped_engine.corpus.script(cited(reply)[0])
    assert script is not None and script.product_line == "CM" and "锐拓" in script.title


def test_the_contact_no_longer_talked_to_is_not_the_persona(shipped_engine: DialogueEngine) -> None:
    slots = shipped_engine.nlu.understand(
        "不跟采购讲了 跟他们车间一线的师傅讲", profile=CustomerProfile(persona="procurement")
    ).slots
    assert slots.get("persona") == "operator"


def test_a_name_corrected_after_the_wrong_part_is_taken(shipped_engine: DialogueEngine) -> None:
    slots = shipped_engine.nlu.understand(
        "名字说错了 不是精轧 是冀东特轧 你改一下", profile=CustomerProfile(customer_name="冀东精轧")
    ).slots
    assert slots.get("customer_name") == "冀东特轧"


def test_a_reading_in_milliamps_is_a_fault_not_a_battery_asked(shipped_engine: DialogueEngine) -> None:
    (reply,) = ask(shipped_engine, "pt200电流一直顶在21.5毫安下不来 咋处理")
    assert "SN-PT200#fault-1" in cited(reply)
    assert "电池" not in reply.text


def test_a_rivals_lower_price_said_gets_the_comparison_not_only_the_price(shipped_engine: DialogueEngine) -> None:
    _, then = ask(
        shipped_engine,
        "凯森的3051精度比咱们pt200高 咱们跟它比这个该咋说",
        "那要是换成博远那个by-p100呢 他们报价便宜得多",
    )
    assert "HART" in then.text and "900" in then.text
    assert "0.065" not in then.text
