"""Findings 2, 5 and 7 on the sockets: no access token in a URL (single-use tickets),
a socket closes when its token expires, binary frames get an error event instead of a
dropped connection, and a browser on another site cannot open a staff socket."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from assistant.auth import InvalidTokenError
from assistant.storage.models import WsTicket
from assistant.ws_tickets import SocketTickets
from tests.api.conftest import bearer
from tests.security.conftest import PORTAL_ORIGIN, Instance

pytestmark = pytest.mark.slow


async def recv(ws: object, timeout: float = 10) -> dict[str, object]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout)))  # type: ignore[attr-defined]


async def refused(url: str, **kw: object) -> int:
    """The handshake's HTTP status when refused, else 101."""
    try:
        async with connect(url, **kw):  # type: ignore[arg-type]
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


# -- finding 2: tokens out of URLs -----------------------------------------------------------


def test_an_access_token_in_the_url_is_not_accepted(operator: Instance) -> None:
    token = operator.token()
    ws = operator.server.ws
    assert asyncio.run(refused(f"{ws}?token={token}")) == 403
    assert asyncio.run(refused(ws.replace("/ws/chat", "/ws/expert") + f"?token={operator.token('exp_eg')}")) == 403


def test_a_ticket_opens_one_socket_once_and_is_stored_only_hashed(operator: Instance) -> None:
    server = operator.server
    ticket = server.ticket(operator.token())

    async def scenario() -> None:
        async with connect(f"{server.ws}?ticket={ticket}") as ws:
            assert (await recv(ws))["type"] == "ready"
        assert await refused(f"{server.ws}?ticket={ticket}") == 403  # single use
        assert await refused(f"{server.ws}?ticket=made-up-ticket") == 403

    asyncio.run(scenario())
    r = httpx.post(f"{server.http}/api/ws-ticket")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    other = server.ticket(operator.token())
    assert server.runtime.db is not None
    with server.runtime.db.read() as s:
        stored = [row.ticket_hash for row in s.scalars(select(WsTicket))]
    assert stored and other not in stored and all(len(h) == 64 for h in stored)


def test_a_ticket_expires_within_seconds(operator: Instance) -> None:
    assert operator.server.runtime.db is not None
    now = [1_000_000.0]
    tickets = SocketTickets(operator.server.runtime.db, ttl_seconds=30, clock=lambda: now[0])
    far = datetime.now(UTC) + timedelta(hours=1)
    ticket, ttl = tickets.issue(user_id="u-alice", portal=None, token_expires_at=far)
    assert ttl == 30
    now[0] += 31
    with pytest.raises(InvalidTokenError):
        tickets.redeem(ticket)


def test_a_socket_closes_when_its_token_expires(operator: Instance) -> None:
    runtime = operator.server.runtime
    assert runtime.tokens is not None
    tokens = runtime.tokens

    def expiring_soon(user_id: str, role: str) -> str:  # a token issued almost a whole lifetime ago
        issued = datetime.now(UTC) - tokens.ttl + timedelta(seconds=3)
        return tokens.issue(user_id=user_id, partner_id="P-1", role=role, now=issued)[0]

    server = operator.server

    async def scenario(url: str) -> tuple[list[dict[str, object]], int | None]:
        async with connect(url) as ws:
            events = [await recv(ws)]
            try:
                while True:
                    events.append(await recv(ws, timeout=15))
            except ConnectionClosed as exc:
                return events, exc.rcvd.code if exc.rcvd else None

    events, code = asyncio.run(scenario(server.socket_url(expiring_soon("u-alice", "sales"))))
    assert events[0]["type"] == "ready" and events[-1]["code"] == "token_expired" and code == 4401
    events, code = asyncio.run(scenario(server.socket_url(expiring_soon("u-exp_eg", "expert"), "/ws/expert")))
    assert events[0]["type"] == "ready" and events[-1]["code"] == "token_expired" and code == 4401


# -- finding 5: binary frames -------------------------------------------------------------------


def test_a_binary_frame_gets_an_error_event_and_the_socket_stays_usable(operator: Instance) -> None:
    server = operator.server

    async def scenario() -> None:
        async with connect(server.socket_url(operator.token())) as ws:
            await recv(ws)  # ready
            await ws.send(b"\x00\x01binary")
            error = await recv(ws)
            assert error["type"] == "error" and error["code"] == "unsupported_frame" and error["message"]
            await ws.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "你好"}))
            assert (await recv(ws))["type"] == "ack"
        async with connect(server.socket_url(operator.token("exp_eg"), "/ws/expert")) as ex:
            assert (await recv(ex))["type"] == "ready"
            await ex.send(b"\xff" * 10)
            error = await recv(ex)
            assert error["type"] == "error" and error["code"] == "unsupported_frame"
            await ex.send(json.dumps({"type": "ping", "request_id": "p"}))
            assert (await recv(ex))["type"] == "pong"

    asyncio.run(scenario())


# -- finding 7: cross-site WebSocket ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ws/chat", "/ws/expert"])
def test_staff_sockets_refuse_foreign_and_null_origins(operator: Instance, path: str) -> None:
    server = operator.server
    user = "exp_eg" if path == "/ws/expert" else "alice"
    token = operator.token(user)
    url = f"ws://127.0.0.1:{server.port}{path}"

    async def status(origin: str | None) -> int:
        return await refused(url, origin=origin, additional_headers=bearer(token))

    assert asyncio.run(status("http://evil.example")) == 403
    assert asyncio.run(status("null")) == 403
    assert asyncio.run(status(f"http://localhost:{server.port}")) == 403  # another origin of the same machine
    assert asyncio.run(status(server.http)) == 101  # the service's own pages
    assert asyncio.run(status(PORTAL_ORIGIN)) == 101  # a configured portal
    assert asyncio.run(status(None)) == 101  # not a browser (tests, eval, integrations)
    # A ticket does not get around it either.
    assert asyncio.run(refused(server.socket_url(token, path), origin="http://evil.example")) == 403  # type: ignore[arg-type]
