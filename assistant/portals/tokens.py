"""The widget identity token: what a partner portal's server signs for its signed-in user.

Format (version ``v1``)::

    v1.<payload>.<signature>

* ``payload``: base64url (no padding) of a JSON object
  ``{"portal": str, "user": str, "partner": str, "exp": int, "nonce": str}``;
  ``user`` is the user's assistant username, ``partner`` the channel node id the user
  belongs to, ``exp`` a Unix time in seconds, ``nonce`` 16-128 random URL-safe characters.
* ``signature``: base64url (no padding) of HMAC-SHA256, keyed with the portal's own
  secret, over the ASCII bytes of ``"v1." + payload``.

The service checks, in this order: shape, the portal (its secret), the signature
(constant-time), the expiry (with a small clock skew) and a lifetime no longer than
allowed; the caller then consumes the nonce once.  docs/embedding.md shows the same
signing code for a portal's server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from assistant.portals.errors import IdentityTokenExpiredError, IdentityTokenInvalidError

VERSION = "v1"
MAX_TOKEN_CHARS = 4096
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
_FIELD_MAX = 128


@dataclass(frozen=True, slots=True)
class IdentityClaims:
    portal: str
    user: str  # the assistant username
    partner: str  # the channel node id
    expires_at: int  # Unix seconds
    nonce: str


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, signing_input: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256).digest()


def sign_identity(
    *, secret: str, portal: str, user: str, partner: str, expires_at: int, nonce: str | None = None
) -> str:
    """A signed identity token (what a portal's server does; used by the demo portal and tests)."""
    payload = {
        "portal": portal,
        "user": user,
        "partner": partner,
        "exp": int(expires_at),
        "nonce": nonce or secrets.token_urlsafe(16),
    }
    body = _b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signing_input = f"{VERSION}.{body}"
    return f"{signing_input}.{_b64encode(_signature(secret, signing_input))}"


def _claims(payload: object) -> IdentityClaims:
    if not isinstance(payload, dict):
        raise IdentityTokenInvalidError("payload is not an object")
    texts = {}
    for key in ("portal", "user", "partner", "nonce"):
        value = payload.get(key)
        if not isinstance(value, str) or not value or len(value) > _FIELD_MAX:
            raise IdentityTokenInvalidError(f"field {key!r} missing or not a short string")
        texts[key] = value
    exp = payload.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int):
        raise IdentityTokenInvalidError("field 'exp' must be an integer")
    if not _NONCE.match(texts["nonce"]):
        raise IdentityTokenInvalidError("nonce must be 16-128 URL-safe characters")
    return IdentityClaims(
        portal=texts["portal"], user=texts["user"], partner=texts["partner"], expires_at=exp, nonce=texts["nonce"]
    )


def peek_portal(token: str) -> str:
    """The portal a token names, before its signature is checked (to find the secret)."""
    return _parse(token)[2].portal


def _parse(token: str) -> tuple[str, bytes, IdentityClaims]:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        raise IdentityTokenInvalidError("token missing or too long")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise IdentityTokenInvalidError("not a v1 identity token")
    try:
        payload = json.loads(_b64decode(parts[1]).decode("utf-8"))
        signature = _b64decode(parts[2])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise IdentityTokenInvalidError("token is not valid base64url JSON") from exc
    return f"{parts[0]}.{parts[1]}", signature, _claims(payload)


def verify_identity(
    token: str,
    *,
    secret_for: Callable[[str], str],
    now: float,
    skew_seconds: int,
    max_lifetime_seconds: int,
) -> IdentityClaims:
    """The verified claims.  ``secret_for(portal_id)`` returns the portal's secret or raises
    PortalNotFoundError.  The nonce is *not* consumed here (the caller stores it)."""
    signing_input, signature, claims = _parse(token)
    secret = secret_for(claims.portal)
    if not hmac.compare_digest(signature, _signature(secret, signing_input)):
        raise IdentityTokenInvalidError("bad signature")
    if now > claims.expires_at + skew_seconds:
        raise IdentityTokenExpiredError("identity token expired")
    if claims.expires_at - now > max_lifetime_seconds + skew_seconds:
        raise IdentityTokenInvalidError(f"identity token lives longer than {max_lifetime_seconds} s")
    return claims
