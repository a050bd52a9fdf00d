"""Database tables of the micro-lessons (Alembic revision ``0014_training``).

``training_quiz_attempts`` is one quiz handed to one user: which lesson, the order its
options were shown in (so answers are positions that mean something only for this attempt
and this user), a hash of the quiz it was built from, when it expires, and, once submitted,
the answers and the grade.  ``training_completions`` is a lesson passed: one row per user
and lesson (a later pass changes nothing), with the lesson's mode and minutes as they were
when it was passed, so progress does not move when an editor changes a lesson later.

Where a learner sits in the channel tree is not stored here: roll-ups follow the user's
partner of today (``users.partner_id``), like tasks and rebates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow
from assistant.storage.types import BigId


class QuizAttemptRow(Base):
    __tablename__ = "training_quiz_attempts"
    __table_args__ = (Index("ix_training_quiz_attempts_user_lesson", "user_id", "lesson_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "QA-" + 32 hex digits
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    lesson_id: Mapped[str] = mapped_column(String(32))
    quiz_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the quiz it was built from
    # For each question, the option indexes of the quiz file in the order they were shown.
    option_order: Mapped[list[list[int]]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    answers: Mapped[list[int] | None] = mapped_column(JSON, default=None)  # positions as shown
    correct: Mapped[int | None] = mapped_column(default=None)
    total: Mapped[int]
    passed: Mapped[bool | None] = mapped_column(default=None)


class LessonCompletionRow(Base):
    __tablename__ = "training_completions"
    # One per person and lesson; the key's first column serves the per-person reads too.
    __table_args__ = (UniqueConstraint("user_id", "lesson_id", name="uq_training_completions_user_lesson"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    lesson_id: Mapped[str] = mapped_column(String(32))
    attempt_id: Mapped[str] = mapped_column(ForeignKey("training_quiz_attempts.id"))
    mode: Mapped[str] = mapped_column(String(16))  # practice | mentoring | theory, when passed
    minutes: Mapped[int]  # the lesson's duration when passed
    correct: Mapped[int]
    total: Mapped[int]
    completed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
