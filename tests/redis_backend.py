"""The machine's Redis for the tests of several instances (127.0.0.1:6379;
``ASSISTANT_TEST_REDIS`` to point elsewhere).  Each test gets its own key prefix, so runs
sharing one Redis never see each other's channels or counters; its keys are deleted
afterwards.  Where no server answers, the test is skipped and says why."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pytest
import redis

REDIS_URL = os.environ.get("ASSISTANT_TEST_REDIS", "redis://127.0.0.1:6379/0")


@cache
def redis_unavailable(url: str = REDIS_URL) -> str | None:
    """Why the Redis tests cannot run here (None: they can).  Asked once per session."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"no Redis answers at {url} ({exc})"
    finally:
        client.close()
    return None


def skip_without_redis() -> None:
    reason = redis_unavailable()
    if reason is not None:
        pytest.skip(reason)


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own on the test Redis; its keys are deleted on exit."""
    skip_without_redis()
    prefix = f"assistant-test-{secrets.token_hex(6)}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
