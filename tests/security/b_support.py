"""Shared helpers of the ``test_b_*`` security tests: a live server (tests/api/conftest.py's
LiveServer, settings overridable per test), REST calls and one place that opens a chat socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.api.conftest import LiveServer, bearer, free_port, make_server_settings


def start_live(tmp_path: Path, **overrides: object) -> LiveServer:
    srv = LiveServer(make_server_settings(tmp_path, **overrides), free_port())
    srv.start()
    return srv


@pytest.fixture
def live_b(tmp_path: Path) -> Iterator[LiveServer]:
    srv = start_live(tmp_path)
    yield srv
    srv.stop()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_conversation(live: LiveServer, token: str) -> str:
    return str(httpx.post(f"{live.http}/api/conversations", headers=auth(token)).json()["id"])


def ws_connect(live: LiveServer, token: str, conversation_id: str | None = None) -> Any:
    """The one place these tests open /ws/chat: a non-browser client, signed in by its
    access token in the handshake's Authorization header."""
    query = f"?conversation_id={conversation_id}" if conversation_id else ""
    return connect(live.ws + query, max_size=2**22, additional_headers=bearer(token))


async def recv(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def recv_until(ws: ClientConnection, *kinds: str, timeout: float = 10) -> list[dict[str, Any]]:
    seen = []
    while True:
        event = await recv(ws, timeout)
        seen.append(event)
        if event["type"] in kinds:
            return seen


def add_user(live: LiveServer, username: str, password: str, *, role: str = "sales", partner: str = "P-1") -> None:
    from assistant.auth import hash_password
    from assistant.storage.models import User

    assert live.runtime.db is not None
    with live.runtime.db.write() as s:
        s.add(
            User(
                id=f"u-{username}",
                username=username,
                display_name=username,
                password_hash=hash_password(password),
                partner_id=partner,
                role=role,
            )
        )
