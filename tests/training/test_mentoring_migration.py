"""Revision 0016_mentoring on SQLite and PostgreSQL: it creates the mentor, session and
sign-up tables with their keys on a branch of its own, takes them away on downgrade (and
only them; another feature's downgrade leaves them), and builds them again; the rebuilt
tables take a mentor, a session and sign-ups, and refuse a second sign-up of one person
to one session."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from assistant.storage.db import Database, alembic_config, migrate
from assistant.storage.models import User
from assistant.training.mentoring_tables import MentoringSessionRow, MentoringSignUpRow, MentorRow

TABLES = {"training_mentors", "training_mentoring_sessions", "training_mentoring_signups"}
WHEN = datetime(2026, 12, 10, 9, 0)
SESSION = "MS-" + "a" * 32


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
        uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("training_mentoring_signups")}
        assert uniques == {"uq_training_mentoring_signups_session_user": ["session_id", "user_id"]}
        indexes = {i["name"]: i["column_names"] for i in insp.get_indexes("training_mentoring_signups")}
        assert indexes["ix_training_mentoring_signups_user"] == ["user_id"]
        indexes = {i["name"]: i["column_names"] for i in insp.get_indexes("training_mentoring_sessions")}
        assert indexes["ix_training_mentoring_sessions_starts"] == ["starts_at"]
        assert {fk["referred_table"] for fk in insp.get_foreign_keys("training_mentoring_signups")} == {
            "training_mentoring_sessions",
            "users",
        }
        assert {fk["referred_table"] for fk in insp.get_foreign_keys("training_mentors")} == {"users"}
        columns = {c["name"] for c in insp.get_columns("training_mentoring_sessions")}
        assert {"topic", "starts_at", "duration_minutes", "capacity", "scope_node_id", "recording_url"} <= columns
    finally:
        engine.dispose()


def test_down_to_the_previous_revision_and_up_again(database_url: str) -> None:
    migrate(database_url)
    before = tables(database_url)
    config = alembic_config(database_url)
    command.downgrade(config, "0016_mentoring@-1")  # its own branch, down to 0001
    assert tables(database_url) == before - TABLES  # only its own tables go
    command.upgrade(config, "heads")
    assert tables(database_url) == before
    command.downgrade(config, "0015_practice@-1")  # another feature's revision goes down: these stay
    assert tables(database_url) >= TABLES
    command.upgrade(config, "heads")
    assert tables(database_url) == before

    db = Database(database_url)
    try:
        with db.write() as s:
            for uid in ("u1", "u2", "admin"):
                s.add(User(id=uid, username=uid, password_hash="x", partner_id="P-1"))
            s.flush()
            s.add(MentorRow(user_id="u1", confirmed=True, decided_by="admin", decided_at=WHEN))
            s.add(
                MentoringSessionRow(
                    id=SESSION, topic="分享" * 100, starts_at=WHEN, duration_minutes=60, capacity=500,
                    host_user_id="u1", created_by="admin", scope_node_id="R-1", created_at=WHEN,
                    notes="纪要" * 5000, recording_url="https://rec.example.com/" + "a" * 900,
                )
            )  # fmt: skip
            s.flush()
            s.add(MentoringSignUpRow(session_id=SESSION, user_id="u2", signed_up_at=WHEN))
        with db.read() as s:
            session = s.get(MentoringSessionRow, SESSION)
            assert session is not None and len(session.topic) == 200 and len(session.notes or "") == 10_000
            signup = s.scalars(sa.select(MentoringSignUpRow)).one()
            assert (signup.attended, signup.marked_at) == (False, None)
        with pytest.raises(IntegrityError), db.write() as s:
            s.add(MentoringSignUpRow(session_id=SESSION, user_id="u2", signed_up_at=WHEN))
        with db.read() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(MentoringSignUpRow)) == 1
    finally:
        db.dispose()
