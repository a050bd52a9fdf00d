"""The persisted ``channel_performance`` and its ``channel_ranking`` view (seed, part 5).

One row per partner and quarter, taken from the rebate service's scorer
(:func:`assistant.rebates.ranking.score_partner`)::

    sales_target          = the quarter's baseline (yuan)
    actual_sales          = net sales of the quarter as of the day asked (yuan)
    customer_satisfaction = the partner's satisfaction of the quarter / 100 (0-1; None when unknown)
    risk_score            = the scorer's risk score (0-100)

so ``channel_ranking.score`` (the seed's formula, created by migration ``0011_ops``) equals the
scorer's composite.  :func:`refresh` rewrites the rows of the partners and quarters given
(all by default); call it again when an order, a satisfaction score or the network changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, select, text, tuple_

from assistant.ops.tables import RANKING_VIEW, ChannelPerformanceRow
from assistant.rebates.engine import RebateEngine
from assistant.rebates.ledger import Order
from assistant.rebates.quarter import Quarter, quarter_range
from assistant.rebates.ranking import score_partner
from assistant.rebates.service import RebateService
from assistant.storage.db import Database
from assistant.storage.models import utcnow

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Performance:
    channel_id: str
    quarter: str
    sales_target: Decimal
    actual_sales: Decimal
    customer_satisfaction: Decimal | None  # 0-1
    risk_score: Decimal  # 0-100


def quarters_to_date(engine: RebateEngine, partner_id: str, *, today: date) -> tuple[Quarter, ...]:
    """The policy's quarters from the partner's first up to the one of ``today``."""
    policy = engine.policy
    last = min(policy.last_quarter, Quarter.of(today))
    first = max(policy.first_quarter, engine.profile(partner_id).first_quarter)
    return quarter_range(first, last)


def performance(
    engine: RebateEngine,
    *,
    partner_ids: Iterable[str] | None = None,
    quarters: Iterable[str | Quarter] | None = None,
    today: date,
) -> list[Performance]:
    """The rows of ``partner_ids`` (default every partner) in ``quarters`` (default each
    partner's quarters up to ``today``'s), computed by the rebate scorer as of ``today``
    (the rebate service's day: ``RebateService.today()``)."""
    rows: list[Performance] = []
    wanted = None if quarters is None else tuple(Quarter.parse(q) for q in quarters)
    for pid in engine.partner_ids() if partner_ids is None else dict.fromkeys(partner_ids):
        for q in wanted if wanted is not None else quarters_to_date(engine, pid, today=today):
            score = score_partner(engine=engine, partner_id=pid, quarter=q, as_of=today)
            rows.append(
                Performance(
                    channel_id=pid,
                    quarter=str(score.quarter),
                    sales_target=score.target,
                    actual_sales=score.actual,
                    customer_satisfaction=None if score.satisfaction is None else Decimal(score.satisfaction) / HUNDRED,
                    risk_score=score.risk.score,
                )
            )
    return rows


def refresh(
    *,
    db: Database,
    engine: RebateEngine,
    partner_ids: Iterable[str] | None = None,
    quarters: Iterable[str | Quarter] | None = None,
    today: date,
    now: datetime | None = None,
) -> int:
    """Rewrite the ``channel_performance`` rows of the partners and quarters given (default
    all of them, to date) in one transaction; returns the number of rows written."""
    rows = performance(engine, partner_ids=partner_ids, quarters=quarters, today=today)
    stamp = now or utcnow()
    with db.write() as s:
        if partner_ids is None and quarters is None:
            s.execute(delete(ChannelPerformanceRow))
        elif rows:
            keys = [(r.channel_id, r.quarter) for r in rows]
            s.execute(
                delete(ChannelPerformanceRow).where(
                    tuple_(ChannelPerformanceRow.channel_id, ChannelPerformanceRow.quarter).in_(keys)
                )
            )
        s.add_all(
            ChannelPerformanceRow(
                channel_id=r.channel_id,
                quarter=r.quarter,
                sales_target=r.sales_target,
                actual_sales=r.actual_sales,
                customer_satisfaction=r.customer_satisfaction,
                risk_score=r.risk_score,
                last_updated=stamp,
            )
            for r in rows
        )
    return len(rows)


def stored(db: Database) -> list[Performance]:
    """Every stored row, by channel and quarter."""
    with db.read() as s:
        found = s.scalars(
            select(ChannelPerformanceRow).order_by(ChannelPerformanceRow.channel_id, ChannelPerformanceRow.quarter)
        ).all()
    return [
        Performance(
            channel_id=r.channel_id,
            quarter=r.quarter,
            sales_target=r.sales_target,
            actual_sales=r.actual_sales,
            customer_satisfaction=r.customer_satisfaction,
            risk_score=r.risk_score,
        )
        for r in found
    ]


def ranking_scores(db: Database, *, quarter: str | None = None) -> dict[tuple[str, str], Decimal]:
    """``channel_ranking.score`` by (channel_id, quarter), as computed by the database."""
    sql = f"SELECT channel_id, quarter, score FROM {RANKING_VIEW}"
    params: dict[str, str] = {}
    if quarter is not None:
        sql += " WHERE quarter = :quarter"
        params["quarter"] = str(Quarter.parse(quarter))
    with db.read() as s:
        result = s.execute(text(sql), params).all()
    # SQLite answers a float, PostgreSQL a NUMERIC: both as Decimal (the float through its repr).
    return {(str(row[0]), str(row[1])): Decimal(str(row[2])) for row in result}


def follow(*, db: Database, rebates: RebateService) -> None:
    """Keep ``channel_performance`` current: every row now, then the partners and quarters of
    each batch of orders the rebate service records (its ``on_orders`` hook; a failure is
    logged there, the orders stay recorded, and the next start rewrites every row)."""
    if not rebates.available:
        return
    refresh(db=db, engine=rebates.state.engine, today=rebates.today())

    def after_orders(orders: tuple[Order, ...]) -> None:
        refresh(
            db=db,
            engine=rebates.state.engine,
            partner_ids={o.partner_id for o in orders},
            quarters={Quarter.of(o.date) for o in orders},
            today=rebates.today(),
        )

    rebates.on_orders(after_orders)
