"""What ``/readyz`` checks, one dependency at a time: the database (``SELECT 1``), Redis
when ``redis_url`` is set (``PING``) and the index and engine (loaded in the background).
Each check has a short deadline, so a proxy or orchestrator polling ``/readyz`` learns
within a couple of seconds which dependency an instance cannot reach, and takes it out of
rotation (503) instead of sending it turns it would fail."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from assistant.storage.db import Database

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0


def _error(exc: BaseException) -> str:
    """What an unauthenticated caller may see: the kind of failure.  The driver's message
    (host, port, database and user names) goes to the log only."""
    log.warning("readiness check failed: %s: %s", type(exc).__name__, exc)
    return type(exc).__name__


async def check_database(db: Database | None) -> dict[str, Any]:
    """``SELECT 1`` on a pooled connection (the one reads use)."""
    if db is None:
        return {"ok": False, "error": "not opened"}

    def select_one() -> None:
        with db.read() as session:
            session.execute(text("SELECT 1")).scalar_one()

    try:
        await asyncio.wait_for(run_in_threadpool(select_one), CHECK_SECONDS)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {CHECK_SECONDS:g} s"}
    except Exception as exc:  # whatever the driver raised: say it
        return {"ok": False, "error": _error(exc)}
    return {"ok": True}


class RedisProbe:
    """A client of its own for ``PING`` (short timeouts; the hub's connection is busy
    carrying subscriptions), made on first use on the serving loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Redis | None = None

    async def check(self) -> dict[str, Any]:
        if self._client is None:
            self._client = Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
        try:
            await asyncio.wait_for(self._client.ping(), CHECK_SECONDS)
        except TimeoutError:
            return {"ok": False, "error": f"no answer within {CHECK_SECONDS:g} s"}
        except Exception as exc:  # connection refused, authentication, ...: say it
            return {"ok": False, "error": _error(exc)}
        return {"ok": True}

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
