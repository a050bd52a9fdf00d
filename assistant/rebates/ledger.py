"""Orders and quarterly sales per partner.

Net sales of a quarter = booked orders dated in the quarter minus returns dated in
the quarter (a return reverses its order in the quarter the *return* is booked,
whatever the quarter of the original order).  Returns carry the original order's
customer, new-customer flag and market, so new-customer sales are reversed too.

Order ids are unique per partner, not across the ledger (DECISIONS 2026-12-04 #5): an
order is keyed by ``(partner_id, order_id)`` and a return's ``reverses`` names an order
of its own partner.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from assistant.rebates.errors import DuplicateOrderError, InvalidAmountError, InvalidOrderError, RebateError
from assistant.rebates.money import ZERO, check_money
from assistant.rebates.quarter import Quarter

LATE_WINDOW_DAYS = 14  # "the last two weeks of the quarter" for spike detection


class OrderStatus(StrEnum):
    BOOKED = "booked"
    RETURNED = "returned"  # a return row; ``reverses`` names the order it reverses


@dataclass(frozen=True, slots=True)
class Order:
    """One order line (or one return).  ``amount`` is positive yuan in both cases."""

    order_id: str
    partner_id: str
    customer_id: str
    new_customer: bool
    product_id: str
    amount: Decimal
    date: date
    status: OrderStatus = OrderStatus.BOOKED
    reverses: str | None = None
    industry: str | None = None
    city: str | None = None

    @property
    def is_return(self) -> bool:
        return self.status is OrderStatus.RETURNED

    @property
    def signed_amount(self) -> Decimal:
        """``+amount`` for a booked order, ``-amount`` for a return."""
        return -self.amount if self.status is OrderStatus.RETURNED else self.amount


@dataclass(frozen=True, slots=True)
class QuarterSales:
    """What a partner sold in one quarter, up to a cut-off date."""

    partner_id: str
    quarter: Quarter
    booked: Decimal  # sum of booked orders
    returned: Decimal  # sum of returns (positive)
    net: Decimal  # booked - returned
    new_customer_net: Decimal  # the same, restricted to new-customer orders
    late_booked: Decimal  # booked in the last LATE_WINDOW_DAYS days of the quarter
    late_booked_existing_customers: Decimal  # ... of which to customers that are not new
    order_ids: tuple[str, ...]  # every order and return counted, by date
    new_customer_order_ids: tuple[str, ...]
    orders: tuple[Order, ...]
    new_customer_orders: tuple[Order, ...] = ()  # the orders of new_customer_order_ids

    @property
    def return_rate(self) -> Decimal:
        """returned / booked (0 when nothing was booked)."""
        return self.returned / self.booked if self.booked > 0 else ZERO

    @property
    def late_share(self) -> Decimal:
        """Share of the booked amount dated in the last two weeks of the quarter."""
        return self.late_booked / self.booked if self.booked > 0 else ZERO


def summarize(partner_id: str, quarter: Quarter, orders: Sequence[Order]) -> QuarterSales:
    """Aggregate ``orders`` (all of the partner, all in ``quarter``) in one pass.

    (The ledger answers from running totals instead, see :class:`_Prefix`; a property
    test checks the two agree.)
    """
    late_from = quarter.end - timedelta(days=LATE_WINDOW_DAYS - 1)
    booked = returned = new_net = late = late_existing = ZERO
    new_orders: list[Order] = []
    for order in orders:
        if order.status is OrderStatus.RETURNED:
            returned += order.amount
            if order.new_customer:
                new_net -= order.amount
                new_orders.append(order)
        else:
            booked += order.amount
            if order.new_customer:
                new_net += order.amount
                new_orders.append(order)
            if order.date >= late_from:
                late += order.amount
                if not order.new_customer:
                    late_existing += order.amount
    return QuarterSales(
        partner_id=partner_id,
        quarter=quarter,
        booked=booked,
        returned=returned,
        net=booked - returned,
        new_customer_net=new_net,
        late_booked=late,
        late_booked_existing_customers=late_existing,
        order_ids=tuple([o.order_id for o in orders]),
        new_customer_order_ids=tuple([o.order_id for o in new_orders]),
        orders=tuple(orders),
        new_customer_orders=tuple(new_orders),
    )


@dataclass(frozen=True, slots=True)
class _Prefix:
    """Running totals over one bucket of orders (sorted by date): entry ``k`` of each list
    is the total of the first ``k`` orders, so the sales up to any cut-off date cost a
    binary search and a few tuple slices instead of a pass over the orders.  Exact:
    Decimal additions in the same order as a plain loop."""

    orders: tuple[Order, ...]
    ids: tuple[str, ...]
    booked: list[Decimal]
    returned: list[Decimal]
    new_net: list[Decimal]
    late: list[Decimal]
    late_existing: list[Decimal]
    new_count: list[int]
    new_orders: tuple[Order, ...]
    new_ids: tuple[str, ...]

    @classmethod
    def build(cls, quarter: Quarter, orders: Sequence[Order]) -> _Prefix:
        late_from = quarter.end - timedelta(days=LATE_WINDOW_DAYS - 1)
        booked = returned = new_net = late = late_existing = ZERO
        n = len(orders) + 1
        c_booked, c_returned, c_new_net = [ZERO] * n, [ZERO] * n, [ZERO] * n
        c_late, c_late_existing, c_new_count = [ZERO] * n, [ZERO] * n, [0] * n
        new_orders: list[Order] = []
        returned_status = OrderStatus.RETURNED
        for i, order in enumerate(orders, start=1):
            amount = order.amount
            if order.status is returned_status:
                returned += amount
                if order.new_customer:
                    new_net -= amount
                    new_orders.append(order)
            else:
                booked += amount
                if order.new_customer:
                    new_net += amount
                    new_orders.append(order)
                if order.date >= late_from:
                    late += amount
                    if not order.new_customer:
                        late_existing += amount
            c_booked[i], c_returned[i], c_new_net[i] = booked, returned, new_net
            c_late[i], c_late_existing[i], c_new_count[i] = late, late_existing, len(new_orders)
        return cls(
            orders=tuple(orders),
            ids=tuple([o.order_id for o in orders]),
            booked=c_booked,
            returned=c_returned,
            new_net=c_new_net,
            late=c_late,
            late_existing=c_late_existing,
            new_count=c_new_count,
            new_orders=tuple(new_orders),
            new_ids=tuple([o.order_id for o in new_orders]),
        )

    def at(self, partner_id: str, quarter: Quarter, k: int) -> QuarterSales:
        """The sales of the first ``k`` orders."""
        new = self.new_count[k]
        full = k == len(self.orders)
        return QuarterSales(
            partner_id=partner_id,
            quarter=quarter,
            booked=self.booked[k],
            returned=self.returned[k],
            net=self.booked[k] - self.returned[k],
            new_customer_net=self.new_net[k],
            late_booked=self.late[k],
            late_booked_existing_customers=self.late_existing[k],
            order_ids=self.ids if full else self.ids[:k],
            new_customer_order_ids=self.new_ids if full else self.new_ids[:new],
            orders=self.orders if full else self.orders[:k],
            new_customer_orders=self.new_orders if full else self.new_orders[:new],
        )


def order_key(order: Order) -> tuple[str, str]:
    """What identifies an order: its partner and its id (ids are unique per partner)."""
    return (order.partner_id, order.order_id)


_E = TypeVar("_E", bound=RebateError)


def _refused(exc: _E, order: Order) -> _E:
    """``exc`` with the order at fault attached (``exc.order``), so a batch can name its item."""
    exc.order = order
    return exc


class Ledger:
    """An immutable, validated set of orders indexed by partner and quarter."""

    def __init__(self, orders: Iterable[Order] = ()) -> None:
        self._by_id: dict[tuple[str, str], Order] = {}
        ordered = sorted(orders, key=lambda o: (o.date, o.status is OrderStatus.RETURNED, o.order_id, o.partner_id))
        # Booked orders first, so a return can name any order whatever the dates (checked below).
        for order in sorted(ordered, key=lambda o: o.status is OrderStatus.RETURNED):
            self._validate(order)
            self._by_id[order_key(order)] = order
        returned_so_far: dict[tuple[str, str], Decimal] = {}
        buckets: dict[tuple[str, Quarter], list[Order]] = {}
        for order in ordered:
            if order.status is OrderStatus.RETURNED:
                self._validate_return(order, returned_so_far)
            buckets.setdefault((order.partner_id, Quarter.of(order.date)), []).append(order)
        self._buckets = {key: tuple(value) for key, value in buckets.items()}
        self._dates = {key: [o.date for o in value] for key, value in self._buckets.items()}
        self._full: dict[tuple[str, Quarter], QuarterSales] = {}
        # Running totals per partner-quarter, built here, once per (immutable) ledger, so a
        # statement never walks the orders: the cost is paid when orders are loaded or added.
        self._prefixes: dict[tuple[str, Quarter], _Prefix] = {
            key: _Prefix.build(key[1], bucket) for key, bucket in self._buckets.items()
        }

    def _validate(self, order: Order) -> None:
        where = f"order {order.order_id}"
        if order_key(order) in self._by_id:
            raise _refused(InvalidOrderError(f"{where}: duplicate order id", field="order_id"), order)
        try:
            check_money(order.amount, what=f"{where}: amount", positive=True)
        except InvalidAmountError as exc:
            exc.field = "amount"
            raise _refused(exc, order) from None
        if order.status is OrderStatus.BOOKED and order.reverses is not None:
            raise _refused(
                InvalidOrderError(f"{where}: a booked order cannot reverse another order", field="reverses"), order
            )
        if order.status is OrderStatus.RETURNED and not order.reverses:
            raise _refused(
                InvalidOrderError(f"{where}: a return must name the order it reverses", field="reverses"), order
            )

    def _validate_return(self, order: Order, returned_so_far: dict[tuple[str, str], Decimal]) -> None:
        where = f"order {order.order_id}"
        original = self.original(order)
        if original is None or original.is_return:
            # Only the partner's own orders are looked at: another partner's ids stay unseen.
            raise _refused(
                InvalidOrderError(f"{where}: return of unknown order {order.reverses!r}", field="reverses"), order
            )
        if original.date > order.date:
            raise _refused(
                InvalidOrderError(f"{where}: return dated before its order {original.order_id}", field="date"), order
            )
        if original.customer_id != order.customer_id:
            raise _refused(
                InvalidOrderError(f"{where}: customer differs from {original.order_id}", field="customer_id"), order
            )
        if original.new_customer != order.new_customer:
            raise _refused(
                InvalidOrderError(f"{where}: new-customer flag differs from {original.order_id}", field="new_customer"),
                order,
            )
        key = order_key(original)
        total = returned_so_far.get(key, ZERO) + order.amount
        if total > original.amount:
            raise _refused(
                InvalidOrderError(
                    f"{where}: returns of {original.order_id} exceed its amount {original.amount}", field="amount"
                ),
                order,
            )
        returned_so_far[key] = total

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Order]:
        return iter(list(self._by_id.values()))

    def get(self, partner_id: str, order_id: str) -> Order | None:
        """The partner's order (or return) with that id."""
        return self._by_id.get((partner_id, order_id))

    def find(self, order_id: str) -> tuple[Order, ...]:
        """Every order with that id, whatever the partner (ids are unique per partner only),
        by partner id.  Callers filter by what the viewer may read."""
        return tuple(sorted((o for o in self._by_id.values() if o.order_id == order_id), key=order_key))

    def original(self, order: Order) -> Order | None:
        """The order a return reverses (of the same partner); None for a booked order or an unknown id."""
        if not order.reverses:
            return None
        return self._by_id.get((order.partner_id, order.reverses))

    def partners(self) -> frozenset[str]:
        return frozenset(partner for partner, _ in self._buckets)

    def with_orders(self, extra: Iterable[Order]) -> Ledger:
        """A new ledger with ``extra`` orders added (this one is unchanged).

        An id already in this ledger for the same partner, or repeated for one partner
        within ``extra``, raises :class:`DuplicateOrderError` (another partner's ids never
        clash); every other rule is checked as for any ledger (:class:`InvalidOrderError`:
        returns of unknown orders, over-returns, amounts, ...).  An error names the order
        at fault in its ``order`` attribute (one of ``extra``) and the field in ``field``.
        """
        added = list(extra)
        seen: set[tuple[str, str]] = set()
        for order in added:
            key = order_key(order)
            if key in self._by_id:
                raise _refused(
                    DuplicateOrderError(f"order {order.order_id}: already in the ledger", field="order_id"), order
                )
            if key in seen:
                raise _refused(
                    DuplicateOrderError(f"order {order.order_id}: twice in the batch", field="order_id"), order
                )
            seen.add(key)
        return Ledger([*self._by_id.values(), *added])

    def orders(self, partner_id: str, quarter: Quarter, *, until: date | None = None) -> tuple[Order, ...]:
        """The partner's orders and returns dated in ``quarter`` (up to ``until`` inclusive)."""
        key = (partner_id, quarter)
        bucket = self._buckets.get(key, ())
        if not bucket or until is None or until >= quarter.end:
            return bucket
        return bucket[: bisect_right(self._dates[key], until)]

    def sales(self, partner_id: str, quarter: Quarter, *, until: date | None = None) -> QuarterSales:
        """:class:`QuarterSales` of the partner in ``quarter`` up to ``until`` (inclusive).

        Served from running totals built with the ledger: any cut-off costs a binary
        search (the ledger is immutable, so they never go stale).
        """
        key = (partner_id, quarter)
        if until is None or until >= quarter.end:
            cached = self._full.get(key)
            if cached is None:
                cached = self._prefix(key).at(partner_id, quarter, len(self._buckets.get(key, ())))
                self._full[key] = cached
            return cached
        bucket = self._buckets.get(key, ())
        k = bisect_right(self._dates[key], until) if bucket else 0
        return self._prefix(key).at(partner_id, quarter, k)

    def _prefix(self, key: tuple[str, Quarter]) -> _Prefix:
        prefix = self._prefixes.get(key)
        if prefix is None:
            prefix = _Prefix.build(key[1], self._buckets.get(key, ()))
            self._prefixes[key] = prefix
        return prefix

    def net_sales(self, partner_id: str, quarter: Quarter, *, until: date | None = None) -> Decimal:
        return self.sales(partner_id, quarter, until=until).net

    def new_customer_sales(self, partner_id: str, quarter: Quarter, *, until: date | None = None) -> Decimal:
        return self.sales(partner_id, quarter, until=until).new_customer_net
