"""``python -m eval load --url A --url B --server-pid ...``: the sessions spread over two
real instances (one PostgreSQL database, one Redis), every turn answered, and the CPU of
the named serving process reported."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection

from eval import load
from eval.load import add_arguments
from tests.api.conftest import LiveServer, free_port, make_server_settings
from tests.redis_backend import REDIS_URL, redis_prefix
from tests.storage_backends import fresh_postgres_database

pytestmark = pytest.mark.slow


def test_sessions_spread_over_two_instances_and_every_turn_is_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connected: list[str] = []
    real_connect = load._connect

    async def recording_connect(url: str, token: str) -> ClientConnection:
        connected.append(url)
        return await real_connect(url, token)

    monkeypatch.setattr(load, "_connect", recording_connect)
    with fresh_postgres_database() as database_url, redis_prefix() as prefix:
        settings = make_server_settings(
            tmp_path, database_url=database_url, redis_url=REDIS_URL, redis_key_prefix=prefix
        )
        a, b = LiveServer(settings, free_port()), LiveServer(settings, free_port())
        a.start()
        try:
            b.start()
            try:
                parser = argparse.ArgumentParser()
                add_arguments(parser)
                args = parser.parse_args(
                    [
                        "--sessions",
                        "4",
                        "--turns",
                        "2",
                        "--username",
                        "alice",
                        "--url",
                        a.http,
                        "--url",
                        b.http,
                        "--server-pid",
                        str(os.getpid()),
                    ]  # both serve in this process here
                )
                result = load._measure(args.url, args, "pw-test-123", server=None)
            finally:
                b.stop()
        finally:
            a.stop()
    assert result["urls"] == [a.http, b.http]
    assert result["errors"] == 0 and result["n_replies"] == 8
    assert result["turns_per_s"] > 0 and result["server_cpu_s"][str(os.getpid())] > 0
    assert sorted(connected) == sorted([a.http, b.http] * 2)  # two sessions on each instance
