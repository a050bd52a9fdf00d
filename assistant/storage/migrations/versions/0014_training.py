"""training: micro-lesson quiz attempts and completions

Revision ID: 0014_training
Revises: 0013_alert_cleared
Create Date: 2026-12-08 10:00:00

Written by hand; mirrors assistant/training/lessons_tables.py.  The tables start empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_training"
down_revision = "0013_alert_cleared"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "training_quiz_attempts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("lesson_id", sa.String(length=32), nullable=False),
        sa.Column("quiz_hash", sa.String(length=64), nullable=False),
        sa.Column("option_order", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("correct", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_training_quiz_attempts_user_lesson", "training_quiz_attempts", ["user_id", "lesson_id"])
    op.create_table(
        "training_completions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("lesson_id", sa.String(length=32), nullable=False),
        sa.Column("attempt_id", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["attempt_id"], ["training_quiz_attempts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "lesson_id", name="uq_training_completions_user_lesson"),
    )


def downgrade() -> None:
    op.drop_table("training_completions")
    op.drop_index("ix_training_quiz_attempts_user_lesson", table_name="training_quiz_attempts")
    op.drop_table("training_quiz_attempts")
