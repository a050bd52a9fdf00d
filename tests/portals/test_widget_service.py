"""The widget sign-in against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from assistant.auth import TokenService
from assistant.portals.errors import (
    IdentityTokenExpiredError,
    IdentityTokenInvalidError,
    IdentityTokenReplayedError,
    PortalNotFoundError,
    WidgetUserRejectedError,
)
from assistant.portals.registry import Portal, PortalRegistry
from assistant.portals.service import WidgetService
from assistant.portals.tables import PortalNonce
from assistant.portals.tokens import sign_identity
from assistant.storage.db import Database, migrate
from assistant.storage.models import User

SECRET = "p" * 40
NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(database_url: str, clock: Clock) -> WidgetService:
    url = database_url
    migrate(url)
    db = Database(url)
    with db.write() as s:
        for name, partner, active in (("alice", "P-1", True), ("bob", "P-2", True), ("gone", "P-1", False)):
            s.add(
                User(
                    id=f"u-{name}",
                    username=name,
                    display_name=name,
                    password_hash="x",
                    partner_id=partner,
                    role="sales",
                    active=active,
                )
            )
    registry = PortalRegistry(
        [
            Portal(
                id="acme",
                name="ACME",
                allowed_origins=("https://portal.acme.example",),
                partners=("P-1",),
                secret=SECRET,
            ),
            Portal(id="off", name="off", allowed_origins=("https://off.example",), partners=("P-1",), secret=None),
            Portal(
                id="beta", name="beta", allowed_origins=("https://beta.example",), partners=("P-1",), secret="b" * 40
            ),
        ]
    )
    tokens = TokenService("t" * 40, ttl=timedelta(minutes=30))
    return WidgetService(
        db=db, registry=registry, tokens=tokens, skew_seconds=30, max_lifetime_seconds=300, clock=clock
    )


def identity(
    user: str = "alice", partner: str = "P-1", *, exp: float = NOW + 60, portal: str = "acme", nonce: str | None = None
) -> str:
    return sign_identity(secret=SECRET, portal=portal, user=user, partner=partner, expires_at=int(exp), nonce=nonce)


def test_exchange_maps_the_user_and_issues_an_access_token(service: WidgetService) -> None:
    grant = service.exchange(portal_id="acme", identity_token=identity())
    claims = service.tokens.verify(grant.access_token)
    assert (claims.user_id, claims.partner_id) == ("u-alice", "P-1")
    assert (grant.portal_id, grant.expires_in) == ("acme", 1800)
    assert claims.portal == "acme"  # a widget session, signed as such
    staff, _ = service.tokens.issue(user_id="u-alice", partner_id="P-1", role="sales")
    assert service.tokens.verify(staff).portal is None
    assert staff != grant.access_token


def test_a_token_is_accepted_once(service: WidgetService) -> None:
    token = identity()
    service.exchange(portal_id="acme", identity_token=token)
    with pytest.raises(IdentityTokenReplayedError):
        service.exchange(portal_id="acme", identity_token=token)


def test_expired_tokens_and_used_nonces_are_pruned_together(service: WidgetService, clock: Clock) -> None:
    token = identity(exp=NOW + 10, nonce="a" * 20)
    service.exchange(portal_id="acme", identity_token=token)
    clock.now = NOW + 10 + 31
    with pytest.raises(IdentityTokenExpiredError):
        service.exchange(portal_id="acme", identity_token=token)
    service.exchange(portal_id="acme", identity_token=identity(exp=clock.now + 60))  # prunes old nonces
    with service.db.read() as s:
        nonces = {row.nonce for row in s.query(PortalNonce)}
    assert "a" * 20 not in nonces and len(nonces) == 1


@pytest.mark.parametrize(
    ("user", "partner", "error"),
    [
        ("alice", "P-2", WidgetUserRejectedError),  # not the user's partner
        ("bob", "P-2", WidgetUserRejectedError),  # a partner this portal does not serve
        ("gone", "P-1", WidgetUserRejectedError),  # inactive
        ("nobody", "P-1", WidgetUserRejectedError),  # unknown
    ],
)
def test_users_must_exist_and_belong_to_a_partner_the_portal_serves(
    service: WidgetService, user: str, partner: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        service.exchange(portal_id="acme", identity_token=identity(user, partner))


def test_portal_mismatches_and_disabled_portals_are_refused(service: WidgetService) -> None:
    with pytest.raises(PortalNotFoundError):
        service.exchange(portal_id="off", identity_token=identity(portal="off"))
    with pytest.raises(PortalNotFoundError):
        service.exchange(portal_id="nope", identity_token=identity())
    with pytest.raises(IdentityTokenInvalidError):  # signed for acme, presented as another portal
        service.exchange(portal_id="beta", identity_token=identity())


def test_websocket_origin_rule_for_widget_sessions(service: WidgetService) -> None:
    grant = service.exchange(portal_id="acme", identity_token=identity())
    allowed = service.ws_origin_allowed
    portal = service.tokens.verify(grant.access_token).portal
    assert allowed(portal_id=portal, origin="https://portal.acme.example", host="svc.example")
    assert allowed(portal_id=portal, origin="https://svc.example", host="svc.example")  # the widget page
    assert not allowed(portal_id=portal, origin="https://evil.example", host="svc.example")
    assert not allowed(portal_id=portal, origin=None, host="svc.example")
    assert not allowed(portal_id="off", origin="https://portal.acme.example", host="svc.example")  # disabled
    assert allowed(portal_id=None, origin="https://evil.example", host="svc.example")  # a staff session


def test_a_widget_token_differs_from_a_staff_token_of_the_same_second_by_its_portal(
    tmp_path: Path, database_url: str
) -> None:
    from datetime import UTC, datetime

    from assistant.portals.service import build_widget_service
    from assistant.settings import Settings

    secret = "k" * 40
    settings = Settings(portals_file=tmp_path / "none.yaml", token_ttl_minutes=60)
    url = database_url
    migrate(url)
    widget = build_widget_service(settings=settings, db=Database(url), secret=secret)
    staff = TokenService(secret, ttl=timedelta(minutes=60))
    now = datetime.now(UTC).replace(microsecond=0)
    ours, _ = widget.tokens.issue(user_id="u-alice", partner_id="P-1", role="sales", portal="acme", now=now)
    theirs, _ = staff.issue(user_id="u-alice", partner_id="P-1", role="sales", now=now)
    assert ours != theirs
    assert staff.verify(ours).user_id == "u-alice"  # an ordinary access token for everything else
    assert (staff.verify(ours).portal, staff.verify(theirs).portal) == ("acme", None)
