"""Revision 0015_practice on SQLite and PostgreSQL: it creates the practice session and
answer tables with their keys on a branch of its own, takes them away on downgrade (and
only them; another feature's downgrade leaves them), and builds them again; the rebuilt
tables take a session and its answers (JSON, NULL scores, a long text) and refuse a
second answer to one turn of one session."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from assistant.storage.db import Database, alembic_config, migrate
from assistant.storage.models import User
from assistant.training.practice_tables import PracticeAnswerRow, PracticeSessionRow

TABLES = {"training_practice_sessions", "training_practice_answers"}
WHEN = datetime(2026, 12, 10, 9, 0)
SESSION = "PS-" + "a" * 32


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def answer(turn: int, text: str = "断网缓存 30 天") -> PracticeAnswerRow:
    return PracticeAnswerRow(
        session_id=SESSION,
        turn_index=turn,
        text=text,
        chars=len(text),
        text_hash="h" * 64,
        overall=0.5,
        verdict="partial",
        score_coverage=0.5,
        score_values=1.0,
        score_objection=None,
        score_accuracy=1.0,
        evidence={"coverage": ["✓ 断网缓存：30 天"], "objection": ["本轮不适用"]},
        feedback=["回答得不错。"],
        flags=[],
        created_at=WHEN,
    )


def test_the_revision_creates_the_tables_with_their_keys(database_url: str) -> None:
    migrate(database_url)
    engine = create_engine(database_url)
    try:
        insp = inspect(engine)
        assert set(insp.get_table_names()) >= TABLES
        columns = [c["name"] for c in insp.get_columns("training_practice_answers")]
        assert columns[:4] == ["id", "session_id", "turn_index", "text"]
        assert {"score_coverage", "score_values", "score_objection", "score_accuracy", "feedback"} <= set(columns)
        uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("training_practice_answers")}
        assert uniques == {"uq_training_practice_answers_turn": ["session_id", "turn_index"]}
        indexes = {i["name"]: i["column_names"] for i in insp.get_indexes("training_practice_sessions")}
        assert indexes["ix_training_practice_sessions_user_created"] == ["user_id", "created_at"]
        assert {fk["referred_table"] for fk in insp.get_foreign_keys("training_practice_answers")} == {
            "training_practice_sessions"
        }
        assert {fk["referred_table"] for fk in insp.get_foreign_keys("training_practice_sessions")} == {"users"}
        session_columns = {c["name"] for c in insp.get_columns("training_practice_sessions")}
        assert {"product_id", "industry", "persona", "competitor", "seed", "scenario_id", "status"} <= session_columns
        assert "turns_json" not in session_columns and "scenario" not in session_columns  # rebuilt, not stored
    finally:
        engine.dispose()


def test_down_to_the_previous_revision_and_up_again(database_url: str) -> None:
    migrate(database_url)
    before = tables(database_url)
    config = alembic_config(database_url)
    command.downgrade(config, "0015_practice@-1")  # its own branch, down to 0001
    assert tables(database_url) == before - TABLES  # only its own tables go
    command.upgrade(config, "heads")
    assert tables(database_url) == before
    command.downgrade(config, "0013_alert_cleared")  # another feature's revisions go down: these stay
    assert tables(database_url) >= TABLES
    command.upgrade(config, "heads")
    assert tables(database_url) == before

    db = Database(database_url)
    try:
        with db.write() as s:
            s.add(User(id="u1", username="u1", password_hash="x", partner_id="P-1"))
            s.flush()
            s.add(
                PracticeSessionRow(
                    id=SESSION, user_id="u1", product_id="EG-2100", seed=2**31 - 1, scenario_id="0123456789ab",
                    turns=5, status="open", created_at=WHEN, answered=2,
                )
            )  # fmt: skip
            s.flush()
            s.add(answer(1))
            s.add(answer(2, "好" * 4000))
        with db.read() as s:
            session = s.get(PracticeSessionRow, SESSION)
            assert session is not None and session.seed == 2**31 - 1 and session.overall is None
            stored = list(s.scalars(sa.select(PracticeAnswerRow).order_by(PracticeAnswerRow.turn_index)))
            assert [len(a.text) for a in stored] == [9, 4000]
            assert stored[0].evidence["coverage"] == ["✓ 断网缓存：30 天"] and stored[0].score_objection is None
        with pytest.raises(IntegrityError), db.write() as s:
            s.add(answer(1, "另一个答案"))
        with db.read() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(PracticeAnswerRow)) == 2
    finally:
        db.dispose()
