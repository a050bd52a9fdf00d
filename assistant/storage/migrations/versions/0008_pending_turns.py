"""chat: pending_turns (every acknowledged message is answered) and one answer per message

Revision ID: 0008_pending_turns
Revises: 0007_sign_in_hardening
Create Date: 2026-12-05 10:00:00

A message stored by older code and never answered (the service was killed between the
``ack`` and the reply) is entered as pending, so the next start answers it; messages that
went to a human expert (the handoff log holds their ``chat_seq``) are not.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008_pending_turns"
down_revision = "0007_sign_in_hardening"
branch_labels = None
depends_on = None

_events = sa.table(
    "events",
    sa.column("conversation_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("type", sa.String),
    sa.column("reply_to", sa.Integer),
)
_handoff_sessions = sa.table("handoff_sessions", sa.column("id", sa.String), sa.column("conversation_id", sa.String))
_handoff_events = sa.table(
    "handoff_events",
    sa.column("session_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("sender", sa.String),
    sa.column("payload", sa.JSON),
)


def upgrade() -> None:
    op.create_table(
        "pending_turns",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("message_seq", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("conversation_id", "message_seq"),
    )
    op.create_index(
        "uq_events_answer",
        "events",
        ["conversation_id", "reply_to", "type"],
        unique=True,
        sqlite_where=sa.text("reply_to IS NOT NULL"),
        postgresql_where=sa.text("reply_to IS NOT NULL"),
    )
    _enter_unanswered()


def _enter_unanswered() -> None:
    bind = op.get_bind()
    answer = _events.alias("answer")
    unanswered = bind.execute(
        sa.select(_events.c.conversation_id, _events.c.seq).where(
            _events.c.type == "message",
            ~sa.exists().where(
                answer.c.conversation_id == _events.c.conversation_id, answer.c.reply_to == _events.c.seq
            ),
        )
    ).all()
    if not unanswered:
        return
    # The handoff tables (0003, another branch) exist in any database that holds messages.
    has_handoff = "handoff_events" in sa.inspect(bind).get_table_names()
    relayed = set()
    if has_handoff:
        relayed = {
            (cid, payload.get("chat_seq"))
            for cid, payload in bind.execute(
                sa.select(_handoff_sessions.c.conversation_id, _handoff_events.c.payload)
                .join(_handoff_sessions, _handoff_sessions.c.id == _handoff_events.c.session_id)
                .where(_handoff_events.c.kind == "message", _handoff_events.c.sender == "requester")
            )
            if isinstance(payload, dict)
        }
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {"conversation_id": cid, "message_seq": seq, "attempts": 0, "created_at": now}
        for cid, seq in unanswered
        if (cid, seq) not in relayed
    ]
    if rows:
        op.bulk_insert(
            sa.table(
                "pending_turns",
                sa.column("conversation_id", sa.String),
                sa.column("message_seq", sa.Integer),
                sa.column("attempts", sa.Integer),
                sa.column("created_at", sa.DateTime),
            ),
            rows,
        )


def downgrade() -> None:
    op.drop_index("uq_events_answer", table_name="events")
    op.drop_table("pending_turns")
