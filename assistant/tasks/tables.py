"""Database tables of multi-level tasks (Alembic revision ``0012_tasks``).

``tasks`` is what HQ created (the goal and its dates), ``task_assignments`` each node's
share of it (a channel node, or a salesperson of a partner: ``user_id`` set), and
``task_progress`` every progress report, unique per task, reporter and client id (the same
client id twice counts once).  Where an assignment sits in the tree is not stored: it
follows the channel tree of today (:mod:`assistant.tasks.service`), so access and roll-ups
change with a move at once, like rebates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow
from assistant.storage.types import BigId


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # "TK-" + 12 hex digits
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(32))  # new_customers | visits | demos | training_completions
    product_line: Mapped[str | None] = mapped_column(String(16), default=None)
    goal: Mapped[int]
    root_node_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"))
    start_date: Mapped[dt.date]
    due_date: Mapped[dt.date]
    basis_quarter: Mapped[str] = mapped_column(String(6))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TaskAssignmentRow(Base):
    __tablename__ = "task_assignments"
    __table_args__ = (
        UniqueConstraint("task_id", "key", name="uq_task_assignments_task_key"),
        Index("ix_task_assignments_node", "node_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"))
    key: Mapped[str] = mapped_column(String(100))  # node id, or "<partner id>/<username>"
    node_id: Mapped[str] = mapped_column(ForeignKey("channel_nodes.id"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    quantity: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")  # user id


class TaskProgressRow(Base):
    __tablename__ = "task_progress"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id", "client_id", name="uq_task_progress_client"),
        Index("ix_task_progress_assignment", "assignment_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"))
    assignment_id: Mapped[int] = mapped_column(BigId, ForeignKey("task_assignments.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))  # who reported
    client_id: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
