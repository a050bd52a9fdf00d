"""customers: a salesperson's customer records; conversations.customer_id

Revision ID: 0018_customers
Revises: 0001
Create Date: 2026-12-06 09:30:00

Written by hand; mirrors ``Customer`` and ``Conversation.customer_id`` in
assistant/storage/models.py.  The table starts empty and every conversation unbound (its
profile stays its own until it is bound to a customer).  A name is unique per owner among the
customers not deleted, case-insensitively: a partial unique index on the case-folded
``name_key``, the same on SQLite and PostgreSQL.  A branch of its own from ``0001`` (it
refers to ``users`` and changes ``conversations``, both of 0001), like 0017:
``0018_customers@-1`` takes down this one only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_customers"
down_revision = "0001"
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_user_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["owner_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_customers_owner_user_id", "customers", ["owner_user_id"])
    op.create_index("ix_customers_partner_id", "customers", ["partner_id"])
    op.create_index(
        "uq_customers_owner_name",
        "customers",
        ["owner_user_id", "name_key"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("customer_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key("fk_conversations_customer_id", "customers", ["customer_id"], ["id"])
        batch.create_index("ix_conversations_customer_id", ["customer_id"])


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_index("ix_conversations_customer_id")
        batch.drop_constraint("fk_conversations_customer_id", type_="foreignkey")
        batch.drop_column("customer_id")
    op.drop_index("uq_customers_owner_name", table_name="customers")
    op.drop_index("ix_customers_partner_id", table_name="customers")
    op.drop_index("ix_customers_owner_user_id", table_name="customers")
    op.drop_table("customers")
