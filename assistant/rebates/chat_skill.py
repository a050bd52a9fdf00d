# ruff: noqa: E501  (message templates read best one per line)
"""The chat side of rebates: the dialogue engine's :class:`RebateSkill`.

Answers the caller's own rebate questions from :class:`RebateService` (the same
engine and access rules as REST):

================================  ===============================================
"我这季度返利多少" / "上季度返了多少"  the statement of that quarter
"离下一档还差多少"                  tier progress
"再卖 30 万能拿多少"                what-if (new and existing customer when unsaid)
"我的排名"                          composite ranking (others stay anonymous)
"为什么这笔没算增量" (+ order id)    the incremental line and its reasons
"今年每个季度返了多少"              history
================================  ===============================================

The partner is always the caller's own (from the verified caller the engine passes
in); an order id in the text is looked up only among partners the caller may read.
Every number in a reply is copied from the :class:`RebateCard` sent with it (its
lines, total or progress); replies without a card carry no digits at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from enum import StrEnum

from assistant.dialogue.cues import CAN_GET
from assistant.dialogue.numbers import find_numbers, find_quarter
from assistant.dialogue.skills import SkillResult
from assistant.dialogue.types import Caller, RebateCard, StatementLineView
from assistant.rebates.engine import LINE_LABELS, LineKind, Statement, StatementStatus, WhatIf, base_rebate
from assistant.rebates.errors import (
    InvalidAmountError,
    OrderNotFoundError,
    PartnerNotFoundError,
    PartnerRequiredError,
    QuarterNotFoundError,
)
from assistant.rebates.ledger import Order
from assistant.rebates.money import percent, yuan
from assistant.rebates.network import ChannelNode, Level
from assistant.rebates.policy import TierMode
from assistant.rebates.quarter import Quarter
from assistant.rebates.service import Ranking, RebateService

log = logging.getLogger(__name__)

MAX_CARD_ORDERS = 200  # order ids listed per card line (the asked-about order is always kept)

ORDER_ID = re.compile(r"(?<![A-Za-z0-9])(?:SO|RT)-[A-Z0-9][A-Z0-9\-]{2,30}(?<!-)(?![A-Za-z0-9])", re.IGNORECASE)
_NEGATIVE = re.compile(r"(?:(?<![A-Za-z0-9])[-−－]\s*\d|负\s*[\d一二三四五六七八九十])")  # not the "-" of "P-HZ-02"
_WHY = (
    "为什么",
    "为啥",
    "怎么没",
    "没算",
    "不算",
    "没计",
    "没有算",
    "没被算",
    "怎么才",
    "咋才",
    "怎么只有",
    "咋只有",
    "这么少",
    "这么点",
    "why",
)
_INCREMENT = ("增量",)
_NOTHING = ("是0", "为0", "是零", "为零", "等于0", "0元", "零元", "只有0", "是空的")
_RANK = ("排名", "排第", "第几名", "排老几", "名次", "rank")
_WHAT_IF = ("再卖", "再签", "多卖", "多签", "多做", "再做", "再来一单", "能拿多少", "多拿", "能多", "what if")
# What makes "能拿多少" a what-if: one more deal, supposed ("这季能拿多少增量" is one's own figure).
_SUPPOSED = ("再", "多卖", "多签", "如果", "要是", "假如", "假设", "万一", "what if")
_PROGRESS = ("下一档", "还差", "差多少", "升档", "跨档", "档位", "第几档", "哪一档", "哪档", "next tier")
_HISTORY = ("历史", "每个季度", "各季度", "各个季度", "今年", "全年", "这几个季度", "哪个季度最", "哪季度最", "history")
_BASELINE = ("基线", "基准线", "baseline")
# The statement's total asked beside a why ("返利最后是多少 增量怎么才三千多").
_TOTAL = ("返利是多少", "返利多少", "返利最后", "返利一共", "返利合计", "返利总共", "总返利", "total rebate")
_PREVIOUS = ("上季度", "上个季度", "上一季度", "上一个季度", "last quarter")
# Back to the quarter the last rebate turn was about ("如果当时多做够那3500").
_BACK_THEN = ("当时", "那个季度", "那季度", "那时候", "那会儿", "back then", "that quarter")
_NEW_CUSTOMER = ("新客户", "新客", "new customer")
_SUBSIDY = ("补贴", "满意度", "新市场", "subsidy")
_SALES = ("退货", "退了", "净销售", "销售额", "卖了多少", "业绩多少", "net sales", "returns")
_EXISTING_CUSTOMER = ("老客户", "老客", "现有客户", "存量客户", "existing customer")
# A quarter's whole net sales given, and the tier or rate it earns asked ("净销售额要是卡在150万
# 算T2还是T3"): the policy applied to that figure, not one more order on top of one's own.
_TIER_ASK = (
    "哪档",
    "哪一档",
    "哪个档",
    "几档",
    "第几档",
    "t几",
    "还是t",
    "几个点",
    "返利率",
    "基础返利多少",
    "基础返利是多少",
    "返利多少",
    "返利是多少",
    "返多少",
    "which tier",
)
# A figure corrected ("打错了 是110万").
_CORRECTED = ("打错", "说错", "写错", "记错", "不对", "更正")
# Both tier modes asked side by side ("全额累进和超额累进各返多少").
_BOTH_MODES = ("全额", "超额")
# Last quarter's actual sales, beside its baseline ("上季度基线80万 实际卖了120万").
_ACTUAL = ("实际", "卖了", "做了", "净销售", "销售额", "完成", "业绩", "actual")
_WHOLE_SALES = ("净销售", "销售额", "业绩", "卖到", "做到", "卡在", "达到", "总共", "一共", "net sales")
# Two satisfaction scores given ("上季度82分 这季度86"): the subsidy's rule applied to them.
_SCORE = re.compile(r"(?<![\d.])(\d{2,3})(?:\.\d+)?\s*分?")
_PREVIOUS_SCORE = re.compile(r"上(?:个|一)?季度?|去年|之前|以前|原来|last")

_SCOPE = {
    "zh": {Level.ALLIANCE: "联盟", Level.REGIONAL: "区域", Level.NATIONAL: "全国网络", Level.PARTNER: "上级节点"},
    "en": {Level.ALLIANCE: "alliance", Level.REGIONAL: "region", Level.NATIONAL: "network", Level.PARTNER: "group"},
}
_STATUS = {
    "zh": {StatementStatus.ACCRUED: "预提，季度结束前可能变化", StatementStatus.FINAL: "已结算"},
    "en": {StatementStatus.ACCRUED: "accrued, may still change", StatementStatus.FINAL: "final"},
}

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        "statement": "{quarter} 你的返利（{status}）合计 {total}：基础返利 {base}（净销售额 {net}，{tier} 档，返利率 {rate}），增量激励 {incremental}，新市场开拓补贴 {new_market}，客户满意度提升补贴 {csat}。{progress}。",
        "progress": "{quarter} 目前净销售额 {net}，在 {tier} 档（返利率 {rate}）。{progress}。",
        "what_if_both": "{quarter} 再增加一笔 {amount} 的订单：如果是新客户，返利合计 {before} → {after_new}，多拿 {delta_new}；如果是老客户，返利合计 {before} → {after_old}，多拿 {delta_old}（增量激励只算新客户销售）。{tier}",
        "what_if_one": "{quarter} 再增加一笔 {amount} 的{who}订单：返利合计 {before} → {after}，多拿 {delta}。{tier}",
        "tier_up": "档位从 {before} 升到 {after}，基础返利 {base_before} → {base_after}。",
        "tier_same": "档位保持 {tier}。",
        "new": "新客户",
        "existing": "老客户",
        "rank_partner": "{quarter} 你在所在{scope}的 {size} 家伙伴中排第 {rank} 名，综合得分 {score}（达成率 {attainment}，满意度 {satisfaction}，风险分 {risk}）。",
        "rank_progress": "{scope}内共 {size} 家伙伴，你排第 {rank} 名。综合得分 = 0.6 × 达成率 + 0.3 × 满意度/100 + 0.1 × (1 − 风险分/100)。",
        "rank_node": "{quarter} {name}下 {size} 家伙伴的综合排名前 {top}：{rows}。",
        "rank_node_row": "第 {rank} 名 {name}（{score}）",
        "rank_node_progress": "{name}下共 {size} 家伙伴。综合得分 = 0.6 × 达成率 + 0.3 × 满意度/100 + 0.1 × (1 − 风险分/100)。",
        "rank_other": "其他伙伴",
        "rank_reasons": "风险提示：{reasons}。",
        "no_score": "暂无",
        "rank_empty": "目前没有可以排名的伙伴。",
        "why_order_return": "订单 {order} 是一笔退货（冲减 {original}），在退货所在季度冲减净销售额，也相应冲减新客户销售额。",
        "why_order_existing": "订单 {order}（客户 {customer}，{amount}）是老客户订单：按防套利规则，增量只有包含新客户的部分才算，这笔只计入基础返利的净销售额。",
        "why_order_counted": "订单 {order}（客户 {customer}，{amount}）是新客户订单，已计入可计增量，增量激励 {incremental}。",
        "why_order_no_increment": "订单 {order}（客户 {customer}，{amount}）是新客户订单，但本季度没有可计的增量。",
        "why_quarter": "{quarter} 增量激励 {incremental}。{reasons}",
        "why_total": "{quarter} 返利合计 {total}（{status}）。",
        "why_counted": "增量已全部计入：{rule}。",
        "history": "各季度返利：{rows}；合计 {total}。{best}",
        "history_best": "最多的是 {quarter}（{total}）。",
        "baseline": "{quarter} 你的基线目标 {baseline}。{how} 目前净销售额 {net}，其中新客户 {new}；超出基线、且来自新客户的部分才计增量激励。",
        "subsidies": "{quarter} 战略补贴：{lines}。",
        "sales": "{quarter} 截至 {as_of}：订货 {booked}，退货 {returned}，净销售额 {net}（其中新客户 {new}）。",
        "history_row": "{quarter} {total}（{status}）",
        "history_progress": "合计 {total}",
        "ask_amount": "想按多少金额算？告诉我金额，比如“再卖三十万能拿多少”，我按新客户和老客户分别算给你。",
        "positive_amount": "金额需要是正数，请换一个金额再问我。",
        "no_partner": "你的账号目前没有关联可以查询返利的合作伙伴，请联系管理员。",
        "not_partner": "你的账号属于{scope}层级，这一层不直接计返利。可以问我“我的排名”看下属伙伴的综合排名，或在看板里查看每个伙伴的对账单。",
        "no_quarter": "这个季度不在返利政策覆盖的范围内（或你的公司那时还没有加入），可以问本季度或上季度的返利。",
        "no_order": "没有找到这笔订单，请核对订单号。也可以直接问“为什么没算增量”，我按本季度的对账单解释。",
        "tier_for": "按{quarter}的政策，季度净销售额 {net} 属于 {tier} 档（{lower} {upper}，下限含、上限不含），基础返利率 {rate}；{how}",
        "tier_upper": "至 {upper} 以下",
        "tier_open": "及以上",
        "tier_whole": "全额累进，基础返利 = {net} × {rate} = {base}。",
        "tier_marginal": "超额累进，逐档计算基础返利合计 {base}。",
        "tier_next": "离下一档 {next}（返利率 {rate}）还差 {gap}。",
        "tier_modes": "两种算法对比：全额累进 {whole}，超额累进（逐档计算）{marginal}，相差 {gap}；现行政策按{mode}。",
        "mode_whole": "全额累进",
        "mode_marginal": "超额累进",
        "baseline_for": "按{quarter}的政策，本季基线 =（上季基线 {previous} + 上季实际净销售额 {actual}）÷ 2 × {factor} = {unrounded}，按 {unit} 取整为 {rounded}{floored}。",
        "baseline_floor": "，低于下限，按下限 {floor} 计",
        "increment_for": "按{quarter}的政策：增量 = 净销售额 {net} − 基线 {baseline} = {increment}；{counted}增量激励 = {eligible} × {rate} = {amount}。",
        "increment_counted": "只有新客户的销售计入，可计增量 = min(增量, 新客户净销售额 {new}) = {eligible}；",
        "increment_none": "没有超出基线，",
        "increment_ask": "算增量激励要三个数：本季基线、本季净销售额、其中新客户的净销售额，比如“基线120万 卖了150万 新客户18万 增量激励多少”。",
        "baseline_ask": "算基线要两个数：上季度的基线和上季度实际净销售额，比如“上季度基线80万 实际卖了120万 这季基线多少”。",
        "csat_check": "按你给的分数：上季度 {before} 分，本季度 {now} 分，提升 {gain} 分。客户满意度提升补贴要求本季度 ≥{min_score} 分且比上季度提升 ≥{min_gain} 分：{verdict}",
        "csat_yes": "两项都满足，申请获批后可拿这项补贴（每季度 {amount}）。",
        "csat_no": "{why}，这季度拿不到这项补贴（每季度 {amount}）。",
        "csat_low": "分数还差 {short} 分",
        "csat_small": "提升还差 {short} 分，不够",
        "sep": "；",
        "list_sep": "，",
    },
    "en": {
        "statement": "{quarter} rebate ({status}) totals {total}: base {base} (net sales {net}, tier {tier}, rate {rate}), incremental {incremental}, new-market subsidy {new_market}, satisfaction subsidy {csat}. {progress}.",
        "progress": "{quarter} net sales so far {net}, tier {tier} (rate {rate}). {progress}.",
        "what_if_both": "{quarter} one more order of {amount}: with a new customer the rebate goes {before} → {after_new}, +{delta_new}; with an existing customer {before} → {after_old}, +{delta_old} (the incremental incentive counts new customers only). {tier}",
        "what_if_one": "{quarter} one more {who} order of {amount}: rebate {before} → {after}, +{delta}. {tier}",
        "tier_up": "Tier moves from {before} to {after}; base rebate {base_before} → {base_after}.",
        "tier_same": "Tier stays {tier}.",
        "new": "new-customer",
        "existing": "existing-customer",
        "rank_partner": "{quarter} you rank {rank} of {size} partners in your {scope}, composite score {score} (attainment {attainment}, satisfaction {satisfaction}, risk {risk}).",
        "rank_progress": "{size} partners in the {scope}; you rank {rank}. Composite = 0.6 × attainment + 0.3 × satisfaction/100 + 0.1 × (1 − risk/100).",
        "rank_node": "{quarter} top {top} of {size} partners under {name}: {rows}.",
        "rank_node_row": "#{rank} {name} ({score})",
        "rank_node_progress": "{size} partners under {name}. Composite = 0.6 × attainment + 0.3 × satisfaction/100 + 0.1 × (1 − risk/100).",
        "rank_other": "another partner",
        "rank_reasons": "Risk signals: {reasons}.",
        "no_score": "n/a",
        "rank_empty": "There are no partners to rank yet.",
        "why_order_return": "Order {order} is a return (reversing {original}); it reduces net sales in the quarter it is booked.",
        "why_order_existing": "Order {order} (customer {customer}, {amount}) is to an existing customer: incremental sales count only with new customers, so it counts for the base rebate only.",
        "why_order_counted": "Order {order} (customer {customer}, {amount}) is to a new customer and counts towards the increment; incremental incentive {incremental}.",
        "why_order_no_increment": "Order {order} (customer {customer}, {amount}) is to a new customer, but there is no eligible increment this quarter.",
        "why_quarter": "{quarter} incremental incentive {incremental}. {reasons}",
        "why_total": "{quarter} rebate in total {total} ({status}).",
        "why_counted": "The whole increment counts: {rule}.",
        "history": "Rebate by quarter: {rows}; total {total}.{best}",
        "history_best": " The highest was {quarter} ({total}).",
        "baseline": "{quarter} baseline target {baseline}. {how} Net sales so far {net}, of which new customers {new}; only the part above the baseline that comes from new customers earns the incremental incentive.",
        "subsidies": "{quarter} strategic subsidies: {lines}.",
        "sales": "{quarter} up to {as_of}: booked {booked}, returned {returned}, net sales {net} (new customers {new}).",
        "history_row": "{quarter} {total} ({status})",
        "history_progress": "Total {total}",
        "ask_amount": "Which amount should I use? Tell me the amount and I will work it out for a new and an existing customer.",
        "positive_amount": "The amount must be positive; please ask again with another amount.",
        "no_partner": "Your account is not linked to a partner with rebates; please contact an administrator.",
        "not_partner": "Your account belongs to the {scope} level, which earns no rebate itself. Ask me for the ranking, or open a partner's statement in the dashboard.",
        "no_quarter": "That quarter is not covered by the rebate policy (or your company had not joined yet); ask about this or last quarter.",
        "no_order": "I could not find that order; please check the order number, or ask why the increment was not counted this quarter.",
        "tier_for": "Under the {quarter} policy, quarterly net sales of {net} fall in tier {tier} ({lower} {upper}; lower bound included, upper excluded), base rate {rate}; {how}",
        "tier_upper": "up to below {upper}",
        "tier_open": "and above",
        "tier_whole": "the rate applies to the whole volume: base rebate = {net} × {rate} = {base}.",
        "tier_marginal": "each band at its own rate: base rebate {base} in total.",
        "tier_next": "The next tier, {next} (rate {rate}), is {gap} away.",
        "tier_modes": "The two methods side by side: whole volume {whole}, marginal (band by band) {marginal}, a difference of {gap}; the policy in force uses {mode}.",
        "mode_whole": "the whole-volume method",
        "mode_marginal": "the marginal method",
        "baseline_for": "Under the {quarter} policy, this quarter's baseline = (last quarter's baseline {previous} + last quarter's actual net sales {actual}) ÷ 2 × {factor} = {unrounded}, rounded to {unit}: {rounded}{floored}.",
        "baseline_floor": ", below the floor, so the floor {floor} applies",
        "increment_for": "Under the {quarter} policy: increment = net sales {net} − baseline {baseline} = {increment}; {counted}incremental incentive = {eligible} × {rate} = {amount}.",
        "increment_counted": "only new customers' sales count, so the eligible increment = min(increment, new-customer net sales {new}) = {eligible}; ",
        "increment_none": "nothing above the baseline, so ",
        "increment_ask": "The incremental incentive needs three figures: this quarter's baseline, net sales, and the new customers' part of them, e.g. \"baseline 1.2M, sold 1.5M, 180k from new customers, how much incremental incentive\".",
        "baseline_ask": "A baseline needs two figures: last quarter's baseline and last quarter's actual net sales, e.g. \"baseline 800k last quarter, sold 1.2M, what is this quarter's baseline\".",
        "csat_check": "With your scores: last quarter {before}, this quarter {now}, up {gain}. The satisfaction subsidy needs at least {min_score} this quarter and a rise of at least {min_gain}: {verdict}",
        "csat_yes": "both are met; once the claim is approved you earn it ({amount} per quarter).",
        "csat_no": "{why}, so it is not earned this quarter ({amount} per quarter).",
        "csat_low": "the score is {short} short",
        "csat_small": "the rise is {short} short",
        "sep": "; ",
        "list_sep": ", ",
    },
}

SUGGESTIONS = {
    "zh": ("离下一档还差多少", "再卖 30 万能拿多少", "我的排名"),
    "en": ("How far to the next tier?", "What if I sell 300,000 more?", "My ranking"),
}


def _t(lang: str, key: str, **values: object) -> str:
    table = MESSAGES.get(lang, MESSAGES["zh"])
    return (table.get(key) or MESSAGES["zh"][key]).format(**values)


class Ask(StrEnum):
    STATEMENT = "statement"
    PROGRESS = "progress"
    WHAT_IF = "what_if"
    ASK_AMOUNT = "ask_amount"
    NEGATIVE_AMOUNT = "negative_amount"
    RANKING = "ranking"
    WHY_INCREMENT = "why_increment"
    HISTORY = "history"
    SUBSIDY = "subsidy"
    SALES = "sales"
    BASELINE = "baseline"
    TIER_FOR = "tier_for"  # the tier and base rebate of a net-sales figure the user gives
    BASELINE_FOR = "baseline_for"  # the baseline rule applied to last quarter's figures the user gives
    INCREMENT_FOR = "increment_for"  # the incremental rule applied to a baseline, net and new sales given
    CSAT_CHECK = "csat_check"  # the satisfaction subsidy's rule applied to two scores given


def classify(text: str, amount: Decimal | None, follows: str | None = None) -> Ask:
    """Which rebate question this is (the NLU already decided it is one); ``follows`` is the
    ask of the previous rebate turn, which a bare figure ("那刚好150万呢") re-asks."""
    low = text.lower()

    def has(words: Sequence[str]) -> bool:
        return any(w in low for w in words)

    if has(_INCREMENT) and has(_BASELINE) and len(_money(text)) >= 2:
        return Ask.INCREMENT_FOR  # "假如基线120万 净销售150万 其中新客户18万 增量激励能拿多少"
    if has(_BASELINE) and len(_money(text)) >= 2:
        return Ask.BASELINE_FOR  # "上季度基线80万 实际卖了120万 这季基线变多少"
    if (
        follows == Ask.BASELINE_FOR
        and _money(text)
        and has((*_BASELINE, *_ACTUAL, *_CORRECTED))
        and not has((*_WHAT_IF, *_TIER_ASK))
    ):
        return Ask.BASELINE_FOR  # "打错了 上季实际是110万": one of the two figures changed
    if follows == Ask.TIER_FOR and not has(_WHAT_IF) and ((amount is not None and amount > 0) or has(_PROGRESS)):
        return Ask.TIER_FOR  # "那刚好150万呢", "这种情况还差多少能上T3"

    if (
        (has(_WHY) and (has(_INCREMENT) or ORDER_ID.search(text)))
        or (has(_INCREMENT) and has(("没", "不")))
        or (has(_INCREMENT) and has(_NOTHING))  # "Q3的增量激励怎么是0": why it is zero
        or (has(_INCREMENT) and has(CAN_GET))  # "我这季度能拿到增量激励吗": whether, and why
    ):
        return Ask.WHY_INCREMENT
    if has(_RANK):
        return Ask.RANKING
    if "满意度" in low and len(given_scores(text)) == 2:
        return Ask.CSAT_CHECK
    if has(_SUBSIDY):
        return Ask.SUBSIDY
    if amount is not None and amount > 0 and has(_TIER_ASK) and has(_WHOLE_SALES) and not has(_WHAT_IF):
        return Ask.TIER_FOR
    if has(_SALES) and amount is None:
        return Ask.SALES
    if _NEGATIVE.search(text) and (has(_WHAT_IF) or amount is not None):
        return Ask.NEGATIVE_AMOUNT
    if amount is not None:
        return Ask.WHAT_IF if amount > 0 else Ask.NEGATIVE_AMOUNT
    if has(_BASELINE) and amount is None:
        return Ask.BASELINE
    if has(_PROGRESS):
        return Ask.PROGRESS
    if has(_WHAT_IF) and has(_SUPPOSED):
        return Ask.ASK_AMOUNT
    if has(_WHAT_IF) and has(_INCREMENT):
        return Ask.WHY_INCREMENT  # "这季能拿多少增量": the quarter's incremental line and why
    if has(_HISTORY):
        return Ask.HISTORY
    return Ask.STATEMENT


def _money(text: str) -> list[tuple[Decimal, str]]:
    """Money figures typed in ``text`` with the words of their clause before them."""
    low = text.lower()
    out = []
    for n in find_numbers(low):
        if n.is_money and n.value > 0:
            out.append((n.value, re.split(r"[，,。；;\s]", low[max(0, n.start - 8) : n.start])[-1]))
    return out


def baseline_figures(text: str, last: Mapping[str, str]) -> tuple[Decimal | None, Decimal | None]:
    """(last quarter's baseline, last quarter's actual net sales) as typed, a figure not given
    this time kept from the previous turn ("打错了 上季实际是110万")."""
    baseline = Decimal(last["baseline"]) if last.get("baseline") else None
    actual = Decimal(last["actual"]) if last.get("actual") else None
    unnamed = []
    for value, before in _money(text):
        if any(w in before for w in _BASELINE):
            baseline = value
        elif any(w in before for w in _ACTUAL):
            actual = value
        else:
            unnamed.append(value)
    if len(unnamed) >= 2:
        baseline, actual = unnamed[0], unnamed[1]  # "80万的基线 120万的销售": in the order said
    elif unnamed and baseline is None:
        baseline = unnamed[0]
    elif unnamed:
        actual = unnamed[0]  # "不对 是110万" after a baseline sum: the sales figure corrected
    return baseline, actual


def increment_figures(text: str) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(baseline, net sales, new customers' net sales) as typed: each figure named by the words
    of its clause; a figure named by none of them is the net sales."""
    baseline = net = new = None
    for value, before in _money(text):
        if any(w in before for w in _NEW_CUSTOMER):
            new = value
        elif any(w in before for w in _BASELINE):
            baseline = value
        elif net is None:
            net = value
    return baseline, net, new


def given_scores(text: str) -> tuple[int, ...]:
    """Satisfaction scores typed in the message, the earlier quarter's first ("这季度86 上季度82"
    gives (82, 86)); only scores of 0 to 100."""
    found = [(m.start(), int(m.group(1))) for m in _SCORE.finditer(text) if int(m.group(1)) <= 100]
    if len(found) != 2:
        return tuple(score for _, score in found)
    (a_at, a), (b_at, b) = found
    if _PREVIOUS_SCORE.search(text[max(0, b_at - 6) : b_at]) and not _PREVIOUS_SCORE.search(
        text[max(0, a_at - 6) : a_at]
    ):
        return (b, a)
    qa, qb = _quarter_before(text, a_at), _quarter_before(text, b_at)
    if qa is not None and qb is not None and qa > qb:
        return (b, a)  # "我们三季度87分 二季度才79": the quarters named decide, not the order said
    return (a, b)


def _quarter_before(text: str, at: int) -> int | None:
    """The quarter's number named right before a score ("三季度87分" -> 3), None when none."""
    window = text[max(0, at - 6) : at].lower()
    found = find_quarter(window, current_year=0)  # (only the quarter's number is read)
    if found is None or not re.fullmatch(r"[^\d]{0,3}", window[found[2] :]):
        return None
    return int(found[0][-1])


def customer_kind(text: str) -> bool | None:
    """True for a new customer, False for an existing one, None when unsaid."""
    low = text.lower()
    if any(w in low for w in _EXISTING_CUSTOMER):
        return False
    if any(w in low for w in _NEW_CUSTOMER):
        return True
    return None


def _progress(lang: str, st: Statement) -> str:
    """Where the quarter's net sales stand: the tier, its rate, and what the next one needs."""
    p = st.tier_progress
    return _t(
        lang,
        "progress",
        quarter=st.quarter,
        net=yuan(st.net_sales),
        tier=p.current_tier,
        rate=percent(p.current_rate),
        progress=p.sentence,
    )


def _score(value: Decimal | None) -> str:
    return "—" if value is None else format(value.normalize(), "f")


class RebateChatSkill:
    """:class:`assistant.dialogue.skills.RebateSkill` over a :class:`RebateService`."""

    def __init__(self, service: RebateService) -> None:
        self.service = service

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
        """``new_customer`` is the what-if's customer kind when the text does not say it
        (a follow-up of an earlier what-if); ``follows`` is the previous rebate turn's ``task``,
        which a figure alone re-asks ("那刚好150万呢" after a tier question); the result names
        what was answered in ``task``."""
        last = follows or {}
        ask = classify(text, amount, last.get("ask"))
        if ask is Ask.TIER_FOR and amount is None and last.get("amount"):
            amount = Decimal(last["amount"])  # "这种情况还差多少能上T3": the figure of the last turn
        if ask is Ask.BASELINE_FOR:
            return self._baseline_for(caller.language, quarter, *baseline_figures(text, last))
        if ask is Ask.INCREMENT_FOR:
            return self._increment_for(caller.language, quarter, *increment_figures(text))
        label = quarter
        if label is None and any(w in text.lower() for w in _PREVIOUS):
            label = str(self.service.current_quarter().previous())
        if label is None and last.get("quarter") and any(w in text.lower() for w in _BACK_THEN):
            label = last["quarter"]
        said = customer_kind(text)
        kind = said if said is not None else new_customer
        log.debug("rebate question ask=%s quarter=%s partner=%s", ask, label, caller.partner_id)
        result = self._answer(caller, text, ask=ask, label=label, amount=amount, new_customer=kind)
        done = {"ask": ask.value, "quarter": label or "", "amount": str(amount) if amount is not None else ""}
        if any(w in text.lower() for w in _INCREMENT):
            done["topic"] = "incremental"  # "那我们这季度能拿到吗" next asks about it
        if kind is not None:
            done["new_customer"] = str(kind)
        return replace(result, task={k: v for k, v in done.items() if v})

    def _answer(
        self,
        caller: Caller,
        text: str,
        *,
        ask: Ask,
        label: str | None,
        amount: Decimal | None,
        new_customer: bool | None,
    ) -> SkillResult:
        lang = caller.language
        try:
            node = self.service.viewer_node(caller)
            if ask is Ask.RANKING:
                return self._ranking(caller, node, label)
            if ask is Ask.ASK_AMOUNT:
                return self._plain(lang, "ask_amount")
            if ask is Ask.NEGATIVE_AMOUNT:
                return self._plain(lang, "positive_amount")
            if ask is Ask.TIER_FOR:
                assert amount is not None
                return self._tier_for(lang, label, amount, both_modes=all(w in text for w in _BOTH_MODES))
            if ask is Ask.CSAT_CHECK:
                return self._csat_check(lang, label, text)
            if node.level is not Level.PARTNER and not (ask is Ask.WHY_INCREMENT and ORDER_ID.search(text)):
                return self._plain(lang, "not_partner", scope=_SCOPE.get(lang, _SCOPE["zh"])[node.level])
            if ask is Ask.WHAT_IF:
                assert amount is not None
                return self._what_if(caller, label, amount, new_customer)
            if ask is Ask.WHY_INCREMENT:
                return self._why(caller, text, label)
            if ask is Ask.HISTORY:
                return self._history(caller)
            if ask is Ask.SUBSIDY:
                return self._subsidies(caller, label)
            if ask is Ask.SALES:
                return self._sales(caller, label, tier=any(w in text.lower() for w in (*_TIER_ASK, *_PROGRESS)))
            if ask is Ask.BASELINE:
                return self._baseline(caller, label)
            return self._statement(caller, label, progress_only=ask is Ask.PROGRESS)
        except PartnerNotFoundError:
            return self._plain(lang, "no_partner")
        except PartnerRequiredError:
            return self._plain(lang, "not_partner", scope=_SCOPE.get(lang, _SCOPE["zh"])[Level.ALLIANCE])
        except QuarterNotFoundError:
            return self._plain(lang, "no_quarter")
        except InvalidAmountError:
            return self._plain(lang, "positive_amount")
        except OrderNotFoundError:
            return self._plain(lang, "no_order")

    # ----------------------------------------------------------------- answers

    def _plain(self, lang: str, key: str, **values: object) -> SkillResult:
        return SkillResult(text=_t(lang, key, **values), suggestions=SUGGESTIONS.get(lang, SUGGESTIONS["zh"]))

    def _result(self, lang: str, text: str, card: RebateCard) -> SkillResult:
        return SkillResult(text=text, cards=(card,), suggestions=SUGGESTIONS.get(lang, SUGGESTIONS["zh"]))

    def _statement(self, caller: Caller, label: str | None, *, progress_only: bool) -> SkillResult:
        lang = caller.language
        result = self.service.statement(viewer=caller, quarter=label)
        st = result.statement
        p = st.tier_progress
        card = statement_card(result.node, st, progress=p.sentence)
        if progress_only:
            text = _progress(lang, st)
        else:
            text = _t(
                lang,
                "statement",
                quarter=st.quarter,
                status=_STATUS.get(lang, _STATUS["zh"])[st.status],
                total=yuan(st.total),
                base=yuan(st.line(LineKind.BASE).amount),
                net=yuan(st.net_sales),
                tier=p.current_tier,
                rate=percent(p.current_rate),
                incremental=yuan(st.line(LineKind.INCREMENTAL).amount),
                new_market=yuan(st.line(LineKind.SUBSIDY_NEW_MARKET).amount),
                csat=yuan(st.line(LineKind.SUBSIDY_CSAT).amount),
                progress=p.sentence,
            )
        return self._result(lang, text, card)

    def _baseline(self, caller: Caller, label: str | None) -> SkillResult:
        """The quarter's baseline target, how it was obtained, and where sales stand against it."""
        lang = caller.language
        result = self.service.statement(viewer=caller, quarter=label)
        st = result.statement
        text = _t(
            lang,
            "baseline",
            quarter=st.quarter,
            baseline=yuan(st.baseline.amount),
            how=st.baseline.explanation,
            net=yuan(st.net_sales),
            new=yuan(st.sales.new_customer_net),
        )
        card = statement_card(result.node, st, progress=st.tier_progress.sentence)
        return self._result(lang, text, card)

    def _sales(self, caller: Caller, label: str | None, *, tier: bool = False) -> SkillResult:
        """What the statement counts: booked, returned, net, and the new customers' part;
        ``tier``: the tier those sales reach was asked too ("净销售额多少 在哪档")."""
        lang = caller.language
        result = self.service.statement(viewer=caller, quarter=label)
        st = result.statement
        sales = st.sales
        text = _t(
            lang,
            "sales",
            quarter=st.quarter,
            as_of=st.as_of,
            booked=yuan(sales.booked),
            returned=yuan(sales.returned),
            net=yuan(sales.net),
            new=yuan(sales.new_customer_net),
        )
        card = statement_card(result.node, st, progress=f"{text} {st.tier_progress.sentence}")
        if tier:
            text += _progress(lang, st)
        return self._result(lang, text, card)

    def _subsidies(self, caller: Caller, label: str | None) -> SkillResult:
        """The strategic subsidies of the statement: each line says why it is what it is."""
        lang = caller.language
        result = self.service.statement(viewer=caller, quarter=label)
        st = result.statement
        lines = [st.line(LineKind.SUBSIDY_NEW_MARKET), st.line(LineKind.SUBSIDY_CSAT)]
        said = [f"{line.rule}（{yuan(line.amount)}）" for line in lines] + list(st.notes)
        text = _t(lang, "subsidies", quarter=st.quarter, lines=_t(lang, "sep").join(said))
        card = statement_card(result.node, st, progress=st.tier_progress.sentence)
        return self._result(lang, text, card)

    def _tier_for(self, lang: str, label: str | None, net: Decimal, *, both_modes: bool = False) -> SkillResult:
        """The tier, rate and base rebate of a quarter's net sales as given, from the policy;
        ``both_modes``: also the other tier mode's base rebate, for comparison."""
        q = self.service.quarter(label)
        version = self.service.state.policy.version_for(q)
        tier = version.tier_for(net)
        upper = _t(lang, "tier_open") if tier.maximum is None else _t(lang, "tier_upper", upper=yuan(tier.maximum))
        if version.tier_mode is TierMode.WHOLE_VOLUME:
            how = _t(lang, "tier_whole", net=yuan(net), rate=percent(tier.rate), base=yuan(base_rebate(version, net)))
        else:
            how = _t(lang, "tier_marginal", base=yuan(base_rebate(version, net)))
        said = _t(
            lang,
            "tier_for",
            quarter=q,
            net=yuan(net),
            tier=tier.name,
            lower=yuan(tier.minimum),
            upper=upper,
            rate=percent(tier.rate),
            how=how,
        )
        if both_modes:
            whole = base_rebate(replace(version, tier_mode=TierMode.WHOLE_VOLUME), net)
            marginal = base_rebate(replace(version, tier_mode=TierMode.MARGINAL), net)
            mode = "mode_whole" if version.tier_mode is TierMode.WHOLE_VOLUME else "mode_marginal"
            said += _t(
                lang,
                "tier_modes",
                whole=yuan(whole),
                marginal=yuan(marginal),
                gap=yuan(abs(whole - marginal)),
                mode=_t(lang, mode),
            )
        following = [t for t in version.tiers if t.minimum > net]
        if following:
            nxt = min(following, key=lambda t: t.minimum)
            said += _t(lang, "tier_next", next=nxt.name, rate=percent(nxt.rate), gap=yuan(nxt.minimum - net))
        return SkillResult(text=said, suggestions=SUGGESTIONS.get(lang, SUGGESTIONS["zh"]))

    def _increment_for(
        self, lang: str, label: str | None, baseline: Decimal | None, net: Decimal | None, new: Decimal | None
    ) -> SkillResult:
        """The incremental rule applied to the figures as given; a figure the rule needs and the
        text lacks is asked for, never assumed."""
        try:
            q = self.service.quarter(label)
            rule = self.service.state.policy.version_for(q).incremental
        except QuarterNotFoundError:
            return self._plain(lang, "no_quarter")
        if baseline is None or net is None or (new is None and rule.require_new_customers):
            return replace(self._plain(lang, "increment_ask"), task={"ask": Ask.INCREMENT_FOR.value})
        increment, eligible, amount = rule.apply(net, baseline, new if new is not None else net)
        if increment <= 0:
            counted = _t(lang, "increment_none")
        elif rule.require_new_customers:
            counted = _t(lang, "increment_counted", new=yuan(new or Decimal(0)), eligible=yuan(eligible))
        else:
            counted = ""
        said = _t(
            lang,
            "increment_for",
            quarter=q,
            net=yuan(net),
            baseline=yuan(baseline),
            increment=yuan(increment),
            counted=counted,
            eligible=yuan(eligible),
            rate=percent(rule.rate),
            amount=yuan(amount),
        )
        task = {"ask": Ask.INCREMENT_FOR.value}
        return SkillResult(text=said, suggestions=SUGGESTIONS.get(lang, SUGGESTIONS["zh"]), task=task)

    def _baseline_for(
        self, lang: str, label: str | None, previous: Decimal | None, actual: Decimal | None
    ) -> SkillResult:
        """The baseline rule applied to last quarter's baseline and actual sales as given."""
        if previous is None or actual is None:
            return replace(self._plain(lang, "baseline_ask"), task={"ask": Ask.BASELINE_FOR.value})
        try:
            q = self.service.quarter(label)
            rule = self.service.state.policy.version_for(q).baseline
        except QuarterNotFoundError:
            return self._plain(lang, "no_quarter")
        unrounded, rounded, amount = rule.apply(previous, actual)
        floored = _t(lang, "baseline_floor", floor=yuan(rule.floor)) if amount != rounded else ""
        said = _t(
            lang,
            "baseline_for",
            quarter=q,
            previous=yuan(previous),
            actual=yuan(actual),
            factor=rule.factor,
            unrounded=yuan(unrounded),
            unit=yuan(rule.round_to),
            rounded=yuan(amount),
            floored=floored,
        )
        task = {"ask": Ask.BASELINE_FOR.value, "baseline": str(previous), "actual": str(actual)}
        return SkillResult(text=said, suggestions=SUGGESTIONS.get(lang, SUGGESTIONS["zh"]), task=task)

    def _csat_check(self, lang: str, label: str | None, text: str) -> SkillResult:
        """The satisfaction subsidy's two conditions checked on the scores the user gives."""
        rule = self.service.state.policy.version_for(self.service.quarter(label)).csat
        before, now = given_scores(text)
        gain = now - before
        score_ok, gain_ok = now >= rule.min_score, gain >= rule.min_improvement
        if score_ok and gain_ok:
            verdict = _t(lang, "csat_yes", amount=yuan(rule.amount))
        else:
            missing = []
            if not score_ok:
                missing.append(_t(lang, "csat_low", short=rule.min_score - now))
            if not gain_ok:
                missing.append(_t(lang, "csat_small", short=rule.min_improvement - gain))
            verdict = _t(lang, "csat_no", why=_t(lang, "list_sep").join(missing), amount=yuan(rule.amount))
        said = _t(
            lang,
            "csat_check",
            before=before,
            now=now,
            gain=gain,
            min_score=rule.min_score,
            min_gain=rule.min_improvement,
            verdict=verdict,
        )
        return SkillResult(text=said, suggestions=SUGGESTIONS.get(lang, SUGGESTIONS["zh"]))

    def _what_if(self, caller: Caller, label: str | None, amount: Decimal, new_customer: bool | None) -> SkillResult:
        lang = caller.language
        main = self.service.what_if(viewer=caller, amount=amount, new_customer=new_customer is not False, quarter=label)
        w = main.what_if
        alt: WhatIf | None = None
        if new_customer is None:
            alt = self.service.what_if(viewer=caller, amount=amount, new_customer=False, quarter=label).what_if
        before, after = w.before.tier_progress.current_tier, w.after.tier_progress.current_tier
        if before != after:
            tier = _t(
                lang,
                "tier_up",
                before=before,
                after=after,
                base_before=yuan(w.before.line(LineKind.BASE).amount),
                base_after=yuan(w.after.line(LineKind.BASE).amount),
            )
        else:
            tier = _t(lang, "tier_same", tier=after)
        if alt is None:
            text = _t(
                lang,
                "what_if_one",
                quarter=w.quarter,
                amount=yuan(w.extra_amount),
                who=_t(lang, "new" if w.new_customer else "existing"),
                before=yuan(w.before.total),
                after=yuan(w.after.total),
                delta=yuan(w.total_delta),
                tier=tier,
            )
        else:
            text = _t(
                lang,
                "what_if_both",
                quarter=w.quarter,
                amount=yuan(w.extra_amount),
                before=yuan(w.before.total),
                after_new=yuan(w.after.total),
                delta_new=yuan(w.total_delta),
                delta_old=yuan(alt.total_delta),
                after_old=yuan(alt.after.total),
                tier=tier,
            )
        # The card shows the statement after the extra order, each line with its change;
        # its progress repeats every figure of the reply.
        progress = f"{text} {w.after.tier_progress.sentence}"
        card = statement_card(main.node, w.after, progress=progress, deltas=w)
        return self._result(lang, text, card)

    def _why(self, caller: Caller, text: str, label: str | None) -> SkillResult:
        lang = caller.language
        match = ORDER_ID.search(text)
        order: Order | None = None
        partner_id: str | None = None
        if match is not None:
            order = self.service.find_order(viewer=caller, order_id=match.group(0))
            label, partner_id = str(Quarter.of(order.date)), order.partner_id
        result = self.service.statement(viewer=caller, quarter=label, partner_id=partner_id)
        st = result.statement
        line = st.line(LineKind.INCREMENTAL)
        reasons = _t(lang, "sep").join(r.text for r in st.why_not_incremental)
        if reasons:
            reasons += "。" if lang != "en" else "."
        else:
            reasons = _t(lang, "why_counted", rule=line.rule)
        parts: list[str] = []
        if order is not None:
            values = {"order": order.order_id, "customer": order.customer_id, "amount": yuan(order.amount)}
            if order.is_return:
                parts.append(_t(lang, "why_order_return", order=order.order_id, original=order.reverses or "—"))
            elif not order.new_customer:
                parts.append(_t(lang, "why_order_existing", **values))
            elif line.amount > 0:
                parts.append(_t(lang, "why_order_counted", incremental=yuan(line.amount), **values))
            else:
                parts.append(_t(lang, "why_order_no_increment", **values))
        if order is None and any(w in text.lower() for w in _TOTAL):
            # "上季度返利最后是多少 增量激励怎么才三千多": the total asked too, first
            status = _STATUS.get(lang, _STATUS["zh"])[st.status]
            parts.append(_t(lang, "why_total", quarter=st.quarter, total=yuan(st.total), status=status))
        parts.append(_t(lang, "why_quarter", quarter=st.quarter, incremental=yuan(line.amount), reasons=reasons))
        reply = " ".join(parts)
        focus = (order.order_id,) if order is not None else ()
        card = statement_card(result.node, st, progress=f"{reply} {st.tier_progress.sentence}", focus=focus)
        return self._result(lang, reply, card)

    def _history(self, caller: Caller) -> SkillResult:
        lang = caller.language
        result = self.service.history(viewer=caller)
        statuses = _STATUS.get(lang, _STATUS["zh"])
        if not result.statements:
            raise QuarterNotFoundError("no quarter has started")
        total = sum((st.total for st in result.statements), Decimal("0.00"))
        rows = _t(lang, "list_sep").join(
            _t(lang, "history_row", quarter=st.quarter, total=yuan(st.total), status=statuses[st.status])
            for st in result.statements
        )
        lines = tuple(
            StatementLineView(
                kind="quarter",
                description=str(st.quarter),
                amount=yuan(st.total),
                rule=f"净销售额 {yuan(st.net_sales)}，{st.tier_progress.current_tier} 档，{statuses[st.status]}",
                orders=(),
            )
            for st in result.statements
        )
        last = result.statements[-1]
        card = RebateCard(
            partner_id=result.node.id,
            partner_name=result.node.name,
            quarter=str(last.quarter),
            status=last.status.value,
            total=yuan(total),
            lines=lines,
            progress=_t(lang, "history_progress", total=yuan(total)),
        )
        best = max(result.statements, key=lambda st: st.total)
        best_text = (
            _t(lang, "history_best", quarter=best.quarter, total=yuan(best.total)) if len(result.statements) > 1 else ""
        )
        return self._result(lang, _t(lang, "history", rows=rows, total=yuan(total), best=best_text), card)

    def _ranking(self, caller: Caller, node: ChannelNode, label: str | None) -> SkillResult:
        lang = caller.language
        ranking = self.service.ranking(viewer=caller, quarter=label)
        if not ranking.rows:
            return self._plain(lang, "rank_empty")
        scope = _SCOPE.get(lang, _SCOPE["zh"])[ranking.scope_level]
        status = StatementStatus.FINAL if self.service.today() > ranking.quarter.end else StatementStatus.ACCRUED
        lines = ranking_lines(lang, ranking)
        own = ranking.own()
        if own is not None and own.score is not None:
            s = own.score
            text = _t(
                lang,
                "rank_partner",
                quarter=ranking.quarter,
                scope=scope,
                size=ranking.size,
                rank=own.rank,
                score=_score(s.composite),
                attainment=percent(s.attainment),
                satisfaction=s.satisfaction if s.satisfaction is not None else _t(lang, "no_score"),
                risk=_score(s.risk.score),
            )
            if s.risk.reasons:
                text += _t(lang, "rank_reasons", reasons=_t(lang, "sep").join(r.text for r in s.risk.reasons))
            progress = _t(lang, "rank_progress", scope=scope, size=ranking.size, rank=own.rank)
        else:
            top = [r for r in ranking.rows if r.node is not None and r.score is not None][:3]
            rows = _t(lang, "list_sep").join(
                _t(lang, "rank_node_row", rank=r.rank, name=r.node.name, score=_score(r.score.composite))
                for r in top
                if r.node is not None and r.score is not None
            )
            text = _t(
                lang, "rank_node", quarter=ranking.quarter, name=node.name, size=ranking.size, top=len(top), rows=rows
            )
            progress = _t(lang, "rank_node_progress", name=node.name, size=ranking.size)
        card = RebateCard(
            partner_id=node.id,
            partner_name=node.name,
            quarter=str(ranking.quarter),
            status=status.value,
            total="",
            lines=lines,
            progress=progress,
            kind="ranking",
        )
        return self._result(lang, text, card)


# --------------------------------------------------------------------------- cards


def _card_orders(ids: Sequence[str], focus: Sequence[str]) -> tuple[str, ...]:
    if len(ids) <= MAX_CARD_ORDERS:
        return tuple(ids)
    shown = list(ids[:MAX_CARD_ORDERS])
    shown.extend(f for f in focus if f in ids and f not in shown)
    return tuple(shown)


def statement_card(
    node: ChannelNode,
    st: Statement,
    *,
    progress: str,
    focus: Sequence[str] = (),
    deltas: WhatIf | None = None,
) -> RebateCard:
    """A statement as a chat card: each line with amount, rule and orders (a what-if's
    lines also say how they changed)."""
    changes = {d.kind: d for d in deltas.lines} if deltas is not None else {}
    lines = []
    for line in st.lines:
        description = LINE_LABELS[line.kind]
        change = changes.get(line.kind)
        if change is not None:
            description += f"：{yuan(change.before)} → {yuan(change.after)}（+{yuan(change.delta)}）"
        lines.append(
            StatementLineView(
                kind=line.kind.value,
                description=description,
                amount=yuan(line.amount),
                rule=line.rule,
                orders=_card_orders(line.order_ids, focus),
            )
        )
    return RebateCard(
        partner_id=node.id,
        partner_name=node.name,
        quarter=str(st.quarter),
        status=st.status.value,
        total=yuan(st.total),
        lines=tuple(lines),
        progress=progress,
    )


def ranking_lines(lang: str, ranking: Ranking) -> tuple[StatementLineView, ...]:
    """One card line per place; places of partners the caller may not read stay anonymous."""
    lines = []
    for row in ranking.rows:
        if row.node is None or row.score is None:
            lines.append(
                StatementLineView(
                    kind="ranking",
                    description=f"#{row.rank} {_t(lang, 'rank_other')}",
                    amount="—",
                    rule="",
                    orders=(),
                )
            )
            continue
        s = row.score
        satisfaction = s.satisfaction if s.satisfaction is not None else _t(lang, "no_score")
        reasons = "；".join(r.text for r in s.risk.reasons)
        rule = f"达成率 {percent(s.attainment)}，满意度 {satisfaction}，风险分 {_score(s.risk.score)}"
        lines.append(
            StatementLineView(
                kind="ranking",
                description=f"#{row.rank} {row.node.name}",
                amount=_score(s.composite),
                rule=f"{rule}；{reasons}" if reasons else rule,
                orders=(),
            )
        )
    return tuple(lines)
