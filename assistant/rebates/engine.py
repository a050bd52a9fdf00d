"""The rebate engine: quarterly statements, what-if simulations and history.

A statement has exactly four lines, always in this order (zero lines included, so
what-if deltas line up): base (基础返利), incremental (增量激励), new-market subsidy
(新市场开拓补贴) and satisfaction subsidy (客户满意度提升补贴).  Each line is computed
exactly in Decimal and rounded half-up to the cent once, as its last step; the total
is the sum of the rounded lines.

Choices the policy text leaves open, made explicit here:

* Negative net sales (returns of earlier quarters exceeding this quarter's sales)
  earn no base rebate and no incremental incentive; nothing is clawed back.
* The baseline of a quarter uses the *complete* net sales of the previous quarter,
  whatever ``as_of`` is; a what-if order changes only its own quarter.
* Claims count as pending until their ``decided_on`` date (see SubsidyClaim.state_on).
* A statement is final once ``as_of`` is after the quarter's last day; before, it is
  accrued and counts orders dated up to ``as_of`` only.  No order is recorded into a
  final quarter; a return of an order of an earlier quarter counts in the quarter it is
  booked, and that quarter's statement has a note naming the original order.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from assistant.rebates.errors import PartnerNotFoundError, QuarterNotFoundError, RebateDataError
from assistant.rebates.ledger import Ledger, Order, QuarterSales, summarize
from assistant.rebates.money import ZERO, ZERO_CENTS, check_money, percent, round_cents, yuan
from assistant.rebates.policy import PolicyVersion, RebatePolicy, Tier, TierMode
from assistant.rebates.profiles import ClaimKind, ClaimState, PartnerProfile, SubsidyClaim
from assistant.rebates.quarter import Quarter

WHAT_IF_ORDER_ID = "WHAT-IF"


class LineKind(StrEnum):
    BASE = "base"
    INCREMENTAL = "incremental"
    SUBSIDY_NEW_MARKET = "subsidy_new_market"
    SUBSIDY_CSAT = "subsidy_csat"


LINE_LABELS: dict[LineKind, str] = {
    LineKind.BASE: "基础返利",
    LineKind.INCREMENTAL: "增量激励",
    LineKind.SUBSIDY_NEW_MARKET: "新市场开拓补贴",
    LineKind.SUBSIDY_CSAT: "客户满意度提升补贴",
}


class StatementStatus(StrEnum):
    ACCRUED = "accrued"  # during the quarter: to date, may change
    FINAL = "final"  # the quarter is closed


class BaselineSource(StrEnum):
    CHANNEL_DATA = "channel_data"  # the partner's first quarter, set in channels.yaml
    ADJUSTED = "adjusted"  # derived by the baseline-adjustment rule


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One rebate line.  ``basis`` is the amount the rate was applied to."""

    kind: LineKind
    amount: Decimal  # rounded half-up to the cent
    rule: str  # zh-CN: which rule, with the numbers
    basis: Decimal
    tier: str | None
    rate: Decimal | None
    order_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """A reason with a stable ``code`` and a zh-CN ``text``."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class TierProgress:
    """Where the partner stands on the base-rebate tiers."""

    current_tier: str
    current_rate: Decimal
    next_tier: str | None  # None at the top tier
    next_rate: Decimal | None
    missing: Decimal | None  # net sales still needed to reach the next tier
    extra_rebate: Decimal | None  # how much the base line would grow on reaching it
    sentence: str  # zh-CN, e.g. "还差 ¥123,456.00 到下一档 (T3), 届时返利率 4%, ..."


@dataclass(frozen=True, slots=True)
class BaselineInfo:
    """The baseline target used for the incremental incentive, and how it was obtained."""

    quarter: Quarter
    amount: Decimal
    source: BaselineSource
    previous_baseline: Decimal | None
    previous_actual: Decimal | None
    unrounded: Decimal | None  # (previous baseline + previous actual) / 2 * factor
    floored: bool  # the floor was applied
    explanation: str  # zh-CN


@dataclass(frozen=True, slots=True)
class Statement:
    partner_id: str
    quarter: Quarter
    as_of: date
    status: StatementStatus
    policy_version: Quarter  # effective_from of the version applied
    tier_mode: TierMode
    sales: QuarterSales
    baseline: BaselineInfo
    lines: tuple[StatementLine, ...]
    total: Decimal
    tier_progress: TierProgress
    why_not_incremental: tuple[Explanation, ...]
    notes: tuple[str, ...]

    @property
    def net_sales(self) -> Decimal:
        return self.sales.net

    def line(self, kind: LineKind) -> StatementLine:
        return next(line for line in self.lines if line.kind is kind)


@dataclass(frozen=True, slots=True)
class LineDelta:
    kind: LineKind
    before: Decimal
    after: Decimal
    delta: Decimal


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The effect of one hypothetical extra order, line by line."""

    partner_id: str
    quarter: Quarter
    extra_amount: Decimal
    new_customer: bool
    before: Statement
    after: Statement
    lines: tuple[LineDelta, ...]
    total_delta: Decimal
    summary: str  # zh-CN


class RebateEngine:
    """Computes statements from a policy, a ledger and the partners' profiles."""

    def __init__(
        self,
        *,
        policy: RebatePolicy,
        ledger: Ledger,
        partners: Mapping[str, PartnerProfile] | Iterable[PartnerProfile],
        today: Callable[[], date] = date.today,
    ) -> None:
        profiles = partners.values() if isinstance(partners, Mapping) else partners
        self._policy = policy
        self._ledger = ledger
        self._profiles: dict[str, PartnerProfile] = {}
        self._today = today
        problems: list[str] = []
        for profile in profiles:
            if not policy.covers(profile.first_quarter):
                problems.append(f"{profile.partner_id}: first quarter {profile.first_quarter} is outside the policy")
            self._profiles[profile.partner_id] = profile
        if problems:
            raise RebateDataError(problems)
        self._baselines: dict[tuple[str, Quarter], BaselineInfo] = {}

    @property
    def policy(self) -> RebatePolicy:
        return self._policy

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    def partner_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._profiles))

    def profile(self, partner_id: str) -> PartnerProfile:
        profile = self._profiles.get(partner_id)
        if profile is None:
            raise PartnerNotFoundError(f"no rebate partner {partner_id!r}")
        return profile

    # ----------------------------------------------------------------- public API

    def statement(self, *, partner_id: str, quarter: str | Quarter, as_of: date | None = None) -> Statement:
        """The partner's statement for ``quarter`` as known on ``as_of`` (default: today)."""
        q, day = self._resolve(partner_id, quarter, as_of)
        return self._statement(partner_id, q, day, self._ledger.sales(partner_id, q, until=min(day, q.end)))

    def what_if(
        self,
        *,
        partner_id: str,
        quarter: str | Quarter,
        extra_amount: Decimal,
        new_customer: bool,
        as_of: date | None = None,
        industry: str | None = None,
        city: str | None = None,
    ) -> WhatIf:
        """Compare the statement with and without one extra booked order of ``extra_amount``.

        The hypothetical order is dated ``as_of`` (clamped into the quarter); it counts
        for a new-market subsidy only when ``new_customer`` and its ``industry`` or
        ``city`` matches an approved claim.
        """
        amount = check_money(extra_amount, what="extra_amount", positive=True)
        q, day = self._resolve(partner_id, quarter, as_of)
        orders = self._ledger.orders(partner_id, q, until=min(day, q.end))
        order_day = min(max(day, q.start), q.end)
        extra = Order(
            order_id=WHAT_IF_ORDER_ID,
            partner_id=partner_id,
            customer_id="WHAT-IF-NEW" if new_customer else "WHAT-IF-EXISTING",
            new_customer=new_customer,
            product_id="",
            amount=amount,
            date=order_day,
            industry=industry,
            city=city,
        )
        position = bisect.bisect_right([o.date for o in orders], order_day)
        before = self._statement(partner_id, q, day, self._ledger.sales(partner_id, q, until=min(day, q.end)))
        with_extra = (*orders[:position], extra, *orders[position:])
        after = self._statement(partner_id, q, day, summarize(partner_id, q, with_extra))
        deltas = tuple(
            LineDelta(kind=b.kind, before=b.amount, after=a.amount, delta=a.amount - b.amount)
            for b, a in zip(before.lines, after.lines, strict=True)
        )
        total_delta = after.total - before.total
        who = "新客户" if new_customer else "老客户"
        tier_note = (
            f"，档位从 {before.tier_progress.current_tier} 升到 {after.tier_progress.current_tier}"
            if after.tier_progress.current_tier != before.tier_progress.current_tier
            else f"，档位保持 {after.tier_progress.current_tier}"
        )
        summary = f"再增加一笔 {yuan(amount)} 的{who}订单，返利合计增加 {yuan(total_delta)}{tier_note}"
        return WhatIf(
            partner_id=partner_id,
            quarter=q,
            extra_amount=amount,
            new_customer=new_customer,
            before=before,
            after=after,
            lines=deltas,
            total_delta=total_delta,
            summary=summary,
        )

    def history(self, partner_id: str, *, as_of: date | None = None) -> tuple[Statement, ...]:
        """Statements of every policy quarter that has started by ``as_of``, oldest first."""
        profile = self.profile(partner_id)
        day = self._day(as_of)
        first = max(self._policy.first_quarter, profile.first_quarter)
        return tuple(
            self.statement(partner_id=partner_id, quarter=q, as_of=day)
            for q in self._policy.quarters
            if q >= first and q.start <= day
        )

    def baseline(self, *, partner_id: str, quarter: str | Quarter) -> BaselineInfo:
        """The baseline target of ``quarter`` (first quarter from channel data, then adjusted)."""
        q = Quarter.parse(quarter)
        self._policy.version_for(q)
        profile = self.profile(partner_id)
        if q < profile.first_quarter:
            raise QuarterNotFoundError(f"{partner_id} has no baseline before {profile.first_quarter}")
        cached = self._baselines.get((partner_id, q))
        if cached is not None:
            return cached
        if q == profile.first_quarter:
            info = BaselineInfo(
                quarter=q,
                amount=profile.first_baseline,
                source=BaselineSource.CHANNEL_DATA,
                previous_baseline=None,
                previous_actual=None,
                unrounded=None,
                floored=False,
                explanation=f"{q} 基线 {yuan(profile.first_baseline)} 为渠道数据中设定的初始目标",
            )
        else:
            previous = self.baseline(partner_id=partner_id, quarter=q.previous())
            actual = self._ledger.sales(partner_id, q.previous()).net
            rule = self._policy.version_for(q).baseline
            unrounded, rounded, amount = rule.apply(previous.amount, actual)
            floored = amount != rounded
            explanation = (
                f"{q} 基线 = (上季度基线 {yuan(previous.amount)} + 上季度实际净销售额 {yuan(actual)}) / 2 "
                f"× {rule.factor} = {yuan(unrounded)}，按 {yuan(rule.round_to)} 取整为 {yuan(rounded)}"
            )
            if floored:
                explanation += f"，低于下限，按下限 {yuan(rule.floor)} 计"
            info = BaselineInfo(
                quarter=q,
                amount=amount,
                source=BaselineSource.ADJUSTED,
                previous_baseline=previous.amount,
                previous_actual=actual,
                unrounded=unrounded,
                floored=floored,
                explanation=explanation,
            )
        self._baselines[(partner_id, q)] = info
        return info

    # ----------------------------------------------------------------- computation

    def _day(self, as_of: date | None) -> date:
        day = self._today() if as_of is None else as_of
        if isinstance(day, datetime):
            day = day.date()
        if not isinstance(day, date):
            raise TypeError(f"as_of must be a date, got {type(day).__name__}")
        return day

    def _resolve(self, partner_id: str, quarter: str | Quarter, as_of: date | None) -> tuple[Quarter, date]:
        q = Quarter.parse(quarter)
        self._policy.version_for(q)  # QuarterNotFoundError outside the policy
        profile = self.profile(partner_id)
        if q < profile.first_quarter:
            raise QuarterNotFoundError(f"{partner_id} joined in {profile.first_quarter}; no statement for {q}")
        return q, self._day(as_of)

    def _closed_quarter_returns(self, sales: QuarterSales, q: Quarter) -> list[str]:
        """One note per return of an order of an earlier (closed, final) quarter: the return is
        a negative adjustment of *this* quarter's net sales and names the original order
        (DECISIONS 2026-12-04 #4); the earlier quarter's final statement is never reopened."""
        notes = []
        for order in sales.orders:
            original = self._ledger.original(order) if order.is_return else None
            if original is None:
                continue
            oq = Quarter.of(original.date)
            if oq < q:
                notes.append(
                    f"退货调整：退货 {order.order_id} 冲减 {oq} 的原订单 {original.order_id}"
                    f"（{original.date.isoformat()}），{oq} 结算单已最终确定，"
                    f"以 {yuan(-order.amount)} 的负数调整计入本季度净销售额"
                )
        return notes

    def _statement(self, partner_id: str, q: Quarter, day: date, sales: QuarterSales) -> Statement:
        version = self._policy.version_for(q)
        profile = self.profile(partner_id)
        baseline = self.baseline(partner_id=partner_id, quarter=q)
        notes: list[str] = []
        status = StatementStatus.FINAL if day > q.end else StatementStatus.ACCRUED
        if status is StatementStatus.ACCRUED:
            notes.append(f"截至 {day.isoformat()} 的预提数，季度结束前可能变化")
        if sales.net < 0:
            notes.append(f"本季度净销售额为 {yuan(sales.net)}（退货超过销售），基础返利按 0 计，不追回")
        notes.extend(self._closed_quarter_returns(sales, q))

        base_line, progress = _base_line(version, sales)
        incremental_line, why_not = _incremental_line(version, sales, baseline)
        new_market_line, nm_notes = _new_market_line(version, sales, profile.claims_for(q, ClaimKind.NEW_MARKET), day)
        csat_line, csat_notes = _csat_line(version, profile, q, day)
        notes.extend(nm_notes)
        notes.extend(csat_notes)
        lines = (base_line, incremental_line, new_market_line, csat_line)
        return Statement(
            partner_id=partner_id,
            quarter=q,
            as_of=day,
            status=status,
            policy_version=version.effective_from,
            tier_mode=version.tier_mode,
            sales=sales,
            baseline=baseline,
            lines=lines,
            total=sum((line.amount for line in lines), ZERO_CENTS),
            tier_progress=progress,
            why_not_incremental=why_not,
            notes=tuple(notes),
        )


# --------------------------------------------------------------------------- rules


def base_rebate(version: PolicyVersion, net: Decimal) -> Decimal:
    """The exact (unrounded) base rebate on ``net`` sales under the version's tier mode."""
    if net <= 0:
        return ZERO
    if version.tier_mode is TierMode.WHOLE_VOLUME:
        return net * version.tier_for(net).rate
    total = ZERO
    for tier in version.tiers:
        if net <= tier.minimum:
            break
        top = net if tier.maximum is None else min(net, tier.maximum)
        total += (top - tier.minimum) * tier.rate
    return total


def _tier_label(tier: Tier) -> str:
    upper = "以上" if tier.maximum is None else f"至 {yuan(tier.maximum)}"
    return f"{tier.name} 档（{yuan(tier.minimum)} {upper}）"


def _base_line(version: PolicyVersion, sales: QuarterSales) -> tuple[StatementLine, TierProgress]:
    net = sales.net
    index = version.tier_index(net)
    tier = version.tiers[index]
    amount = round_cents(base_rebate(version, net))
    if net <= 0:
        rule = f"基础返利：本季度净销售额 {yuan(net)}，无基础返利"
    elif version.tier_mode is TierMode.WHOLE_VOLUME:
        rule = (
            f"基础返利（全额累进）：本季度净销售额 {yuan(net)} 达到 {_tier_label(tier)}，"
            f"全额按 {percent(tier.rate)} 计算"
        )
    else:
        bands = []
        for band in version.tiers[: index + 1]:
            top = net if band.maximum is None else min(net, band.maximum)
            bands.append(f"{band.name} {yuan(top - band.minimum)} × {percent(band.rate)}")
        rule = f"基础返利（超额累进）：本季度净销售额 {yuan(net)}，分段计算 " + " + ".join(bands)
    line = StatementLine(
        kind=LineKind.BASE,
        amount=amount,
        rule=rule,
        basis=net,
        tier=tier.name,
        rate=tier.rate,
        order_ids=sales.order_ids,
    )
    if index + 1 < len(version.tiers):
        upcoming = version.tiers[index + 1]
        missing = upcoming.minimum - net
        extra = round_cents(base_rebate(version, upcoming.minimum)) - amount
        sentence = (
            f"还差 {yuan(missing)} 到下一档 ({upcoming.name}), 届时返利率 {percent(upcoming.rate)}, "
            f"基础返利将增加 {yuan(extra)}"
        )
        progress = TierProgress(
            current_tier=tier.name,
            current_rate=tier.rate,
            next_tier=upcoming.name,
            next_rate=upcoming.rate,
            missing=missing,
            extra_rebate=extra,
            sentence=sentence,
        )
    else:
        progress = TierProgress(
            current_tier=tier.name,
            current_rate=tier.rate,
            next_tier=None,
            next_rate=None,
            missing=None,
            extra_rebate=None,
            sentence=f"已达到最高档 ({tier.name}), 返利率 {percent(tier.rate)}",
        )
    return line, progress


def _incremental_line(
    version: PolicyVersion, sales: QuarterSales, baseline: BaselineInfo
) -> tuple[StatementLine, tuple[Explanation, ...]]:
    rule = version.incremental
    increment, eligible, amount = rule.apply(sales.net, baseline.amount, sales.new_customer_net)
    new_sales = sales.new_customer_net
    why: list[Explanation] = []
    if increment <= 0:
        why.append(
            Explanation(
                "below_baseline",
                f"本季度净销售额 {yuan(sales.net)} 未超过基线 {yuan(baseline.amount)}，没有增量",
            )
        )
    elif not rule.require_new_customers:
        pass
    elif new_sales <= 0:
        why.append(
            Explanation(
                "no_new_customers",
                f"超出基线的增量 {yuan(increment)} 中没有新客户销售，按防套利规则不计增量激励",
            )
        )
    elif new_sales < increment:
        why.append(
            Explanation(
                "capped_by_new_customers",
                f"超出基线的增量 {yuan(increment)} 中只有新客户销售额 {yuan(new_sales)} 可计入，"
                f"其余 {yuan(increment - new_sales)} 不计增量激励",
            )
        )
    text = f"增量激励：净销售额 {yuan(sales.net)} − 基线 {yuan(baseline.amount)} = 增量 {yuan(increment)}"
    if rule.require_new_customers:
        text += f"；新客户净销售额 {yuan(new_sales)}；可计增量 = min(增量, 新客户销售额)"
    text += f" = {yuan(eligible)} × {percent(rule.rate)}"
    line = StatementLine(
        kind=LineKind.INCREMENTAL,
        amount=amount,
        rule=text,
        basis=eligible,
        tier=None,
        rate=rule.rate,
        order_ids=sales.new_customer_order_ids if rule.require_new_customers else sales.order_ids,
    )
    return line, tuple(why)


def _new_market_line(
    version: PolicyVersion, sales: QuarterSales, claims: Sequence[SubsidyClaim], day: date
) -> tuple[StatementLine, list[str]]:
    rule = version.new_market
    notes = _claim_notes(claims, day)
    approved = [c for c in claims if c.state_on(day) is ClaimState.APPROVED]
    if not approved:
        text = "新市场开拓补贴：本季度没有已批准的新市场开拓申请"
        line = StatementLine(LineKind.SUBSIDY_NEW_MARKET, ZERO_CENTS, text, ZERO, None, rule.rate, ())
        return line, notes
    ids: list[str] = []
    market_sales = ZERO
    industries = {c.industry for c in approved if c.industry is not None}
    cities = {c.city for c in approved if c.city is not None}
    for order in sales.new_customer_orders:
        if order.industry in industries or order.city in cities:
            market_sales += order.signed_amount
            ids.append(order.order_id)
    basis = max(market_sales, ZERO)
    raw = basis * rule.rate
    capped = raw > rule.cap_per_quarter
    amount = round_cents(min(raw, rule.cap_per_quarter))
    markets = "、".join(f"{c.claim_id}（{c.market}）" for c in approved)
    text = (
        f"新市场开拓补贴：已批准申请 {markets}的新客户净销售额 {yuan(market_sales)} × {percent(rule.rate)}"
        f" = {yuan(raw)}，每季度上限 {yuan(rule.cap_per_quarter)}"
    )
    if capped:
        text += "，已按上限封顶"
    line = StatementLine(LineKind.SUBSIDY_NEW_MARKET, amount, text, basis, None, rule.rate, tuple(ids))
    return line, notes


def _csat_line(
    version: PolicyVersion, profile: PartnerProfile, q: Quarter, day: date
) -> tuple[StatementLine, list[str]]:
    rule = version.csat
    claims = profile.claims_for(q, ClaimKind.CSAT)
    notes = _claim_notes(claims, day)
    score = profile.satisfaction.get(q)
    previous = profile.satisfaction.get(q.previous())
    approved = [c for c in claims if c.state_on(day) is ClaimState.APPROVED]
    if score is None or previous is None:
        condition = False
        reason = f"缺少 {q if score is None else q.previous()} 的满意度得分"
    else:
        condition = score >= rule.min_score and score - previous >= rule.min_improvement
        reason = (
            f"本季度满意度 {score} 分，上季度 {previous} 分，提升 {score - previous} 分"
            f"（要求 ≥{rule.min_score} 分且提升 ≥{rule.min_improvement} 分）"
        )
    paid = bool(approved) and condition
    amount = round_cents(rule.amount) if paid else ZERO_CENTS
    if not claims:
        text = f"客户满意度提升补贴：本季度没有提交申请；{reason}"
    elif not approved and all(c.state_on(day) is ClaimState.REJECTED for c in claims):
        text = f"客户满意度提升补贴：申请 {claims[0].claim_id} 未获批准，不发放；{reason}"
    elif not approved:
        text = f"客户满意度提升补贴：申请尚未批准，暂不发放；{reason}"
    elif not condition:
        text = f"客户满意度提升补贴：{reason}，未达到条件"
    else:
        text = f"客户满意度提升补贴：{reason}，申请 {approved[0].claim_id} 已批准，补贴 {yuan(rule.amount)}"
    line = StatementLine(LineKind.SUBSIDY_CSAT, amount, text, ZERO, None, None, ())
    return line, notes


def _claim_notes(claims: Sequence[SubsidyClaim], day: date) -> list[str]:
    notes = []
    for claim in claims:
        state = claim.state_on(day)
        kind = "新市场开拓补贴" if claim.kind is ClaimKind.NEW_MARKET else "客户满意度提升补贴"
        if state is ClaimState.PENDING:
            notes.append(f"{kind}申请 {claim.claim_id}（{claim.market}）待审批，批准后才计入")
        elif state is ClaimState.REJECTED:
            notes.append(f"{kind}申请 {claim.claim_id}（{claim.market}）已被驳回，不计入")
    return notes
