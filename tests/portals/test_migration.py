from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from assistant.storage.db import migrate


def test_portal_tables_are_created_by_their_own_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate(url)
    engine = create_engine(url)
    insp = inspect(engine)
    assert {"portal_nonces", "widget_sessions"} <= set(insp.get_table_names())
    assert [c["name"] for c in insp.get_columns("portal_nonces")] == ["portal_id", "nonce", "expires_at", "created_at"]
    assert insp.get_pk_constraint("portal_nonces")["constrained_columns"] == ["portal_id", "nonce"]
    with engine.connect() as conn:
        heads = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    assert "0004_portals" in heads
