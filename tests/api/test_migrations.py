from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, inspect

from assistant.storage.db import alembic_config, migrate


def test_migration_up_from_empty_creates_the_schema(database_url: str) -> None:
    url = database_url
    migrate(url)
    engine = create_engine(url)
    insp = inspect(engine)
    assert {"users", "conversations", "events", "feedback", "alembic_version"} <= set(insp.get_table_names())
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("events")}
    assert ("conversation_id", "seq") in uniques and ("conversation_id", "client_msg_id") in uniques
    engine.dispose()
    migrate(url)  # idempotent: already at head


# The tables as code before 0006 wrote them: no dialogue_state.
_users = sa.table(
    "users",
    *(sa.column(c) for c in ("id", "username", "display_name", "password_hash", "partner_id", "role")),
    sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime),
)
_conversations = sa.table(
    "conversations",
    *(sa.column(c) for c in ("id", "user_id", "title", "last_seq")),
    sa.column("profile", sa.JSON),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
)


def test_dialogue_state_column_round_trips_through_downgrade(database_url: str) -> None:
    url = database_url
    migrate(url)
    engine = create_engine(url)
    when = datetime(2026, 12, 4)
    with engine.begin() as conn:
        conn.execute(
            _users.insert().values(
                id="u1",
                username="u1",
                display_name="",
                password_hash="x",
                partner_id="P",
                role="sales",
                active=True,
                created_at=when,
            )
        )
        conn.execute(
            _conversations.insert().values(
                id="c1", user_id="u1", title="", profile={}, last_seq=0, created_at=when, updated_at=when
            )
        )
        # A conversation stored before the column existed reads as an empty state.
        state = sa.table("conversations", sa.column("dialogue_state", sa.JSON))
        assert conn.execute(sa.select(state.c.dialogue_state)).scalar_one() == {}
    engine.dispose()
    config = alembic_config(url)
    command.downgrade(config, "0005_widget_claim")
    engine = create_engine(url)
    assert "dialogue_state" not in {c["name"] for c in inspect(engine).get_columns("conversations")}
    engine.dispose()
    command.upgrade(config, "heads")
    engine = create_engine(url)
    assert "dialogue_state" in {c["name"] for c in inspect(engine).get_columns("conversations")}
    engine.dispose()
