"""portals: used identity-token nonces and widget sessions

Revision ID: 0004_portals
Revises: 0001
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_portals"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_nonces",
        sa.Column("portal_id", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("portal_id", "nonce"),
    )
    op.create_index("ix_portal_nonces_expires_at", "portal_nonces", ["expires_at"], unique=False)
    op.create_table(
        "widget_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("portal_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_widget_sessions_user_id", "widget_sessions", ["user_id"], unique=False)
    op.create_index("ix_widget_sessions_expires_at", "widget_sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_widget_sessions_expires_at", table_name="widget_sessions")
    op.drop_index("ix_widget_sessions_user_id", table_name="widget_sessions")
    op.drop_table("widget_sessions")
    op.drop_index("ix_portal_nonces_expires_at", table_name="portal_nonces")
    op.drop_table("portal_nonces")
