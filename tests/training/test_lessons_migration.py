"""Revision 0014_training on SQLite and PostgreSQL: it creates the attempt and completion
tables with their keys, takes them away on downgrade (and only them), and builds them
again; the rebuilt tables take an attempt and its completion, and refuse a second
completion of one lesson by one person."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from assistant.storage.db import Database, alembic_config, migrate
from assistant.storage.models import User
from assistant.training.lessons_tables import LessonCompletionRow, QuizAttemptRow

TABLES = {"training_quiz_attempts", "training_completions"}
WHEN = datetime(2026, 11, 27, 9, 0)


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_revision_creates_the_tables_with_their_keys(database_url: str) -> None:
    migrate(database_url)
    engine = create_engine(database_url)
    try:
        insp = inspect(engine)
        assert set(insp.get_table_names()) >= TABLES
        assert [c["name"] for c in insp.get_columns("training_quiz_attempts")] == [
            "id",
            "user_id",
            "lesson_id",
            "quiz_hash",
            "option_order",
            "started_at",
            "expires_at",
            "submitted_at",
            "answers",
            "correct",
            "total",
            "passed",
        ]
        uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("training_completions")}
        assert uniques == {"uq_training_completions_user_lesson": ["user_id", "lesson_id"]}
        indexes = {i["name"] for i in insp.get_indexes("training_quiz_attempts")}
        assert "ix_training_quiz_attempts_user_lesson" in indexes
        targets = {fk["referred_table"] for fk in insp.get_foreign_keys("training_completions")}
        assert targets == {"users", "training_quiz_attempts"}
    finally:
        engine.dispose()


def test_down_to_the_previous_revision_and_up_again(database_url: str) -> None:
    migrate(database_url)
    before = tables(database_url)
    config = alembic_config(database_url)
    command.downgrade(config, "0013_alert_cleared")
    assert tables(database_url) == before - TABLES  # only its own tables go
    command.upgrade(config, "heads")
    assert tables(database_url) == before

    db = Database(database_url)
    try:
        with db.write() as s:
            s.add(User(id="u1", username="u1", password_hash="x", partner_id="P-1"))
            s.flush()
            s.add(
                QuizAttemptRow(
                    id="QA-" + "a" * 32,
                    user_id="u1",
                    lesson_id="L-001",
                    quiz_hash="h" * 64,
                    option_order=[[2, 0, 1, 3], [1, 0, 2, 3], [3, 2, 1, 0]],
                    started_at=WHEN,
                    expires_at=WHEN,
                    total=3,
                )
            )
            s.flush()
            s.add(
                LessonCompletionRow(
                    user_id="u1", lesson_id="L-001", attempt_id="QA-" + "a" * 32, mode="practice", minutes=10,
                    correct=3, total=3, completed_at=WHEN,
                )
            )  # fmt: skip
        with db.read() as s:
            attempt = s.get(QuizAttemptRow, "QA-" + "a" * 32)
            assert attempt is not None and attempt.option_order[2] == [3, 2, 1, 0] and attempt.passed is None
        with pytest.raises(IntegrityError), db.write() as s:
            s.add(
                LessonCompletionRow(
                    user_id="u1", lesson_id="L-001", attempt_id="QA-" + "a" * 32, mode="practice", minutes=10,
                    correct=3, total=3, completed_at=WHEN,
                )
            )  # fmt: skip
        with db.read() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(LessonCompletionRow)) == 1
    finally:
        db.dispose()
