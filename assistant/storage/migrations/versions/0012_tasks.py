"""tasks: multi-level tasks, each node's share of them, and progress reports

Revision ID: 0012_tasks
Revises: 0011_ops (which depends on 0002_rebates: these tables refer to channel_nodes)
Create Date: 2026-12-06 12:00:00

Written by hand; mirrors assistant/tasks/tables.py.  The tables start empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_tasks"
down_revision = "0011_ops"
branch_labels = None
depends_on = "0002_rebates"  # the tables refer to channel_nodes

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("product_line", sa.String(length=16), nullable=True),
        sa.Column("goal", sa.Integer(), nullable=False),
        sa.Column("root_node_id", sa.String(length=32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("basis_quarter", sa.String(length=6), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["root_node_id"], ["channel_nodes.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "task_assignments",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("node_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.ForeignKeyConstraint(["node_id"], ["channel_nodes.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "key", name="uq_task_assignments_task_key"),
    )
    op.create_index("ix_task_assignments_node", "task_assignments", ["node_id"])
    op.create_table(
        "task_progress",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("assignment_id", BigId, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"]),
        sa.ForeignKeyConstraint(["assignment_id"], ["task_assignments.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "user_id", "client_id", name="uq_task_progress_client"),
    )
    op.create_index("ix_task_progress_assignment", "task_progress", ["assignment_id"])


def downgrade() -> None:
    op.drop_index("ix_task_progress_assignment", table_name="task_progress")
    op.drop_table("task_progress")
    op.drop_index("ix_task_assignments_node", table_name="task_assignments")
    op.drop_table("task_assignments")
    op.drop_table("tasks")
