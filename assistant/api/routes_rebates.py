"""REST routes of rebates, the sales ledger and the channel network (translation only).

Every route is scoped by the verified caller (:data:`CallerDep`); the decisions are
made by :class:`assistant.rebates.service.RebateService`.  Money, rates and scores
are decimal strings (``"12345.67"``, ``"0.03"``), never floats.  Errors are the
service's codes: ``partner_not_found`` (404, also for ids the caller may not see),
``quarter_not_found`` (404), ``partner_required`` (422), ``invalid_amount`` (422),
``invalid_order``, ``quarter_closed`` and ``partner_inactive`` (422), ``forbidden``
(403), ``invalid_network_change``, ``alliance_size`` and ``duplicate_order`` (409); a
malformed body or query is ``validation_error`` (422).  A refused order batch also names
the item at fault: ``{"code", "message", "item": <index>, "field": <name>}``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StrictBool, StringConstraints

from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.runtime import NotReadyError
from assistant.dialogue.types import Caller
from assistant.rebates.engine import LINE_LABELS, Statement, StatementLine, TierProgress
from assistant.rebates.ledger import Order, OrderStatus
from assistant.rebates.network import ChannelNode, Level
from assistant.rebates.service import MAX_AMOUNT, RebateService, TreeNode

router = APIRouter(tags=["rebates"])

CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    return format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# Money always as a yuan string with two decimals ("1450000.00"); rates and scores as
# plain decimal strings ("0.03", "0.8077").  Never a float, never an exponent.
Money = Annotated[Decimal, PlainSerializer(_money, return_type=str, when_used="json")]
Plain = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]


NodeId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9\-]*$", max_length=32)]
QuarterParam = Annotated[str | None, Query(max_length=64, description="e.g. 2026Q4; default: the current quarter")]
PartnerParam = Annotated[
    str | None, Query(max_length=64, description="a node the caller may read; default: the caller's own")
]


def service(runtime: RuntimeDep) -> RebateService:
    """The rebate service, up to date with admin changes made on any instance."""
    rebates = runtime.current_rebates()
    if rebates is None:
        raise NotReadyError("rebates not loaded")
    return rebates


def admin_caller(caller: CallerDep) -> Caller:
    """The caller, if an admin: 403 before the body is even read."""
    RebateService.require_admin(caller)
    return caller


AdminDep = Annotated[Caller, Depends(admin_caller)]


# --------------------------------------------------------------------------- response models


class LineOut(BaseModel):
    kind: str
    description: str
    amount: Money
    rule: str
    tier: str | None
    rate: Plain | None
    basis: Money
    orders: list[str]


class ProgressOut(BaseModel):
    text: str
    current_tier: str
    current_rate: Plain
    next_tier: str | None
    missing: Money | None
    next_rate: Plain | None
    extra_rebate: Money | None


class BaselineOut(BaseModel):
    amount: Money
    source: str
    previous_baseline: Money | None
    previous_actual: Money | None
    explanation: str


class ReasonOut(BaseModel):
    code: str
    text: str


class SalesOut(BaseModel):
    booked: Money
    returned: Money
    net: Money
    new_customer_net: Money
    order_count: int


class StatementOut(BaseModel):
    partner_id: str
    partner_name: str
    quarter: str
    as_of: date
    status: str
    tier_mode: str
    total: Money
    lines: list[LineOut]
    progress: ProgressOut
    baseline: BaselineOut
    why_not_incremental: list[ReasonOut]
    sales: SalesOut
    notes: list[str]


class LineDeltaOut(BaseModel):
    kind: str
    description: str
    before: Money
    after: Money
    delta: Money


class WhatIfOut(BaseModel):
    partner_id: str
    partner_name: str
    quarter: str
    amount: Money
    new_customer: bool
    total_before: Money
    total_after: Money
    total_delta: Money
    tier_before: str
    tier_after: str
    lines: list[LineDeltaOut]
    summary: str
    progress_after: ProgressOut


class HistoryLineOut(BaseModel):
    kind: str
    description: str
    amount: Money


class HistoryQuarterOut(BaseModel):
    quarter: str
    status: str
    total: Money
    net_sales: Money
    baseline: Money
    tier: str
    rate: Plain
    lines: list[HistoryLineOut]


class HistoryOut(BaseModel):
    partner_id: str
    partner_name: str
    total: Money
    quarters: list[HistoryQuarterOut]


class RankingRowOut(BaseModel):
    rank: int
    visible: bool
    partner_id: str | None
    name: str | None
    score: Plain | None
    attainment: Plain | None
    satisfaction: int | None
    risk: Plain | None
    target: Money | None
    actual: Money | None
    risk_reasons: list[str]


class RankingOut(BaseModel):
    quarter: str
    scope_level: str
    scope_id: str | None
    scope_name: str | None
    size: int
    own_rank: int | None
    formula: str
    rows: list[RankingRowOut]


class OrderOut(BaseModel):
    order_id: str
    partner_id: str
    date: date
    customer_id: str
    new_customer: bool
    product_id: str
    amount: Money
    status: str
    reverses: str | None
    industry: str | None
    city: str | None


class OrdersOut(BaseModel):
    node_id: str
    quarter: str
    as_of: date
    total_count: int
    offset: int
    limit: int
    booked: Money
    returned: Money
    net: Money
    orders: list[OrderOut]


class NodeOut(BaseModel):
    id: str
    name: str
    level: str
    parent_id: str | None
    region: str
    city: str
    active: bool
    specialty: str | None


class TreeOut(NodeOut):
    children: list[TreeOut]


class NewNodeIn(BaseModel):
    id: NodeId
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    level: Literal["regional", "alliance", "partner"]
    parent_id: NodeId
    region: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = None
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] | None = None
    specialty: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)] | None = None
    baseline: Annotated[Decimal, Field(ge=0, le=10**12, decimal_places=2)] | None = None
    first_quarter: Annotated[str, StringConstraints(max_length=16)] | None = None


class MoveIn(BaseModel):
    new_parent_id: NodeId


MAX_ORDERS = 1000  # per request; a bigger import goes in several batches
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` (no timestamps, no ``20261120``); pydantic then checks the calendar."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class OrderIn(BaseModel):
    """One order or return, as the seed file has it (ids like ``SO-2026-03582``)."""

    model_config = ConfigDict(extra="forbid")

    order_id: NodeId
    partner_id: NodeId
    customer_id: NodeId
    new_customer: StrictBool
    product_id: Label
    amount: Annotated[Decimal, Field(gt=0, le=MAX_AMOUNT, decimal_places=2, description="yuan, at most two decimals")]
    date: IsoDate
    status: Literal["booked", "returned"] = "booked"
    reverses: NodeId | None = None
    industry: Label | None = None
    city: Label | None = None


class OrdersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: Annotated[list[OrderIn], Field(min_length=1, max_length=MAX_ORDERS)]


class RecordedOut(BaseModel):
    recorded: int
    orders: list[OrderOut]


# --------------------------------------------------------------------------- translation


def line_out(line: StatementLine) -> LineOut:
    return LineOut(
        kind=line.kind.value,
        description=LINE_LABELS[line.kind],
        amount=line.amount,
        rule=line.rule,
        tier=line.tier,
        rate=line.rate,
        basis=line.basis,
        orders=list(line.order_ids),
    )


def progress_out(p: TierProgress) -> ProgressOut:
    return ProgressOut(
        text=p.sentence,
        current_tier=p.current_tier,
        current_rate=p.current_rate,
        next_tier=p.next_tier,
        missing=p.missing,
        next_rate=p.next_rate,
        extra_rebate=p.extra_rebate,
    )


def statement_out(node: ChannelNode, st: Statement) -> StatementOut:
    return StatementOut(
        partner_id=node.id,
        partner_name=node.name,
        quarter=str(st.quarter),
        as_of=st.as_of,
        status=st.status.value,
        tier_mode=st.tier_mode.value,
        total=st.total,
        lines=[line_out(line) for line in st.lines],
        progress=progress_out(st.tier_progress),
        baseline=BaselineOut(
            amount=st.baseline.amount,
            source=st.baseline.source.value,
            previous_baseline=st.baseline.previous_baseline,
            previous_actual=st.baseline.previous_actual,
            explanation=st.baseline.explanation,
        ),
        why_not_incremental=[ReasonOut(code=r.code, text=r.text) for r in st.why_not_incremental],
        sales=SalesOut(
            booked=st.sales.booked,
            returned=st.sales.returned,
            net=st.sales.net,
            new_customer_net=st.sales.new_customer_net,
            order_count=len(st.sales.order_ids),
        ),
        notes=list(st.notes),
    )


def node_out(node: ChannelNode) -> NodeOut:
    return NodeOut(
        id=node.id,
        name=node.name,
        level=node.level.value,
        parent_id=node.parent_id,
        region=node.region,
        city=node.city,
        active=node.active,
        specialty=node.specialty,
    )


def tree_out(tree: TreeNode) -> TreeOut:
    return TreeOut(**node_out(tree.node).model_dump(), children=[tree_out(c) for c in tree.children])


def order_in(o: OrderIn) -> Order:
    return Order(
        order_id=o.order_id,
        partner_id=o.partner_id,
        customer_id=o.customer_id,
        new_customer=o.new_customer,
        product_id=o.product_id,
        amount=o.amount,
        date=o.date,
        status=OrderStatus(o.status),
        reverses=o.reverses,
        industry=o.industry,
        city=o.city,
    )


def order_out(o: Order) -> OrderOut:
    return OrderOut(
        order_id=o.order_id,
        partner_id=o.partner_id,
        date=o.date,
        customer_id=o.customer_id,
        new_customer=o.new_customer,
        product_id=o.product_id,
        amount=o.amount,
        status=o.status.value,
        reverses=o.reverses,
        industry=o.industry,
        city=o.city,
    )


# --------------------------------------------------------------------------- routes


@router.get("/api/rebates/statement", response_model=StatementOut)
def get_statement(
    caller: CallerDep, runtime: RuntimeDep, quarter: QuarterParam = None, partner_id: PartnerParam = None
) -> StatementOut:
    """A partner's statement for a quarter: every line with its amount, rule, tier and orders."""
    result = service(runtime).statement(viewer=caller, quarter=quarter, partner_id=partner_id)
    return statement_out(result.node, result.statement)


@router.get("/api/rebates/what-if", response_model=WhatIfOut)
def get_what_if(
    *,
    caller: CallerDep,
    runtime: RuntimeDep,
    amount: Annotated[str | None, Query(max_length=64, description="extra order amount in yuan, > 0")] = None,
    new_customer: bool = False,
    quarter: QuarterParam = None,
    partner_id: PartnerParam = None,
) -> WhatIfOut:
    """What one more order of ``amount`` would add, line by line."""
    result = service(runtime).what_if(
        viewer=caller, amount=amount, new_customer=new_customer, quarter=quarter, partner_id=partner_id
    )
    w = result.what_if
    return WhatIfOut(
        partner_id=result.node.id,
        partner_name=result.node.name,
        quarter=str(w.quarter),
        amount=w.extra_amount,
        new_customer=w.new_customer,
        total_before=w.before.total,
        total_after=w.after.total,
        total_delta=w.total_delta,
        tier_before=w.before.tier_progress.current_tier,
        tier_after=w.after.tier_progress.current_tier,
        lines=[
            LineDeltaOut(
                kind=d.kind.value, description=LINE_LABELS[d.kind], before=d.before, after=d.after, delta=d.delta
            )
            for d in w.lines
        ],
        summary=w.summary,
        progress_after=progress_out(w.after.tier_progress),
    )


@router.get("/api/rebates/history", response_model=HistoryOut)
def get_history(caller: CallerDep, runtime: RuntimeDep, partner_id: PartnerParam = None) -> HistoryOut:
    """Every quarter of the policy that has started, oldest first."""
    result = service(runtime).history(viewer=caller, partner_id=partner_id)
    quarters = [
        HistoryQuarterOut(
            quarter=str(st.quarter),
            status=st.status.value,
            total=st.total,
            net_sales=st.net_sales,
            baseline=st.baseline.amount,
            tier=st.tier_progress.current_tier,
            rate=st.tier_progress.current_rate,
            lines=[
                HistoryLineOut(kind=x.kind.value, description=LINE_LABELS[x.kind], amount=x.amount) for x in st.lines
            ],
        )
        for st in result.statements
    ]
    return HistoryOut(
        partner_id=result.node.id,
        partner_name=result.node.name,
        total=sum((q.total for q in quarters), Decimal("0.00")),
        quarters=quarters,
    )


@router.get("/api/rebates/ranking", response_model=RankingOut)
def get_ranking(caller: CallerDep, runtime: RuntimeDep, quarter: QuarterParam = None) -> RankingOut:
    """Composite ranking within the caller's alliance (partners) or own node (alliance, region, national)."""
    ranking = service(runtime).ranking(viewer=caller, quarter=quarter)
    own = ranking.own()
    rows = []
    for row in ranking.rows:
        if row.node is None or row.score is None:
            rows.append(
                RankingRowOut(
                    rank=row.rank,
                    visible=False,
                    partner_id=None,
                    name=None,
                    score=None,
                    attainment=None,
                    satisfaction=None,
                    risk=None,
                    target=None,
                    actual=None,
                    risk_reasons=[],
                )
            )
            continue
        s = row.score
        rows.append(
            RankingRowOut(
                rank=row.rank,
                visible=True,
                partner_id=row.node.id,
                name=row.node.name,
                score=s.composite,
                attainment=s.attainment,
                satisfaction=s.satisfaction,
                risk=s.risk.score,
                target=s.target,
                actual=s.actual,
                risk_reasons=[r.text for r in s.risk.reasons],
            )
        )
    return RankingOut(
        quarter=str(ranking.quarter),
        scope_level=ranking.scope_level.value,
        scope_id=ranking.scope.id if ranking.scope else None,
        scope_name=ranking.scope.name if ranking.scope else None,
        size=ranking.size,
        own_rank=own.rank if own else None,
        formula="0.6 × 达成率(实际/基线) + 0.3 × 满意度/100 + 0.1 × (1 − 风险分/100)",
        rows=rows,
    )


@router.get("/api/ledger/orders", response_model=OrdersOut)
def get_orders(
    *,
    caller: CallerDep,
    runtime: RuntimeDep,
    quarter: QuarterParam = None,
    partner_id: PartnerParam = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> OrdersOut:
    """Orders and returns of a partner (or of every partner below a node) up to today."""
    page = service(runtime).orders(viewer=caller, quarter=quarter, partner_id=partner_id, limit=limit, offset=offset)
    return OrdersOut(
        node_id=page.node.id,
        quarter=str(page.quarter),
        as_of=page.as_of,
        total_count=page.total_count,
        offset=offset,
        limit=limit,
        booked=page.booked,
        returned=page.returned,
        net=page.net,
        orders=[order_out(o) for o in page.orders],
    )


@router.get("/api/partners", response_model=TreeOut)
def get_partners(caller: CallerDep, runtime: RuntimeDep) -> TreeOut:
    """The caller's node and all its descendants, as a tree."""
    return tree_out(service(runtime).tree(viewer=caller))


AdminNodeId = Annotated[str, Path(max_length=64)]


@router.post("/api/admin/partners", response_model=NodeOut, status_code=201, tags=["admin"])
def add_partner(body: NewNodeIn, caller: AdminDep, runtime: RuntimeDep) -> NodeOut:
    """Add a node (partner, alliance or regional distributor) under a node the admin can read."""
    node = service(runtime).add_node(
        viewer=caller,
        node_id=body.id,
        name=body.name,
        level=Level(body.level),
        parent_id=body.parent_id,
        region=body.region,
        city=body.city,
        specialty=body.specialty,
        baseline=body.baseline,
        first_quarter=body.first_quarter,
    )
    runtime.rebates_changed()
    return node_out(node)


@router.post("/api/admin/partners/{node_id}/move", response_model=NodeOut, tags=["admin"])
def move_partner(node_id: AdminNodeId, body: MoveIn, caller: AdminDep, runtime: RuntimeDep) -> NodeOut:
    """Move a node (with its subtree) under another parent; access changes with the next request."""
    moved = service(runtime).move_node(viewer=caller, node_id=node_id, new_parent_id=body.new_parent_id)
    runtime.rebates_changed()
    return node_out(moved)


@router.post("/api/admin/partners/{node_id}/deactivate", response_model=NodeOut, tags=["admin"])
def deactivate_partner(node_id: AdminNodeId, caller: AdminDep, runtime: RuntimeDep) -> NodeOut:
    """Deactivate a node without active children; its users read nothing from then on."""
    node = service(runtime).deactivate_node(viewer=caller, node_id=node_id)
    runtime.rebates_changed()
    return node_out(node)


@router.post("/api/admin/orders", response_model=RecordedOut, status_code=201, tags=["admin"])
def record_orders(body: OrdersIn, caller: AdminDep, runtime: RuntimeDep) -> RecordedOut:
    """Record 1..1000 booked orders and returns, all or nothing; statements count them at once.

    Only for partners the admin can read (404 ``partner_not_found`` otherwise; 422
    ``invalid_order`` for a node that is not a partner, 422 ``partner_inactive`` for a
    deactivated partner).  Dates are the booking dates: the policy counts sales to date,
    so an order or return dated after today is refused (422 ``invalid_order``), as is one
    outside the partner's policy quarters; one dated in a quarter whose statement is
    final is 422 ``quarter_closed``.  A return of an order of a closed quarter is booked
    today: it counts in the current quarter as a negative adjustment, and that quarter's
    statement has a note naming the original order.  Order ids are unique per partner:
    an id the same partner already has, or twice for one partner in the batch, is 409
    ``duplicate_order`` (another partner's ids never clash); a return must name
    (``reverses``) a booked order of the same partner and customer, dated on or before
    it, and the returns of an order never exceed it (422 ``invalid_order``).  Every order
    is checked before anything is written: a refused batch records nothing, and its
    error body names the item at fault (``item``, its index in ``orders``) and the
    ``field``.
    """
    recorded = service(runtime).add_orders(viewer=caller, orders=[order_in(o) for o in body.orders])
    runtime.rebates_changed()
    return RecordedOut(recorded=len(recorded), orders=[order_out(o) for o in recorded])
