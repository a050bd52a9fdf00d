from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import pytest

from assistant.content.loader import Corpus
from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.errors import SkillError
from assistant.dialogue.nlu import Nlu
from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller, CaseCard, CustomerProfile, ParamTableCard, RebateCard, ScriptCard
from assistant.retrieval.retriever import HybridRetriever

CALLER = Caller(user_id="u-1", partner_id="P-001", display_name="小王")


class FakeRebates:
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
        self.calls.append({"partner": caller.partner_id, "quarter": quarter, "amount": amount})
        card = RebateCard(
            partner_id=caller.partner_id,
            partner_name="华东伙伴",
            quarter=quarter or "2026Q2",
            status="accrued",
            total="¥12,345.67",
            lines=(),
            progress="还差 ¥100,000 到下一档",
        )
        return SkillResult(text="本季度返利 ¥12,345.67", cards=(card,))


class FailingRebates:
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
        raise SkillError("ledger offline")


class FakeHandoff:
    def __init__(self) -> None:
        self.requests: list[tuple[str, CustomerProfile, tuple[str, ...]]] = []

    def request(self, *, caller: Caller, text: str, profile: CustomerProfile, history: Sequence[str]) -> SkillResult:
        self.requests.append((text, profile, tuple(history)))
        return SkillResult(text="已为你呼叫远程专家，请稍候。", handoff_offered=True)


@pytest.fixture
def engine(corpus: Corpus, retriever: HybridRetriever, nlu: Nlu) -> DialogueEngine:
    return DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu)


def test_params_question_gives_exact_value_unit_and_citation(engine: DialogueEngine) -> None:
    reply = engine.handle(text="EG-2100的功耗是多少", profile=CustomerProfile(), caller=CALLER)
    assert reply.intent == "product_params"
    assert "4.5 W" in reply.text
    assert [c.doc_id for c in reply.citations] == ["EG-2100#params"]
    (card,) = reply.cards
    assert isinstance(card, ParamTableCard)
    assert card.highlight == ("功耗",)
    assert card.citation == "EG-2100#params"
    assert any(r.name == "功耗" and r.value == "4.5" and r.unit == "W" for r in card.rows)
    assert reply.profile.product_model == "EG-2100"
    assert reply.grounded


def test_pronoun_follow_up_uses_the_profile_product(engine: DialogueEngine) -> None:
    first = engine.handle(text="eg2100串口有几个", profile=CustomerProfile(), caller=CALLER)
    assert "4 个" in first.text
    reply = engine.handle(text="它的功耗呢", profile=first.profile, caller=CALLER)
    assert reply.intent == "product_params"
    assert "EG-2100" in reply.text and "4.5 W" in reply.text


def test_price_comes_from_the_overview(engine: DialogueEngine) -> None:
    reply = engine.handle(text="2100多少钱一台", profile=CustomerProfile(), caller=CALLER)
    assert "2,680" in reply.text
    assert reply.citations[0].doc_id == "EG-2100#overview"


def test_knowledge_answer_quotes_the_chunk_with_citation(engine: DialogueEngine) -> None:
    reply = engine.handle(text="EG-2100怎么安装到DIN导轨上", profile=CustomerProfile(), caller=CALLER)
    assert reply.intent == "knowledge_qa"
    assert reply.grounded
    assert reply.citations[0].doc_id == "FAQ-INS-001"
    assert "35 mm 导轨" in reply.text
    assert reply.citations[0].snippet in reply.text.replace("[1]", "").replace("[2]", "") or "35 mm" in (
        reply.citations[0].snippet
    )


def test_unknown_question_is_not_grounded_and_offers_the_expert(engine: DialogueEngine) -> None:
    reply = engine.handle(text="量子纠缠的哲学意义是什么", profile=CustomerProfile(), caller=CALLER)
    assert not reply.grounded
    assert reply.handoff_offered
    assert reply.citations == ()
    assert "专家" in reply.text


def test_out_of_scope_refuses_politely(engine: DialogueEngine) -> None:
    reply = engine.handle(text="今天天气怎么样", profile=CustomerProfile(), caller=CALLER)
    assert reply.intent == "out_of_scope"
    assert reply.handoff_offered
    assert reply.cards == () and reply.citations == ()


def test_profile_carries_and_corrections_overwrite(engine: DialogueEngine) -> None:
    r1 = engine.handle(text="客户是苏州的汽配厂，中型的", profile=CustomerProfile(), caller=CALLER)
    assert r1.intent == "profile_update"
    assert (r1.profile.industry, r1.profile.region, r1.profile.scale) == ("汽车制造", "华东", "medium")
    assert "汽车制造" in r1.text
    r2 = engine.handle(text="不对 其实是大型的 不是中型", profile=r1.profile, caller=CALLER)
    assert r2.profile.scale == "large"
    assert r2.profile.industry == "汽车制造"


def test_case_request_uses_the_profile(engine: DialogueEngine) -> None:
    profile = CustomerProfile(industry="汽车制造", scale="medium", region="华东")
    reply = engine.handle(text="有没有类似的案例", profile=profile, caller=CALLER)
    assert reply.intent == "case_request"
    first = reply.cards[0]
    assert isinstance(first, CaseCard)
    assert first.case_id == "C-001"
    assert "同行业：汽车制造" in first.why
    assert reply.citations[0].doc_id == "C-001"
    assert 2 <= len(reply.suggestions) <= 3


def test_roi_script_asks_for_missing_numbers_then_computes(engine: DialogueEngine) -> None:
    profile = CustomerProfile(persona="roi_manager", customer_name="恒锐精密")
    reply = engine.handle(text="给我一段开场话术", profile=profile, caller=CALLER)
    card = reply.cards[0]
    assert isinstance(card, ScriptCard)
    assert card.script_id == "S-EG-001"
    assert card.roi is None
    assert "downtime_hours_per_month" in card.missing_slots
    assert "每月停机小时数" in reply.text
    assert card.text.startswith("恒锐精密")
    numbers = engine.handle(
        text="每月停机10小时，停机一小时损失2万，人工一个月8万，这单30万", profile=reply.profile, caller=CALLER
    )
    again = engine.handle(text="再给我那段话术", profile=numbers.profile, caller=CALLER)
    card = again.cards[0]
    assert isinstance(card, ScriptCard) and card.roi is not None
    assert card.roi.annual_saving == Decimal(816_000)
    assert card.roi.payback_months == Decimal("4.4")
    assert "816,000" in card.text and "4.4" in card.text
    assert card.missing_slots == ()


def test_rebate_without_skill_says_coming_soon(engine: DialogueEngine) -> None:
    reply = engine.handle(text="q3返利能拿多少", profile=CustomerProfile(), caller=CALLER)
    assert reply.intent == "rebate_query"
    assert "返利查询功能即将上线" in reply.text
    assert reply.cards == ()


def test_rebate_routes_to_the_skill(corpus: Corpus, retriever: HybridRetriever, nlu: Nlu) -> None:
    rebates = FakeRebates()
    engine = DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu, rebates=rebates)
    reply = engine.handle(text="三季度要是再卖30万返利多少", profile=CustomerProfile(), caller=CALLER)
    assert rebates.calls == [{"partner": "P-001", "quarter": "2026Q3", "amount": Decimal(300_000)}]
    assert isinstance(reply.cards[0], RebateCard)
    assert reply.text == "本季度返利 ¥12,345.67"
    assert reply.profile.order_amount is None  # a what-if is not the customer's order


def test_failing_skill_gives_a_polite_reply(corpus: Corpus, retriever: HybridRetriever, nlu: Nlu) -> None:
    engine = DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu, rebates=FailingRebates())
    reply = engine.handle(text="q3返利能拿多少", profile=CustomerProfile(), caller=CALLER)
    assert "返利查询" in reply.text and not reply.grounded


def test_handoff_routes_to_the_skill_with_context(corpus: Corpus, retriever: HybridRetriever, nlu: Nlu) -> None:
    handoff = FakeHandoff()
    engine = DialogueEngine(corpus=corpus, retriever=retriever, nlu=nlu, handoff=handoff)
    profile = CustomerProfile(product_model="EG-2100")
    reply = engine.handle(text="转人工", profile=profile, caller=CALLER, history=("串口没数据",))
    assert reply.intent == "handoff_request"
    assert reply.handoff_offered
    assert handoff.requests == [("转人工", profile, ("串口没数据",))]


def test_handoff_without_skill_says_coming_soon(engine: DialogueEngine) -> None:
    reply = engine.handle(text="转人工", profile=CustomerProfile(), caller=CALLER)
    assert "即将上线" in reply.text


def test_english_caller_gets_english_text(engine: DialogueEngine) -> None:
    en = Caller(user_id="u", partner_id="p", language="en")
    reply = engine.handle(text="今天天气怎么样", profile=CustomerProfile(), caller=en)
    assert reply.text.startswith("Sorry")


def test_fault_question_answers_with_cause_and_fix(engine: DialogueEngine) -> None:
    reply = engine.handle(text="EG-2100串口采集不到数据怎么办", profile=CustomerProfile(), caller=CALLER)
    assert reply.intent == "knowledge_qa" and reply.grounded
    assert reply.citations[0].doc_id == "EG-2100#fault-1"
    assert "原因：波特率或 RS485 A/B 线接反" in reply.text
    assert "处理方法：在 Web 配置页核对波特率并对调 A/B 线" in reply.text


def test_a_model_named_later_does_not_overwrite_the_stated_line(engine: DialogueEngine) -> None:
    # eval/data/README.md: the profile is the running merge of what was stated.
    first = engine.handle(text="客户想上振动传感器", profile=CustomerProfile(), caller=CALLER)
    assert first.profile.product_line == "SN"
    reply = engine.handle(text="2100的功耗是多少", profile=first.profile, caller=CALLER)
    assert reply.profile.product_model == "EG-2100"
    assert reply.profile.product_line == "SN"


def test_a_model_alone_leaves_the_line_unset(engine: DialogueEngine) -> None:
    reply = engine.handle(text="EG-2100的功耗是多少", profile=CustomerProfile(), caller=CALLER)
    assert reply.profile.product_model == "EG-2100"
    assert reply.profile.product_line is None


@pytest.mark.parametrize("text", ["能不能让懂行的直接跟现场连一下", "让你们工程师远程看下", "找个专家"])
def test_asking_to_let_someone_who_knows_look_is_asking_for_a_person(text: str) -> None:
    from assistant.dialogue.cues import ASK_PERSON

    assert ASK_PERSON.search(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("全是老客户追加的单子 这种情况增量激励能拿吗", True),
        ("增量激励怎么算", True),
        ("反利一共几档 各档多少点", True),
        ("反利一般啥时候到账", True),  # after a what-if too: the policy, not the what-if again
        ("我这季度增量激励多少", False),
        ("我在第几档", False),
    ],
)
def test_a_rebate_asked_about_a_situation_asks_for_the_rule(text: str, rule: bool) -> None:
    from assistant.dialogue.cues import RULE_QUESTION

    assert bool(RULE_QUESTION.search(text)) is rule


@pytest.mark.parametrize(
    ("text", "history", "handoff"),
    [
        ("新来的 以后现场搞不定要叫你们专家 一般走什么渠道", (), False),  # how support works, for later
        ("实在搞不定了 找个专家远程看下", ("网关一直掉线",), True),  # a person, now, for a fault
    ],
)
def test_a_person_asked_for_later_is_no_handoff_now(text: str, history: tuple[str, ...], handoff: bool) -> None:
    from assistant.dialogue.engine import _person_for_problem

    assert _person_for_problem(text, history, ("掉线",)) is handoff
