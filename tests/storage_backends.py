"""The databases the storage tests run on: an SQLite file and a fresh PostgreSQL database.

``database_url`` (tests/conftest.py) is parametrised over :data:`BACKENDS`.  The PostgreSQL
variant creates a database with a random name on the machine's server (127.0.0.1:5432,
``ASSISTANT_TEST_POSTGRES`` to point elsewhere), through a connection to its ``postgres``
database in AUTOCOMMIT (CREATE DATABASE cannot run in a transaction), and drops it afterwards.
Where no server answers, the variant is skipped and says why.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, make_url

BACKENDS = ("sqlite", "postgresql")
# The maintenance database of the server; test databases are created and dropped from it.
ADMIN_URL = os.environ.get("ASSISTANT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def sqlite_url(directory: Path, name: str = "test.db") -> str:
    return f"sqlite:///{directory / name}"


@cache
def postgres_unavailable(admin_url: str = ADMIN_URL) -> str | None:
    """Why the PostgreSQL variant cannot run here (None: it can).  Asked once per session."""
    admin = make_url(admin_url)
    host, port = admin.host or "127.0.0.1", admin.port or 5432
    try:
        with socket.create_connection((host, port), timeout=1):
            pass
    except OSError as exc:
        return f"no PostgreSQL server answers on {host}:{port} ({exc})"
    try:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # the server answers but refuses us: say what it said
        return f"PostgreSQL on {host}:{port} refused the test connection: {exc}"
    return None


def skip_without_postgres() -> None:
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)


def _drop(conn: Connection, name: str) -> None:
    # Connections a test left open (a server thread's pool) would make DROP DATABASE fail.
    conn.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    )
    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


@contextmanager
def fresh_postgres_database(prefix: str = "assistant_test") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped on exit."""
    skip_without_postgres()
    admin = make_url(ADMIN_URL)
    name = f"{prefix}_{secrets.token_hex(6)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url: URL = admin.set(database=name)
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                _drop(conn, name)
    finally:
        engine.dispose()


@contextmanager
def database_for(backend: str, directory: Path, name: str = "test.db") -> Iterator[str]:
    """A fresh database of ``backend`` ("sqlite": a file in ``directory``)."""
    if backend == "sqlite":
        yield sqlite_url(directory, name)
    elif backend == "postgresql":
        with fresh_postgres_database() as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}")
