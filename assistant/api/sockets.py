"""What every WebSocket of the service does the same way: who may open one, how a frame
is read, and closing when the sign-in runs out.

* **Origin** (before accept): a browser's handshake carries ``Origin``; it must be the
  service's own (``public_url``, else the ``Host`` the request names) or an origin of an
  enabled portal.  ``Origin: null`` and every other origin are refused with HTTP 403, so
  a page on another site cannot open a socket with whatever the browser holds.  Clients
  that send no ``Origin`` (not browsers: tests, eval, integrations) are not concerned.
* **Sign-in** (before accept): ``?ticket=`` (single use, from ``POST /api/ws-ticket``,
  :mod:`assistant.ws_tickets`) or ``Authorization: Bearer``.  An access token in the
  URL is not accepted.  Refused: close 1008 before accept (HTTP 403 on the handshake).
* **Frames**: text only; a binary frame gets the ``unsupported_frame`` error event and
  the socket stays usable.
* **Expiry**: at the access token's expiry the server sends the ``token_expired`` error
  event and closes with 4401; the pages then sign in again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from assistant.api.deps import caller_for_user, signed_in
from assistant.api.runtime import Runtime
from assistant.auth import AuthError
from assistant.dialogue.types import Caller
from assistant.portals.registry import normalize_origin, same_host

log = logging.getLogger(__name__)

CLOSE_TOKEN_EXPIRED = 4401  # application range: "sign in again"
CLOSE_POLICY = 1008


@dataclass(frozen=True, slots=True)
class SocketSignIn:
    caller: Caller
    expires_at: datetime  # the access token's expiry (aware, UTC)


def _bearer(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def origin_allowed(rt: Runtime, websocket: WebSocket) -> bool:
    """Whether the handshake's ``Origin`` may open a staff or chat socket."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: it holds no one else's sign-in
    try:
        normal = normalize_origin(origin)
    except ValueError:  # "null" (sandboxed frames, file: pages) and garbage
        return False
    public = rt.settings.public_url
    if public:
        try:
            if normal == normalize_origin(public):
                return True
        except ValueError:
            log.warning("public_url is not an origin; browser sockets are checked against portals only")
    elif same_host(origin, websocket.headers.get("host")):
        return True
    portals = rt.portals
    return portals is not None and any(p.enabled and normal in p.allowed_origins for p in portals.registry)


async def sign_in_socket(rt: Runtime, websocket: WebSocket) -> SocketSignIn | None:
    """Who opens this socket, or None after refusing it (1008 before accept)."""
    if not origin_allowed(rt, websocket):
        log.warning("WebSocket refused: origin not allowed")
        await websocket.close(code=CLOSE_POLICY)
        return None
    ticket = websocket.query_params.get("ticket")
    try:
        if ticket is not None:
            if rt.tickets is None:
                raise AuthError("not started")
            tickets = rt.tickets
            claims = await run_in_threadpool(tickets.redeem, ticket)
            caller = await run_in_threadpool(caller_for_user, rt, claims.user_id, claims.portal)
            return SocketSignIn(caller=caller, expires_at=claims.token_expires_at)
        token = _bearer(websocket.headers.get("authorization", ""))
        caller, token_claims = await run_in_threadpool(signed_in, rt, token)
        return SocketSignIn(caller=caller, expires_at=token_claims.expires_at)
    except AuthError:
        await websocket.close(code=CLOSE_POLICY)
        return None


async def receive_text(websocket: WebSocket) -> str | None:
    """The next text frame; None for a binary frame; WebSocketDisconnect when closed."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    return text if isinstance(text, str) else None


@asynccontextmanager
async def closed_at_expiry(
    websocket: WebSocket, expires_at: datetime, send_error: Callable[[str], Awaitable[None]]
) -> AsyncIterator[None]:
    """While inside, the socket is closed (``token_expired`` event, then 4401) when the
    access token it was opened with expires."""

    async def watch() -> None:
        delay = (expires_at - datetime.now(UTC)).total_seconds()
        await asyncio.sleep(max(0.0, delay))
        with suppress(RuntimeError, OSError):  # already closing
            await send_error("token_expired")
            await websocket.close(code=CLOSE_TOKEN_EXPIRED)

    task = asyncio.create_task(watch())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
