"""Dependencies for route handlers: the runtime and the verified caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.runtime import Runtime
from assistant.auth import AuthError, InvalidTokenError
from assistant.dialogue.types import Caller
from assistant.storage.models import User

_bearer = HTTPBearer(auto_error=False)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def caller_from_token(runtime: Runtime, token: str | None) -> Caller:
    """The caller a token names, if the token verifies and the user is still active.
    Identity comes only from here, never from ids in a request."""
    if not token:
        raise AuthError("missing token")
    assert runtime.tokens is not None and runtime.db is not None
    claims = runtime.tokens.verify(token)
    with runtime.db.read() as s:
        user = s.get(User, claims.user_id)
        if user is None or not user.active:
            raise InvalidTokenError("user no longer active")
        # The partner comes from the database, so moving a user takes effect at once.
        return Caller(
            user_id=user.id,
            partner_id=user.partner_id,
            display_name=user.display_name,
            role=user.role,
            portal=claims.portal,
        )


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def get_caller(runtime: RuntimeDep, credentials: BearerDep) -> Caller:
    return caller_from_token(runtime, credentials.credentials if credentials else None)


CallerDep = Annotated[Caller, Depends(get_caller)]
