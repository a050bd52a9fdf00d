"""ops: inventory reports, customer feedback, service and compliance records, risk alerts,
channel_performance and the channel_ranking view

Revision ID: 0011_ops
Revises: 0010_content (depends on 0002_rebates: the tables refer to channel_nodes)
Create Date: 2026-12-06 09:00:00

Written by hand; mirrors assistant/ops/tables.py.  The tables start empty; the service loads
``corpus/ops/`` on its first start (``assistant.ops.loader.seed``).  ``channel_ranking`` is
the seed's formula over ``channel_performance``, written to compute the same on SQLite and
PostgreSQL: ``* 1.0`` and ``/ 100.0`` keep every division decimal (SQLite stores a NUMERIC
without a fraction as an INTEGER and would divide integers), a missing satisfaction counts 0
and a quarter without a target attains 0 (as ``assistant.rebates.ranking.score_partner``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_ops"
down_revision = "0010_content"
branch_labels = None
depends_on = "0002_rebates"  # the tables refer to channel_nodes

CHANNEL_RANKING = """
CREATE VIEW channel_ranking AS
SELECT
    channel_id,
    quarter,
    (CASE WHEN sales_target > 0 THEN actual_sales * 1.0 / sales_target ELSE 0 END) * 0.6
        + COALESCE(customer_satisfaction, 0) * 0.3
        + (1 - risk_score / 100.0) * 0.1 AS score
FROM channel_performance
"""


def upgrade() -> None:
    op.create_table(
        "ops_inventory_reports",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("sell_in_units", sa.Integer(), nullable=False),
        sa.Column("sell_through_units", sa.Integer(), nullable=False),
        sa.Column("stock_units", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("partner_id", "product_id", "week"),
    )
    op.create_table(
        "ops_feedback",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ops_feedback_partner_date", "ops_feedback", ["partner_id", "date"])
    op.create_table(
        "ops_service_records",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolved_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ops_service_records_partner_opened", "ops_service_records", ["partner_id", "opened_at"])
    op.create_table(
        "ops_compliance_records",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ops_compliance_records_partner_date", "ops_compliance_records", ["partner_id", "date"])
    op.create_table(
        "ops_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("rules_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule", "partner_id", "period", name="uq_ops_alerts_rule_partner_period"),
    )
    op.create_index("ix_ops_alerts_partner_status", "ops_alerts", ["partner_id", "status"])
    op.create_table(
        "channel_performance",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("sales_target", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("actual_sales", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("customer_satisfaction", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("risk_score", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("last_updated", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("channel_id", "quarter"),
    )
    op.execute(CHANNEL_RANKING)


def downgrade() -> None:
    op.execute("DROP VIEW channel_ranking")
    op.drop_table("channel_performance")
    op.drop_index("ix_ops_alerts_partner_status", table_name="ops_alerts")
    op.drop_table("ops_alerts")
    op.drop_index("ix_ops_compliance_records_partner_date", table_name="ops_compliance_records")
    op.drop_table("ops_compliance_records")
    op.drop_index("ix_ops_service_records_partner_opened", table_name="ops_service_records")
    op.drop_table("ops_service_records")
    op.drop_index("ix_ops_feedback_partner_date", table_name="ops_feedback")
    op.drop_table("ops_feedback")
    op.drop_table("ops_inventory_reports")
