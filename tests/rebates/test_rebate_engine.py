"""Statements worked out by hand from docs/rebate-policy.md (tiers 2/3/4/5%, incremental 3%, ...)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rebate_helpers import PARTNER, make_engine, make_order

from assistant.errors import AssistantError
from assistant.rebates import (
    ClaimKind,
    ClaimState,
    InvalidAmountError,
    InvalidQuarterError,
    LineKind,
    PartnerNotFoundError,
    Quarter,
    QuarterNotFoundError,
    Statement,
    StatementStatus,
    SubsidyClaim,
)

Q1_CLOSED = date(2026, 4, 1)  # the day after 2026Q1 ends: Q1 statements are final
Q2_CLOSED = date(2026, 7, 1)
D = Decimal


def base(statement: Statement) -> Decimal:
    return statement.line(LineKind.BASE).amount


# ----------------------------------------------------------------------------- base tiers


@pytest.mark.parametrize(
    ("net", "tier", "expected"),
    [
        ("499999.99", "T1", "10000.00"),  # 499,999.99 x 2% = 9,999.9998 -> 10,000.00
        ("500000.00", "T2", "15000.00"),  # exactly on the edge: the whole volume earns 3%
        ("1499999.99", "T2", "45000.00"),  # 44,999.9997 -> 45,000.00
        ("1500000.00", "T3", "60000.00"),
        ("3000000.00", "T4", "150000.00"),
    ],
)
def test_whole_volume_tier_edges(net: str, tier: str, expected: str) -> None:
    engine = make_engine([make_order("SO-1", net, "2026-02-01")])
    statement = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    assert statement.tier_progress.current_tier == tier
    assert base(statement) == D(expected)


@pytest.mark.parametrize(
    ("net", "tier", "expected"),
    [
        ("500000.00", "T2", "10000.00"),  # 500,000 x 2%; the T2 band is still empty
        ("500100.00", "T2", "10003.00"),  # 10,000 + 100 x 3%
        ("1500000.00", "T3", "40000.00"),  # 10,000 + 1,000,000 x 3%
        ("3200000.00", "T4", "110000.00"),  # 10,000 + 30,000 + 1,500,000 x 4% + 200,000 x 5%
    ],
)
def test_marginal_tier_edges(net: str, tier: str, expected: str) -> None:
    engine = make_engine([make_order("SO-1", net, "2026-02-01")], mode="marginal")
    statement = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    assert statement.tier_mode == "marginal"
    assert statement.tier_progress.current_tier == tier
    assert base(statement) == D(expected)


def test_each_line_rounded_once_not_per_order() -> None:
    # 3 x 100,000.25 = 300,000.75 x 2% = 6,000.015 -> 6,000.02 (half up).
    # Rounding each order first would give 3 x 2,000.01 = 6,000.03.
    orders = [make_order(f"SO-{i}", "100000.25", "2026-02-0" + str(i)) for i in (1, 2, 3)]
    statement = make_engine(orders).statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    assert base(statement) == D("6000.02")


def test_return_moves_partner_down_a_tier_in_the_quarter_it_is_booked() -> None:
    orders = [
        make_order("SO-1", "1600000.00", "2026-02-10"),
        make_order("SO-2", "1550000.00", "2026-04-10"),
        make_order("RT-1", "200000.00", "2026-05-05", reverses="SO-1"),  # partial return of a Q1 order
    ]
    engine = make_engine(orders)
    q1 = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED)
    assert base(q1) == D("64000.00")  # Q1 unchanged: 1,600,000 x 4%
    before = engine.statement(partner_id=PARTNER, quarter="2026Q2", as_of=date(2026, 5, 4))
    assert before.tier_progress.current_tier == "T3"
    assert base(before) == D("62000.00")  # 1,550,000 x 4%
    after = engine.statement(partner_id=PARTNER, quarter="2026Q2", as_of=date(2026, 5, 5))
    assert after.net_sales == D("1350000.00")
    assert after.tier_progress.current_tier == "T2"
    assert base(after) == D("40500.00")  # 1,350,000 x 3%
    assert after.sales.returned == D("200000.00")
    assert "RT-1" in after.line(LineKind.BASE).order_ids


def test_negative_net_earns_nothing_and_claws_nothing_back() -> None:
    orders = [
        make_order("SO-1", "300000.00", "2026-03-01"),
        make_order("RT-1", "300000.00", "2026-04-02", reverses="SO-1"),
    ]
    statement = make_engine(orders).statement(partner_id=PARTNER, quarter="2026Q2", as_of=Q2_CLOSED)
    assert statement.net_sales == D("-300000.00")
    assert base(statement) == D("0.00")
    assert statement.total == D("0.00")
    assert any("不追回" in note for note in statement.notes)


# ----------------------------------------------------------------------------- tier progress


def test_tier_progress_whole_volume() -> None:
    statement = make_engine([make_order("SO-1", "1234567.89", "2026-02-01")]).statement(
        partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED
    )
    progress = statement.tier_progress
    assert (progress.current_tier, progress.next_tier) == ("T2", "T3")
    assert progress.missing == D("265432.11")  # 1,500,000 - 1,234,567.89
    assert progress.next_rate == D("0.04")
    # base now 1,234,567.89 x 3% = 37,037.0367 -> 37,037.04; at the edge 60,000.00
    assert progress.extra_rebate == D("22962.96")
    assert progress.sentence.startswith("还差 ¥265,432.11 到下一档 (T3), 届时返利率 4%")


def test_tier_progress_marginal() -> None:
    statement = make_engine([make_order("SO-1", "1234567.89", "2026-02-01")], mode="marginal").statement(
        partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED
    )
    # now 10,000 + 734,567.89 x 3% = 32,037.0367 -> 32,037.04; at 1,500,000: 40,000.00
    assert base(statement) == D("32037.04")
    assert statement.tier_progress.extra_rebate == D("7962.96")


def test_tier_progress_at_top_tier() -> None:
    statement = make_engine([make_order("SO-1", "3500000.00", "2026-02-01")]).statement(
        partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED
    )
    assert statement.tier_progress.next_tier is None
    assert statement.tier_progress.missing is None
    assert "最高档 (T4)" in statement.tier_progress.sentence


# ----------------------------------------------------------------------------- incremental


def test_incremental_capped_by_new_customer_sales() -> None:
    orders = [
        make_order("SO-1", "1050000.00", "2026-01-20"),
        make_order("SO-2", "150000.00", "2026-02-20", new=True, customer="C-NEW"),
    ]
    statement = make_engine(orders, baseline="1000000").statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    line = statement.line(LineKind.INCREMENTAL)
    # increment 200,000; new customers 150,000 -> eligible 150,000 x 3% = 4,500
    assert line.basis == D("150000.00")
    assert line.amount == D("4500.00")
    assert line.order_ids == ("SO-2",)
    assert [e.code for e in statement.why_not_incremental] == ["capped_by_new_customers"]


def test_incremental_with_enough_new_customers() -> None:
    orders = [
        make_order("SO-1", "900000.00", "2026-01-20"),
        make_order("SO-2", "300000.00", "2026-02-20", new=True, customer="C-NEW"),
    ]
    statement = make_engine(orders, baseline="1000000").statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    assert statement.line(LineKind.INCREMENTAL).amount == D("6000.00")  # min(200,000, 300,000) x 3%
    assert statement.why_not_incremental == ()


def test_increment_without_new_customers_earns_nothing() -> None:
    orders = [make_order("SO-1", "1200000.00", "2026-01-20")]
    statement = make_engine(orders, baseline="1000000").statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    assert statement.line(LineKind.INCREMENTAL).amount == D("0.00")
    (reason,) = statement.why_not_incremental
    assert reason.code == "no_new_customers"
    assert "¥200,000.00" in reason.text


def test_returned_new_customer_order_removes_eligibility() -> None:
    orders = [
        make_order("SO-1", "1200000.00", "2026-01-20"),
        make_order("SO-2", "100000.00", "2026-02-20", new=True, customer="C-NEW"),
        make_order("RT-1", "100000.00", "2026-03-01", new=True, customer="C-NEW", reverses="SO-2"),
    ]
    statement = make_engine(orders, baseline="1000000").statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    assert statement.sales.new_customer_net == D("0.00")
    assert statement.line(LineKind.INCREMENTAL).amount == D("0.00")
    assert statement.why_not_incremental[0].code == "no_new_customers"


def test_below_baseline() -> None:
    orders = [make_order("SO-1", "800000.00", "2026-01-20", new=True)]
    statement = make_engine(orders, baseline="1000000").statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    assert statement.line(LineKind.INCREMENTAL).amount == D("0.00")
    assert [e.code for e in statement.why_not_incremental] == ["below_baseline"]


# ----------------------------------------------------------------------------- baseline


def test_baseline_adjustment_chain() -> None:
    engine = make_engine([make_order("SO-1", "1234567.89", "2026-02-01")], baseline="1000000")
    q1 = engine.baseline(partner_id=PARTNER, quarter="2026Q1")
    assert q1.amount == D("1000000") and q1.source == "channel_data"
    q2 = engine.baseline(partner_id=PARTNER, quarter="2026Q2")
    # (1,000,000 + 1,234,567.89) / 2 x 1.05 = 1,173,148.14225 -> 1,170,000
    assert q2.unrounded == D("1173148.14225")
    assert q2.amount == D("1170000")
    assert not q2.floored
    # Q2 sold nothing: (1,170,000 + 0) / 2 x 1.05 = 614,250 -> 610,000
    assert engine.baseline(partner_id=PARTNER, quarter="2026Q3").amount == D("610000")
    statement = engine.statement(partner_id=PARTNER, quarter="2026Q2", as_of=Q2_CLOSED)
    assert statement.baseline.amount == D("1170000")
    assert "1.05" in statement.baseline.explanation


def test_baseline_rounds_half_up_to_ten_thousand() -> None:
    # (600,000 + 400,000) / 2 x 1.05 = 525,000 exactly -> 530,000 (half up, not half even)
    engine = make_engine([make_order("SO-1", "400000.00", "2026-02-01")], baseline="600000")
    assert engine.baseline(partner_id=PARTNER, quarter="2026Q2").amount == D("530000")


def test_baseline_floor() -> None:
    # (300,000 + 100,000) / 2 x 1.05 = 210,000 -> floor 300,000
    engine = make_engine([make_order("SO-1", "100000.00", "2026-02-01")], baseline="300000")
    info = engine.baseline(partner_id=PARTNER, quarter="2026Q2")
    assert info.amount == D("300000")
    assert info.floored
    assert "下限" in info.explanation


def test_baseline_uses_net_after_returns_booked_in_that_quarter() -> None:
    orders = [
        make_order("SO-1", "800000.00", "2026-02-01"),
        make_order("RT-1", "200000.00", "2026-03-01", reverses="SO-1"),
    ]
    engine = make_engine(orders, baseline="1000000")
    # (1,000,000 + 600,000) / 2 x 1.05 = 840,000
    assert engine.baseline(partner_id=PARTNER, quarter="2026Q2").amount == D("840000")


# ----------------------------------------------------------------------------- subsidies


def claim(kind: ClaimKind, state: ClaimState, *, decided: str | None = "2026-04-10", **market: str) -> SubsidyClaim:
    return SubsidyClaim(
        claim_id=f"CL-{kind}-{state}",
        partner_id=PARTNER,
        quarter=Quarter.parse("2026Q1"),
        kind=kind,
        state=state,
        decided_on=None if state is ClaimState.PENDING or decided is None else date.fromisoformat(decided),
        **market,
    )


MARKET_ORDERS = [
    make_order("SO-1", "300000.00", "2026-01-10", new=True, customer="C-A", industry="化工", city="宁波"),
    make_order("SO-2", "100000.00", "2026-01-11", new=False, customer="C-B", industry="化工", city="宁波"),
    make_order("SO-3", "50000.00", "2026-01-12", new=True, customer="C-C", industry="制药", city="杭州"),
]


def test_new_market_subsidy_approved() -> None:
    engine = make_engine(MARKET_ORDERS, claims=[claim(ClaimKind.NEW_MARKET, ClaimState.APPROVED, industry="化工")])
    line = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED).line(LineKind.SUBSIDY_NEW_MARKET)
    # only new customers in 化工: 300,000 x 2% = 6,000
    assert line.amount == D("6000.00")
    assert line.order_ids == ("SO-1",)


def test_new_market_subsidy_by_city() -> None:
    engine = make_engine(MARKET_ORDERS, claims=[claim(ClaimKind.NEW_MARKET, ClaimState.APPROVED, city="杭州")])
    line = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED).line(LineKind.SUBSIDY_NEW_MARKET)
    assert line.amount == D("1000.00")  # 50,000 x 2%


@pytest.mark.parametrize("state", [ClaimState.PENDING, ClaimState.REJECTED])
def test_new_market_subsidy_not_paid_unless_approved(state: ClaimState) -> None:
    engine = make_engine(MARKET_ORDERS, claims=[claim(ClaimKind.NEW_MARKET, state, industry="化工")])
    statement = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED)
    assert statement.line(LineKind.SUBSIDY_NEW_MARKET).amount == D("0.00")
    expected = "待审批" if state is ClaimState.PENDING else "驳回"
    assert any(expected in note for note in statement.notes)


def test_claim_counts_as_pending_before_its_decision_date() -> None:
    engine = make_engine(MARKET_ORDERS, claims=[claim(ClaimKind.NEW_MARKET, ClaimState.APPROVED, industry="化工")])
    early = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=date(2026, 4, 9))
    late = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=date(2026, 4, 10))
    assert early.line(LineKind.SUBSIDY_NEW_MARKET).amount == D("0.00")
    assert late.line(LineKind.SUBSIDY_NEW_MARKET).amount == D("6000.00")


def test_new_market_subsidy_capped() -> None:
    orders = [make_order("SO-1", "2600000.00", "2026-01-10", new=True, industry="化工")]
    engine = make_engine(orders, claims=[claim(ClaimKind.NEW_MARKET, ClaimState.APPROVED, industry="化工")])
    line = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED).line(LineKind.SUBSIDY_NEW_MARKET)
    assert line.amount == D("50000.00")  # 52,000 capped at 50,000
    assert "封顶" in line.rule


@pytest.mark.parametrize(
    ("previous", "current", "state", "paid"),
    [
        (80, 86, ClaimState.APPROVED, True),
        (80, 85, ClaimState.APPROVED, True),  # both thresholds met exactly
        (80, 84, ClaimState.APPROVED, False),  # below 85
        (84, 88, ClaimState.APPROVED, False),  # only +4
        (80, 90, ClaimState.PENDING, False),
        (80, 90, ClaimState.REJECTED, False),
    ],
)
def test_csat_subsidy(previous: int, current: int, state: ClaimState, paid: bool) -> None:
    engine = make_engine(
        [make_order("SO-1", "100000.00", "2026-01-10")],
        satisfaction={"2025Q4": previous, "2026Q1": current},
        claims=[claim(ClaimKind.CSAT, state)],
    )
    line = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED).line(LineKind.SUBSIDY_CSAT)
    assert line.amount == (D("20000.00") if paid else D("0.00"))


def test_csat_without_claim_is_not_paid() -> None:
    engine = make_engine([make_order("SO-1", "100000.00", "2026-01-10")], satisfaction={"2025Q4": 70, "2026Q1": 95})
    statement = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED)
    assert statement.line(LineKind.SUBSIDY_CSAT).amount == D("0.00")


# ----------------------------------------------------------------------------- whole statement


def test_full_statement_lines_add_up() -> None:
    orders = [
        make_order("SO-1", "1000000.00", "2026-01-10"),
        make_order("SO-2", "600000.00", "2026-02-10", new=True, customer="C-N", industry="化工"),
        make_order("RT-1", "50000.00", "2026-03-10", reverses="SO-1"),
    ]
    engine = make_engine(
        orders,
        baseline="1200000",
        satisfaction={"2025Q4": 80, "2026Q1": 88},
        claims=[
            claim(ClaimKind.NEW_MARKET, ClaimState.APPROVED, industry="化工"),
            claim(ClaimKind.CSAT, ClaimState.APPROVED),
        ],
    )
    statement = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED)
    # net 1,550,000 -> T3 4% = 62,000; increment 350,000, new 600,000 -> 350,000 x 3% = 10,500;
    # new market 600,000 x 2% = 12,000; csat 20,000.  Total 104,500.
    amounts = {line.kind: line.amount for line in statement.lines}
    assert amounts == {
        LineKind.BASE: D("62000.00"),
        LineKind.INCREMENTAL: D("10500.00"),
        LineKind.SUBSIDY_NEW_MARKET: D("12000.00"),
        LineKind.SUBSIDY_CSAT: D("20000.00"),
    }
    assert statement.total == D("104500.00")
    assert statement.status is StatementStatus.FINAL
    assert set(statement.line(LineKind.BASE).order_ids) == {"SO-1", "SO-2", "RT-1"}


def test_accrued_until_the_quarter_closes() -> None:
    orders = [make_order("SO-1", "100000.00", "2026-01-10"), make_order("SO-2", "500000.00", "2026-03-31")]
    engine = make_engine(orders)
    mid = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=date(2026, 3, 30))
    last_day = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=date(2026, 3, 31))
    closed = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q1_CLOSED)
    assert (mid.status, mid.net_sales) == (StatementStatus.ACCRUED, D("100000.00"))
    assert (last_day.status, last_day.net_sales) == (StatementStatus.ACCRUED, D("600000.00"))
    assert closed.status is StatementStatus.FINAL
    assert any("预提" in note for note in mid.notes)


def test_default_as_of_is_today() -> None:
    engine = make_engine([make_order("SO-1", "100000.00", "2026-05-20")])  # today is 2026-05-15
    statement = engine.statement(partner_id=PARTNER, quarter="2026Q2")
    assert statement.as_of == date(2026, 5, 15)
    assert statement.net_sales == D("0")


def test_history_lists_started_quarters() -> None:
    engine = make_engine([make_order("SO-1", "100000.00", "2026-01-10"), make_order("SO-2", "700000.00", "2026-04-10")])
    history = engine.history(PARTNER, as_of=date(2026, 5, 1))
    assert [str(s.quarter) for s in history] == ["2026Q1", "2026Q2"]
    assert [s.status for s in history] == [StatementStatus.FINAL, StatementStatus.ACCRUED]
    assert [base(s) for s in history] == [D("2000.00"), D("21000.00")]
    assert len(engine.history(PARTNER, as_of=date(2027, 1, 5))) == 4


# ----------------------------------------------------------------------------- what-if


def test_what_if_crossing_a_tier_line_by_line() -> None:
    engine = make_engine([make_order("SO-1", "1450000.00", "2026-02-01")], baseline="1400000")
    result = engine.what_if(
        partner_id=PARTNER, quarter="2026Q1", extra_amount=D("50000"), new_customer=False, as_of=date(2026, 3, 1)
    )
    deltas = {d.kind: d.delta for d in result.lines}
    # base 1,450,000 x 3% = 43,500 -> 1,500,000 x 4% = 60,000; no new customers -> no incremental
    assert deltas[LineKind.BASE] == D("16500.00")
    assert deltas[LineKind.INCREMENTAL] == D("0.00")
    assert result.total_delta == D("16500.00")
    assert result.after.tier_progress.current_tier == "T3"
    with_new = engine.what_if(
        partner_id=PARTNER, quarter="2026Q1", extra_amount=D("50000"), new_customer=True, as_of=date(2026, 3, 1)
    )
    # increment 100,000 but only 50,000 from new customers -> 1,500
    assert {d.kind: d.delta for d in with_new.lines}[LineKind.INCREMENTAL] == D("1500.00")
    assert with_new.total_delta == D("18000.00")


@pytest.mark.parametrize("mode", ["whole_volume", "marginal"])
@pytest.mark.parametrize(("extra", "new"), [("1.00", False), ("49999.99", True), ("1700000.00", True), ("3.33", False)])
def test_what_if_equals_statement_with_the_extra_order(mode: str, extra: str, new: bool) -> None:
    orders = [
        make_order("SO-1", "1000000.00", "2026-04-03"),
        make_order("SO-2", "450000.01", "2026-05-02", new=True, customer="C-N", industry="化工"),
        make_order("RT-1", "20000.00", "2026-05-10", reverses="SO-1"),
    ]
    q2_claim = SubsidyClaim(
        "CL-1",
        PARTNER,
        Quarter.parse("2026Q2"),
        ClaimKind.NEW_MARKET,
        ClaimState.APPROVED,
        industry="化工",
        decided_on=date(2026, 5, 1),
    )
    as_of = date(2026, 5, 12)
    engine = make_engine(orders, mode=mode, baseline="1100000", claims=[q2_claim])
    result = engine.what_if(
        partner_id=PARTNER, quarter="2026Q2", extra_amount=D(extra), new_customer=new, as_of=as_of, industry="化工"
    )
    extra_order = make_order("X-1", extra, "2026-05-12", new=new, customer="C-X", industry="化工")
    recomputed = make_engine([*orders, extra_order], mode=mode, baseline="1100000", claims=[q2_claim]).statement(
        partner_id=PARTNER, quarter="2026Q2", as_of=as_of
    )
    current = engine.statement(partner_id=PARTNER, quarter="2026Q2", as_of=as_of)
    assert [line.amount for line in result.after.lines] == [line.amount for line in recomputed.lines]
    assert [line.amount for line in result.before.lines] == [line.amount for line in current.lines]
    assert result.total_delta == recomputed.total - current.total
    assert [d.delta for d in result.lines] == [
        a.amount - b.amount for a, b in zip(recomputed.lines, current.lines, strict=True)
    ]


@pytest.mark.parametrize("bad", [D("-1"), D("0"), D("0.001"), 100.0, D("NaN")])
def test_what_if_rejects_bad_amounts(bad: object) -> None:
    engine = make_engine()
    with pytest.raises(InvalidAmountError) as info:
        engine.what_if(partner_id=PARTNER, quarter="2026Q1", extra_amount=bad, new_customer=False)  # type: ignore[arg-type]
    assert info.value.code == "invalid_amount"
    assert isinstance(info.value, AssistantError)


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("quarter", ["2025Q4", "2027Q1"])
def test_quarter_outside_policy(quarter: str) -> None:
    engine = make_engine()
    with pytest.raises(QuarterNotFoundError) as info:
        engine.statement(partner_id=PARTNER, quarter=quarter)
    assert info.value.code == "quarter_not_found"
    with pytest.raises(QuarterNotFoundError):
        engine.what_if(partner_id=PARTNER, quarter=quarter, extra_amount=D("10"), new_customer=True)


@pytest.mark.parametrize("quarter", ["2026Q5", "Q1-2026", "", "2026q"])
def test_malformed_quarter(quarter: str) -> None:
    with pytest.raises(InvalidQuarterError) as info:
        make_engine().statement(partner_id=PARTNER, quarter=quarter)
    assert info.value.code == "invalid_quarter"


def test_unknown_partner() -> None:
    engine = make_engine()
    for call in (
        lambda: engine.statement(partner_id="P-NOPE", quarter="2026Q1"),
        lambda: engine.what_if(partner_id="P-NOPE", quarter="2026Q1", extra_amount=D("1"), new_customer=False),
        lambda: engine.history("P-NOPE"),
    ):
        with pytest.raises(PartnerNotFoundError) as info:
            call()
        assert info.value.code == "partner_not_found"


@pytest.mark.parametrize(
    ("state", "says", "never"),
    [(ClaimState.REJECTED, "未获批准", "尚未批准"), (ClaimState.PENDING, "尚未批准", "未获批准")],
)
def test_a_rejected_claim_is_not_worded_as_pending(state: ClaimState, says: str, never: str) -> None:
    engine = make_engine(
        [make_order("SO-1", "100000.00", "2026-01-10")],
        satisfaction={"2025Q4": 80, "2026Q1": 90},
        claims=[claim(ClaimKind.CSAT, state)],
    )
    rule = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=Q2_CLOSED).line(LineKind.SUBSIDY_CSAT).rule
    assert says in rule and never not in rule
