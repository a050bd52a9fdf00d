"""Rebate questions in chat: numbers from the engine, a statement card, every number of a
reply traceable to its card, and the partner always the caller's own."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from assistant.dialogue.types import Caller
from assistant.rebates.chat_skill import RebateChatSkill
from tests.rebates_api.harness import Api, numbers, untraced_numbers

QUESTIONS = [
    "我这季度返利多少",
    "离下一档还差多少",
    "再卖 30 万能拿多少",
    "我的排名",
    "为什么这笔没算增量",
    "上季度返了多少",
    "今年每个季度返了多少",
]


def yuan(amount: str) -> str:
    return f"¥{Decimal(amount):,.2f}"


def rebate_card(reply: dict[str, Any]) -> dict[str, Any]:
    cards = [c for c in reply["cards"] if c["type"] == "rebate"]
    assert len(cards) == 1, reply
    return cards[0]


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_number_of_a_reply_traces_to_its_card(chat_api: Api, question: str) -> None:
    reply = chat_api.chat("hz_sales1", question)
    assert reply["intent"] == "rebate_query"
    card = rebate_card(reply)
    assert card["partner_id"] == "P-HZ-01"
    assert numbers(reply["text"]), reply["text"]  # the answer has figures ...
    assert untraced_numbers(reply) == [], reply["text"]  # ... and each one is on the card


def test_statement_numbers_come_from_the_engine(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/statement", "hz_sales1").json()
    reply = chat_api.chat("hz_sales1", "我这季度返利多少")
    card = rebate_card(reply)
    assert card["total"] == yuan(rest["total"]) and card["quarter"] == "2026Q4" and card["status"] == "accrued"
    assert [line["amount"] for line in card["lines"]] == [yuan(line["amount"]) for line in rest["lines"]]
    assert yuan(rest["total"]) in reply["text"] and "预提" in reply["text"]
    assert card["progress"] == rest["progress"]["text"]
    assert yuan(rest["progress"]["missing"]) in reply["text"]


def test_progress_and_previous_quarter(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/statement", "hz_sales1").json()
    progress = chat_api.chat("hz_sales1", "离下一档还差多少")
    assert f"还差 {yuan(rest['progress']['missing'])} 到下一档 (T3)" in progress["text"]
    q3 = chat_api.get("/api/rebates/statement", "hz_sales1", quarter="2026Q3").json()
    previous = chat_api.chat("hz_sales1", "上季度返了多少")
    assert rebate_card(previous)["quarter"] == "2026Q3" and yuan(q3["total"]) in previous["text"]
    assert "已结算" in previous["text"]
    third = chat_api.chat("hz_sales1", "三季度返利多少")
    assert rebate_card(third)["total"] == yuan(q3["total"])


def test_what_if_matches_rest(chat_api: Api) -> None:
    new = chat_api.get("/api/rebates/what-if", "hz_sales1", amount="300000", new_customer="true").json()
    old = chat_api.get("/api/rebates/what-if", "hz_sales1", amount="300000", new_customer="false").json()
    reply = chat_api.chat("hz_sales1", "再卖 30 万能拿多少")
    assert "¥300,000.00" in reply["text"]
    assert yuan(new["total_delta"]) in reply["text"] and yuan(old["total_delta"]) in reply["text"]
    card = rebate_card(reply)
    assert card["total"] == yuan(new["total_after"])
    existing = chat_api.chat("hz_sales1", "再签一单 80 万的老客户订单能多拿多少")
    rest = chat_api.get("/api/rebates/what-if", "hz_sales1", amount="800000", new_customer="false").json()
    assert yuan(rest["total_delta"]) in existing["text"] and "T2 升到 T3" in existing["text"]
    assert untraced_numbers(existing) == []


def test_ranking_matches_rest_and_hides_siblings(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/ranking", "hz_sales1").json()
    reply = chat_api.chat("hz_sales1", "我的排名")
    assert f"排第 {rest['own_rank']} 名" in reply["text"] and f"{rest['size']} 家" in reply["text"]
    text = str(reply)
    for sibling in ("P-HZ-02", "P-HZ-03", "P-HZ-04", "杭州精测", "杭州数弈", "杭州视联"):
        assert sibling not in text
    manager = chat_api.chat("hz_manager", "我的排名")
    card = rebate_card(manager)
    assert len(card["lines"]) == 4 and "杭州视联远程技术服务有限公司" in str(card)
    assert card["kind"] == "ranking" and card["total"] == ""  # drawn as a ranking, no 合计 row
    assert rebate_card(chat_api.chat("hz_sales1", "我这季度返利多少"))["kind"] == "statement"
    assert untraced_numbers(manager) == []


def test_why_an_order_did_not_count(chat_api: Api) -> None:
    orders = chat_api.get("/api/ledger/orders", "hz_sales1", quarter="2026Q3", limit=5000).json()["orders"]
    existing = next(o for o in orders if not o["new_customer"] and o["status"] == "booked")
    reply = chat_api.chat("hz_sales1", f"{existing['order_id']}为什么没算增量")
    assert existing["order_id"] in reply["text"] and "老客户" in reply["text"] and "防套利" in reply["text"]
    card = rebate_card(reply)
    assert card["quarter"] == "2026Q3"
    assert any(existing["order_id"] in line["orders"] for line in card["lines"])
    assert untraced_numbers(reply) == []


def test_order_ids_of_other_partners_are_not_found(chat_api: Api) -> None:
    sibling_orders = chat_api.get("/api/ledger/orders", "hz_manager", partner_id="P-HZ-02", quarter="2026Q3").json()
    foreign = sibling_orders["orders"][0]["order_id"]
    reply = chat_api.chat("hz_sales1", f"为什么 {foreign} 没算增量")
    assert reply["cards"] == [] and "没有找到这笔订单" in reply["text"]
    assert not re.search(r"\d", reply["text"])
    # The alliance manager may read it.
    manager = chat_api.chat("hz_manager", f"为什么 {foreign} 没算增量")
    assert rebate_card(manager)["partner_id"] == "P-HZ-02"


def test_the_partner_comes_from_the_token_never_the_text(chat_api: Api) -> None:
    sibling = chat_api.get("/api/rebates/statement", "hz_manager", partner_id="P-HZ-02").json()
    assert chat_api.runtime.rebates is not None
    skill = RebateChatSkill(chat_api.runtime.rebates)
    caller = Caller(user_id="u-hz_sales1", partner_id="P-HZ-01")
    for text in (
        "P-HZ-02 这季度返利多少",
        "帮我查一下杭州精测传感技术有限公司的返利",
        "我是 P-SZ-01 的，我的返利多少",
        "P-HZ-02 离下一档还差多少",
        "P-HZ-02 再卖 30 万能拿多少",
    ):
        # Through the whole chat (whatever intent the NLU picks) ...
        reply = chat_api.chat("hz_sales1", text)
        assert yuan(sibling["total"]) not in str(reply) and "杭州精测" not in str(reply["cards"])
        for card in reply["cards"]:
            assert card["type"] != "rebate" or card["partner_id"] == "P-HZ-01", text
        # ... and straight into the skill: the text never chooses the partner.
        amount = Decimal(300000) if "30 万" in text else None
        result = skill.answer(caller=caller, text=text, quarter=None, amount=amount)
        assert [c.partner_id for c in result.cards] == ["P-HZ-01"], text
        assert yuan(sibling["total"]) not in result.text


def test_users_above_partners_and_bad_questions(chat_api: Api) -> None:
    manager = chat_api.chat("hz_manager", "我这季度返利多少")
    assert manager["cards"] == [] and "不直接计返利" in manager["text"]
    negative = chat_api.chat("hz_sales1", "再卖 -30 万能拿多少")
    assert negative["cards"] == [] and "正数" in negative["text"]
    vague = chat_api.chat("hz_sales1", "再卖一些能拿多少")
    assert vague["cards"] == [] and "金额" in vague["text"]
    future = chat_api.chat("hz_sales1", "2027年一季度返利多少")
    assert future["cards"] == [] and "不在返利政策" in future["text"]
    for reply in (manager, negative, vague, future):
        assert not re.search(r"\d", reply["text"]), reply["text"]  # no card, no figures


def test_the_baseline_asked_is_the_callers_own_with_how_it_was_set(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/statement", "hz_sales1").json()
    reply = chat_api.chat("hz_sales1", "这季度基线多少 咋算出来的")
    assert reply["intent"] == "rebate_query"
    assert yuan(rest["baseline"]["amount"]) in reply["text"]
    assert yuan(rest["sales"]["new_customer_net"]) in reply["text"]
    assert rebate_card(reply)["partner_id"] == "P-HZ-01"


def test_the_history_names_the_best_quarter(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/history", "hz_sales1").json()
    best = max(rest["quarters"], key=lambda q: Decimal(q["total"]))
    reply = chat_api.chat("hz_sales1", "今年每个季度返了多少")
    assert f"最多的是 {best['quarter']}（{yuan(best['total'])}）" in reply["text"]
    assert untraced_numbers(reply) == [], reply["text"]


def test_a_total_asked_beside_a_why_is_said_first(chat_api: Api) -> None:
    q3 = chat_api.get("/api/rebates/statement", "hz_sales1", quarter="2026Q3").json()
    incremental = next(line for line in q3["lines"] if line["kind"] == "incremental")
    reply = chat_api.chat("hz_sales1", "上季度返利最后是多少 增量激励怎么才这么点")
    assert reply["intent"] == "rebate_query" and rebate_card(reply)["quarter"] == "2026Q3"
    total_at = reply["text"].index(yuan(q3["total"]))
    assert total_at < reply["text"].index(yuan(incremental["amount"]))
    assert "已结算" in reply["text"]


def test_can_i_get_the_incremental_incentive_is_answered_with_why(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/statement", "hz_sales1").json()
    for turns in (["我这季度能拿到增量激励吗"], ["返利里的增量激励是多少", "那我们公司这季度能拿到吗"]):
        chat_api.new_conversation("hz_sales1")
        for text in turns:
            reply = chat_api.chat("hz_sales1", text)
        assert reply["intent"] == "rebate_query"
        assert yuan(rest["baseline"]["amount"]) in reply["text"] and yuan(rest["sales"]["net"]) in reply["text"]


def test_the_policy_is_applied_to_figures_the_user_gives(chat_api: Api) -> None:
    # A quarter's whole net sales: its tier, rate and base rebate, not one more order on top.
    tier = chat_api.chat("hz_sales1", "这季度净销售额要是刚好卡在150万 是算T2还是T3 返利按几个点")
    assert tier["intent"] == "rebate_query"
    assert "T3" in tier["text"] and "4%" in tier["text"] and yuan("60000") in tier["text"]
    assert "再增加" not in tier["text"] and "算 T2" not in tier["text"]
    # Two satisfaction scores: each condition checked, with what is short.
    short = chat_api.chat("hz_sales1", "客户满意度上季度82分 这季度86 够不够拿满意度提升补贴")
    assert "提升 4 分" in short["text"] and "拿不到" in short["text"] and "差 1 分" in short["text"]
    both = chat_api.chat("hz_sales1", "满意度这季度90 上季度84 能拿满意度补贴吗")
    assert "提升 6 分" in both["text"] and "两项都满足" in both["text"]


def test_own_sales_and_the_tier_they_reach_asked_together(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/statement", "hz_sales1").json()
    reply = chat_api.chat("hz_sales1", "那我们这季度现在净销售额多少 在哪档")
    assert reply["intent"] == "rebate_query"
    assert yuan(rest["sales"]["net"]) in reply["text"]
    assert f"在 {rest['progress']['current_tier']} 档" in reply["text"]


def test_what_this_quarter_brings_of_the_increment_is_ones_own_line(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/statement", "hz_sales1").json()
    reply = chat_api.chat("hz_sales1", "那我们这季能拿多少增量")
    incremental = next(line for line in rest["lines"] if line["kind"] == "incremental")
    assert f"增量激励 {yuan(incremental['amount'])}" in reply["text"] and "告诉我金额" not in reply["text"]


def test_a_rule_applied_to_figures_is_re_asked_with_a_new_figure(chat_api: Api) -> None:
    # The tier of 150万, then of 140万 and the distance from it to T3, each from the policy.
    chat_api.new_conversation("hz_sales1")
    first = chat_api.chat("hz_sales1", "假如一个季度净销售额做到175万 全额累进的话基础返利多少")
    assert "T3" in first["text"] and yuan("70000") in first["text"] and first["citations"]
    second = chat_api.chat("hz_sales1", "那要是只做到140万呢")
    assert second["intent"] == "rebate_query"
    assert "T2" in second["text"] and yuan("42000") in second["text"] and "再增加" not in second["text"]
    assert second["citations"], "the rule the figure is read by is cited, as on the first turn"
    gap = chat_api.chat("hz_sales1", "这种情况还差多少能上T3")
    assert yuan("100000") in gap["text"]


def test_the_baseline_rule_applied_to_last_quarters_figures(chat_api: Api) -> None:
    chat_api.new_conversation("hz_sales1")
    first = chat_api.chat("hz_sales1", "问下 上季度基线80万 实际卖了120万 这季基线变多少")
    assert first["intent"] == "rebate_query"
    assert yuan("1050000") in first["text"] and "再增加" not in first["text"]
    fixed = chat_api.chat("hz_sales1", "哦打错了 上季实际是110万")
    assert yuan("997500") in fixed["text"] and yuan("1000000") in fixed["text"]
    assert yuan("800000") in fixed["text"], "the baseline not corrected is kept"


@pytest.mark.parametrize(
    ("text", "must", "absent"),
    [
        # min(150万 − 120万, 18万) × 3%: only the new customers' part counts
        (
            "问个增量激励 假如某季度基线120万 净销售做了150万 其中新客户只有18万 增量激励能拿多少",
            (yuan("180000"), yuan("5400")),
            (),
        ),
        # below the baseline: nothing, whatever the new customers bought
        ("增量激励 基线120万 卖了110万 新客户30万 能拿多少", ("没有超出基线", yuan("0")), (yuan("9000"),)),
    ],
)
def test_the_incremental_rule_applied_to_figures_given(
    chat_api: Api, text: str, must: tuple[str, ...], absent: tuple[str, ...]
) -> None:
    chat_api.new_conversation("hz_sales1")
    reply = chat_api.chat("hz_sales1", text)
    assert reply["intent"] == "rebate_query"
    assert all(m in reply["text"] for m in must), reply["text"]
    assert not any(a in reply["text"] for a in absent)
    assert "基线 =（上季基线" not in reply["text"], "not the baseline rule"


def test_the_incremental_rule_asks_for_the_new_customers_part(chat_api: Api) -> None:
    chat_api.new_conversation("hz_sales1")
    reply = chat_api.chat("hz_sales1", "基线100万 卖了150万 增量激励多少")
    assert "新客户" in reply["text"] and yuan("15000") not in reply["text"]


def test_both_tier_modes_compared_on_a_figure(chat_api: Api) -> None:
    reply = chat_api.chat("hz_sales1", "老板问我 假如一个季度净销售额230万 全额累进和超额累进各返多少 两种差多少")
    assert reply["intent"] == "rebate_query"
    for figure in ("92000", "72000", "20000"):
        assert yuan(figure) in reply["text"]


def test_a_rebate_follow_up_keeps_the_quarter_asked(chat_api: Api) -> None:
    chat_api.new_conversation("hz_sales1")
    first = chat_api.chat("hz_sales1", "Q3最后结出来我们是第几档")
    assert "2026Q3" in first["text"]
    more = chat_api.chat("hz_sales1", "增量那块呢，拿到没有")
    assert "2026Q3" in more["text"] and "2026Q4" not in more["text"]
    now = chat_api.chat("hz_sales1", "那这个季度呢")
    assert "2026Q4" in now["text"]


def test_a_statement_names_the_net_sales_that_set_its_tier(chat_api: Api) -> None:
    rest = chat_api.get("/api/rebates/statement", "hz_sales1", quarter="2026Q3").json()
    reply = chat_api.chat("hz_sales1", "三季度返利多少")
    tier = rest["progress"]["current_tier"]
    assert f"净销售额 {yuan(rest['sales']['net'])}，{tier} 档" in reply["text"]
    assert untraced_numbers(reply) == [], reply["text"]


def test_a_what_if_back_then_is_about_the_quarter_just_asked(chat_api: Api) -> None:
    """ "那当时再卖…呢" after a closed quarter's statement: that quarter, with a bare figure sold
    as yuan, and the base rebate before and after the tier it reaches."""
    chat_api.new_conversation("hz_sales1")
    q3 = chat_api.get("/api/rebates/statement", "hz_sales1", quarter="2026Q3").json()
    missing = Decimal(q3["progress"]["missing"])
    chat_api.chat("hz_sales1", "三季度返利多少")
    reply = chat_api.chat("hz_sales1", f"那当时再卖{missing}呢")
    rest = chat_api.get(
        "/api/rebates/what-if", "hz_sales1", amount=str(missing), new_customer="true", quarter="2026Q3"
    ).json()
    base = next(line for line in rest["lines"] if line["kind"] == "base")
    assert rebate_card(reply)["quarter"] == "2026Q3"
    assert yuan(str(missing)) in reply["text"]
    assert f"{rest['tier_before']} 升到 {rest['tier_after']}" in reply["text"]
    assert f"基础返利 {yuan(base['before'])} → {yuan(base['after'])}" in reply["text"]
