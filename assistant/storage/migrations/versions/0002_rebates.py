"""rebates: channel network, satisfaction, subsidy claims, sales ledger, policy versions

Revision ID: 0002_rebates
Revises: 0001
Create Date: 2026-11-27 19:00:00

Written by hand; mirrors assistant/rebates/tables.py.  Money is integer cents.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_rebates"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_nodes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("specialty", sa.String(length=16), nullable=True),
        sa.Column("first_quarter", sa.String(length=6), nullable=True),
        sa.Column("first_baseline_cents", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_channel_nodes_parent_id", "channel_nodes", ["parent_id"], unique=False)

    op.create_table(
        "partner_satisfaction",
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("partner_id", "quarter"),
    )

    op.create_table(
        "subsidy_claims",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("quarter", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("industry", sa.String(length=64), nullable=True),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subsidy_claims_partner_id", "subsidy_claims", ["partner_id"], unique=False)

    op.create_table(
        "ledger_orders",
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("partner_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("new_customer", sa.Boolean(), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reverses", sa.String(length=32), nullable=True),
        sa.Column("industry", sa.String(length=64), nullable=True),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["partner_id"], ["channel_nodes.id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index("ix_ledger_orders_partner_date", "ledger_orders", ["partner_id", "date"], unique=False)

    op.create_table(
        "rebate_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("first_quarter", sa.String(length=6), nullable=False),
        sa.Column("last_quarter", sa.String(length=6), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )

    op.create_table(
        "rebate_policy_versions",
        sa.Column("effective_from", sa.String(length=6), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["policy_id"], ["rebate_policies.id"]),
        sa.PrimaryKeyConstraint("effective_from"),
    )


def downgrade() -> None:
    op.drop_table("rebate_policy_versions")
    op.drop_table("rebate_policies")
    op.drop_index("ix_ledger_orders_partner_date", table_name="ledger_orders")
    op.drop_table("ledger_orders")
    op.drop_index("ix_subsidy_claims_partner_id", table_name="subsidy_claims")
    op.drop_table("subsidy_claims")
    op.drop_table("partner_satisfaction")
    op.drop_index("ix_channel_nodes_parent_id", table_name="channel_nodes")
    op.drop_table("channel_nodes")
