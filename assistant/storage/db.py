"""Database engines and sessions: SQLite (the embedded default) or PostgreSQL.

Everything that depends on the database engine lives here (and in the column types of
:mod:`assistant.storage.types`); the rest of the code uses SQLAlchemy constructs that both
compile.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed transaction survives a
crash of the process (it is in the WAL file), but the last ones may be lost, never
half-applied, when the operating system crashes or the power fails before the next
checkpoint.  Writes go through :meth:`Database.write`, whose transactions start with
``BEGIN IMMEDIATE`` so two writers never deadlock on a lock upgrade; reads use plain
deferred transactions and never block writers.  The database file is private (0600).

PostgreSQL keeps its defaults (READ COMMITTED, ``synchronous_commit=on``: a commit
returns once its WAL is flushed to disk).

The schema is created and upgraded by Alembic (:func:`migrate`), the same revisions on
both.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(url: str) -> bool:
    """Whether ``url`` names an SQLite database (``sqlite:///``, ``sqlite+pysqlite:///``)."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for other databases and in-memory SQLite."""
    if not is_sqlite(url):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    path = path.split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def prepare_sqlite_file(url: str) -> None:
    """Create the database file with mode 0600 before SQLite opens it, so the file and
    the -wal and -shm files SQLite makes beside it (with the database file's mode) are
    readable by the service's user only; narrow an existing file that others can read."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists() and part.stat().st_mode & 0o077:
            part.chmod(0o600)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        if is_sqlite(url):
            prepare_sqlite_file(url)
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:  # PostgreSQL: row locks and MVCC, one pool for reads and writes
            self.write_engine = self.read_engine = create_engine(url, pool_pre_ping=True)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        # Writers of this process queue on a lock: SQLite's own busy handler would make a
        # second writer sleep and poll (1, 2, 5, 10 ms ...) instead of waking when the
        # first commits.  Re-entrant, so a nested write fails on SQLite's busy timeout as
        # before instead of deadlocking here.  Other processes still meet busy_timeout.
        self._write_lock = threading.RLock()
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def write_sessions(self) -> sessionmaker[Session]:
        """The factory of :meth:`write`'s sessions, for ORM event listeners that follow what
        this database commits (the dashboard's live updates)."""
        return self._write

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        with self._write_lock, self._write.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.write_engine.dispose()
        self.read_engine.dispose()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def migrate(url: str, revision: str = "heads") -> None:
    """Bring the schema up to ``revision`` (creates it from empty).  Features add
    their own revisions on top of 0001, so there may be several heads."""
    prepare_sqlite_file(url)
    command.upgrade(alembic_config(url), revision)
