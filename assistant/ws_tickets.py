"""Single-use WebSocket sign-in tickets, so no access token is ever put in a URL.

A browser cannot set headers on a WebSocket handshake, and a token in the query string
ends up in access logs, proxies' logs and browser history.  Instead the page, signed in
with its bearer token, asks ``POST /api/ws-ticket`` for a ticket and opens the socket
with ``?ticket=``.  A ticket

* is 256 random bits, of which only the SHA-256 is stored (a database row, so several
  instances of the service share them),
* lives ``ws_ticket_ttl_seconds`` (30 s by default) and is consumed by the first
  handshake that presents it (deleted in the same write transaction that reads it),
* carries what the access token said: the user, the portal of a widget session, and
  when the token expires (the socket is closed then).

Non-browser clients may instead send ``Authorization: Bearer <token>`` on the handshake.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from assistant.auth import InvalidTokenError
from assistant.storage.db import Database
from assistant.storage.models import WsTicket

MAX_TICKET_CHARS = 128


@dataclass(frozen=True, slots=True)
class TicketClaims:
    user_id: str
    portal: str | None
    token_expires_at: datetime  # aware, UTC


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8")).hexdigest()


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


class SocketTickets:
    def __init__(self, db: Database, *, ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def issue(self, *, user_id: str, portal: str | None, token_expires_at: datetime) -> tuple[str, int]:
        """A new ticket and its lifetime in seconds (never past the token's own expiry)."""
        now = self._now()
        expires = min(now + timedelta(seconds=self.ttl_seconds), token_expires_at)
        ticket = secrets.token_urlsafe(32)
        with self.db.write() as s:
            s.execute(delete(WsTicket).where(WsTicket.expires_at < _naive(now)))
            s.add(
                WsTicket(
                    ticket_hash=_digest(ticket),
                    user_id=user_id,
                    portal=portal,
                    token_expires_at=_naive(token_expires_at),
                    expires_at=_naive(expires),
                )
            )
        return ticket, max(0, int((expires - now).total_seconds()))

    def redeem(self, ticket: str) -> TicketClaims:
        """Consume a ticket: InvalidTokenError if unknown, used or expired."""
        if not ticket or len(ticket) > MAX_TICKET_CHARS:
            raise InvalidTokenError("invalid ticket")
        now = _naive(self._now())
        with self.db.write() as s:
            row = s.get(WsTicket, _digest(ticket))
            if row is None:
                raise InvalidTokenError("unknown or used ticket")
            s.delete(row)
            claims = TicketClaims(
                user_id=row.user_id,
                portal=row.portal,
                token_expires_at=row.token_expires_at.replace(tzinfo=UTC),
            )
            expired = row.expires_at < now or row.token_expires_at <= now
        if expired:
            raise InvalidTokenError("ticket expired")
        return claims
