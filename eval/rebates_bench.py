"""Benchmark: time ``RebateEngine.statement()`` for one partner with 10,000 orders in one quarter.

``python -m eval rebates --json OUT`` calls :func:`add_arguments` and :func:`run`.
Target: p95 <= 20 ms on a developer machine.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from assistant.rebates import (
    ClaimKind,
    ClaimState,
    Ledger,
    LineKind,
    Order,
    OrderStatus,
    PartnerProfile,
    Quarter,
    RebateEngine,
    SubsidyClaim,
    load_policy,
)

ROOT = Path(__file__).resolve().parents[1]
PARTNER = "P-BENCH-01"
TARGET_P95_MS = 20.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--orders", type=int, default=10_000, help="orders to synthesise (default 10000)")
    parser.add_argument("--repeat", type=int, default=200, help="statement() calls to time (default 200)")
    parser.add_argument("--quarter", default="2026Q2", help="quarter of the synthetic orders")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--policy", type=Path, default=ROOT / "corpus" / "rebates" / "policy.yaml")


def synthesise(*, count: int, quarter: Quarter, seed: int) -> list[Order]:
    """``count`` orders of one partner in ``quarter``: ~8% returns, ~20% new customers, a few markets."""
    rng = random.Random(seed)
    days = (quarter.end - quarter.start).days
    orders: list[Order] = []
    booked: list[Order] = []
    industries = ("化工", "制药", "汽车制造", "电子制造")
    for index in range(count):
        if booked and rng.random() < 0.08:
            original = booked.pop(rng.randrange(len(booked)))
            day = min(quarter.end, original.date + timedelta(days=rng.randint(0, 20)))
            orders.append(
                Order(
                    order_id=f"RT-{index:06d}",
                    partner_id=PARTNER,
                    customer_id=original.customer_id,
                    new_customer=original.new_customer,
                    product_id=original.product_id,
                    amount=original.amount,
                    date=day,
                    status=OrderStatus.RETURNED,
                    reverses=original.order_id,
                    industry=original.industry,
                    city=original.city,
                )
            )
            continue
        new = rng.random() < 0.2
        order = Order(
            order_id=f"SO-{index:06d}",
            partner_id=PARTNER,
            customer_id=f"C-{rng.randrange(2000):04d}",
            new_customer=new,
            product_id="EG-2100",
            amount=Decimal(rng.randrange(50_000, 5_000_000)) / 100,
            date=quarter.start + timedelta(days=rng.randint(0, days)),
            industry=rng.choice(industries),
            city="杭州",
        )
        orders.append(order)
        booked.append(order)
    return orders


def run(args: argparse.Namespace) -> dict[str, object]:
    policy = load_policy(args.policy)
    quarter = Quarter.parse(args.quarter)
    orders = synthesise(count=args.orders, quarter=quarter, seed=args.seed)
    claims = (
        SubsidyClaim("CL-B-1", PARTNER, quarter, ClaimKind.NEW_MARKET, ClaimState.APPROVED, industry="化工"),
        SubsidyClaim("CL-B-2", PARTNER, quarter, ClaimKind.CSAT, ClaimState.APPROVED),
    )
    profile = PartnerProfile(
        partner_id=PARTNER,
        first_quarter=policy.first_quarter,
        first_baseline=Decimal(3_000_000),
        satisfaction={quarter: 90, quarter.previous(): 80},
        claims=claims,
    )
    engine = RebateEngine(policy=policy, ledger=Ledger(orders), partners=[profile])
    as_of = quarter.end + timedelta(days=1)  # final statement: every order counts
    statement = engine.statement(partner_id=PARTNER, quarter=quarter, as_of=as_of)  # warm-up (baselines)
    timings: list[float] = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        engine.statement(partner_id=PARTNER, quarter=quarter, as_of=as_of)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()

    def pct(p: float) -> float:
        index = min(len(timings) - 1, max(0, round(p / 100 * len(timings) + 0.5) - 1))
        return round(timings[index], 3)

    p95 = pct(95)
    return {
        "orders": len(orders),
        "repeat": args.repeat,
        "statement_ms": {"p50": pct(50), "p95": p95, "max": round(timings[-1], 3)},
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": p95 <= TARGET_P95_MS,
        "net_sales": str(statement.net_sales),
        "total_rebate": str(statement.total),
        "base_line": str(statement.line(LineKind.BASE).amount),
        "measured_on": date.today().isoformat(),
    }


if __name__ == "__main__":
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    print(json.dumps(run(parser.parse_args()), ensure_ascii=False, indent=2))
