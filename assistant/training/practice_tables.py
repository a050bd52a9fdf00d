"""Database tables of the practice sessions (Alembic revision ``0015_practice``).

``training_practice_sessions`` is one role-play of one user: what was asked for (product,
and the industry, persona and competitor when chosen), the seed the scenario was drawn
with, the scenario's id (a hash of request and seed: the customer is rebuilt from these,
never stored whole, and a rebuilt one with another id means the corpus changed), the
number of turns, when it started and finished, and once finished the summary's scores.

``training_practice_answers`` is one answer to one turn: its text (cut at the chat's
message limit, as the rubric reads it), a hash of the text as sent (a replay of the same
answer gets the stored result back; another text for an answered turn is refused), and the
rubric's verdict, overall score, per-dimension scores, evidence and feedback.  One row per
session and turn (``uq_training_practice_answers_turn``).

The dimension scores are columns (not JSON) so the managers' roll-up averages them in SQL;
``None`` is a dimension that did not apply (no parameter asked, no objection raised).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.storage.models import Base, utcnow
from assistant.storage.types import BigId


class PracticeSessionRow(Base):
    __tablename__ = "training_practice_sessions"
    __table_args__ = (Index("ix_training_practice_sessions_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "PS-" + 32 hex digits
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    # The request as given (stripped), so the same scenario is built again from it and the seed.
    product_id: Mapped[str] = mapped_column(String(64))
    industry: Mapped[str | None] = mapped_column(String(64), default=None)
    persona: Mapped[str | None] = mapped_column(String(64), default=None)
    competitor: Mapped[str | None] = mapped_column(String(64), default=None)
    seed: Mapped[int]
    scenario_id: Mapped[str] = mapped_column(String(32))
    turns: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | finished
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The summary, once finished (scores 0..1; a dimension None when no turn applied to it).
    answered: Mapped[int] = mapped_column(default=0)
    overall: Mapped[float | None] = mapped_column(Float, default=None)
    verdict: Mapped[str | None] = mapped_column(String(16), default=None)  # pass | partial | fail
    score_coverage: Mapped[float | None] = mapped_column(Float, default=None)
    score_values: Mapped[float | None] = mapped_column(Float, default=None)
    score_objection: Mapped[float | None] = mapped_column(Float, default=None)
    score_accuracy: Mapped[float | None] = mapped_column(Float, default=None)
    weakest: Mapped[str | None] = mapped_column(String(16), default=None)
    lesson_id: Mapped[str | None] = mapped_column(String(32), default=None)


class PracticeAnswerRow(Base):
    __tablename__ = "training_practice_answers"
    # One per session and turn; the key's first column serves the per-session reads too.
    __table_args__ = (UniqueConstraint("session_id", "turn_index", name="uq_training_practice_answers_turn"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("training_practice_sessions.id"))
    turn_index: Mapped[int]  # 1-based
    text: Mapped[str] = mapped_column(Text)  # at most settings.max_message_chars (cut there)
    chars: Mapped[int]  # the length as sent (more than len(text) when it was cut)
    text_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the text as sent
    overall: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(16))
    score_coverage: Mapped[float | None] = mapped_column(Float, default=None)
    score_values: Mapped[float | None] = mapped_column(Float, default=None)
    score_objection: Mapped[float | None] = mapped_column(Float, default=None)
    score_accuracy: Mapped[float | None] = mapped_column(Float, default=None)
    evidence: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # dimension -> zh-CN lines
    feedback: Mapped[list[str]] = mapped_column(JSON)  # zh-CN lines
    flags: Mapped[list[str]] = mapped_column(JSON)  # empty, abusive, offtopic, too_long, cut, conceding
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
