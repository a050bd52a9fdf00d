"""Shared builders for the rebate tests: the policy of docs/rebate-policy.md and small engines.

Every expected number in the tests is worked out by hand from these rules.
(A uniquely named helper module rather than a conftest, so it can be imported plainly.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from assistant.rebates import (
    Ledger,
    Order,
    OrderStatus,
    PartnerProfile,
    Quarter,
    RebateEngine,
    RebatePolicy,
    SubsidyClaim,
    parse_policy,
)

PARTNER = "P-TEST-01"


def policy_doc(*, tier_mode: str = "whole_volume") -> dict[str, Any]:
    """The demo policy as a plain document (docs/rebate-policy.md)."""
    return {
        "name": "test policy",
        "first_quarter": "2026Q1",
        "last_quarter": "2026Q4",
        "versions": [
            {
                "effective_from": "2026Q1",
                "tier_mode": tier_mode,
                "tiers": [
                    {"name": "T1", "min": 0, "max": 500000, "rate": "0.02"},
                    {"name": "T2", "min": 500000, "max": 1500000, "rate": "0.03"},
                    {"name": "T3", "min": 1500000, "max": 3000000, "rate": "0.04"},
                    {"name": "T4", "min": 3000000, "max": None, "rate": "0.05"},
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


def make_order(
    order_id: str,
    amount: str,
    day: str,
    *,
    new: bool = False,
    partner: str = PARTNER,
    customer: str = "C-1",
    reverses: str | None = None,
    industry: str | None = None,
    city: str | None = None,
) -> Order:
    """A booked order, or a return when ``reverses`` is given (same customer/flag as the original)."""
    return Order(
        order_id=order_id,
        partner_id=partner,
        customer_id=customer,
        new_customer=new,
        product_id="EG-2100",
        amount=Decimal(amount),
        date=date.fromisoformat(day),
        status=OrderStatus.RETURNED if reverses else OrderStatus.BOOKED,
        reverses=reverses,
        industry=industry,
        city=city,
    )


def make_policy(*, mode: str = "whole_volume") -> RebatePolicy:
    return parse_policy(policy_doc(tier_mode=mode))


def make_engine(
    orders: Iterable[Order] = (),
    *,
    mode: str = "whole_volume",
    baseline: str = "1000000",
    satisfaction: Mapping[str, int] | None = None,
    claims: Iterable[SubsidyClaim] = (),
    policy: RebatePolicy | None = None,
) -> RebateEngine:
    """An engine for the single partner PARTNER, whose first baseline (2026Q1) is ``baseline``."""
    profile = PartnerProfile(
        partner_id=PARTNER,
        first_quarter=Quarter.parse("2026Q1"),
        first_baseline=Decimal(baseline),
        satisfaction={Quarter.parse(q): s for q, s in (satisfaction or {}).items()},
        claims=tuple(claims),
    )
    return RebateEngine(
        policy=policy or make_policy(mode=mode),
        ledger=Ledger(orders),
        partners=[profile],
        today=lambda: date(2026, 5, 15),
    )
