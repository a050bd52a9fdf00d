"""``/readyz`` names each dependency: the database (``SELECT 1``), Redis (``PING``) and the
engine, on a real server with the machine's PostgreSQL and Redis; a dependency that does
not answer makes it 503 and says which one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.api.conftest import LiveServer, free_port, make_server_settings
from tests.redis_backend import REDIS_URL, redis_prefix
from tests.storage_backends import ADMIN_URL, fresh_postgres_database

pytestmark = pytest.mark.slow


def closed_port() -> int:
    return free_port()  # bound and released: nothing listens there


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


def serve(tmp_path: Path, *, until_loaded: bool = False, **overrides: object) -> LiveServer:
    server = LiveServer(make_server_settings(tmp_path, **overrides), free_port())
    server.start(until_loaded=until_loaded)
    return server


def test_ready_names_database_redis_and_engine_when_all_answer(tmp_path: Path, postgres_url: str) -> None:
    with redis_prefix() as prefix:
        server = serve(tmp_path, database_url=postgres_url, redis_url=REDIS_URL, redis_key_prefix=prefix)
        try:
            r = httpx.get(f"{server.http}/readyz")
        finally:
            server.stop()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ready"] is True and "failed" not in body
    assert body["checks"] == {"database": {"ok": True}, "redis": {"ok": True}, "engine": {"ok": True}}
    assert body["counts"]["faq"] == 3  # the index, as before


def test_without_redis_configured_there_is_no_redis_check(tmp_path: Path) -> None:
    server = serve(tmp_path)  # the embedded default: SQLite, in-process hub
    try:
        body = httpx.get(f"{server.http}/readyz").json()
    finally:
        server.stop()
    assert set(body["checks"]) == {"database", "engine"} and body["ready"] is True


def test_a_redis_that_does_not_answer_makes_it_503_naming_redis(tmp_path: Path, postgres_url: str) -> None:
    dead = f"redis://127.0.0.1:{closed_port()}/0"
    server = serve(tmp_path, until_loaded=True, database_url=postgres_url, redis_url=dead)
    try:
        r = httpx.get(f"{server.http}/readyz", timeout=10)
    finally:
        server.stop()
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["ready"] is False and body["failed"] == ["redis"]
    assert body["checks"]["database"] == {"ok": True} and body["checks"]["engine"] == {"ok": True}
    assert body["checks"]["redis"]["ok"] is False and "onnect" in body["checks"]["redis"]["error"]
    assert (
        "127.0.0.1" not in r.text and dead.rsplit(":", 1)[1].split("/", maxsplit=1)[0] not in r.text
    )  # no address leaks


def test_a_database_that_refuses_connections_makes_it_503_naming_the_database(
    tmp_path: Path, postgres_url: str
) -> None:
    name = make_url(postgres_url).database
    admin = create_engine(make_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with redis_prefix() as prefix:
        server = serve(tmp_path, database_url=postgres_url, redis_url=REDIS_URL, redis_key_prefix=prefix)
        try:
            assert httpx.get(f"{server.http}/readyz").status_code == 200
            with admin.connect() as conn:  # the database goes away under the running server
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
                )
            down = httpx.get(f"{server.http}/readyz", timeout=10)
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            back = httpx.get(f"{server.http}/readyz", timeout=10)
        finally:
            server.stop()
            admin.dispose()
    assert down.status_code == 503, down.text
    assert down.json()["failed"] == ["database"] and down.json()["checks"]["redis"] == {"ok": True}
    assert (
        down.json()["checks"]["database"]["ok"] is False
        and "OperationalError" in down.json()["checks"]["database"]["error"]
    )
    assert back.status_code == 200  # and ready again once it answers
