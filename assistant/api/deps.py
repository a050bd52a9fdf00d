"""Dependencies for route handlers: the runtime and the verified caller."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.runtime import Runtime
from assistant.auth import AuthError, InvalidTokenError, TokenClaims
from assistant.dialogue.types import Caller
from assistant.i18n import Language, language_of
from assistant.storage.models import User

_bearer = HTTPBearer(auto_error=False)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def caller_for_user(runtime: Runtime, user_id: str, portal: str | None) -> Caller:
    """The caller for a verified user id, if the user is still active."""
    assert runtime.db is not None
    with runtime.db.read() as s:
        user = s.get(User, user_id)
        if user is None or not user.active:
            raise InvalidTokenError("user no longer active")
        # The partner comes from the database, so moving a user takes effect at once.
        return Caller(
            user_id=user.id,
            partner_id=user.partner_id,
            display_name=user.display_name,
            role=user.role,
            portal=portal,
        )


def signed_in(runtime: Runtime, token: str | None) -> tuple[Caller, TokenClaims]:
    """The caller a token names and the token's claims (its expiry, its portal)."""
    if not token:
        raise AuthError("missing token")
    assert runtime.tokens is not None
    claims = runtime.tokens.verify(token)
    return caller_for_user(runtime, claims.user_id, claims.portal), claims


def caller_from_token(runtime: Runtime, token: str | None) -> Caller:
    """The caller a token names, if the token verifies and the user is still active.
    Identity comes only from here, never from ids in a request."""
    return signed_in(runtime, token)[0]


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def request_language(request: Request) -> Language:
    """The language a request asks for (``Accept-Language``): its answers and errors use it."""
    return language_of(request.headers.get("accept-language"))


def get_caller(request: Request, runtime: RuntimeDep, credentials: BearerDep) -> Caller:
    """The verified caller, reading the language the client asks for (``Accept-Language``)."""
    caller = caller_from_token(runtime, credentials.credentials if credentials else None)
    return replace(caller, language=request_language(request))


CallerDep = Annotated[Caller, Depends(get_caller)]


def get_sign_in(runtime: RuntimeDep, credentials: BearerDep) -> tuple[Caller, TokenClaims]:
    return signed_in(runtime, credentials.credentials if credentials else None)


SignInDep = Annotated[tuple[Caller, TokenClaims], Depends(get_sign_in)]
