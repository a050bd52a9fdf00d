"""portals: drop widget_sessions (a widget's access token names its portal in a claim)

Revision ID: 0005_widget_claim
Revises: 0004_portals
Create Date: 2026-11-27 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_widget_claim"
down_revision = "0004_portals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_widget_sessions_expires_at", table_name="widget_sessions")
    op.drop_index("ix_widget_sessions_user_id", table_name="widget_sessions")
    op.drop_table("widget_sessions")


def downgrade() -> None:
    # Tokens issued meanwhile carry the claim; the table comes back empty.
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
