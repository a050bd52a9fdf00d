"""Throttling at the edge: rate limits, a cap on concurrent password hashes and a body-size
limit, so one caller cannot take the service's CPU, memory or database from the others.

Rate limits use the `limits` library (sliding-window counters): it is well kept, has the
same limiters over in-memory and Redis storage (``Settings.rate_limit_storage``:
``async+memory://`` counts in this process; with ``redis_url`` set, or an explicit
``async+redis://host:6379/0``, the counters are shared by the instances behind one proxy,
through redis-py's asyncio client under ``redis_key_prefix``), and its asyncio API never
blocks the event loop on Redis.  Limits are settings in its notation (``"15/10 seconds;
90/minute"``: every part must hold).  A refusal is HTTP 429 with ``Retry-After`` and code
``rate_limited`` (``sign_in_locked`` while failed sign-ins lock a name or address); on the
chat WebSocket an ``error`` event ``rate_limited``, and a socket that keeps sending while
refused is closed with 1008.

* Sign-in (in the route, which sees the name and the outcome): attempts per client
  address; failures per user name and per address in growing tiers (5 a minute, 10 in 15
  minutes, 20 an hour by default), so guessing slows down and then stops; a success
  clears the name's failures.  Each argon2 check holds about 64 MiB: at most
  ``max_concurrent_password_hashes`` run at once, the rest wait up to
  ``password_hash_wait_seconds`` and then get 503 ``sign_in_busy``.
* Chat messages: per user and per address, REST and WebSocket counting together; every
  WebSocket frame also counts per connection.
* Widget session exchange: per address.  Other expensive routes (rebate reports, the
  ledger, admin writes, handoff requests, join-code redemption, new conversations):
  per user (per address without a valid token).
* Body size: :class:`BodyLimitMiddleware` counts the bytes as they arrive and answers 413
  ``body_too_large`` as soon as they pass ``max_body_bytes`` (or at once when
  ``Content-Length`` says so), before the rest is read.

The client address is the connection's (``request.client``); behind a reverse proxy,
uvicorn's ``--forwarded-allow-ips`` makes it the proxy's ``X-Forwarded-For``.
"""

from __future__ import annotations

import logging
import math
import re
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import anyio
import anyio.to_thread
from limits import RateLimitItem, parse_many
from limits.aio.strategies import RateLimiter, SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.events import ErrorResponse
from assistant.auth import AuthError
from assistant.errors import AssistantError
from assistant.i18n import error_message

if TYPE_CHECKING:
    from assistant.api.runtime import Runtime
    from assistant.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class RateLimitedError(AssistantError):
    code = "rate_limited"

    def __init__(self, rule: str, retry_after: int) -> None:
        super().__init__(f"{rule}: retry after {retry_after} s")
        self.rule = rule
        self.retry_after = retry_after


class SignInLockedError(RateLimitedError):
    """Too many failed sign-ins for this name or address: locked for ``retry_after`` s."""

    code = "sign_in_locked"


class SignInBusyError(AssistantError):
    """Every password-hash slot stayed busy for ``password_hash_wait_seconds``."""

    code = "sign_in_busy"
    retry_after = 1


def refusal(code: str, status: int, retry_after: int | None = None) -> JSONResponse:
    """The JSON error body every refusal has (``code``, zh-CN ``message``), with ``Retry-After``."""
    body = ErrorResponse(code=code, message=error_message(code), retry_after=retry_after)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


# HTTP routes limited by the middleware: (method, path pattern, rule).  Chat messages count
# per user and per address; the others per user (per address without a valid token).
_ROUTE_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/api/conversations/[^/]+/messages$"), "messages"),
    ("POST", re.compile(r"^/api/widget/session$"), "widget_session"),
    ("POST", re.compile(r"^/api/conversations$"), "expensive"),
    ("GET", re.compile(r"^/api/(rebates|ledger)/"), "expensive"),
    ("POST", re.compile(r"^/api/admin/"), "expensive"),
    ("POST", re.compile(r"^/api/handoff/(request|join-codes/redeem)$"), "expensive"),
    ("GET", re.compile(r"^/api/handoff/(faq-candidates|metrics)$"), "expensive"),
    ("GET", re.compile(r"^/api/feedback/recent$"), "expensive"),
)


class Throttle:
    """The service's rate limits (see the module docstring)."""

    def __init__(self, settings: Settings, *, on_refusal: Callable[[str], None] | None = None) -> None:
        self.enabled = settings.rate_limit_enabled
        self._uri = settings.rate_limit_storage
        # Redis storage: redis-py's asyncio client (limits defaults to coredis, which is not
        # a dependency) and this deployment's key prefix.
        self._storage_options: dict[str, str] = (
            {"implementation": "redispy", "key_prefix": f"{settings.redis_key_prefix}:limits"}
            if self._uri.startswith(("async+redis", "async+rediss"))
            else {}
        )
        self._rules: dict[str, list[RateLimitItem]] = {
            "sign_in_ip": parse_many(settings.rate_limit_sign_in_ip),
            "sign_in_failures_user": parse_many(settings.rate_limit_sign_in_failures_user),
            "sign_in_failures_ip": parse_many(settings.rate_limit_sign_in_failures_ip),
            "messages_user": parse_many(settings.rate_limit_messages_user),
            "messages_ip": parse_many(settings.rate_limit_messages_ip),
            "ws_frames": parse_many(settings.rate_limit_ws_frames),
            "ws_rtc_frames": parse_many(settings.rate_limit_ws_rtc_frames),
            "ws_refusals": parse_many(settings.rate_limit_ws_refusals),
            "widget_session": parse_many(settings.rate_limit_widget_session_ip),
            "expensive": parse_many(settings.rate_limit_expensive),
        }
        self._limiter: RateLimiter | None = None
        self._on_refusal = on_refusal
        self._hash_slots = settings.max_concurrent_password_hashes
        self._hash_wait = settings.password_hash_wait_seconds
        self._hash_limiter: anyio.CapacityLimiter | None = None

    def _get(self) -> RateLimiter:
        if self._limiter is None:  # made on the event loop, on first use
            self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(self._uri, **self._storage_options))
        return self._limiter

    async def hit(self, rule: str, key: str) -> None:
        """Count one request against every limit of ``rule``; raise when one is exceeded."""
        if not self.enabled:
            return
        limiter = self._get()
        for item in self._rules[rule]:
            if not await limiter.hit(item, rule, key):
                raise self._refused(rule, await self._retry_after(item, rule, key), RateLimitedError)

    async def _locked(self, rule: str, key: str) -> None:
        """Raise :class:`SignInLockedError` while any tier of ``rule`` is used up (no hit)."""
        limiter = self._get()
        waits = [
            await self._retry_after(item, rule, key)
            for item in self._rules[rule]
            if not await limiter.test(item, rule, key)
        ]
        if waits:  # the longest tier used up decides (the wait grows with the failures)
            raise self._refused(rule, max(waits), SignInLockedError)

    async def _retry_after(self, item: RateLimitItem, rule: str, key: str) -> int:
        stats = await self._get().get_window_stats(item, rule, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def _refused(self, rule: str, retry_after: int, kind: type[RateLimitedError]) -> RateLimitedError:
        if self._on_refusal is not None:
            self._on_refusal(rule)
        return kind(rule, retry_after)

    # -- sign-in -----------------------------------------------------------------------

    async def sign_in(self, *, username: str, ip: str, check: Callable[[], T]) -> T:
        """Run a password check (``check``, blocking) under the sign-in limits and the hash
        cap.  ``check`` raises :class:`~assistant.auth.AuthError` on wrong credentials."""
        name = username.strip().lower()
        if self.enabled:
            await self._locked("sign_in_failures_user", name)
            await self._locked("sign_in_failures_ip", ip)
            await self.hit("sign_in_ip", ip)
        try:
            result = await self.hashing(check)
        except AuthError:
            if self.enabled:
                limiter = self._get()
                for rule, key in (("sign_in_failures_user", name), ("sign_in_failures_ip", ip)):
                    for item in self._rules[rule]:
                        await limiter.hit(item, rule, key)
            raise
        if self.enabled:
            for item in self._rules["sign_in_failures_user"]:
                await self._get().clear(item, "sign_in_failures_user", name)
        return result

    async def hashing(self, work: Callable[[], T]) -> T:
        """Run ``work`` (a password hash) in a thread once one of the hash slots is free;
        waiting holds no thread.  :class:`SignInBusyError` after the wait."""
        if self._hash_limiter is None:
            self._hash_limiter = anyio.CapacityLimiter(self._hash_slots)
        limiter = self._hash_limiter
        acquired = False
        with anyio.move_on_after(self._hash_wait):  # only the wait times out, never the hash
            await limiter.acquire()
            acquired = True
        if not acquired:
            if self._on_refusal is not None:
                self._on_refusal("password_hash_slots")
            raise SignInBusyError("every password-hash slot is busy")
        try:
            return await anyio.to_thread.run_sync(work)
        finally:
            limiter.release()

    # -- chat --------------------------------------------------------------------------

    async def message(self, *, user_id: str, ip: str) -> None:
        await self.hit("messages_user", user_id)
        await self.hit("messages_ip", ip)

    async def frame(self, connection: str, *, rtc: bool = False) -> None:
        """One frame of a socket; a video-call signal (``rtc``) counts against its own budget."""
        await self.hit("ws_rtc_frames" if rtc else "ws_frames", connection)

    async def still_tolerated(self, connection: str) -> bool:
        """Count a refusal sent on a socket; False once it keeps sending while refused."""
        try:
            await self.hit("ws_refusals", connection)
        except RateLimitedError:
            return False
        return True


def connection_key(scope: Scope) -> str:
    """A key for one WebSocket connection's counters."""
    key = scope.get("assistant.connection")
    if not isinstance(key, str):
        key = scope["assistant.connection"] = uuid.uuid4().hex
    return key


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class ThrottleMiddleware:
    """Rate limits of the HTTP routes in ``_ROUTE_RULES``, checked before the route runs
    (and before its body is read)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        throttle = self.runtime.throttle
        if scope["type"] == "http" and throttle.enabled:
            rule = next((r for m, p, r in _ROUTE_RULES if m == scope["method"] and p.match(scope["path"])), None)
            if rule is not None:
                ip = client_ip(scope)
                try:
                    if rule == "messages":
                        await throttle.message(user_id=self._user(scope) or f"ip:{ip}", ip=ip)
                    elif rule == "widget_session":
                        await throttle.hit(rule, ip)
                    else:
                        await throttle.hit(rule, self._user(scope) or f"ip:{ip}")
                except RateLimitedError as exc:
                    await refusal(exc.code, 429, exc.retry_after)(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _user(self, scope: Scope) -> str | None:
        """The user id a valid bearer token names (the route still checks it fully)."""
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        tokens = self.runtime.tokens
        if scheme.lower() != "bearer" or not token or tokens is None:
            return None
        try:
            return tokens.verify(token.strip()).user_id
        except AuthError:
            return None


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` (an HTTPException, so FastAPI's body parsing passes it on)."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="body_too_large")


class BodyLimitMiddleware:
    """A request body larger than ``max_bytes`` is refused with 413 ``body_too_large``: at
    once when ``Content-Length`` says so, else as soon as the bytes received pass the limit
    (a chunked upload is not read to its end)."""

    def __init__(self, app: ASGIApp, max_bytes: int, own_limit: re.Pattern[str] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.own_limit = own_limit  # paths whose route reads the body within a limit of its own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.own_limit is not None and self.own_limit.fullmatch(scope["path"])):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await refusal("body_too_large", 413)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLargeError:
            if started:
                raise
            await refusal("body_too_large", 413)(scope, receive, send)
