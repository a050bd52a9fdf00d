"""Revision 0017_conversation_seen on SQLite and PostgreSQL: it adds
``conversations.last_seen_seq`` on a branch of its own (existing conversations start fully
seen), takes it away on downgrade (and only it), and adds it again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, inspect

from assistant.storage.db import Database, alembic_config, migrate
from assistant.storage.models import Conversation, User


def columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("conversations")}
    finally:
        engine.dispose()


def test_down_to_the_previous_revision_and_up_again(database_url: str) -> None:
    migrate(database_url)
    assert "last_seen_seq" in columns(database_url)
    config = alembic_config(database_url)
    command.downgrade(config, "0017_conversation_seen@-1")  # its own branch, down to 0001
    assert "last_seen_seq" not in columns(database_url)
    assert "dialogue_state" in columns(database_url)  # another branch's column stays
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:  # a conversation written before the revision
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, username, display_name, password_hash, partner_id, role, active,"
                    " created_at) VALUES ('u1', 'u1', '', 'x', 'P-1', 'sales', true, '2026-12-01')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO conversations (id, user_id, title, profile, dialogue_state, last_seq, created_at,"
                    " updated_at) VALUES ('c1', 'u1', 't', '{}', '{}', 7, '2026-12-01', '2026-12-01')"
                )
            )
    finally:
        engine.dispose()
    command.upgrade(config, "heads")
    assert "last_seen_seq" in columns(database_url)
    db = Database(database_url)
    try:
        with db.read() as s:
            old = s.get(Conversation, "c1")
            assert old is not None and old.last_seen_seq == 7  # old events are not news
        with db.write() as s:
            s.add(Conversation(id="c2", user_id="u1", title="", profile={}))
        with db.read() as s:
            new = s.get(Conversation, "c2")
            assert new is not None and new.last_seen_seq == 0
            assert s.get(User, "u1") is not None
    finally:
        db.dispose()
    command.downgrade(config, "0001")  # every branch down to 0001, then up again
    command.upgrade(config, "heads")
    assert "last_seen_seq" in columns(database_url)
