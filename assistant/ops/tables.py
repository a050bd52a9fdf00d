"""Database tables of channel operations (Alembic revision ``0011_ops``).

Loaded from ``corpus/ops/`` on first start (:mod:`assistant.ops.loader`): weekly inventory
reports, end-customer feedback, service response times and compliance records; plus the
risk alerts computed over them and the persisted ``channel_performance`` of the seed with
its ``channel_ranking`` view.

``channel_performance`` keeps the seed's column names word for word (``channel_id,
sales_target, actual_sales, customer_satisfaction, risk_score, last_updated``) with a
``quarter`` added to the key.  Money is yuan with two decimals (NUMERIC, exact on PostgreSQL),
``customer_satisfaction`` is on a 0-1 scale (DECISIONS 2026-12-04 #7: the 0-100 score of
``partner_satisfaction`` / 100) and ``risk_score`` is 0-100, so the view computes the seed's
formula literally::

    score = (actual_sales / sales_target) * 0.6 + customer_satisfaction * 0.3 + (1 - risk_score / 100) * 0.1

(the view, created by the migration, divides in decimal on both databases, counts a missing
satisfaction as 0 and an attainment without a target as 0, like
:func:`assistant.rebates.ranking.score_partner`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow
from assistant.storage.types import BigId

RANKING_VIEW = "channel_ranking"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class InventoryReportRow(Base):
    """A partner's weekly stock report for one product; ``week`` is the Monday of the week."""

    __tablename__ = "ops_inventory_reports"

    partner_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    week: Mapped[dt.date] = mapped_column(primary_key=True)
    sell_in_units: Mapped[int]
    sell_through_units: Mapped[int]
    stock_units: Mapped[int]


class FeedbackRow(Base):
    """End-customer feedback: a survey (score 1-5) or a complaint (category, status)."""

    __tablename__ = "ops_feedback"
    __table_args__ = (Index("ix_ops_feedback_partner_date", "partner_id", "date"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # feedback_id
    date: Mapped[dt.date]
    partner_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"))
    customer_id: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # survey | complaint
    score: Mapped[int | None] = mapped_column(default=None)  # surveys only
    category: Mapped[str | None] = mapped_column(String(16), default=None)  # complaints only
    status: Mapped[str] = mapped_column(String(16))  # open | in_progress | closed
    text: Mapped[str] = mapped_column(Text, default="")


class ServiceRecordRow(Base):
    """A support ticket or expert handoff and how fast it was answered and resolved."""

    __tablename__ = "ops_service_records"
    __table_args__ = (Index("ix_ops_service_records_partner_opened", "partner_id", "opened_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # record_id
    partner_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"))
    kind: Mapped[str] = mapped_column(String(16))  # ticket | handoff
    opened_at: Mapped[dt.datetime]  # UTC, naive (as every timestamp of the schema)
    first_response_minutes: Mapped[int]
    resolved_minutes: Mapped[int | None] = mapped_column(default=None)  # None while open


class ComplianceRecordRow(Base):
    """A compliance violation found at a partner."""

    __tablename__ = "ops_compliance_records"
    __table_args__ = (Index("ix_ops_compliance_records_partner_date", "partner_id", "date"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # record_id
    partner_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"))
    date: Mapped[dt.date]
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high
    note: Mapped[str] = mapped_column(Text, default="")


class AlertRow(Base):
    """One risk alert: a rule that fired for a partner in a period (a quarter, or a week's
    Monday for overstock), with its evidence and where people are with it.

    ``subject`` tells findings of one rule, partner and period apart (the product of an
    overstock run, the task of an overdue task; empty otherwise: ``Alert.subject``).  An
    alert that stops firing is kept, with its last evidence and its status, and marked
    ``cleared_at`` (None again if it fires again); revision ``0013_alert_cleared``."""

    __tablename__ = "ops_alerts"
    __table_args__ = (
        UniqueConstraint("rule", "partner_id", "period", "subject", name="uq_ops_alerts_key"),
        Index("ix_ops_alerts_partner_status", "partner_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(32))
    partner_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"))
    period: Mapped[str] = mapped_column(String(10))  # 2026Q3 or 2026-08-03
    subject: Mapped[str] = mapped_column(String(64), default="", server_default="")  # product / task id
    severity: Mapped[str] = mapped_column(String(8))  # low | medium | high
    evidence: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.OPEN.value)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), default=None)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(64), default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    resolution_note: Mapped[str | None] = mapped_column(Text, default=None)
    rules_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(default=None)  # stopped firing (kept)


class ChannelPerformanceRow(Base):
    """The seed's channel_performance, one row per partner and quarter (see the module
    docstring for units and scales); refreshed by :mod:`assistant.ops.performance`."""

    __tablename__ = "channel_performance"

    channel_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(6), primary_key=True)
    sales_target: Mapped[Decimal] = mapped_column(Numeric(16, 2))  # yuan: the quarter's baseline
    actual_sales: Mapped[Decimal] = mapped_column(Numeric(16, 2))  # yuan: net sales
    customer_satisfaction: Mapped[Decimal | None] = mapped_column(Numeric(5, 4), default=None)  # 0-1
    risk_score: Mapped[Decimal] = mapped_column(Numeric(4, 1))  # 0-100
    last_updated: Mapped[dt.datetime] = mapped_column(default=utcnow)
