"""The risk-alert rules on small hand-built records: each rule fires just past its threshold and
not at it, severities, evidence, the thresholds' version, and incremental == full evaluation.

The thresholds here are the test's own (``RULES_DOC``), so every number below is worked out
by hand from them; one test reads the shipped ``corpus/ops/alert_rules.yaml``.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from assistant.ops.alert_inputs import AlertInputError, read_feedback, read_inventory
from assistant.ops.alerts import (
    DEFAULT_RULES_FILE,
    INFINITE,
    Alert,
    AlertInputs,
    AlertRules,
    AlertRulesInvalidError,
    Evaluation,
    FeedbackIndex,
    FeedbackKind,
    FeedbackRecord,
    InventoryIndex,
    InventoryWeek,
    RuleId,
    Scope,
    Severity,
    TaskRecord,
    evaluate,
    load_rules,
    merge,
    parse_rules,
)
from assistant.rebates import Ledger, Order, OrderStatus, Quarter, RebatePolicy, parse_policy

Q1, Q2, Q3, Q4 = (Quarter(2026, n) for n in range(1, 5))
QUARTERS = (Q1, Q2, Q3, Q4)

RULES_DOC: dict[str, Any] = {
    "version": "test-7",
    "rules": {
        "return_spike": {"threshold": "0.10", "severity": {"medium": "0.15", "high": "0.20"}, "min_booked": 50000},
        "quarter_end_stuffing": {
            "threshold": "0.35",
            "severity": {"medium": "0.45", "high": "0.55"},
            "window_days": 14,
            "min_booked": 50000,
        },
        "tier_edge_no_new": {"threshold": "0.05", "severity": {"medium": "0.02", "high": "0.01"}, "window_days": 14},
        "overstock": {
            "threshold": 90,
            "severity": {"medium": 120, "high": 180},
            "window_weeks": 4,
            "min_run_weeks": 2,
            "min_stock_units": 10,
        },
        "complaint_rate": {
            "threshold": "3.0",
            "severity": {"medium": "5.0", "high": "8.0"},
            "scale_floor": "0.05",
            "min_complaints": 3,
            "min_partners": 5,
        },
        "satisfaction_falling": {"threshold": "0.2", "severity": {"medium": "0.5", "high": "0.8"}, "min_surveys": 5},
        "overdue_task": {"threshold": 0, "severity": {"medium": 7, "high": 30}},
    },
}
RULES = parse_rules(RULES_DOC)


def policy() -> RebatePolicy:
    return parse_policy(
        {
            "name": "test",
            "first_quarter": "2026Q1",
            "last_quarter": "2026Q4",
            "versions": [
                {
                    "effective_from": "2026Q1",
                    "tier_mode": "whole_volume",
                    "tiers": [
                        {"name": "T1", "min": 0, "max": 500000, "rate": "0.02"},
                        {"name": "T2", "min": 500000, "max": 1500000, "rate": "0.03"},
                        {"name": "T3", "min": 1500000, "max": None, "rate": "0.04"},
                    ],
                    "incremental": {"rate": "0.03", "require_new_customers": True},
                    "subsidies": {
                        "new_market": {"rate": "0.02", "cap_per_quarter": 50000},
                        "csat": {"min_score": 85, "min_improvement": 5, "amount": 20000},
                    },
                    "baseline": {"method": "average", "factor": "1.05", "round_to": 10000, "floor": 300000},
                }
            ],
        }
    )


POLICY = policy()
_ids = iter(range(1, 1_000_000))


def booked(partner: str, day: str, amount: str, *, customer: str = "C-1", new: bool = False) -> Order:
    return Order(
        order_id=f"SO-{next(_ids):06d}",
        partner_id=partner,
        customer_id=customer,
        new_customer=new,
        product_id="EG-2100",
        amount=Decimal(amount),
        date=date.fromisoformat(day),
    )


def returned(original: Order, day: str, amount: str | None = None) -> Order:
    return Order(
        order_id=f"RT-{next(_ids):06d}",
        partner_id=original.partner_id,
        customer_id=original.customer_id,
        new_customer=original.new_customer,
        product_id=original.product_id,
        amount=Decimal(amount) if amount else original.amount,
        date=date.fromisoformat(day),
        status=OrderStatus.RETURNED,
        reverses=original.order_id,
    )


def inputs(
    orders: list[Order] | None = None,
    *,
    regions: dict[str, str] | None = None,
    inventory: list[InventoryWeek] | None = None,
    feedback: list[FeedbackRecord] | None = None,
    tasks: list[TaskRecord] | None = None,
    as_of: date | None = None,
) -> AlertInputs:
    partners = {o.partner_id for o in orders or []} | {"P-A"}
    return AlertInputs(
        ledger=Ledger(orders or []),
        policy=POLICY,
        regions=regions or dict.fromkeys(sorted(partners), "华东"),
        quarters=QUARTERS,
        inventory=InventoryIndex.build(inventory or []),
        feedback=FeedbackIndex.build(feedback or []),
        tasks=tuple(tasks or ()),
        as_of=as_of,
    )


def alerts_of(data: AlertInputs, rule: RuleId, rules: AlertRules = RULES) -> list[Alert]:
    return [a for a in evaluate(data, rules).alerts if a.rule is rule]


# --------------------------------------------------------------------------- the thresholds file


def test_shipped_rules_load_and_their_version_is_recorded_on_every_alert() -> None:
    shipped = load_rules(DEFAULT_RULES_FILE)
    assert shipped.version and shipped.version != RULES.version
    first = booked("P-A", "2026-01-10", "100000")
    data = inputs([first, returned(first, "2026-01-20", "40000")])
    found = alerts_of(data, RuleId.RETURN_SPIKE, shipped)
    assert found and all(a.rules_version == shipped.version for a in found)
    assert {a.rules_version for a in evaluate(data, RULES).alerts} == {"test-7"}


def test_invalid_rules_name_every_problem() -> None:
    doc = copy.deepcopy(RULES_DOC)
    doc["rules"]["return_spike"]["severity"] = {"medium": "0.30", "high": "0.20"}  # medium above high
    doc["rules"]["tier_edge_no_new"]["severity"] = {"medium": "0.06", "high": "0.01"}  # smaller is worse here
    with pytest.raises(AlertRulesInvalidError) as info:
        parse_rules(doc, source="rules.yaml")
    assert len(info.value.problems) == 2
    assert any("return_spike" in p for p in info.value.problems)
    assert any("tier_edge_no_new" in p and "smaller is worse" in p for p in info.value.problems)
    del doc["rules"]["overstock"]
    with pytest.raises(AlertRulesInvalidError, match=r"rules\.overstock"):
        parse_rules(doc)


# --------------------------------------------------------------------------- return_spike


def _returns_case(returned_amount: str, booked_amount: str = "100000") -> AlertInputs:
    first = booked("P-A", "2026-04-03", booked_amount)
    return inputs([first, returned(first, "2026-04-20", returned_amount)])


def test_return_spike_at_the_threshold_does_not_fire_and_just_past_it_does() -> None:
    assert alerts_of(_returns_case("10000"), RuleId.RETURN_SPIKE) == []  # 10.000% exactly
    (alert,) = alerts_of(_returns_case("10000.01"), RuleId.RETURN_SPIKE)
    assert (alert.partner_id, alert.period, alert.period_label) == ("P-A", Q2, "2026Q2")
    assert alert.severity is Severity.LOW
    rate = alert.evidence.figure("return_rate")
    assert rate.value == Decimal("0.1000") and rate.threshold == Decimal("0.10")  # 0.1000001 shown to 4 places
    assert alert.evidence.order_ids and all(i.startswith("RT-") for i in alert.evidence.order_ids)


@pytest.mark.parametrize(("amount", "severity"), [("14999", "low"), ("15000", "medium"), ("20000", "high")])
def test_return_spike_severity_grows_with_the_rate(amount: str, severity: str) -> None:
    (alert,) = alerts_of(_returns_case(amount), RuleId.RETURN_SPIKE)
    assert alert.severity == Severity(severity)


def test_return_spike_needs_enough_business() -> None:
    assert alert_count(_returns_case("20000", booked_amount="49999")) == 0  # 40% of too little
    assert alert_count(_returns_case("20000", booked_amount="50000")) == 1


def alert_count(data: AlertInputs) -> int:
    return len(alerts_of(data, RuleId.RETURN_SPIKE))


# --------------------------------------------------------------------------- quarter_end_stuffing


def test_stuffing_counts_the_last_fourteen_days_and_fires_past_the_share() -> None:
    # 2026Q1 ends on 31 March: the window is 18-31 March.
    at_edge = inputs([booked("P-A", "2026-02-01", "65000"), booked("P-A", "2026-03-18", "35000")])
    assert alerts_of(at_edge, RuleId.QUARTER_END_STUFFING) == []  # exactly 35%
    outside = inputs([booked("P-A", "2026-02-01", "40000"), booked("P-A", "2026-03-17", "60000")])
    assert alerts_of(outside, RuleId.QUARTER_END_STUFFING) == []  # the day before the window
    late = [booked("P-A", "2026-03-18", "20000"), booked("P-A", "2026-03-31", "15001")]
    (alert,) = alerts_of(inputs([booked("P-A", "2026-02-01", "64999"), *late]), RuleId.QUARTER_END_STUFFING)
    assert (alert.period, alert.severity) == (Q1, Severity.LOW)
    assert alert.evidence.order_ids == tuple(o.order_id for o in late)
    assert alert.evidence.figure("late_share").value == Decimal("0.3500")
    assert alert.evidence.figure("late_booked").value == Decimal("35001")


def test_stuffing_high_when_more_than_half_is_late() -> None:
    data = inputs([booked("P-A", "2026-05-01", "40000"), booked("P-A", "2026-06-25", "60000")])
    (alert,) = alerts_of(data, RuleId.QUARTER_END_STUFFING)
    assert (alert.period, alert.severity) == (Q2, Severity.HIGH)


# --------------------------------------------------------------------------- tier_edge_no_new


def _edge_case(early: str, late: str, *, late_new: str | None = None) -> AlertInputs:
    orders = [booked("P-A", "2026-07-10", early, customer="C-1"), booked("P-A", "2026-09-25", late, customer="C-2")]
    if late_new:
        orders.append(booked("P-A", "2026-09-28", late_new, customer="C-NEW", new=True))
    return inputs(orders)


def test_tier_edge_fires_when_late_existing_orders_carry_the_net_over_the_edge() -> None:
    (alert,) = alerts_of(_edge_case("450000", "60000"), RuleId.TIER_EDGE_NO_NEW)  # net 510,000: 2% over 500,000
    assert (alert.period, alert.severity) == (Q3, Severity.MEDIUM)
    figures = alert.evidence
    assert figures.figure("tier_edge").value == Decimal(500000)
    assert figures.figure("net_without_late").value == Decimal(450000)
    assert figures.figure("edge_margin").value == Decimal("0.0200")
    assert len(alert.evidence.order_ids) == 1


def test_tier_edge_margin_is_strict_and_severity_rises_near_the_edge() -> None:
    assert alerts_of(_edge_case("450000", "75000"), RuleId.TIER_EDGE_NO_NEW) == []  # 525,000: 5% exactly
    (low,) = alerts_of(_edge_case("450000", "74999"), RuleId.TIER_EDGE_NO_NEW)
    assert low.severity is Severity.LOW
    (high,) = alerts_of(_edge_case("450000", "50000"), RuleId.TIER_EDGE_NO_NEW)  # exactly on the edge
    assert high.severity is Severity.HIGH


def test_tier_edge_quiet_with_a_late_new_customer_or_without_needing_the_late_orders() -> None:
    assert alerts_of(_edge_case("440000", "60000", late_new="10000"), RuleId.TIER_EDGE_NO_NEW) == []
    assert alerts_of(_edge_case("500000", "10000"), RuleId.TIER_EDGE_NO_NEW) == []  # over the edge without them
    assert alerts_of(_edge_case("400000", "60000"), RuleId.TIER_EDGE_NO_NEW) == []  # below the edge


# --------------------------------------------------------------------------- overstock

MONDAY = date(2026, 3, 2)


def weeks(stocks: list[int], *, sold: int = 7, partner: str = "P-A", product: str = "EG-2100") -> list[InventoryWeek]:
    """One report a week from MONDAY; ``sold`` units a week means 1 a day, so DOI = stock."""
    return [
        InventoryWeek(MONDAY + timedelta(weeks=i), partner, product, sold, sold, stock)
        for i, stock in enumerate(stocks)
    ]


def test_overstock_one_alert_per_run_of_at_least_two_weeks_above_the_threshold() -> None:
    rows = weeks([50, 90, 90, 91, 95, 130, 60, 91, 40, 91, 92])  # runs: weeks 3-5, 7 (too short), 9-10
    alerts = alerts_of(inputs(inventory=rows), RuleId.OVERSTOCK)
    assert [a.period for a in alerts] == [rows[3].week, rows[9].week]
    first, second = alerts
    assert first.evidence.weeks == (rows[3].week, rows[4].week, rows[5].week)
    assert first.evidence.figure("peak_days_of_inventory").value == Decimal(130)
    assert first.severity is Severity.MEDIUM  # peak 130 days
    assert second.severity is Severity.LOW
    assert first.subject == first.evidence.product_id == "EG-2100"
    assert first.period_label == "2026-03-23" and first.quarter == Q1


def test_overstock_doi_is_stock_over_the_four_week_mean_and_infinite_without_sales() -> None:
    rows = [
        InventoryWeek(MONDAY + timedelta(weeks=i), "P-A", "SN-TH100", 0, sold, stock)
        for i, (sold, stock) in enumerate([(7, 100), (0, 100), (0, 100), (0, 100), (0, 100), (0, 100)])
    ]
    alerts = alerts_of(inputs(inventory=rows), RuleId.OVERSTOCK)
    # week 0: 100 / (7 sold / 7 days) = 100 days; weeks 1-3: 200, 300, 400 (7 sold over 14, 21, 28 days);
    # weeks 4-5: nothing sold in the 4 weeks to them, so infinite
    (alert,) = alerts
    assert alert.period == rows[0].week
    assert alert.evidence.figure("first_days_of_inventory").value == Decimal(100)
    assert alert.evidence.figure("peak_days_of_inventory").value == INFINITE
    assert alert.severity is Severity.HIGH


def test_overstock_ignores_a_handful_of_units_and_a_gap_breaks_a_run() -> None:
    few = weeks([9, 9, 9], sold=0)
    assert alerts_of(inputs(inventory=few), RuleId.OVERSTOCK) == []
    gap = weeks([100, 100, 100])
    gap[1:] = [replace(r, week=r.week + timedelta(weeks=1)) for r in gap[1:]]  # weeks 0, 2, 3
    (alert,) = alerts_of(inputs(inventory=gap), RuleId.OVERSTOCK)  # week 0 alone is too short
    assert alert.period == gap[1].week


# --------------------------------------------------------------------------- complaint_rate


def _region(complaints: dict[str, int], *, customers: int = 20, quarter_day: str = "2026-04-15") -> AlertInputs:
    orders: list[Order] = []
    feedback: list[FeedbackRecord] = []
    day = date.fromisoformat(quarter_day)
    for partner, count in complaints.items():
        orders += [booked(partner, quarter_day, "10000", customer=f"C-{partner}-{i}") for i in range(customers)]
        feedback += [
            FeedbackRecord(f"FB-{partner}-{i}", day, partner, f"C-{partner}-{i}", "EG-2100", FeedbackKind.COMPLAINT)
            for i in range(count)
        ]
    return inputs(orders, feedback=feedback, regions=dict.fromkeys(complaints, "华南"))


def test_complaint_rate_fires_past_median_plus_k_robust_deviations() -> None:
    # Rates 0.1 everywhere but P-F: median 0.1, MAD 0, so the scale is the 0.05 floor and the
    # limit 0.1 + 3 * 0.05 = 0.25.
    base = {"P-A": 2, "P-B": 2, "P-C": 2, "P-D": 2, "P-E": 2}
    assert alerts_of(_region({**base, "P-F": 5}), RuleId.COMPLAINT_RATE) == []  # 5/20 = 0.25: z = 3 exactly
    (alert,) = alerts_of(_region({**base, "P-F": 6}), RuleId.COMPLAINT_RATE)  # 0.30: z = 4
    assert (alert.partner_id, alert.period, alert.severity) == ("P-F", Q2, Severity.LOW)
    assert alert.evidence.figure("robust_z").value == Decimal(4)
    assert alert.evidence.figure("complaint_rate").threshold == Decimal("0.25")
    assert alert.evidence.region == "华南"
    assert alert.evidence.feedback_ids == tuple(f"FB-P-F-{i}" for i in range(6))
    (high,) = alerts_of(_region({**base, "P-F": 14}), RuleId.COMPLAINT_RATE)  # 0.70: z = 12
    assert high.severity is Severity.HIGH


def test_complaint_rate_uses_the_mad_when_the_region_spreads() -> None:
    # rates 0, .1, .1, .1, .2, x: median .1, MAD .05 -> scale .0741, limit .1 + 3 * .0741 = .3224
    spread = {"P-A": 0, "P-B": 2, "P-C": 2, "P-D": 2, "P-E": 4}
    assert alerts_of(_region({**spread, "P-F": 6}), RuleId.COMPLAINT_RATE) == []  # 0.30
    (alert,) = alerts_of(_region({**spread, "P-F": 7}), RuleId.COMPLAINT_RATE)  # 0.35
    assert alert.evidence.figure("region_mad").value == Decimal("0.0500")
    assert alert.evidence.figure("robust_z").value == Decimal("3.37")


def test_complaint_rate_needs_enough_complaints_and_partners() -> None:
    few = {"P-A": 0, "P-B": 0, "P-C": 0, "P-D": 0, "P-E": 0, "P-F": 2}  # 2 of 5 customers: z = 8, but 2 complaints
    assert alerts_of(_region(few, customers=5), RuleId.COMPLAINT_RATE) == []
    small = {"P-A": 2, "P-B": 2, "P-C": 2, "P-F": 10}  # four partners: no "normal" to compare with
    assert alerts_of(_region(small), RuleId.COMPLAINT_RATE) == []


# --------------------------------------------------------------------------- satisfaction_falling


def surveys(partner: str, quarter: Quarter, scores: list[int]) -> list[FeedbackRecord]:
    day = quarter.start + timedelta(days=20)
    return [
        FeedbackRecord(f"SV-{partner}-{quarter}-{i}", day, partner, f"C-{i}", "EG-2100", FeedbackKind.SURVEY, score)
        for i, score in enumerate(scores)
    ]


def test_satisfaction_falling_needs_two_falls_each_past_the_margin() -> None:
    at_edge = (
        surveys("P-A", Q1, [5, 5, 5, 5, 4]) + surveys("P-A", Q2, [5, 5, 5, 4, 4]) + surveys("P-A", Q3, [5, 5, 4, 4, 4])
    )
    assert alerts_of(inputs(feedback=at_edge), RuleId.SATISFACTION_FALLING) == []  # 4.8, 4.6, 4.4: falls of 0.2
    falling = (
        surveys("P-A", Q1, [5, 5, 5, 5, 4]) + surveys("P-A", Q2, [5, 5, 4, 4, 4]) + surveys("P-A", Q3, [4, 4, 4, 4, 4])
    )
    (alert,) = alerts_of(inputs(feedback=falling), RuleId.SATISFACTION_FALLING)  # 4.8, 4.4, 4.0
    assert (alert.period, alert.severity) == (Q3, Severity.HIGH)  # total fall 0.8
    assert alert.evidence.figure("fall_2").value == Decimal("0.40")
    assert alert.evidence.figure("fall_2").threshold == Decimal("0.2")


def test_satisfaction_falling_medium_names_the_low_scores_and_needs_enough_surveys() -> None:
    q3 = [5] * 5 + [4] * 5  # 4.5
    q4 = [5, 5, 5, 5, 4, 4, 4, 4, 4, 2]  # 4.2
    scores = surveys("P-A", Q2, [5, 5, 5, 5, 4]) + surveys("P-A", Q3, q3) + surveys("P-A", Q4, q4)
    (alert,) = alerts_of(inputs(feedback=scores), RuleId.SATISFACTION_FALLING)  # 4.8, 4.5, 4.2
    assert (alert.period, alert.severity) == (Q4, Severity.MEDIUM)  # total fall 0.6
    assert alert.evidence.feedback_ids == ("SV-P-A-2026Q4-9",)  # the one score of 2
    thin = surveys("P-A", Q2, [5, 5, 5, 5]) + surveys("P-A", Q3, [4, 4, 4, 4, 4]) + surveys("P-A", Q4, [3, 3, 3, 3, 3])
    assert alerts_of(inputs(feedback=thin), RuleId.SATISFACTION_FALLING) == []  # four surveys in Q2
    small = (
        surveys("P-A", Q1, [5, 5, 5, 5, 5]) + surveys("P-A", Q2, [5, 5, 5, 5, 4]) + surveys("P-A", Q3, [5, 5, 5, 4, 3])
    )
    assert alerts_of(inputs(feedback=small), RuleId.SATISFACTION_FALLING) == []  # falls of 0.2 and 0.4


# --------------------------------------------------------------------------- overdue_task


def test_overdue_task_from_the_day_after_due_with_progress_short_of_target() -> None:
    today = date(2026, 5, 10)
    tasks = [
        TaskRecord("T-1", "P-A", today, 10, 3),  # due today: not overdue
        TaskRecord("T-2", "P-A", today - timedelta(days=1), 10, 3),
        TaskRecord("T-3", "P-A", today - timedelta(days=7), 10, 9),
        TaskRecord("T-4", "P-A", today - timedelta(days=45), 10, 0),
        TaskRecord("T-5", "P-A", today - timedelta(days=45), 10, 10),  # done
    ]
    alerts = alerts_of(inputs(tasks=tasks, as_of=today), RuleId.OVERDUE_TASK)
    assert [(a.subject, a.severity) for a in sorted(alerts, key=lambda a: a.subject)] == [
        ("T-2", Severity.LOW),
        ("T-3", Severity.MEDIUM),
        ("T-4", Severity.HIGH),
    ]
    t4 = next(a for a in alerts if a.subject == "T-4")
    assert t4.evidence.task_ids == ("T-4",)
    assert t4.period == Q1  # due 26 March
    assert t4.evidence.figure("shortfall").value == Decimal(10)
    assert t4.evidence.figure("days_overdue").value == Decimal(45)
    assert alerts_of(inputs(tasks=tasks), RuleId.OVERDUE_TASK) == []  # no "today", no overdue
    regional = TaskRecord("T-9", "R-EC", today - timedelta(days=3), 100, 40)  # a region's share of a task
    (alert,) = alerts_of(inputs(tasks=[regional], as_of=today), RuleId.OVERDUE_TASK)
    assert (alert.partner_id, alert.subject, alert.severity) == ("R-EC", "T-9", Severity.LOW)
    assert alert.evidence.figure("progress").threshold == Decimal(100)


# --------------------------------------------------------------------------- incremental == full


PARTNERS = {"P-A": "华东", "P-B": "华东", "P-C": "华东", "P-D": "华东", "P-E": "华东", "P-F": "华南", "P-G": "华南"}
PRODUCTS = ("EG-2100", "SN-TH100")
WEEK0 = date(2025, 12, 29)


class World:
    """Random but plausible inputs, and random single changes to them, with the scope each touches."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.orders: list[Order] = []
        self.inventory: dict[tuple[str, str, date], InventoryWeek] = {}
        self.feedback: list[FeedbackRecord] = []
        self.tasks: dict[str, TaskRecord] = {}
        for partner in PARTNERS:
            for _ in range(40):
                self.add_order(partner)
            for product in PRODUCTS:
                for i in range(52):
                    self.set_week(partner, product, i)
            for _ in range(80):
                self.add_feedback(partner)
            self.add_task(partner)
        self.add_task("R-EC")  # a regional node's share of a task

    def day(self) -> date:
        return date(2026, 1, 1) + timedelta(days=self.rng.randrange(365))

    def add_order(self, partner: str) -> Order:
        rng = self.rng
        own = [o for o in self.orders if o.partner_id == partner and not o.is_return]
        if own and rng.random() < 0.15:
            original = rng.choice(own)
            if not any(o.reverses == original.order_id and o.partner_id == partner for o in self.orders):
                day = original.date + timedelta(days=rng.randrange(0, 60))
                order = returned(original, min(day, date(2026, 12, 31)).isoformat())
                self.orders.append(order)
                return order
        order = booked(
            partner,
            self.day().isoformat(),
            str(rng.choice([20000, 60000, 150000, 240000])),
            customer=f"C-{rng.randrange(12)}",
            new=rng.random() < 0.2,
        )
        self.orders.append(order)
        return order

    def set_week(self, partner: str, product: str, index: int) -> InventoryWeek:
        rng = self.rng
        sold = rng.choice([0, 3, 7, 14])
        row = InventoryWeek(WEEK0 + timedelta(weeks=index), partner, product, sold, sold, rng.choice([5, 40, 100, 300]))
        self.inventory[(partner, product, row.week)] = row
        return row

    def add_feedback(self, partner: str) -> FeedbackRecord:
        rng = self.rng
        kind = FeedbackKind.COMPLAINT if rng.random() < 0.3 else FeedbackKind.SURVEY
        record = FeedbackRecord(
            f"FB-{len(self.feedback):05d}",
            self.day(),
            partner,
            f"C-{rng.randrange(12)}",
            "EG-2100",
            kind,
            score=rng.choice([1, 3, 4, 5, 5]) if kind is FeedbackKind.SURVEY else None,
            category="quality" if kind is FeedbackKind.COMPLAINT else None,
        )
        self.feedback.append(record)
        return record

    def add_task(self, partner: str) -> TaskRecord:
        task_id = f"T-{len(self.tasks):03d}"
        task = TaskRecord(task_id, partner, self.day(), 10, self.rng.randrange(12))
        self.tasks[task_id] = task
        return task

    def change(self) -> Scope:
        """One random change of one kind; the scope the caller names for it."""
        rng = self.rng
        partner = rng.choice(list(PARTNERS))
        kind = rng.choice(["order", "week", "feedback", "task"])
        if kind == "order":
            return Scope.for_order(self.add_order(partner))
        if kind == "week":
            return Scope.for_week(self.set_week(partner, rng.choice(PRODUCTS), rng.randrange(52)))
        if kind == "feedback":
            return Scope.for_feedback(self.add_feedback(partner))
        assignee = partner if rng.random() < 0.8 else "R-EC"
        old = rng.choice([t for t in self.tasks.values() if t.assignee_id == assignee])
        new = replace(old, due=self.day(), progress=rng.randrange(12))
        self.tasks[new.task_id] = new
        return Scope.for_task(old) | Scope.for_task(new)

    def inputs(self) -> AlertInputs:
        return AlertInputs(
            ledger=Ledger(self.orders),
            policy=POLICY,
            regions=PARTNERS,
            quarters=QUARTERS,
            inventory=InventoryIndex.build(self.inventory.values()),
            feedback=FeedbackIndex.build(self.feedback),
            tasks=tuple(self.tasks.values()),
            as_of=date(2026, 8, 1),
        )


# Loose thresholds, so the random world raises alerts of every rule.
LOOSE = copy.deepcopy(RULES_DOC)
LOOSE["rules"]["complaint_rate"].update({"threshold": "0.5", "min_complaints": 1})
LOOSE["rules"]["satisfaction_falling"]["threshold"] = "0.01"
LOOSE["rules"]["return_spike"]["threshold"] = "0.05"
LOOSE["rules"]["quarter_end_stuffing"]["threshold"] = "0.15"
LOOSE["rules"]["tier_edge_no_new"].update({"threshold": "0.5", "severity": {"medium": "0.2", "high": "0.1"}})
LOOSE_RULES = parse_rules(LOOSE)


def test_incremental_after_a_change_equals_a_full_run() -> None:
    world = World(seed=14)
    before = evaluate(world.inputs(), LOOSE_RULES)
    assert {a.rule for a in before.alerts} == set(RuleId)  # every rule has something to recompute
    current = before.alerts
    for _ in range(60):
        scope = world.change()
        data = world.inputs()
        partial = evaluate(data, LOOSE_RULES, scope)
        full = evaluate(data, LOOSE_RULES)
        assert merge(current, partial) == full.alerts
        # what the partial run returns is exactly the full run's alerts in its reach
        assert partial.alerts == tuple(a for a in full.alerts if partial.covers(a))
        current = merge(current, partial)
    assert current != before.alerts  # the changes did change the alerts


def test_a_complaint_rescores_the_whole_region_and_nothing_else() -> None:
    base = {"P-A": 2, "P-B": 2, "P-C": 2, "P-D": 2, "P-E": 2, "P-F": 6}
    data = _region(base)
    complaint = FeedbackRecord("FB-NEW", date(2026, 4, 20), "P-A", "C-P-A-9", "EG-2100", FeedbackKind.COMPLAINT)
    changed = replace(data, feedback=data.feedback.with_records([complaint]))
    partial = evaluate(changed, RULES, Scope.for_feedback(complaint))
    # P-A's third complaint moves the median... not enough to silence P-F, whose alert is recomputed
    assert [a.partner_id for a in partial.alerts if a.rule is RuleId.COMPLAINT_RATE] == ["P-F"]
    old_f = next(a for a in evaluate(data, RULES).alerts if a.partner_id == "P-F")
    assert partial.covers(old_f)
    assert not partial.covers(replace(old_f, period=Q1))  # another quarter is not recomputed
    assert not partial.covers(replace(old_f, rule=RuleId.RETURN_SPIKE))  # nor P-F's ledger rules


def test_a_partial_evaluation_of_one_partner_leaves_others_alone() -> None:
    first = booked("P-A", "2026-01-10", "100000")
    other = booked("P-B", "2026-01-10", "100000")
    data = inputs([first, returned(first, "2026-01-20", "30000"), other, returned(other, "2026-01-20", "30000")])
    partial: Evaluation = evaluate(data, RULES, Scope.of(["P-B"], ["2026Q1"]))
    assert [(a.rule, a.partner_id) for a in partial.alerts] == [(RuleId.RETURN_SPIKE, "P-B")]
    (alert_a,) = [a for a in evaluate(data, RULES).alerts if a.partner_id == "P-A"]
    assert not partial.covers(alert_a)
    assert merge([alert_a], partial) == evaluate(data, RULES).alerts


def test_feedback_index_moves_an_edited_record_to_its_new_quarter() -> None:
    record = FeedbackRecord("FB-1", date(2026, 2, 1), "P-A", "C-1", "EG-2100", FeedbackKind.COMPLAINT)
    index = FeedbackIndex.build([record]).with_records([replace(record, date=date(2026, 5, 1))])
    assert index.of("P-A", Q1) == ()
    assert [r.feedback_id for r in index.of("P-A", Q2)] == ["FB-1"]


def test_inventory_index_replaces_a_week() -> None:
    rows = weeks([10, 20, 30])
    index = InventoryIndex.build(rows).with_rows([replace(rows[1], stock_units=99)])
    assert [r.stock_units for r in index.of("P-A")["EG-2100"]] == [10, 99, 30]


# --------------------------------------------------------------------------- the corpus reader


def test_reader_names_each_bad_line_and_field(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "week,partner_id,product_id,sell_in_units,sell_through_units,stock_units\n"
        "2026-01-05,P-A,EG-2100,3,2,10\n"
        "2026-01-06,P-A,EG-2100,3,2,10\n"
        "2026-01-12,P-A,EG-2100,3,-2,10\n",
        encoding="utf-8",
    )
    with pytest.raises(AlertInputError) as info:
        read_inventory(inventory)
    assert info.value.problems == [
        f"{inventory}: line 3: week: 2026-01-06 is not a Monday",
        f"{inventory}: line 4: sell_through_units: negative: -2",
    ]
    feedback = tmp_path / "feedback.csv"
    header = "feedback_id,date,partner_id,customer_id,product_id,kind,score,category,status,text\n"
    feedback.write_text(header + "F1,2026-02-01,P-A,C-1,EG-2100,survey,4,,closed,好\n", encoding="utf-8")
    (record,) = read_feedback(feedback)
    assert (record.kind, record.score, record.category) == (FeedbackKind.SURVEY, 4, None)
    feedback.write_text(header + "F2,2026-02-01,P-A,C-1,EG-2100,survey,6,,closed,好\n", encoding="utf-8")
    with pytest.raises(AlertInputError, match=r"line 2: score: a survey scores 1\.\.5, not 6"):
        read_feedback(feedback)
    feedback.write_text("feedback_id,date\n", encoding="utf-8")
    with pytest.raises(AlertInputError, match="missing columns"):
        read_feedback(feedback)


def test_a_survey_before_the_evaluated_span_reaches_the_alerts_it_feeds() -> None:
    q0 = Quarter(2025, 4)
    scores = surveys("P-A", q0, [5, 5, 5, 5, 4]) + surveys("P-A", Q1, [5, 5, 4, 4, 4]) + surveys("P-A", Q2, [4] * 5)
    before = inputs(feedback=scores)
    (alert,) = alerts_of(before, RuleId.SATISFACTION_FALLING)  # 4.8 (2025Q4), 4.4, 4.0
    assert alert.period == Q2
    edit = replace(scores[4], score=1)  # 2025Q4 falls to 4.2: no longer a fall into 2026Q1
    after = replace(before, feedback=before.feedback.with_records([edit]))
    partial = evaluate(after, RULES, Scope.for_feedback(edit))
    assert partial.covers(alert) and partial.alerts == ()
    assert merge([alert], partial) == evaluate(after, RULES).alerts == ()
