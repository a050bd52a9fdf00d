"""handoff: experts, sessions, assignments, session events, AR join codes

Revision ID: 0003_handoff
Revises: 0001
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_handoff"
down_revision = "0001"
branch_labels = None
depends_on = None

# BIGINT on PostgreSQL (ids of tables that grow with traffic pass 2^31); INTEGER, the
# rowid alias, on SQLite: the DDL SQLite gets is the same as before this variant.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "handoff_experts",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "handoff_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("product_line", sa.String(length=16), nullable=False),
        sa.Column("product_model", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("firmware", sa.String(length=32), nullable=False),
        sa.Column("symptom", sa.Text(), nullable=False),
        sa.Column("site", sa.String(length=200), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("asking", sa.String(length=16), nullable=True),
        sa.Column("asked", sa.JSON(), nullable=False),
        sa.Column("collect_turns", sa.Integer(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_position", sa.Integer(), nullable=True),
        sa.Column("last_estimate_min", sa.Integer(), nullable=True),
        sa.Column("ticket_reason", sa.String(length=32), nullable=False),
        sa.Column("callback_by", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=True),
        sa.Column("ticket_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["requester_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_sessions_requester_id"), ["requester_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_sessions_expert_id"), ["expert_id"], unique=False)
        batch_op.create_index("ix_handoff_sessions_state_line", ["state", "product_line", "queued_at"], unique=False)
        batch_op.create_index("ix_handoff_sessions_conversation_state", ["conversation_id", "state"], unique=False)

    op.create_table(
        "handoff_assignments",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["handoff_sessions.id"]),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_assignments_session_id"), ["session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_handoff_assignments_expert_id"), ["expert_id"], unique=False)

    op.create_table(
        "handoff_events",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=True),
        sa.Column("client_msg_id", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["handoff_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "seq", name="uq_handoff_events_session_seq"),
        sa.UniqueConstraint("session_id", "client_msg_id", name="uq_handoff_events_session_client_msg"),
    )

    op.create_table(
        "handoff_join_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("expert_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["handoff_sessions.id"]),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("code_hash"),
    )
    with op.batch_alter_table("handoff_join_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_join_codes_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handoff_join_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_join_codes_session_id"))
    op.drop_table("handoff_join_codes")
    op.drop_table("handoff_events")
    with op.batch_alter_table("handoff_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_assignments_expert_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_assignments_session_id"))
    op.drop_table("handoff_assignments")
    with op.batch_alter_table("handoff_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_handoff_sessions_conversation_state")
        batch_op.drop_index("ix_handoff_sessions_state_line")
        batch_op.drop_index(batch_op.f("ix_handoff_sessions_expert_id"))
        batch_op.drop_index(batch_op.f("ix_handoff_sessions_requester_id"))
    op.drop_table("handoff_sessions")
    op.drop_table("handoff_experts")
