"""handoff_stills: annotated frames an expert sends during remote assist

Revision ID: 0019_handoff_stills
Revises: 0003_handoff
Create Date: 2026-12-06 10:20:00

Written by hand; mirrors ``HandoffStill`` in assistant/handoff/tables.py.  The table starts
empty.  Like 0017/0018 it is the only revision on its branch, but that branch starts at
``0003_handoff``, not ``0001``: its rows refer to ``handoff_sessions``, so that revision must
run first (PostgreSQL checks the foreign key when it is made; a ``depends_on`` would leave
0003 out of ``alembic_version`` while ``get_heads()`` still names it).
``0019_handoff_stills@-1`` takes down this one only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_handoff_stills"
down_revision = "0003_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff_stills",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["handoff_sessions.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoff_stills_session_id", "handoff_stills", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_handoff_stills_session_id", table_name="handoff_stills")
    op.drop_table("handoff_stills")
