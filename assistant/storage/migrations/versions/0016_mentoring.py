"""training: channel mentoring (mentors, sharing sessions, sign-ups)

Revision ID: 0016_mentoring
Revises: 0001
Create Date: 2026-12-06 07:00:00

Written by hand; mirrors assistant/training/mentoring_tables.py.  The tables start empty.
A branch of its own from ``0001`` (its tables refer to ``users`` only), like practice:
taking another feature's revisions down leaves it alone, and ``0016_mentoring@-1`` takes
down this one only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_mentoring"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "training_mentors",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "training_mentoring_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("product_line", sa.String(length=8), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("host_user_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("scope_node_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recording_url", sa.String(length=1000), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["host_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_training_mentoring_sessions_starts", "training_mentoring_sessions", ["starts_at"])
    op.create_table(
        "training_mentoring_signups",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("signed_up_at", sa.DateTime(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["training_mentoring_sessions.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "user_id", name="uq_training_mentoring_signups_session_user"),
    )
    op.create_index("ix_training_mentoring_signups_user", "training_mentoring_signups", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_training_mentoring_signups_user", table_name="training_mentoring_signups")
    op.drop_table("training_mentoring_signups")
    op.drop_index("ix_training_mentoring_sessions_starts", table_name="training_mentoring_sessions")
    op.drop_table("training_mentoring_sessions")
    op.drop_table("training_mentors")
