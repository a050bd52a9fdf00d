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
