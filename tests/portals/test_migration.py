from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from assistant.storage.db import alembic_config, migrate


def test_portal_tables_are_created_by_their_own_revision(database_url: str) -> None:
    url = database_url
    migrate(url)
    engine = create_engine(url)
    insp = inspect(engine)
    assert "portal_nonces" in set(insp.get_table_names())
    assert "widget_sessions" not in set(insp.get_table_names())  # dropped by 0005: tokens carry the portal
    assert [c["name"] for c in insp.get_columns("portal_nonces")] == ["portal_id", "nonce", "expires_at", "created_at"]
    assert insp.get_pk_constraint("portal_nonces")["constrained_columns"] == ["portal_id", "nonce"]
    with engine.connect() as conn:
        heads = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    assert heads == set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def test_the_widget_sessions_table_comes_back_on_downgrade(database_url: str) -> None:
    url = database_url
    migrate(url)
    config = alembic_config(url)
    command.downgrade(config, "0004_portals")
    assert "widget_sessions" in inspect(create_engine(url)).get_table_names()
    command.upgrade(config, "heads")
    assert "widget_sessions" not in inspect(create_engine(url)).get_table_names()
