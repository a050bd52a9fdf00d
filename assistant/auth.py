"""Staff sign-in: argon2 password hashes and short-lived signed access tokens.

A token carries the user id, partner id and role, signed with HS256 and an
expiry; a token issued to an embedded widget also names its portal (``portal``).
Identity is always taken from a verified token, never from ids the client puts in
a request body.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from assistant.errors import AssistantError

_HASHER = PasswordHasher()
# Demo users' password is public (demo mode, README), so their hashes use light parameters:
# seeding the demo network costs 79 x a few ms instead of 79 x 120 ms, with a salt per user
# all the same.  Verification reads the parameters from the hash itself.
_DEMO_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
# A real hash to verify against when the user does not exist, so a wrong username
# and a wrong password take the same time.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
ALGORITHM = "HS256"


class AuthError(AssistantError):
    code = "unauthorized"


class InvalidCredentialsError(AuthError):
    code = "invalid_credentials"


class InvalidTokenError(AuthError):
    code = "invalid_token"


def hash_password(password: str, *, demo: bool = False) -> str:
    """An argon2id hash with its own random salt (``demo``: light parameters, for the
    public demo password only)."""
    return (_DEMO_HASHER if demo else _HASHER).hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: str
    partner_id: str
    role: str
    expires_at: datetime
    portal: str | None = None  # the embedding portal of a widget session; None for staff sign-ins


class TokenService:
    def __init__(self, secret: str, *, ttl: timedelta) -> None:
        if len(secret) < 32:
            raise ValueError("token secret must be at least 32 characters")
        self._secret = secret
        self.ttl = ttl

    def issue(
        self, *, user_id: str, partner_id: str, role: str, portal: str | None = None, now: datetime | None = None
    ) -> tuple[str, datetime]:
        issued = now or datetime.now(UTC)
        expires = issued + self.ttl
        claims: dict[str, object] = {
            "sub": user_id,
            "partner": partner_id,
            "role": role,
            "iat": issued,
            "exp": expires,
            "typ": "access",
        }
        if portal is not None:
            claims["portal"] = portal
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires

    def verify(self, token: str) -> TokenClaims:
        try:
            data = jwt.decode(token, self._secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "iat"]})
        except jwt.ExpiredSignatureError as exc:
            raise InvalidTokenError("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("invalid token") from exc
        portal = data.get("portal")
        if data.get("typ") != "access" or not isinstance(data.get("partner"), str):
            raise InvalidTokenError("invalid token")
        if portal is not None and not isinstance(portal, str):
            raise InvalidTokenError("invalid token")
        return TokenClaims(
            user_id=str(data["sub"]),
            partner_id=str(data["partner"]),
            role=str(data.get("role", "sales")),
            expires_at=datetime.fromtimestamp(int(data["exp"]), UTC),
            portal=portal,
        )


def load_or_create_secret(path: Path) -> str:
    """The signing secret kept in a 0600 file, created on first start, so tokens
    survive a restart without a secret in the repository.  The file is created with
    mode 0600 (never readable by others, not even for an instant); an existing file
    readable by others is narrowed to 0600."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret)
    tmp.replace(path)
    return secret
