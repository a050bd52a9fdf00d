"""Property tests of statements: lines add up, are rounded once, base follows a tier-lookup model."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rebate_helpers import PARTNER, make_engine, make_order

from assistant.rebates import LineKind

CENT = Decimal("0.01")
EDGES = [(Decimal(0), Decimal("0.02")), (Decimal(500000), Decimal("0.03")), (Decimal(1500000), Decimal("0.04"))]
EDGES.append((Decimal(3000000), Decimal("0.05")))

amounts = st.integers(min_value=1, max_value=150_000_000).map(lambda cents: Decimal(cents) / 100)


def whole_volume_model(net: Decimal) -> Decimal:
    if net <= 0:
        return Decimal("0.00")
    rate = [r for edge, r in EDGES if net >= edge][-1]
    return (net * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def marginal_model(net: Decimal) -> Decimal:
    total = Decimal(0)
    bounds = [*[edge for edge, _ in EDGES[1:]], None]
    for (low, rate), high in zip(EDGES, bounds, strict=True):
        if net > low:
            total += ((net if high is None else min(net, high)) - low) * rate
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(amounts, st.booleans(), st.integers(0, 89)), min_size=0, max_size=30),
    st.sets(st.integers(0, 29)),
    st.sampled_from(["whole_volume", "marginal"]),
    st.integers(300_000, 2_000_000),
)
def test_statement_lines_sum_to_total(
    rows: list[tuple[Decimal, bool, int]], returned: set[int], mode: str, baseline: int
) -> None:
    start = date(2026, 1, 1)
    orders = []
    for index, (amount, new, day) in enumerate(rows):
        orders.append(make_order(f"SO-{index}", str(amount), str(start + timedelta(days=day)), new=new))
        if index in returned:
            orders.append(
                make_order(f"RT-{index}", str(amount), str(start + timedelta(days=89)), new=new, reverses=f"SO-{index}")
            )
    engine = make_engine(orders, mode=mode, baseline=str(baseline))
    statement = engine.statement(partner_id=PARTNER, quarter="2026Q1", as_of=date(2026, 4, 1))
    assert statement.total == sum(line.amount for line in statement.lines)
    assert all(line.amount == line.amount.quantize(CENT) and line.amount >= 0 for line in statement.lines)
    net = sum((o.signed_amount for o in orders), Decimal(0))
    assert statement.net_sales == net
    model = whole_volume_model if mode == "whole_volume" else marginal_model
    assert statement.line(LineKind.BASE).amount == model(net)
    new_net = sum((o.signed_amount for o in orders if o.new_customer), Decimal(0))
    eligible = max(Decimal(0), min(net - baseline, new_net))
    assert statement.line(LineKind.INCREMENTAL).amount == (eligible * Decimal("0.03")).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
