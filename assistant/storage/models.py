"""SQLAlchemy tables.  Schema changes go through Alembic (``storage/migrations``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from assistant.storage.types import BigId


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16), default="sales")  # sales | manager | admin | expert
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # True: the password is the demo password (seeded in demo mode); False: set by an operator
    # (``python -m assistant users``), never the demo password; None: not known yet (a row from
    # before migration 0007): the start-up check verifies the hash and records the answer.
    demo_password: Mapped[bool | None] = mapped_column(default=None)


class WsTicket(Base):
    """A single-use WebSocket sign-in ticket (``POST /api/ws-ticket``): only its SHA-256
    is stored; it names the user, the portal of a widget session and when the access token
    it was issued for expires (the socket is closed then)."""

    __tablename__ = "ws_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    portal: Mapped[str | None] = mapped_column(String(64), default=None)
    token_expires_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Customer(Base):
    """A salesperson's customer (客户): a company and what is known of it (the
    ``CustomerProfile`` fields but ``customer_name``, numbers as strings), owned by one user
    and read by the managers above the owner's node (``partner_id``, the owner's node when it
    was created).  Deleting sets ``deleted_at``: its conversations stay.  ``name_key`` is the
    name case-folded: unique per owner among the rows not deleted (0018)."""

    __tablename__ = "customers"
    __table_args__ = (
        Index(
            "uq_customers_owner_name",
            "owner_user_id",
            "name_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100))
    profile: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    profile: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # What the dialogue engine keeps between turns (the last task and its parameters), so a
    # follow-up such as "那如果都是新客户呢" re-runs that task with one thing changed.
    dialogue_state: Mapped[dict[str, object]] = mapped_column(JSON, default=dict, server_default="{}")
    last_seq: Mapped[int] = mapped_column(default=0)
    # The highest seq its owner's pages have shown (POST .../seen, 0017): the server-pushed
    # events after it (an expert's message while the user was away) are listed as unread.
    last_seen_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The customer the conversation is about (0018): its profile is then the customer's.
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True, default=None)


class Event(Base):
    """Every event of a conversation in ``seq`` order: the user's messages and what
    the server sent (ack, reply, profile).  Resume replays rows after ``last_seq``."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_events_conversation_seq"),
        UniqueConstraint("conversation_id", "client_msg_id", name="uq_events_conversation_client_msg"),
        Index("ix_events_conversation_seq", "conversation_id", "seq"),
        # One reply and one profile per user message, whoever stores them (0008).
        Index(
            "uq_events_answer",
            "conversation_id",
            "reply_to",
            "type",
            unique=True,
            sqlite_where=text("reply_to IS NOT NULL"),
            postgresql_where=text("reply_to IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(16))  # message | reply | profile
    client_msg_id: Mapped[str | None] = mapped_column(String(64), default=None)  # only on user messages
    reply_to: Mapped[int | None] = mapped_column(default=None)  # seq of the user message answered
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingTurn(Base):
    """A user message stored (acknowledged) and not answered yet: written in the message's
    transaction, deleted in its answer's (or when the message went to a human expert).
    ``owner`` is the instance answering it since ``claimed_at``: a claim another instance
    takes only after ``ChatService.claim_seconds``, the same instance after a restart at once.
    What is left here after a crash is answered on start (``ChatService.recover_pending``)."""

    __tablename__ = "pending_turns"

    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    message_seq: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(128), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("conversation_id", "message_seq", "user_id", name="uq_feedback_once"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    message_seq: Mapped[int]
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    rating: Mapped[str] = mapped_column(String(8))  # up | down
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


import assistant.content.tables  # noqa: E402  (knowledge content tables on Base.metadata)
import assistant.handoff.tables  # noqa: E402  (handoff tables on Base.metadata)
import assistant.ops.tables  # noqa: E402  (channel operations tables on Base.metadata)
import assistant.portals.tables  # noqa: E402  (portal / widget tables on Base.metadata)
import assistant.rebates.tables  # noqa: E402  (rebate tables on Base.metadata)
import assistant.tasks.tables  # noqa: E402  (multi-level task tables on Base.metadata)
import assistant.training.lessons_tables  # noqa: E402  (micro-lesson quiz tables on Base.metadata)
import assistant.training.mentoring_tables  # noqa: E402  (mentoring tables on Base.metadata)
import assistant.training.practice_tables  # noqa: E402, F401  (practice session tables on Base.metadata)
