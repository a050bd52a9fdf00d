"""The rebate service: statements, what-if, history, ranking, ledger and the channel tree,
scoped by the caller; admin changes to the tree.  Used by REST and chat alike.

Access (one rule, :meth:`ChannelNetwork.can_read`): a viewer reads its own node and
every node below it; never a sibling, cousin or ancestor; a deactivated viewer reads
nothing.  The viewer's node comes from the verified caller (token -> users table),
never from an id in the request.  An id the viewer may not read is answered exactly
like an id that does not exist (:class:`PartnerNotFoundError`), so nothing leaks.

State: the database is the source of truth (:mod:`assistant.rebates.store`); an
immutable :class:`RebateState` snapshot serves reads.  A change is validated on a copy,
written to the database, and only then swapped in, under one lock, so the very next
request sees it (moving a partner changes access at once).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Protocol

from assistant.rebates.engine import Statement, WhatIf
from assistant.rebates.errors import (
    ForbiddenError,
    InvalidAmountError,
    InvalidOrderError,
    InvalidQuarterError,
    NetworkChangeError,
    OrderNotFoundError,
    PartnerInactiveError,
    PartnerNotFoundError,
    PartnerRequiredError,
    QuarterClosedError,
    QuarterNotFoundError,
    RebateError,
)
from assistant.rebates.ledger import Order
from assistant.rebates.money import ZERO, check_money
from assistant.rebates.network import ChannelNetwork, ChannelNode, Level
from assistant.rebates.profiles import PartnerProfile
from assistant.rebates.quarter import Quarter
from assistant.rebates.ranking import PartnerScore, rank_partners
from assistant.rebates.store import RebateState, RebateStore, build_state, from_cents, to_cents
from assistant.storage.db import Database

log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal(10) ** 12  # a what-if above a trillion yuan is a typo
MAX_PAGE = 5000
ADMIN_ROLE = "admin"


class Viewer(Protocol):
    """Who asks: the verified caller (``assistant.dialogue.types.Caller`` fits)."""

    @property
    def partner_id(self) -> str: ...

    @property
    def role(self) -> str: ...


class Actor(Viewer, Protocol):
    """A viewer whose acts are recorded as theirs (task reports, alert decisions)."""

    @property
    def user_id(self) -> str: ...


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class PartnerStatement:
    node: ChannelNode
    statement: Statement


@dataclass(frozen=True, slots=True)
class PartnerWhatIf:
    node: ChannelNode
    what_if: WhatIf


@dataclass(frozen=True, slots=True)
class PartnerHistory:
    node: ChannelNode
    statements: tuple[Statement, ...]  # oldest first


@dataclass(frozen=True, slots=True)
class RankingRow:
    """One place of a ranking.  ``node`` and ``score`` are None for partners the viewer
    may not read: it sees that a place is taken, never by whom or with what."""

    rank: int
    node: ChannelNode | None
    score: PartnerScore | None

    @property
    def visible(self) -> bool:
        return self.node is not None


@dataclass(frozen=True, slots=True)
class Ranking:
    quarter: Quarter
    scope_level: Level  # alliance, regional or national
    scope: ChannelNode | None  # None when the scope is above the viewer (a partner's alliance)
    rows: tuple[RankingRow, ...]
    viewer_partner_id: str | None  # the viewer's own row, when the viewer is a ranked partner

    @property
    def size(self) -> int:
        return len(self.rows)

    def own(self) -> RankingRow | None:
        return next(
            (r for r in self.rows if r.node is not None and r.node.id == self.viewer_partner_id),
            None,
        )


@dataclass(frozen=True, slots=True)
class OrdersPage:
    node: ChannelNode
    quarter: Quarter
    as_of: date
    total_count: int
    booked: Decimal
    returned: Decimal
    net: Decimal
    orders: tuple[Order, ...]  # this page, by date then id


@dataclass(frozen=True, slots=True)
class TreeNode:
    node: ChannelNode
    children: tuple[TreeNode, ...]


# --------------------------------------------------------------------------- helpers


def parse_amount(value: object) -> Decimal:
    """A positive yuan amount with at most two decimals, from a query string or a number."""
    if isinstance(value, bool) or value is None:
        raise InvalidAmountError("an amount is required")
    if isinstance(value, float):
        value = str(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text or len(text) > 32:
            raise InvalidAmountError(f"not an amount: {value!r}")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise InvalidAmountError(f"not an amount: {value!r}") from exc
    amount = check_money(value, what="amount", positive=True)
    if amount > MAX_AMOUNT:
        raise InvalidAmountError(f"amount {amount} is implausibly large")
    return amount


class RebateService:
    def __init__(self, *, db: Database, today: Callable[[], date] = date.today) -> None:
        self.store = RebateStore(db)
        self._today = today
        self._state: RebateState | None = None
        self._write_lock = threading.Lock()
        self._order_listeners: list[Callable[[tuple[Order, ...]], None]] = []

    # ----------------------------------------------------------------- lifecycle

    def open(self, *, seed_dir: Path | None = None) -> None:
        """Seed the tables from ``seed_dir`` on first start (if it exists), then load them."""
        if seed_dir is not None and (seed_dir / "policy.yaml").exists():
            self.store.seed(seed_dir, today=self._today)
        self.reload()

    def reload(self) -> None:
        """Rebuild the in-memory model from the database."""
        with self._write_lock:
            self._state = self.store.load(today=self._today)
        if self._state is not None:
            log.info("rebates loaded: %d nodes, %d orders", len(self._state.network), len(self._state.ledger))

    @property
    def available(self) -> bool:
        return self._state is not None

    @property
    def state(self) -> RebateState:
        """The current snapshot.  Without rebate data nobody can be found."""
        state = self._state
        if state is None:
            raise PartnerNotFoundError("no rebate data loaded")
        return state

    def today(self) -> date:
        return self._today()

    def current_quarter(self) -> Quarter:
        return Quarter.of(self._today())

    def quarter(self, label: str | None, *, state: RebateState | None = None) -> Quarter:
        """The quarter asked for (default: the current one), covered by the policy.

        A malformed label is a quarter that does not exist: :class:`QuarterNotFoundError`.
        """
        state = state or self.state
        try:
            q = self.current_quarter() if label is None or not label.strip() else Quarter.parse(label)
        except InvalidQuarterError as exc:
            raise QuarterNotFoundError(str(exc)) from exc
        state.policy.version_for(q)
        return q

    # ----------------------------------------------------------------- access

    def can_read(self, viewer: Viewer, node_id: str) -> bool:
        state = self._state
        return state is not None and state.network.can_read(viewer.partner_id, node_id)

    def _readable(self, state: RebateState, viewer: Viewer, node_id: str | None) -> ChannelNode:
        target = node_id or viewer.partner_id
        if not state.network.can_read(viewer.partner_id, target):
            raise PartnerNotFoundError(f"{target!r} is not visible to {viewer.partner_id!r}")
        return state.network.get(target)

    def _partner(self, state: RebateState, viewer: Viewer, node_id: str | None) -> ChannelNode:
        node = self._readable(state, viewer, node_id)
        if node.level is not Level.PARTNER or node.id not in state.profiles:
            raise PartnerRequiredError(f"{node.id} is a {node.level} node, not a partner")
        return node

    def viewer_node(self, viewer: Viewer) -> ChannelNode:
        """The viewer's own node (PartnerNotFoundError when unknown or deactivated)."""
        return self._readable(self.state, viewer, None)

    def visible_partners(self, viewer: Viewer) -> tuple[ChannelNode, ...]:
        """Leaf partners the viewer may read (deactivated ones included: history)."""
        state = self.state
        node = self._readable(state, viewer, None)
        return state.network.partners_under(node.id, include_inactive=True)

    # ----------------------------------------------------------------- reads

    def statement(
        self, *, viewer: Viewer, quarter: str | None = None, partner_id: str | None = None
    ) -> PartnerStatement:
        state = self.state
        node = self._partner(state, viewer, partner_id)
        q = self.quarter(quarter, state=state)
        return PartnerStatement(node=node, statement=state.engine.statement(partner_id=node.id, quarter=q))

    def what_if(
        self,
        *,
        viewer: Viewer,
        amount: object,
        new_customer: bool,
        quarter: str | None = None,
        partner_id: str | None = None,
    ) -> PartnerWhatIf:
        state = self.state
        node = self._partner(state, viewer, partner_id)
        q = self.quarter(quarter, state=state)
        extra = parse_amount(amount)
        result = state.engine.what_if(partner_id=node.id, quarter=q, extra_amount=extra, new_customer=new_customer)
        return PartnerWhatIf(node=node, what_if=result)

    def history(self, *, viewer: Viewer, partner_id: str | None = None) -> PartnerHistory:
        state = self.state
        node = self._partner(state, viewer, partner_id)
        return PartnerHistory(node=node, statements=state.engine.history(node.id))

    def ranking(self, *, viewer: Viewer, quarter: str | None = None) -> Ranking:
        """Rank the active partners of the viewer's alliance (a partner's parent node) or of
        the viewer's own node (alliance, region, national); unreadable rows stay anonymous."""
        state = self.state
        own = self._readable(state, viewer, None)
        q = self.quarter(quarter, state=state)
        if own.level is Level.PARTNER:
            scope = state.network.parent(own.id)
            if scope is None:  # pragma: no cover - a partner always has a parent
                raise PartnerNotFoundError(own.id)
        else:
            scope = own
        ids = [
            p.id
            for p in state.network.partners_under(scope.id)
            if p.id in state.profiles and state.profiles[p.id].first_quarter <= q
        ]
        ranked = rank_partners(engine=state.engine, partner_ids=ids, quarter=q)
        rows = tuple(
            RankingRow(rank=r.rank, node=state.network.get(r.score.partner_id), score=r.score)
            if state.network.can_read(viewer.partner_id, r.score.partner_id)
            else RankingRow(rank=r.rank, node=None, score=None)
            for r in ranked
        )
        return Ranking(
            quarter=q,
            scope_level=scope.level,
            scope=scope if state.network.can_read(viewer.partner_id, scope.id) else None,
            rows=rows,
            viewer_partner_id=own.id if own.level is Level.PARTNER else None,
        )

    def orders(
        self,
        *,
        viewer: Viewer,
        quarter: str | None = None,
        partner_id: str | None = None,
        limit: int = 500,
        offset: int = 0,
    ) -> OrdersPage:
        """Ledger rows of a partner, or of every partner below a node, in one quarter up to today."""
        state = self.state
        node = self._readable(state, viewer, partner_id)
        q = self.quarter(quarter, state=state)
        day = self._today()
        rows: list[Order] = []
        for partner in state.network.partners_under(node.id, include_inactive=True):
            rows.extend(state.ledger.orders(partner.id, q, until=min(day, q.end)))
        rows.sort(key=lambda o: (o.date, o.order_id))
        booked = sum((o.amount for o in rows if not o.is_return), ZERO)
        returned = sum((o.amount for o in rows if o.is_return), ZERO)
        limit = max(1, min(limit, MAX_PAGE))
        offset = max(0, offset)
        return OrdersPage(
            node=node,
            quarter=q,
            as_of=day,
            total_count=len(rows),
            booked=booked,
            returned=returned,
            net=booked - returned,
            orders=tuple(rows[offset : offset + limit]),
        )

    def find_order(self, *, viewer: Viewer, order_id: str) -> Order:
        """An order of a partner the viewer may read; anything else is 'not found'.

        Ids are unique per partner: when several partners the viewer reads use the id,
        the first by partner id is answered."""
        state = self.state
        for order in state.ledger.find(order_id.strip().upper()):
            if state.network.can_read(viewer.partner_id, order.partner_id):
                return order
        raise OrderNotFoundError(f"no visible order {order_id!r}")

    def tree(self, *, viewer: Viewer) -> TreeNode:
        """The viewer's node and everything below it."""
        state = self.state
        root = self._readable(state, viewer, None)
        network = state.network

        def build(node: ChannelNode) -> TreeNode:
            return TreeNode(node=node, children=tuple(build(c) for c in network.children(node.id)))

        return build(root)

    # ----------------------------------------------------------------- admin changes

    @staticmethod
    def require_admin(viewer: Viewer) -> None:
        """Changes to the channel network are for admins (403 ``forbidden`` otherwise)."""
        if viewer.role != ADMIN_ROLE:
            raise ForbiddenError(f"role {viewer.role!r} may not change the channel network")

    def add_node(
        self,
        *,
        viewer: Viewer,
        node_id: str,
        name: str,
        level: Level,
        parent_id: str,
        region: str | None = None,
        city: str | None = None,
        specialty: str | None = None,
        baseline: Decimal | None = None,
        first_quarter: str | None = None,
    ) -> ChannelNode:
        """Add a node under ``parent_id`` (which the admin must be able to read).

        A partner needs its first quarter's ``baseline`` target; its ``first_quarter``
        defaults to the current quarter (kept inside the policy's range).
        """
        self.require_admin(viewer)
        with self._write_lock:
            state = self.state
            parent = self._readable(state, viewer, parent_id)
            profile: PartnerProfile | None = None
            if level is Level.PARTNER:
                if baseline is None:
                    raise InvalidAmountError("a partner needs a baseline target")
                target = from_cents(to_cents(check_money(baseline, what="baseline")))  # as stored
                if first_quarter is None:
                    q = min(max(self.current_quarter(), state.policy.first_quarter), state.policy.last_quarter)
                else:
                    q = self.quarter(first_quarter, state=state)
                profile = PartnerProfile(partner_id=node_id, first_quarter=q, first_baseline=target)
            elif baseline is not None or first_quarter is not None:
                raise NetworkChangeError(f"{node_id}: only partners carry a baseline and first quarter")
            node = ChannelNode(
                id=node_id,
                name=name,
                level=level,
                parent_id=parent.id,
                region=region or parent.region,
                city=city or parent.city,
                active=True,
                specialty=specialty if level is Level.PARTNER else None,
            )
            network = state.network.copy()
            network.add(node)  # validates: unique id, parent level, parent active
            self.store.insert_node(node, profile)
            profiles = dict(state.profiles)
            if profile is not None:
                profiles[node.id] = profile
            self._state = build_state(
                policy=state.policy, network=network, ledger=state.ledger, profiles=profiles, today=self._today
            )
        log.info("node added id=%s level=%s parent=%s by=%s", node.id, level, parent.id, viewer.partner_id)
        return node

    def move_node(self, *, viewer: Viewer, node_id: str, new_parent_id: str) -> ChannelNode:
        """Re-attach a node (and its subtree) under another parent; access follows at once."""
        self.require_admin(viewer)
        with self._write_lock:
            state = self.state
            self._readable(state, viewer, node_id)
            self._readable(state, viewer, new_parent_id)
            network = state.network.copy()
            moved = network.move(node_id, new_parent_id=new_parent_id)
            self.store.update_node(moved)
            self._swap_network(state, network)
        log.info("node moved id=%s parent=%s by=%s", node_id, new_parent_id, viewer.partner_id)
        return moved

    def deactivate_node(self, *, viewer: Viewer, node_id: str) -> ChannelNode:
        """Deactivate a node without active children; its users read nothing from then on."""
        self.require_admin(viewer)
        with self._write_lock:
            state = self.state
            self._readable(state, viewer, node_id)
            if node_id == viewer.partner_id:
                raise NetworkChangeError(f"{node_id}: an admin cannot deactivate their own node")
            network = state.network.copy()
            node = network.deactivate(node_id)
            self.store.update_node(node)
            self._swap_network(state, network)
        log.info("node deactivated id=%s by=%s", node_id, viewer.partner_id)
        return node

    def _swap_network(self, state: RebateState, network: ChannelNetwork) -> None:
        # Same policy, ledger, profiles and engine (its caches stay valid): only the tree changed.
        self._state = RebateState(
            policy=state.policy,
            network=network,
            ledger=state.ledger,
            profiles=state.profiles,
            engine=state.engine,
        )

    # ----------------------------------------------------------------- ledger writes

    def record_orders(self, orders: Iterable[Order]) -> int:
        """Append orders (and returns) to the ledger: validated, written, then served.

        The trusted bulk path (tests, imports): no caller, any date.  Admins recording
        orders use :meth:`add_orders`.
        """
        new = list(orders)
        with self._write_lock:
            state = self.state
            for order in new:
                self._check_partner(state, order)
            self._append(state, new)
        self._orders_landed(tuple(new))
        return len(new)

    def add_orders(self, *, viewer: Viewer, orders: Iterable[Order]) -> tuple[Order, ...]:
        """An admin records a batch of booked orders and returns: all of it or nothing.

        Every order is checked before anything is written: the admin must be able to
        read its partner (:class:`PartnerNotFoundError` otherwise, as for any unreadable
        id), which must be an active leaf partner (:class:`PartnerInactiveError` for a
        deactivated one); its date must not be after today (the policy counts booked
        orders and returns *to date*: an order is recorded once it is booked, and a return
        is dated the day it is booked) nor outside the partner's policy quarters, nor in a
        quarter whose statement is final (:class:`QuarterClosedError`; a return of an
        order of a closed quarter is dated today and counts in the current quarter, as a
        negative adjustment naming the original order); then the ledger's rules
        (:meth:`Ledger.with_orders`): ids new for their partner and unique per partner in
        the batch (:class:`DuplicateOrderError`), returns of known booked orders of the
        same partner and customer, dated on or after them, never more than was booked
        (:class:`InvalidOrderError`).  Amounts are kept as stored (cents).  A refusal
        names the item at fault (``exc.item``, its index in the batch) and the field
        (``exc.field``).  Returns the orders as recorded, in the order given.
        """
        self.require_admin(viewer)
        batch: list[Order] = []
        for index, order in enumerate(orders):
            try:
                batch.append(self._as_stored(order))
            except RebateError as exc:
                exc.item, exc.field = index, "amount"
                raise
        if not batch:
            raise InvalidOrderError("no orders to record")
        with self._write_lock:
            state = self.state
            today = self._today()
            try:
                for index, order in enumerate(batch):
                    try:
                        self._readable(state, viewer, order.partner_id)
                    except RebateError as exc:
                        exc.item, exc.field = index, "partner_id"
                        raise
                for index, order in enumerate(batch):
                    try:
                        self._check_partner(state, order, require_active=True)
                        self._check_date(state, order, today)
                    except RebateError as exc:
                        exc.item = index
                        raise
                try:
                    self._append(state, batch)
                except RebateError as exc:
                    exc.item = next((i for i, o in enumerate(batch) if o is exc.order), None)
                    raise
            except RebateError as exc:
                log.info("orders rejected by=%s item=%s field=%s: %s", viewer.partner_id, exc.item, exc.field, exc)
                raise
        log.info("orders recorded count=%d by=%s", len(batch), viewer.partner_id)
        self._orders_landed(tuple(batch))
        return tuple(batch)

    def on_orders(self, listener: Callable[[tuple[Order, ...]], None]) -> None:
        """Call ``listener`` with every batch of orders recorded here (:meth:`record_orders`,
        :meth:`add_orders`), once it is written and served, outside the write lock.  What
        others derive from the ledger (risk alerts) follows it this way; a listener handles
        its own failures (the orders are recorded whatever it does)."""
        self._order_listeners.append(listener)

    def _orders_landed(self, orders: tuple[Order, ...]) -> None:
        for listener in self._order_listeners:
            try:
                listener(orders)
            except Exception:  # the orders are recorded: a follower's failure is its own, logged
                log.exception("an order listener failed on %d orders", len(orders))

    @staticmethod
    def _as_stored(order: Order) -> Order:
        """The order with its amount checked and as the database keeps it (``100.00``, not ``1E+2``)."""
        amount = check_money(order.amount, what=f"order {order.order_id}: amount", positive=True)
        if amount > MAX_AMOUNT:
            raise InvalidAmountError(f"order {order.order_id}: amount {amount} is implausibly large")
        return replace(order, amount=from_cents(to_cents(amount)))

    @staticmethod
    def _check_partner(state: RebateState, order: Order, *, require_active: bool = False) -> None:
        node = state.network.find(order.partner_id)
        if node is None or node.level is not Level.PARTNER or order.partner_id not in state.profiles:
            raise InvalidOrderError(
                f"order {order.order_id}: {order.partner_id!r} is not a partner", field="partner_id"
            )
        if require_active and not node.active:
            raise PartnerInactiveError(
                f"order {order.order_id}: partner {order.partner_id} is deactivated", field="partner_id"
            )

    @staticmethod
    def _check_date(state: RebateState, order: Order, today: date) -> None:
        where = f"order {order.order_id}"
        if order.date > today:
            raise InvalidOrderError(f"{where}: dated {order.date}, in the future (today is {today})", field="date")
        q = Quarter.of(order.date)
        first = state.profiles[order.partner_id].first_quarter
        if not state.policy.covers(q) or q < first:
            raise InvalidOrderError(
                f"{where}: dated in {q}, outside {order.partner_id}'s policy quarters"
                f" ({max(first, state.policy.first_quarter)}..{state.policy.last_quarter})",
                field="date",
            )
        if today > q.end:  # the quarter's statement is final (engine: StatementStatus.FINAL)
            raise QuarterClosedError(
                f"{where}: dated in {q}, whose statement is final (today is {today})", field="date"
            )

    def _append(self, state: RebateState, orders: list[Order]) -> None:
        """Validate on a new ledger, write in one transaction, then swap in (under the write lock)."""
        ledger = state.ledger.with_orders(orders)  # validates ids, returns, amounts
        self.store.insert_orders(orders)
        self._state = build_state(
            policy=state.policy,
            network=state.network,
            ledger=ledger,
            profiles=state.profiles,
            today=self._today,
        )
