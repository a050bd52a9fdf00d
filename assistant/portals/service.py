"""The widget sign-in: a portal's signed identity token in, an ordinary access token out.

``exchange`` verifies the token (signature with the portal's own secret, expiry with
a small clock skew, a lifetime no longer than allowed), consumes its nonce exactly
once (a row in ``portal_nonces``; a replay hits the primary key), and maps the user
to a partner: the user must exist, be active, belong to the partner the token names,
and that partner must be one the portal serves.  The access token it returns is the
same kind staff get from ``/api/auth/token`` plus a ``portal`` claim, so the WebSocket
handshake can require an Origin that portal allows.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from assistant.auth import TokenService
from assistant.portals.errors import IdentityTokenInvalidError, IdentityTokenReplayedError, WidgetUserRejectedError
from assistant.portals.registry import Portal, PortalRegistry, load_portals, same_host
from assistant.portals.tables import PortalNonce
from assistant.portals.tokens import peek_portal, verify_identity
from assistant.settings import Settings
from assistant.storage.db import Database
from assistant.storage.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WidgetSessionGrant:
    access_token: str
    expires_in: int  # seconds
    portal_id: str
    user_id: str
    partner_id: str
    display_name: str


def _naive_utc(unix: float) -> datetime:
    return datetime.fromtimestamp(unix, UTC).replace(tzinfo=None)


class WidgetService:
    def __init__(
        self,
        *,
        db: Database,
        registry: PortalRegistry,
        tokens: TokenService,
        skew_seconds: int = 30,
        max_lifetime_seconds: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.registry = registry
        self.tokens = tokens
        self.skew_seconds = skew_seconds
        self.max_lifetime_seconds = max_lifetime_seconds
        self._clock = clock

    def portal(self, portal_id: str) -> Portal:
        """An enabled portal (PortalNotFoundError otherwise)."""
        return self.registry.get(portal_id)

    def _secret(self, portal_id: str) -> str:
        secret = self.registry.get(portal_id).secret
        assert secret is not None  # get() returns enabled portals only
        return secret

    def exchange(self, *, portal_id: str, identity_token: str) -> WidgetSessionGrant:
        self.registry.get(portal_id)  # an unknown portal is 404 whatever the token says
        if peek_portal(identity_token) != portal_id:
            raise IdentityTokenInvalidError("token signed for another portal")
        now = self._clock()
        claims = verify_identity(
            identity_token,
            secret_for=self._secret,
            now=now,
            skew_seconds=self.skew_seconds,
            max_lifetime_seconds=self.max_lifetime_seconds,
        )
        portal = self.registry.get(claims.portal)
        self._consume_nonce(portal.id, claims.nonce, keep_until=claims.expires_at + self.skew_seconds, now=now)
        with self.db.read() as s:
            user = s.scalars(select(User).where(User.username == claims.user)).first()
            if user is None or not user.active or user.partner_id != claims.partner:
                # No username in the log: it comes from the token and may be anyone's name.
                log.info("widget sign-in refused: portal=%s partner=%s (user not there)", portal.id, claims.partner)
                raise WidgetUserRejectedError("user unknown, inactive or not in that partner")
            if user.partner_id not in portal.partners:
                log.info("widget sign-in refused: portal=%s does not serve partner=%s", portal.id, user.partner_id)
                raise WidgetUserRejectedError("partner not served by this portal")
            user_id, partner_id, role, name = user.id, user.partner_id, user.role, user.display_name
        access, _ = self.tokens.issue(user_id=user_id, partner_id=partner_id, role=role, portal=portal.id)
        log.info("widget session: portal=%s user=%s partner=%s", portal.id, user_id, partner_id)
        return WidgetSessionGrant(
            access_token=access,
            expires_in=int(self.tokens.ttl.total_seconds()),
            portal_id=portal.id,
            user_id=user_id,
            partner_id=partner_id,
            display_name=name,
        )

    def _consume_nonce(self, portal_id: str, nonce: str, *, keep_until: float, now: float) -> None:
        try:
            with self.db.write() as s:
                s.execute(delete(PortalNonce).where(PortalNonce.expires_at < _naive_utc(now)))
                s.add(PortalNonce(portal_id=portal_id, nonce=nonce, expires_at=_naive_utc(keep_until)))
        except IntegrityError as exc:
            log.warning("identity token replayed: portal=%s", portal_id)
            raise IdentityTokenReplayedError("nonce already used") from exc

    def ws_origin_allowed(self, *, portal_id: str | None, origin: str | None, host: str | None) -> bool:
        """For a widget session (``portal_id``: the token's portal claim), the WebSocket's
        Origin must be the service itself (the widget page) or one of the portal's
        allowed origins.  Staff sessions (no portal) pass."""
        if portal_id is None:
            return True
        portal = self.registry.find(portal_id)
        if portal is None or not portal.enabled or not origin:
            return False
        return portal.allows_origin(origin) or same_host(origin, host)


def build_widget_service(*, settings: Settings, db: Database, secret: str) -> WidgetService:
    """The widget service from ``settings.portals_file``; secrets are resolved from the
    environment variables the file names (the one place this feature reads them).
    Widget access tokens are signed with the service's token secret like staff tokens."""
    tokens = TokenService(secret, ttl=timedelta(minutes=settings.token_ttl_minutes))
    registry = load_portals(settings.portals_file, environ=os.environ, demo_mode=settings.demo)
    log.info("portals loaded: %s", ", ".join(p.id for p in registry if p.enabled) or "none")
    return WidgetService(
        db=db,
        registry=registry,
        tokens=tokens,
        skew_seconds=settings.widget_clock_skew_seconds,
        max_lifetime_seconds=settings.widget_token_max_lifetime_seconds,
    )
