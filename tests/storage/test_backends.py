"""The storage layer on both databases: the same Alembic revisions build (and take down
and rebuild) the schema the models describe; the ids of tables that grow with traffic
are 64-bit; SQLite's own settings; the PostgreSQL test databases come and go."""

from __future__ import annotations

import socket
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from assistant.storage.db import Database, alembic_config, is_sqlite, migrate
from assistant.storage.models import Base, Conversation, Event, User
from tests.storage_backends import fresh_postgres_database, postgres_unavailable, sqlite_url

GROWING = {"events": "id", "feedback": "id", "handoff_events": "id", "handoff_assignments": "id"}


def _schema_diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_migrations_build_the_schema_of_the_models(database_url: str) -> None:
    migrate(database_url)
    assert _tables(database_url) == {*Base.metadata.tables, "alembic_version"}
    assert _schema_diff(database_url) == []
    engine = create_engine(database_url)
    with engine.connect() as conn:
        stamped = {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    engine.dispose()
    assert stamped == set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    migrate(database_url)
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    assert _tables(database_url) <= {"alembic_version"}  # every revision undoes what it made
    command.upgrade(config, "heads")
    assert _schema_diff(database_url) == []
    # And the rebuilt schema takes rows.
    db = Database(database_url)
    try:
        _add_conversation(db)
        with db.read() as s:
            assert s.get(Conversation, "c1") is not None
    finally:
        db.dispose()


def _add_conversation(db: Database) -> None:
    with db.write() as s:
        s.add(User(id="u1", username="u1", password_hash="x", partner_id="P-1"))
        s.flush()
        s.add(Conversation(id="c1", user_id="u1"))


def test_ids_of_growing_tables_are_64_bit(database_url: str) -> None:
    migrate(database_url)
    engine = create_engine(database_url)
    insp = inspect(engine)
    for table, column in GROWING.items():
        declared = {c["name"]: c["type"] for c in insp.get_columns(table)}[column]
        # SQLite: INTEGER, the 64-bit rowid; PostgreSQL: BIGINT (INTEGER would stop at 2^31 - 1).
        assert isinstance(declared, sa.Integer if is_sqlite(database_url) else sa.BigInteger), (table, declared)
    engine.dispose()
    db = Database(database_url)
    try:
        _add_conversation(db)
        big = 2**31 + 7
        with db.write() as s:
            s.add(Event(id=big, conversation_id="c1", seq=1, type="message", payload={"text": "a"}))
            s.add(Event(conversation_id="c1", seq=2, type="message", payload={"text": "b"}))  # id assigned
        with db.read() as s:
            ids = {seq: id_ for seq, id_ in s.execute(sa.select(Event.seq, Event.id))}
        assert ids[1] == big and ids[2] > 0
    finally:
        db.dispose()


def test_sqlite_keeps_its_durability_and_integrity_settings(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path, "settings.db")
    migrate(url)
    db = Database(url)
    try:
        with db.read() as s:
            pragma = {name: s.execute(sa.text(f"PRAGMA {name}")).scalar() for name in ("journal_mode", "synchronous")}
            foreign_keys = s.execute(sa.text("PRAGMA foreign_keys")).scalar()
        # synchronous=1 (NORMAL) in WAL mode: what the README says survives which crash.
        assert pragma == {"journal_mode": "wal", "synchronous": 1}
        assert foreign_keys == 1
    finally:
        db.dispose()


def test_postgresql_keeps_its_default_commit_semantics() -> None:
    with fresh_postgres_database() as url:
        migrate(url)
        db = Database(url)
        with db.read() as s:
            assert s.execute(sa.text("SHOW synchronous_commit")).scalar() == "on"
            assert s.execute(sa.text("SHOW transaction_isolation")).scalar() == "read committed"
        db.dispose()


def test_a_test_database_is_dropped_even_with_connections_left_open() -> None:
    with fresh_postgres_database() as url:
        migrate(url)
        db = Database(url)  # never disposed: its pooled connection stays open
        _add_conversation(db)
        name = sa.engine.make_url(url).database
    admin = create_engine(sa.engine.make_url(url).set(database="postgres"))
    with admin.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    admin.dispose()
    assert left == 0


def test_without_a_server_the_postgresql_variant_says_why() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free: nothing listens there once closed
    reason = postgres_unavailable(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
    assert reason is not None and f"no PostgreSQL server answers on 127.0.0.1:{port}" in reason


def test_the_timestamp_round_trips_unchanged(database_url: str) -> None:
    migrate(database_url)
    db = Database(database_url)
    try:
        _add_conversation(db)
        when = datetime(2026, 12, 5, 10, 0, 0, 123456)
        with db.write() as s:
            s.get_one(Conversation, "c1").updated_at = when
        with db.read() as s:
            assert s.get_one(Conversation, "c1").updated_at == when  # naive UTC, microseconds kept
    finally:
        db.dispose()
