"""Ledger: net sales per quarter, returns in the quarter they are booked, validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rebate_helpers import PARTNER, make_order

from assistant.rebates import InvalidAmountError, InvalidOrderError, Ledger, Order, Quarter

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
