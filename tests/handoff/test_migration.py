"""Revision 0003_handoff creates exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from assistant.handoff import tables
from assistant.storage.db import migrate
from assistant.storage.models import Base

HANDOFF_TABLES = {
    tables.HandoffExpert.__tablename__,
    tables.HandoffSession.__tablename__,
    tables.HandoffAssignment.__tablename__,
    tables.HandoffEvent.__tablename__,
    tables.HandoffJoinCode.__tablename__,
}


def _table_of(diff: tuple[object, ...]) -> str | None:
    for part in diff:
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if name in HANDOFF_TABLES:
            return str(name)
    return None


def test_migration_matches_the_models(database_url: str) -> None:
    url = database_url
    migrate(url)
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) >= HANDOFF_TABLES
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        flat = [d for d in diffs if isinstance(d, tuple)] + [x for d in diffs if isinstance(d, list) for x in d]
        mine = [d for d in flat if _table_of(d) in HANDOFF_TABLES]
        assert mine == []
        uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("handoff_events")}
        assert ("session_id", "seq") in uniques and ("session_id", "client_msg_id") in uniques
        with engine.connect() as conn:
            heads = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
            assert heads & {"0003_handoff", "0019_handoff_stills"}  # 0019 (stills) builds on 0003
    finally:
        engine.dispose()
    migrate(url)  # idempotent
