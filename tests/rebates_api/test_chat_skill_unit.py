"""How the rebate skill reads a question (the NLU already said it is a rebate question)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.rebates.chat_skill import ORDER_ID, Ask, baseline_figures, classify, customer_kind, given_scores

WAN30 = Decimal(300000)


@pytest.mark.parametrize(
    ("text", "amount", "ask"),
    [
        ("我这季度返利多少", None, Ask.STATEMENT),
        ("上季度返了多少", None, Ask.STATEMENT),
        ("离下一档还差多少", None, Ask.PROGRESS),
        ("再卖多少能到下一档", None, Ask.PROGRESS),
        ("再卖 30 万能拿多少", WAN30, Ask.WHAT_IF),
        ("P-HZ-02 再卖 30 万能拿多少", WAN30, Ask.WHAT_IF),  # the id's hyphen is no minus sign
        ("再卖 -30 万能拿多少", None, Ask.NEGATIVE_AMOUNT),
        ("再卖负三十万能拿多少", None, Ask.NEGATIVE_AMOUNT),
        ("再卖一些能拿多少", None, Ask.ASK_AMOUNT),
        ("要是签个新客户能拿多少", None, Ask.ASK_AMOUNT),
        # no deal supposed: one's own incremental line this quarter, and why it is what it is
        ("那我们这季能拿多少增量", None, Ask.WHY_INCREMENT),
        ("我的排名", None, Ask.RANKING),
        ("我在联盟排第几名", None, Ask.RANKING),
        ("为什么这笔没算增量", None, Ask.WHY_INCREMENT),
        ("增量怎么没算", None, Ask.WHY_INCREMENT),
        ("那我们Q3的增量激励怎么是0 给我看看", None, Ask.WHY_INCREMENT),
        ("SO-2026-00123为什么没算", None, Ask.WHY_INCREMENT),
        ("今年每个季度返了多少", None, Ask.HISTORY),
        # a quarter's whole net sales given: the policy applied to it, not one more order
        ("净销售额要是刚好卡在150万 是算T2还是T3", Decimal(1500000), Ask.TIER_FOR),
        ("这季度业绩做到80万 返利按几个点", Decimal(800000), Ask.TIER_FOR),
        ("再卖150万能到哪档", Decimal(1500000), Ask.WHAT_IF),
        ("假如一个季度净销售额做到175万 全额累进的话基础返利多少", Decimal(1750000), Ask.TIER_FOR),
        # last quarter's baseline and sales given: the baseline rule applied to them
        ("上季度基线80万 实际卖了120万 这季基线变多少", Decimal(800000), Ask.BASELINE_FOR),
        ("我这季度基线多少", None, Ask.BASELINE),
        # two satisfaction scores given: the subsidy's rule applied to them
        ("客户满意度上季度82分 这季度86 够不够拿补贴", None, Ask.CSAT_CHECK),
        ("今季客户满意度89分 满意度补贴批了没有", None, Ask.SUBSIDY),
    ],
)
def test_classify(text: str, amount: Decimal | None, ask: Ask) -> None:
    assert classify(text, amount) is ask


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("SO-2026-00123为什么没算增量", "SO-2026-00123"),
        ("为什么 so-2026-00123 没算", "so-2026-00123"),
        ("退货单 RT-2026-00007。", "RT-2026-00007"),
        ("ISO-9001 认证", None),
        ("型号 EG-2100", None),
    ],
)
def test_order_ids_in_text(text: str, found: str | None) -> None:
    match = ORDER_ID.search(text)
    assert (match.group(0) if match else None) == found


def test_customer_kind() -> None:
    assert customer_kind("再签一单 50 万的新客户") is True
    assert customer_kind("老客户再下 20 万") is False
    assert customer_kind("再卖 30 万") is None


def test_given_scores_put_the_earlier_quarter_first() -> None:
    assert given_scores("上季度82分 这季度86") == (82, 86)
    assert given_scores("这季度90 上季度84") == (84, 90)
    assert given_scores("满意度89分") == (89,)
    assert given_scores("上季度82 这季度186") == (82,)  # no score above 100
    # quarters named by number decide the order, not the order said
    assert given_scores("我们三季度87分 二季度才79") == (79, 87)
    assert given_scores("Q3 87 Q2 79") == (79, 87)


@pytest.mark.parametrize(
    ("text", "amount", "follows", "ask"),
    [
        # a figure alone after a tier question asks the tier of that figure
        ("那刚好150万呢", Decimal(1500000), "tier_for", Ask.TIER_FOR),
        ("这种情况还差多少能上T3", None, "tier_for", Ask.TIER_FOR),
        # one more deal is still a what-if on one's own figures
        ("那再卖20万呢", Decimal(200000), "tier_for", Ask.WHAT_IF),
        ("哦打错了 上季实际是110万", Decimal(1100000), "baseline_for", Ask.BASELINE_FOR),
        # a new question after a baseline sum is not a correction of it
        ("假如净销售额230万 全额累进和超额累进各返多少", Decimal(2300000), "baseline_for", Ask.TIER_FOR),
        ("那刚好150万呢", Decimal(1500000), None, Ask.WHAT_IF),
    ],
)
def test_a_figure_alone_re_asks_the_last_rule(text: str, amount: Decimal | None, follows: str | None, ask: Ask) -> None:
    assert classify(text, amount, follows) is ask


def test_baseline_figures_keep_the_one_not_corrected() -> None:
    assert baseline_figures("上季度基线80万 实际卖了120万 这季基线变多少", {}) == (Decimal(800000), Decimal(1200000))
    last = {"ask": "baseline_for", "baseline": "800000", "actual": "1200000"}
    assert baseline_figures("哦打错了 上季实际是110万", last) == (Decimal(800000), Decimal(1100000))
    assert baseline_figures("不对 基线是90万", last) == (Decimal(900000), Decimal(1200000))
