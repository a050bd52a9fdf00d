"""conversations: last_seen_seq, the last event its owner's pages showed (unread marks)

Revision ID: 0017_conversation_seen
Revises: 0001
Create Date: 2026-12-06 07:30:00

Written by hand; mirrors ``Conversation.last_seen_seq`` in assistant/storage/models.py.
The conversation list counts the server-pushed events (an expert's message, handoff status)
after it as unread.  Existing conversations start as fully seen (``last_seq``), so an old
handoff does not show up as news.  A branch of its own from ``0001`` (it touches only the
``conversations`` table of 0001): ``0017_conversation_seen@-1`` takes down this one only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_conversation_seen"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("last_seen_seq", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE conversations SET last_seen_seq = last_seq")


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("last_seen_seq")
