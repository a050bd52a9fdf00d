"""sign-in hardening: single-use WebSocket tickets; users.demo_password

Revision ID: 0007_sign_in_hardening
Revises: 0006_dialogue_state
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sign_in_hardening"
down_revision = "0006_dialogue_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ws_tickets",
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("portal", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("ticket_hash"),
    )
    op.create_index("ix_ws_tickets_expires_at", "ws_tickets", ["expires_at"], unique=False)
    # NULL for existing rows: whether they carry the demo password is found out by hash.
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("demo_password", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("demo_password")
    op.drop_index("ix_ws_tickets_expires_at", table_name="ws_tickets")
    op.drop_table("ws_tickets")
