"""Revision 0018_customers on SQLite and PostgreSQL: it adds the ``customers`` table and
``conversations.customer_id`` (existing conversations unbound), takes both away on downgrade
(and only them), and adds them again; the partial unique index keeps one live customer of a
name per owner and lets deleted ones repeat."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from assistant.storage.db import Database, alembic_config, migrate
from assistant.storage.models import Conversation, Customer


def schema(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        return set(insp.get_table_names()), {c["name"] for c in insp.get_columns("conversations")}
    finally:
        engine.dispose()


def test_down_to_the_previous_revision_and_up_again(database_url: str) -> None:
    migrate(database_url)
    tables, columns = schema(database_url)
    assert "customers" in tables and "customer_id" in columns
    config = alembic_config(database_url)
    command.downgrade(config, "0018_customers@-1")
    tables, columns = schema(database_url)
    assert "customers" not in tables and "customer_id" not in columns
    assert "last_seen_seq" in columns and "training_mentors" in tables  # the others stay
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
                    "INSERT INTO conversations (id, user_id, title, profile, dialogue_state, last_seq, last_seen_seq,"
                    " created_at, updated_at) VALUES ('c1', 'u1', 't', '{}', '{}', 3, 3, '2026-12-01', '2026-12-01')"
                )
            )
    finally:
        engine.dispose()
    command.upgrade(config, "heads")
    db = Database(database_url)
    try:
        with db.read() as s:
            old = s.get(Conversation, "c1")
            assert old is not None and old.customer_id is None
        when = datetime(2026, 12, 6)

        def customer(cid: str, key: str, deleted: datetime | None = None) -> Customer:
            return Customer(
                id=cid, owner_user_id="u1", partner_id="P-1", name=key, name_key=key, profile={}, deleted_at=deleted
            )

        with db.write() as s:
            s.add_all([customer("k1", "abc", when), customer("k2", "abc", when), customer("k3", "abc")])
        with db.write() as s:
            conversation = s.get(Conversation, "c1")
            assert conversation is not None
            conversation.customer_id = "k3"
        with pytest.raises(IntegrityError), db.write() as s:  # a second live "abc" of u1
            s.add(customer("k4", "abc"))
        with pytest.raises(IntegrityError), db.write() as s:  # the foreign key holds
            conversation = s.get(Conversation, "c1")
            assert conversation is not None
            conversation.customer_id = "no-such-customer"
    finally:
        db.dispose()
    command.downgrade(config, "0018_customers@-1")  # with rows in it
    assert "customers" not in schema(database_url)[0]
    command.upgrade(config, "heads")
    assert "customer_id" in schema(database_url)[1]
