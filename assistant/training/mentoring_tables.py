"""Database tables of channel mentoring (Alembic revision ``0016_mentoring``).

``training_mentors`` is one person's mentor record: confirmed or withdrawn, by which admin
and when (one row per person; confirming again after a withdrawal updates it).
``training_mentoring_sessions`` is one sharing session (分享会): topic, start, duration,
capacity, optional product line, the host (a confirmed mentor when it was created), who
created it, the channel node it is visible under (``scope_node_id``, fixed at creation:
see :mod:`assistant.training.mentoring`), and once held the notes and recording link.
``training_mentoring_signups`` is one learner signed up to one session, one row per
session and person (``uq_training_mentoring_signups_session_user``: the key that makes a
double sign-up harmless), with the host's attendance mark.

Times are naive UTC, like every other table (``utcnow``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow
from assistant.storage.types import BigId

MAX_TOPIC = 200  # column sizes: the hard limits the rules file must stay within
MAX_RECORDING_URL = 1000
MAX_NOTES = 20_000


class MentorRow(Base):
    __tablename__ = "training_mentors"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    confirmed: Mapped[bool]  # False once withdrawn
    decided_by: Mapped[str] = mapped_column(ForeignKey("users.id"))  # the admin
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MentoringSessionRow(Base):
    __tablename__ = "training_mentoring_sessions"
    __table_args__ = (Index("ix_training_mentoring_sessions_starts", "starts_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "MS-" + 32 hex digits
    topic: Mapped[str] = mapped_column(String(MAX_TOPIC))
    product_line: Mapped[str | None] = mapped_column(String(8), default=None)
    starts_at: Mapped[dt.datetime]
    duration_minutes: Mapped[int]
    capacity: Mapped[int]
    host_user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    scope_node_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    recording_url: Mapped[str | None] = mapped_column(String(MAX_RECORDING_URL), default=None)
    recorded_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class MentoringSignUpRow(Base):
    __tablename__ = "training_mentoring_signups"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_training_mentoring_signups_session_user"),
        Index("ix_training_mentoring_signups_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("training_mentoring_sessions.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    signed_up_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    attended: Mapped[bool] = mapped_column(default=False)
    marked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
