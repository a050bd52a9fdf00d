"""Ledger: net sales per quarter, returns in the quarter they are booked, validation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rebate_helpers import PARTNER, make_order

from assistant.rebates import InvalidAmountError, InvalidOrderError, Ledger, Order, OrderStatus, Quarter, summarize

Q1, Q2 = Quarter.parse("2026Q1"), Quarter.parse("2026Q2")
D = Decimal


def test_net_and_new_customer_sales_per_quarter() -> None:
    ledger = Ledger(
        [
            make_order("SO-1", "100000.00", "2026-01-05"),
            make_order("SO-2", "50000.50", "2026-02-05", new=True, customer="C-N"),
            make_order("SO-3", "70000.00", "2026-03-31"),
            make_order("RT-1", "20000.00", "2026-03-20", reverses="SO-1"),  # partial, same quarter
            make_order("RT-2", "50000.50", "2026-04-02", new=True, customer="C-N", reverses="SO-2"),  # next quarter
            make_order("SO-4", "10000.00", "2026-04-03", partner="P-OTHER"),
        ]
    )
    q1 = ledger.sales(PARTNER, Q1)
    assert (q1.booked, q1.returned, q1.net) == (D("220000.50"), D("20000.00"), D("200000.50"))
    assert q1.new_customer_net == D("50000.50")
    q2 = ledger.sales(PARTNER, Q2)
    assert (q2.booked, q2.net, q2.new_customer_net) == (D("0"), D("-50000.50"), D("-50000.50"))
    assert q2.order_ids == ("RT-2",)
    assert ledger.net_sales("P-OTHER", Q2) == D("10000.00")
    assert ledger.net_sales(PARTNER, Quarter.parse("2026Q3")) == D("0")


def test_cut_off_date_is_inclusive() -> None:
    ledger = Ledger([make_order("SO-1", "100.00", "2026-02-01"), make_order("SO-2", "200.00", "2026-02-02")])
    assert ledger.net_sales(PARTNER, Q1, until=date(2026, 1, 31)) == D("0")
    assert ledger.net_sales(PARTNER, Q1, until=date(2026, 2, 1)) == D("100.00")
    assert ledger.net_sales(PARTNER, Q1, until=date(2026, 2, 2)) == D("300.00")


def test_cut_off_in_a_quarter_without_orders() -> None:
    """A partner with no orders yet (e.g. just added) has an empty, not a failing, accrued quarter."""
    ledger = Ledger([make_order("SO-1", "100.00", "2026-02-01")])
    assert ledger.orders(PARTNER, Q2, until=date(2026, 5, 1)) == ()
    assert ledger.net_sales("P-NEW", Q1, until=date(2026, 2, 15)) == D("0")


def test_late_window_is_the_last_fourteen_days() -> None:
    ledger = Ledger(
        [
            make_order("SO-1", "100.00", "2026-03-17"),  # 31 March - 14 days: outside
            make_order("SO-2", "200.00", "2026-03-18"),  # first day of the window
            make_order("SO-3", "400.00", "2026-03-31", new=True, customer="C-N"),
        ]
    )
    sales = ledger.sales(PARTNER, Q1)
    assert sales.late_booked == D("600.00")
    assert sales.late_booked_existing_customers == D("200.00")
    assert sales.late_share == D("600") / D("700")


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ([make_order("SO-1", "1.00", "2026-01-01"), make_order("SO-1", "2.00", "2026-01-02")], "duplicate"),
        ([make_order("RT-1", "1.00", "2026-01-02", reverses="SO-X")], "unknown order"),
        (
            [make_order("SO-1", "10.00", "2026-01-05"), make_order("RT-1", "10.00", "2026-01-04", reverses="SO-1")],
            "before its order",
        ),
        (
            [
                make_order("SO-1", "10.00", "2026-01-05"),
                make_order("RT-1", "6.00", "2026-01-06", reverses="SO-1"),
                make_order("RT-2", "5.00", "2026-01-07", reverses="SO-1"),
            ],
            "exceed",
        ),
        (
            [
                make_order("SO-1", "10.00", "2026-01-05"),
                make_order("RT-1", "10.00", "2026-01-06", reverses="SO-1", new=True),
            ],
            "differs",
        ),
    ],
)
def test_inconsistent_orders_are_rejected(orders: list[Order], message: str) -> None:
    with pytest.raises(InvalidOrderError, match=message) as info:
        Ledger(orders)
    assert info.value.code == "invalid_order"


@pytest.mark.parametrize("amount", ["-5.00", "0", "1.005"])
def test_bad_order_amounts(amount: str) -> None:
    with pytest.raises(InvalidAmountError):
        Ledger([make_order("SO-1", amount, "2026-01-05")])


def test_with_orders_leaves_the_original_unchanged() -> None:
    ledger = Ledger([make_order("SO-1", "100.00", "2026-01-05")])
    bigger = ledger.with_orders([make_order("SO-2", "50.00", "2026-01-06")])
    assert (ledger.net_sales(PARTNER, Q1), bigger.net_sales(PARTNER, Q1)) == (D("100.00"), D("150.00"))
    assert len(ledger) == 1 and len(bigger) == 2


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 10_000_000), st.booleans(), st.integers(0, 89)), max_size=25),
    st.sets(st.integers(0, 24)),
    st.lists(st.integers(-5, 95), min_size=1, max_size=6),
)
def test_sales_at_any_cut_off_match_a_plain_recount(
    rows: list[tuple[int, bool, int]], returned: set[int], cut_offs: list[int]
) -> None:
    """The ledger's running totals give what counting the orders up to the cut-off gives."""
    start = date(2026, 1, 1)
    orders = []
    for i, (cents, new, day) in enumerate(rows):
        amount = str(Decimal(cents) / 100)
        orders.append(make_order(f"SO-{i:02d}", amount, str(start + timedelta(days=day)), new=new, customer=f"C-{i}"))
        if i in returned:
            back = start + timedelta(days=min(89, day + 3))
            orders.append(
                make_order(f"RT-{i:02d}", amount, str(back), new=new, customer=f"C-{i}", reverses=f"SO-{i:02d}")
            )
    ledger = Ledger(orders)
    late_from = Q1.end - timedelta(days=13)
    for offset in cut_offs:
        until = start + timedelta(days=offset)
        counted = sorted(
            (o for o in orders if o.date <= until), key=lambda o: (o.date, o.status is OrderStatus.RETURNED, o.order_id)
        )
        sales = ledger.sales(PARTNER, Q1, until=until)
        booked = sum((o.amount for o in counted if not o.is_return), D(0))
        back = sum((o.amount for o in counted if o.is_return), D(0))
        assert (sales.booked, sales.returned, sales.net) == (booked, back, booked - back)
        assert sales.new_customer_net == sum((o.signed_amount for o in counted if o.new_customer), D(0))
        late = [o for o in counted if not o.is_return and o.date >= late_from]
        assert sales.late_booked == sum((o.amount for o in late), D(0))
        assert sales.late_booked_existing_customers == sum((o.amount for o in late if not o.new_customer), D(0))
        assert sales.order_ids == tuple(o.order_id for o in counted)
        assert sales.new_customer_order_ids == tuple(o.order_id for o in counted if o.new_customer)
        assert sales.new_customer_orders == tuple(o for o in counted if o.new_customer)
        assert sales == summarize(PARTNER, Q1, counted)
