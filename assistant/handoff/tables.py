"""Handoff tables (Alembic revision ``0003_handoff``).

``handoff_sessions`` is the state machine::

    collecting -> queued -> assigned -> resolved
         |          |  ^        |
         v          v  |        v (transfer: stays assigned, new expert)
     cancelled    ticket  (an expert may still accept a ticket to call back)

``handoff_events`` is each session's own log in ``seq`` order (requester and expert
messages, notes, join codes, status changes): the expert console resumes from it.
The requester's side lives in the chat's ``events`` (``ChatService.append_event``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow
from assistant.storage.types import BigId


class HandoffExpert(Base):
    __tablename__ = "handoff_experts"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # product line ids
    capacity: Mapped[int] = mapped_column(default=2)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HandoffSession(Base):
    __tablename__ = "handoff_sessions"
    __table_args__ = (
        Index("ix_handoff_sessions_state_line", "state", "product_line", "queued_at"),
        Index("ix_handoff_sessions_conversation_state", "conversation_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    requester_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    partner_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # collecting|queued|assigned|resolved|ticket|cancelled
    # What the expert needs (collected by the bot before queueing).
    product_line: Mapped[str] = mapped_column(String(16), default="")
    product_model: Mapped[str] = mapped_column(String(64), default="")
    serial: Mapped[str] = mapped_column(String(64), default="")
    firmware: Mapped[str] = mapped_column(String(32), default="")
    symptom: Mapped[str] = mapped_column(Text, default="")
    site: Mapped[str] = mapped_column(String(200), default="")
    urgency: Mapped[str] = mapped_column(String(8), default="")  # high | normal | low
    asking: Mapped[str | None] = mapped_column(String(16), default=None)  # the slot asked for now
    asked: Mapped[list[str]] = mapped_column(JSON, default=list)  # optional slots already asked once
    collect_turns: Mapped[int] = mapped_column(default=0)
    context: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)  # the context packet
    expert_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None, index=True)
    last_seq: Mapped[int] = mapped_column(default=0)  # of handoff_events
    last_position: Mapped[int | None] = mapped_column(default=None)  # last told to the requester
    last_estimate_min: Mapped[int | None] = mapped_column(default=None)
    ticket_reason: Mapped[str] = mapped_column(String(32), default="")  # no_expert_online | timeout
    callback_by: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved: Mapped[bool | None] = mapped_column(default=None)  # True: fixed; False: closed unfixed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)  # first acceptance
    ticket_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HandoffAssignment(Base):
    """Who handled a session when: one row per acceptance or transfer."""

    __tablename__ = "handoff_assignments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("handoff_sessions.id"), index=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(16), default=None)  # resolved | transferred


class HandoffEvent(Base):
    __tablename__ = "handoff_events"
    __table_args__ = (
        UniqueConstraint("session_id", "seq", name="uq_handoff_events_session_seq"),
        UniqueConstraint("session_id", "client_msg_id", name="uq_handoff_events_session_client_msg"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("handoff_sessions.id"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # message | note | join_code | status
    sender: Mapped[str] = mapped_column(String(16))  # requester | expert | system
    author_id: Mapped[str | None] = mapped_column(String(64), default=None)
    client_msg_id: Mapped[str | None] = mapped_column(String(64), default=None)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HandoffJoinCode(Base):
    """AR remote-assist join codes: only a hash is kept; single use; they expire."""

    __tablename__ = "handoff_join_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("handoff_sessions.id"), index=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    used_by: Mapped[str | None] = mapped_column(String(64), default=None)
    revoked: Mapped[bool] = mapped_column(default=False)


class HandoffStill(Base):
    """An annotated frame the expert froze and sent ("截图标注"; Alembic revision
    ``0019_handoff_stills``): the image itself, PNG or JPEG, at most 1.5 MB."""

    __tablename__ = "handoff_stills"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("handoff_sessions.id"), index=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    mime: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
