"""Identity tokens: signing, verification, and the docs' signing snippet."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from assistant.portals.errors import IdentityTokenExpiredError, IdentityTokenInvalidError, PortalNotFoundError
from assistant.portals.tokens import peek_portal, sign_identity, verify_identity

SECRET = "s" * 40
NOW = 1_800_000_000


def secrets_of(portal: str) -> str:
    if portal != "acme":
        raise PortalNotFoundError(portal)
    return SECRET


def verify(token: str, now: float = NOW, **kw: Any) -> Any:
    return verify_identity(
        token, secret_for=secrets_of, now=now, skew_seconds=kw.get("skew", 30), max_lifetime_seconds=300
    )


def token(**kw: Any) -> str:
    args: dict[str, Any] = {
        "secret": SECRET,
        "portal": "acme",
        "user": "alice",
        "partner": "P-1",
        "expires_at": NOW + 120,
        "nonce": "n" * 22,
    }
    args.update(kw)
    return sign_identity(**args)


def test_a_signed_token_verifies_to_its_claims() -> None:
    claims = verify(token())
    assert (claims.portal, claims.user, claims.partner, claims.expires_at) == ("acme", "alice", "P-1", NOW + 120)
    assert claims.nonce == "n" * 22
    assert peek_portal(token()) == "acme"


def test_every_signed_field_is_covered_by_the_signature() -> None:
    good = token()
    head, payload, sig = good.split(".")
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for field, value in (("user", "bob"), ("partner", "P-2"), ("exp", NOW + 200), ("nonce", "m" * 22)):
        forged = dict(data, **{field: value})
        body = base64.urlsafe_b64encode(json.dumps(forged, separators=(",", ":")).encode()).rstrip(b"=").decode()
        with pytest.raises(IdentityTokenInvalidError):
            verify(f"{head}.{body}.{sig}")
    with pytest.raises(IdentityTokenInvalidError):
        verify(token(secret="x" * 40))  # another portal's (or a guessed) secret


def test_expiry_allows_a_small_clock_skew_only() -> None:
    verify(token(expires_at=NOW - 20))  # 20 s late: within the 30 s skew
    with pytest.raises(IdentityTokenExpiredError):
        verify(token(expires_at=NOW - 31))
    with pytest.raises(IdentityTokenInvalidError):  # a lifetime longer than allowed is refused
        verify(token(expires_at=NOW + 3600))


@pytest.mark.parametrize(
    "bad",
    ["", "v1.abc", "v2.e30.AAAA", "v1.!!!.AAAA", "v1.e30.AAAA", "v1." + "A" * 5000 + ".x", "v1.bnVsbA.AAAA"],
)
def test_malformed_tokens_are_invalid(bad: str) -> None:
    with pytest.raises(IdentityTokenInvalidError):
        verify(bad)


def test_short_or_odd_nonces_and_unknown_portals_are_refused() -> None:
    with pytest.raises(IdentityTokenInvalidError):
        verify(token(nonce="short"))
    with pytest.raises(IdentityTokenInvalidError):
        verify(token(nonce="has space in it 1234567"))
    with pytest.raises(PortalNotFoundError):
        verify(token(portal="unknown"))


def test_the_documented_python_snippet_signs_tokens_the_service_accepts() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "embedding.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    [snippet] = [b for b in blocks if "def widget_identity_token" in b]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "docs/embedding.md", "exec"), namespace)
    made = namespace["widget_identity_token"](portal_id="acme", secret=SECRET, username="alice", partner_id="P-1")
    import time

    claims = verify(made, now=time.time())
    assert (claims.portal, claims.user, claims.partner) == ("acme", "alice", "P-1")
    assert (
        verify(made, now=time.time()).nonce
        != verify(
            namespace["widget_identity_token"](portal_id="acme", secret=SECRET, username="alice", partner_id="P-1"),
            now=time.time(),
        ).nonce
    )
