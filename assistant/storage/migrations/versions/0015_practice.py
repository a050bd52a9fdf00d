"""training: role-play practice sessions and their answers

Revision ID: 0015_practice
Revises: 0001
Create Date: 2026-12-10 10:00:00

Written by hand; mirrors assistant/training/practice_tables.py.  The tables start empty.
A branch of its own from ``0001`` (its tables refer to ``users`` only), like handoff,
portals and content: taking another feature's revisions down leaves it alone, and
``0015_practice@-1`` takes down this one only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_practice"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "training_practice_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("industry", sa.String(length=64), nullable=True),
        sa.Column("persona", sa.String(length=64), nullable=True),
        sa.Column("competitor", sa.String(length=64), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.String(length=32), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("overall", sa.Float(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("score_coverage", sa.Float(), nullable=True),
        sa.Column("score_values", sa.Float(), nullable=True),
        sa.Column("score_objection", sa.Float(), nullable=True),
        sa.Column("score_accuracy", sa.Float(), nullable=True),
        sa.Column("weakest", sa.String(length=16), nullable=True),
        sa.Column("lesson_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_training_practice_sessions_user_created", "training_practice_sessions", ["user_id", "created_at"]
    )
    op.create_table(
        "training_practice_answers",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("overall", sa.Float(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("score_coverage", sa.Float(), nullable=True),
        sa.Column("score_values", sa.Float(), nullable=True),
        sa.Column("score_objection", sa.Float(), nullable=True),
        sa.Column("score_accuracy", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("feedback", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["training_practice_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "turn_index", name="uq_training_practice_answers_turn"),
    )


def downgrade() -> None:
    op.drop_table("training_practice_answers")
    op.drop_index("ix_training_practice_sessions_user_created", table_name="training_practice_sessions")
    op.drop_table("training_practice_sessions")
