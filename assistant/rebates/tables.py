"""Database tables of the rebate domain (Alembic revision ``0002_rebates``).

The database is the source of truth; :class:`assistant.rebates.service.RebateService`
rebuilds its in-memory engine from these rows.  Money is stored as integer cents
(``*_cents``), so no amount ever passes through a binary float (SQLite has no decimal
type).  Quarters are stored as their label (``2026Q3``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow


class ChannelNodeRow(Base):
    """One node of the channel tree; partners (leaves) also carry their first baseline."""

    __tablename__ = "channel_nodes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # national | regional | alliance | partner
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("channel_nodes.id"), index=True, default=None)
    region: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    specialty: Mapped[str | None] = mapped_column(String(16), default=None)
    first_quarter: Mapped[str | None] = mapped_column(String(6), default=None)  # partners only
    first_baseline_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)  # partners only
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SatisfactionRow(Base):
    """A partner's customer-satisfaction score (0-100) in one quarter."""

    __tablename__ = "partner_satisfaction"

    partner_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), primary_key=True)
    score: Mapped[int]


class SubsidyClaimRow(Base):
    """A strategic-subsidy claim and its approval state."""

    __tablename__ = "subsidy_claims"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))  # new_market | csat
    state: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected
    industry: Mapped[str | None] = mapped_column(String(64), default=None)
    city: Mapped[str | None] = mapped_column(String(64), default=None)
    decided_on: Mapped[dt.date | None] = mapped_column(default=None)


class LedgerOrderRow(Base):
    """One order or return of the sales ledger (a return names the order it reverses, an
    order of the same partner).  Order ids are unique per partner, not across the ledger
    (revision ``0009_order_ids_per_partner``): the key is ``(partner_id, order_id)``."""

    __tablename__ = "ledger_orders"
    __table_args__ = (Index("ix_ledger_orders_partner_date", "partner_id", "date"),)

    partner_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    new_customer: Mapped[bool]
    product_id: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # positive for orders and returns alike
    date: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(16))  # booked | returned
    reverses: Mapped[str | None] = mapped_column(String(32), default=None)
    industry: Mapped[str | None] = mapped_column(String(64), default=None)
    city: Mapped[str | None] = mapped_column(String(64), default=None)


class RebatePolicyRow(Base):
    """The rebate policy's frame (a single row, id 1): its name and the quarters it covers."""

    __tablename__ = "rebate_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    first_quarter: Mapped[str] = mapped_column(String(6))
    last_quarter: Mapped[str] = mapped_column(String(6))
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PolicyVersionRow(Base):
    """One policy version: the rules in force from ``effective_from``, as the policy.yaml
    document of that version (rates and amounts as decimal strings)."""

    __tablename__ = "rebate_policy_versions"

    effective_from: Mapped[str] = mapped_column(String(6), primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("rebate_policies.id"))
    document: Mapped[dict[str, object]] = mapped_column(JSON)
