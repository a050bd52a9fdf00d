from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from assistant.storage.db import migrate


def test_migration_up_from_empty_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    insp = inspect(create_engine(url))
    assert {"users", "conversations", "events", "feedback", "alembic_version"} <= set(insp.get_table_names())
    uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("events")}
    assert ("conversation_id", "seq") in uniques and ("conversation_id", "client_msg_id") in uniques
    migrate(url)  # idempotent: already at head


def test_dialogue_state_column_round_trips_through_downgrade(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from assistant.storage.db import alembic_config

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, partner_id, role, active,"
                " created_at) VALUES ('u1', 'u1', '', 'x', 'P', 'sales', 1, '2026-12-04')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO conversations (id, user_id, title, profile, last_seq, created_at, updated_at)"
                " VALUES ('c1', 'u1', '', '{}', 0, '2026-12-04', '2026-12-04')"
            )
        )
        # A conversation stored before the column existed reads as an empty state.
        assert conn.execute(text("SELECT dialogue_state FROM conversations")).scalar_one() == "{}"
    config = alembic_config(url)
    command.downgrade(config, "0005_widget_claim")
    assert "dialogue_state" not in {c["name"] for c in inspect(create_engine(url)).get_columns("conversations")}
    command.upgrade(config, "heads")
    assert "dialogue_state" in {c["name"] for c in inspect(create_engine(url)).get_columns("conversations")}
