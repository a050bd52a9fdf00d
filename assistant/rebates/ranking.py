"""Partner scorecards and rankings: target vs actual, satisfaction and a risk score.

Risk score (0-100) from ledger signals of the quarter, each signal scaled to 0-100::

    returns = clamp((return_rate - 5%) / (25% - 5%), 0, 1) * 100
              return_rate = returned / booked; up to 5% is normal, 25% or more is maximal
    spike   = clamp((late_share - 25%) / (60% - 25%), 0, 1) * 100
              late_share = booked in the last 14 days / booked (an even spread gives ~15%)
    edge    = 100 when net sales sit less than 5% above a tier edge (min of a tier > 0)
              and would fall below it without the last-14-day orders to existing
              (not new) customers; else 0
    risk    = 0.4 * returns + 0.3 * spike + 0.3 * edge        (rounded to 0.1)

Composite score (higher is better)::

    composite = 0.6 * attainment + 0.3 * satisfaction / 100 + 0.1 * (1 - risk / 100)

with attainment = actual net sales / baseline target (not capped) and a missing
satisfaction score counted as 0.  Ranking sorts by composite (descending), then
partner id; equal composites share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from assistant.rebates.engine import Explanation, RebateEngine
from assistant.rebates.ledger import QuarterSales
from assistant.rebates.money import ZERO, percent, yuan
from assistant.rebates.network import ChannelNetwork
from assistant.rebates.policy import PolicyVersion
from assistant.rebates.quarter import Quarter

RETURN_RATE_NORMAL = Decimal("0.05")
RETURN_RATE_MAX = Decimal("0.25")
LATE_SHARE_NORMAL = Decimal("0.25")
LATE_SHARE_MAX = Decimal("0.60")
EDGE_MARGIN = Decimal("0.05")
RISK_WEIGHTS = {"returns": Decimal("0.4"), "spike": Decimal("0.3"), "edge": Decimal("0.3")}
COMPOSITE_WEIGHTS = {"attainment": Decimal("0.6"), "satisfaction": Decimal("0.3"), "risk": Decimal("0.1")}
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    score: Decimal  # 0-100
    returns: Decimal  # each signal 0-100
    spike: Decimal
    edge: Decimal
    reasons: tuple[Explanation, ...]


@dataclass(frozen=True, slots=True)
class PartnerScore:
    partner_id: str
    quarter: Quarter
    target: Decimal  # the quarter's baseline
    actual: Decimal  # net sales as of the date asked
    attainment: Decimal  # actual / target
    satisfaction: int | None
    risk: RiskAssessment
    composite: Decimal


@dataclass(frozen=True, slots=True)
class RankedPartner:
    rank: int
    score: PartnerScore


def _scale(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return min(max((value - low) / (high - low), ZERO), Decimal(1)) * HUNDRED


def assess_risk(sales: QuarterSales, version: PolicyVersion) -> RiskAssessment:
    """The risk score of one partner-quarter (formula in the module docstring)."""
    reasons: list[Explanation] = []
    returns = _scale(sales.return_rate, RETURN_RATE_NORMAL, RETURN_RATE_MAX)
    if returns > 0:
        rate = percent(sales.return_rate.quantize(Decimal("0.001")))
        reasons.append(Explanation("high_return_rate", f"退货率 {rate} 偏高"))
    spike = _scale(sales.late_share, LATE_SHARE_NORMAL, LATE_SHARE_MAX)
    if spike > 0:
        reasons.append(
            Explanation(
                "quarter_end_spike",
                f"季度最后两周下单占 {percent(sales.late_share.quantize(Decimal('0.001')))}，存在季末冲量",
            )
        )
    edge = ZERO
    for tier in version.tiers:
        edge_at = tier.minimum
        if edge_at <= 0:
            continue
        just_above = edge_at <= sales.net < edge_at * (1 + EDGE_MARGIN)
        if just_above and sales.net - sales.late_booked_existing_customers < edge_at:
            edge = HUNDRED
            reasons.append(
                Explanation(
                    "edge_without_new_customers",
                    f"净销售额 {yuan(sales.net)} 刚过 {tier.name} 档门槛 {yuan(edge_at)}，"
                    f"靠季末两周老客户订单 {yuan(sales.late_booked_existing_customers)} 跨档",
                )
            )
            break
    score = (RISK_WEIGHTS["returns"] * returns + RISK_WEIGHTS["spike"] * spike + RISK_WEIGHTS["edge"] * edge).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return RiskAssessment(score=score, returns=returns, spike=spike, edge=edge, reasons=tuple(reasons))


def score_partner(
    *, engine: RebateEngine, partner_id: str, quarter: str | Quarter, as_of: date | None = None
) -> PartnerScore:
    """Target, actual, satisfaction, risk and composite of one partner in one quarter."""
    statement = engine.statement(partner_id=partner_id, quarter=quarter, as_of=as_of)
    q = statement.quarter
    version = engine.policy.version_for(q)
    target = statement.baseline.amount
    actual = statement.sales.net
    attainment = actual / target if target > 0 else ZERO
    satisfaction = engine.profile(partner_id).satisfaction.get(q)
    risk = assess_risk(statement.sales, version)
    composite = (
        COMPOSITE_WEIGHTS["attainment"] * attainment
        + COMPOSITE_WEIGHTS["satisfaction"] * Decimal(satisfaction or 0) / HUNDRED
        + COMPOSITE_WEIGHTS["risk"] * (1 - risk.score / HUNDRED)
    )
    return PartnerScore(
        partner_id=partner_id,
        quarter=q,
        target=target,
        actual=actual,
        attainment=attainment.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
        satisfaction=satisfaction,
        risk=risk,
        composite=composite.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
    )


def rank_partners(
    *, engine: RebateEngine, partner_ids: Iterable[str], quarter: str | Quarter, as_of: date | None = None
) -> tuple[RankedPartner, ...]:
    """Rank the given partners (e.g. one alliance or region) by composite score."""
    scores = [
        score_partner(engine=engine, partner_id=pid, quarter=quarter, as_of=as_of) for pid in dict.fromkeys(partner_ids)
    ]
    scores.sort(key=lambda s: (-s.composite, s.partner_id))
    ranked: list[RankedPartner] = []
    for position, score in enumerate(scores, start=1):
        rank = ranked[-1].rank if ranked and ranked[-1].score.composite == score.composite else position
        ranked.append(RankedPartner(rank=rank, score=score))
    return tuple(ranked)


def rank_under(
    *,
    engine: RebateEngine,
    network: ChannelNetwork,
    node_id: str,
    quarter: str | Quarter,
    as_of: date | None = None,
) -> tuple[RankedPartner, ...]:
    """Rank the active leaf partners under ``node_id`` (an alliance or a region)."""
    ids = [p.id for p in network.partners_under(node_id)]
    return rank_partners(engine=engine, partner_ids=ids, quarter=quarter, as_of=as_of)
