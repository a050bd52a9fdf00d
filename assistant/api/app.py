"""FastAPI application: HTTP routes and the ``/ws/chat`` WebSocket.

Handlers only translate between transport and the domain services built in
:mod:`assistant.api.runtime`; domain errors become a stable ``code`` plus a
zh-CN message, never a stack trace.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI, Query, Request, Response, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketDisconnect, WebSocketState

from assistant.api import events as ev
from assistant.api.deps import CallerDep, RuntimeDep, SignInDep, request_language
from assistant.api.middleware import RequestIdMiddleware
from assistant.api.readiness import RedisProbe, check_database
from assistant.api.routers import feature_routers
from assistant.api.routes_handoff import STILL_UPLOAD_PATH, relay_rtc
from assistant.api.routes_web import widget_origin_refused
from assistant.api.runtime import Runtime
from assistant.api.sockets import closed_at_expiry, receive_text, sign_in_socket
from assistant.api.throttle import (
    BodyLimitMiddleware,
    RateLimitedError,
    ThrottleMiddleware,
    client_ip,
    connection_key,
    refusal,
)
from assistant.chat import history as chat_history
from assistant.chat.service import StoredEvent
from assistant.dialogue.types import Caller
from assistant.errors import AssistantError
from assistant.i18n import Language, error_message, language_of
from assistant.logs import bind_context
from assistant.settings import Settings

log = logging.getLogger(__name__)

STATUS_BY_CODE: dict[str, int] = {
    "invalid_credentials": 401,
    "invalid_token": 401,
    "unauthorized": 401,
    "conversation_not_found": 404,
    "invalid_conversation_query": 422,
    "seen_seq_out_of_range": 422,
    "feedback_target_not_found": 404,
    "not_found": 404,
    "message_too_long": 413,
    "empty_message": 422,
    "empty_query": 422,
    "invalid_profile": 422,
    "validation_error": 422,
    "not_ready": 503,
    "partner_not_found": 404,
    "quarter_not_found": 404,
    "invalid_quarter": 404,
    "partner_required": 422,
    "invalid_amount": 422,
    "invalid_order": 422,
    "duplicate_order": 409,
    "quarter_closed": 422,
    "partner_inactive": 422,
    "order_not_found": 404,
    "forbidden": 403,
    "invalid_network_change": 409,
    "alliance_size": 409,
    "handoff_not_found": 404,
    "expert_only": 403,
    "handoff_already_taken": 409,
    "handoff_invalid_state": 409,
    "expert_at_capacity": 409,
    "transfer_target_invalid": 422,
    "handoff_invalid_input": 422,
    "timezone_invalid": 422,
    "join_code_invalid": 404,
    "join_code_used": 409,
    "join_code_expired": 410,
    "portal_not_found": 404,
    "identity_token_invalid": 401,
    "identity_token_expired": 401,
    "identity_token_replayed": 401,
    "widget_user_rejected": 403,
    "origin_not_allowed": 403,
    "document_not_found": 404,
    "rate_limited": 429,
    "sign_in_locked": 429,
    "sign_in_busy": 503,
    "body_too_large": 413,
    "content_not_found": 404,
    "content_kind_unknown": 404,
    "review_not_found": 404,
    "content_invalid": 422,
    "import_refused": 422,
    "content_conflict": 409,
    "content_state": 409,
    "task_not_found": 404,
    "assignment_not_found": 404,
    "invalid_task": 422,
    "invalid_breakdown": 422,
    "quantity_sum_mismatch": 422,
    "invalid_progress": 422,
    "progress_conflict": 409,
    "task_rules_invalid": 503,
    "alert_not_found": 404,
    "alert_invalid_transition": 409,
    "alert_note_required": 422,
    "alert_note_too_long": 422,
    "quarter_not_started": 404,
    "profile_rules_invalid": 503,
    "lesson_not_found": 404,
    "invalid_lesson_filter": 422,
    "quiz_attempt_not_found": 404,
    "quiz_attempt_finished": 409,
    "quiz_attempt_expired": 410,
    "invalid_quiz_answers": 422,
    "training_data_invalid": 503,
    "practice_bad_request": 422,
    "practice_unknown_product": 422,
    "practice_unknown_industry": 422,
    "practice_unknown_persona": 422,
    "practice_unknown_competitor": 422,
    "practice_not_found": 404,
    "practice_turn_invalid": 422,
    "practice_turn_not_next": 409,
    "practice_turn_answered": 409,
    "practice_finished": 409,
    "practice_nothing_answered": 409,
    "practice_scenario_changed": 410,
    "practice_data_invalid": 503,
    "mentoring_session_not_found": 404,
    "mentoring_session_full": 409,
    "mentoring_session_started": 409,
    "mentoring_session_not_started": 409,
    "mentoring_host_signup": 409,
    "mentoring_not_mentor": 403,
    "mentoring_host_not_mentor": 422,
    "mentoring_mentor_not_found": 404,
    "mentoring_not_candidate": 409,
    "mentoring_invalid_session": 422,
    "mentoring_invalid_record": 422,
    "mentoring_not_signed_up": 422,
    "mentoring_data_invalid": 503,
    "customer_not_found": 404,
    "customer_invalid": 422,
    "customer_name_taken": 409,
    "sandbox_unknown_product": 422,
    "sandbox_invalid_decision": 422,
    "sandbox_scenario_not_found": 404,
    "sandbox_scenario_changed": 410,
    "sandbox_data_invalid": 503,
    "rtc_invalid": 422,
    "rtc_not_allowed": 403,
    "still_too_large": 413,
    "still_type_invalid": 415,
    "still_not_found": 404,
}


def _error(
    code: str,
    status: int | None = None,
    *,
    retry_after: int | None = None,
    item: int | None = None,
    field: str | None = None,
    language: Language = "zh",
) -> JSONResponse:
    status = status or STATUS_BY_CODE.get(code, 400)
    if retry_after is not None:  # 429 and 503: when to try again
        return refusal(code, status, retry_after)
    # ``item``/``field`` only where a refusal names an item of a batch (orders); the message
    # is the code's fixed text, so nothing of another partner ever reaches the body.
    body = ev.ErrorResponse(code=code, message=error_message(code, language), item=item, field=field)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def _batch_item(exc: RequestValidationError) -> tuple[int | None, str | None]:
    """The first item and field at fault of an ``{"orders": [...]}`` body, when that is what
    failed (``loc`` ``("body", "orders", 3, "amount")``); otherwise nothing."""
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if len(loc) >= 3 and loc[:2] == ("body", "orders") and isinstance(loc[2], int):
            field = loc[3] if len(loc) >= 4 and isinstance(loc[3], str) and len(loc[3]) <= 64 else None
            return loc[2], field
    return None, None


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = runtime or Runtime(settings)
    redis_probe = RedisProbe(settings.redis_url) if settings.redis_url else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(rt.start_storage)
        rt.start_loading()  # index and model load in the background; /readyz says when
        yield
        await rt.hub.close()
        await rt.expert_hub.close()
        if redis_probe is not None:
            await redis_probe.close()
        rt.close()

    app = FastAPI(
        title="Channel support assistant",
        version="0.1.0",
        lifespan=lifespan,
        description="Grounded answers, sales scripts, case studies, rebates and expert handoff for channel sales.",
    )
    app.state.runtime = rt
    rt.metrics.bind(rt)
    # Added inner to outer: a request gets its id, then meets the rate limits, then the body
    # limit, before any route runs.
    # Stills (POST /api/handoff/sessions/{id}/stills) are read by their route, up to 1.5 MB.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, own_limit=STILL_UPLOAD_PATH)
    app.add_middleware(ThrottleMiddleware, runtime=rt)
    app.add_middleware(RequestIdMiddleware)  # a request id in every log line of a request

    @app.exception_handler(AssistantError)
    async def _domain_error(request: Request, exc: AssistantError) -> JSONResponse:
        rt.metrics.error(exc.code)
        item, field = getattr(exc, "item", None), getattr(exc, "field", None)
        return _error(
            exc.code,
            retry_after=getattr(exc, "retry_after", None),
            item=item if isinstance(item, int) else None,
            # A refusal that names the caller's own input (``public_field``, the sandbox's
            # decisions) shows the field without an item.
            field=field
            if isinstance(field, str) and (isinstance(item, int) or getattr(exc, "public_field", False) is True)
            else None,
            language=request_language(request),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        rt.metrics.error("validation_error")
        item, field = _batch_item(exc)
        language = request_language(request)
        return _error("validation_error", 422, item=item, field=field, language=language)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 404: "not_found", 405: "not_found", 413: "body_too_large"}.get(
            exc.status_code, "validation_error"
        )
        rt.metrics.error(code)
        # 400 is FastAPI's "error parsing the body" (e.g. an integer past int's digit limit):
        # a body that does not validate, like any other (422).
        language = request_language(request)
        return _error(code, 422 if exc.status_code == 400 else exc.status_code, language=language)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        rt.metrics.error("internal")
        return _error("internal", 500)

    # -- health ---------------------------------------------------------------------

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str | bool]:
        """``demo`` is true when the service runs in demo mode (demo users and portal)."""
        return {"status": "ok", "demo": rt.settings.demo}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        """200 when every dependency answers: ``checks`` says, for ``database`` (``SELECT 1``),
        ``redis`` (``PING``, when ``redis_url`` is set) and ``engine`` (index and model
        loaded), ``ok`` and, if not, the ``error``; 503 lists the ones that failed in
        ``failed``."""
        engine: dict[str, Any] = {"ok": rt.ready}
        if not rt.ready:
            engine["error"] = rt.load_error or "still loading"
        checks: dict[str, dict[str, Any]] = {"database": await check_database(rt.db)}
        if redis_probe is not None:
            checks["redis"] = await redis_probe.check()
        checks["engine"] = engine
        failed = [name for name, check in checks.items() if not check["ok"]]
        body: dict[str, Any] = {"ready": not failed, "checks": checks}
        if rt.ready:
            manifest = rt.retriever_manifest()
            body.update(index=manifest.get("build_id"), model=manifest.get("model"), counts=manifest.get("counts"))
        elif rt.load_error:
            body["error"] = rt.load_error
        if failed:
            body["failed"] = failed
        return JSONResponse(body, status_code=503 if failed else 200)

    # -- auth -----------------------------------------------------------------------

    @app.post("/api/auth/token", response_model=ev.TokenResponse, tags=["auth"])
    async def token(body: ev.TokenRequest, request: Request, runtime: RuntimeDep) -> ev.TokenResponse:
        """429 ``rate_limited`` / ``sign_in_locked`` (after failed attempts, in growing tiers)
        and 503 ``sign_in_busy`` come with ``Retry-After`` (assistant/api/throttle.py)."""
        access, ttl = await runtime.throttle.sign_in(
            username=body.username,
            ip=client_ip(request.scope),
            check=lambda: runtime.sign_in(body.username, body.password),
        )
        return ev.TokenResponse(access_token=access, expires_in=ttl)

    @app.post("/api/ws-ticket", response_model=ev.WsTicketResponse, tags=["auth"])
    async def ws_ticket(signed: SignInDep, runtime: RuntimeDep) -> JSONResponse:
        """A single-use ticket to open a WebSocket with (``/ws/chat?ticket=``,
        ``/ws/expert?ticket=``) instead of putting the access token in the URL.  It lives
        ``ws_ticket_ttl_seconds``; the socket it opens closes when the token expires.  ``ready``
        is false while the service still loads: the page waits instead of meeting a refusal."""
        caller, claims = signed
        assert runtime.tickets is not None
        tickets = runtime.tickets
        ticket, ttl = await run_in_threadpool(
            lambda: tickets.issue(user_id=caller.user_id, portal=claims.portal, token_expires_at=claims.expires_at)
        )
        body = ev.WsTicketResponse(ticket=ticket, expires_in=ttl, ready=runtime.ready)
        return JSONResponse(body.model_dump(), headers={"Cache-Control": "no-store"})

    @app.get("/api/me", response_model=ev.Me, tags=["auth"])
    async def me(caller: CallerDep, runtime: RuntimeDep) -> ev.Me:
        return ev.Me(
            user_id=caller.user_id,
            username=runtime.username(caller.user_id),
            display_name=caller.display_name,
            partner_id=caller.partner_id,
            role=caller.role,
        )

    # -- conversations (REST mirror of the WebSocket protocol) -------------------------

    @app.post("/api/conversations", response_model=ev.ConversationCreated, status_code=201, tags=["chat"])
    async def create_conversation(caller: CallerDep, runtime: RuntimeDep) -> ev.ConversationCreated:
        chat = runtime.require_chat()
        return ev.ConversationCreated(id=await run_in_threadpool(lambda: chat.create_conversation(caller=caller)))

    @app.get("/api/conversations", response_model=list[ev.ConversationSummary], tags=["chat"])
    async def list_conversations(
        *,
        caller: CallerDep,
        runtime: RuntimeDep,
        response: Response,
        q: str = Query("", max_length=chat_history.MAX_QUERY_CHARS),
        offset: int = Query(0, ge=0, le=1_000_000),
        limit: int = Query(20, ge=1, le=chat_history.MAX_PAGE),
        customer_id: str | None = Query(None, min_length=1, max_length=36),
    ) -> list[ev.ConversationSummary]:
        """The caller's conversations that have events, newest activity first; ``q`` searches
        titles and texts (case-insensitive), ``offset``/``limit`` page (1..50), ``customer_id``
        keeps those bound to that customer.  The number of matches over all pages is in the
        ``X-Total-Count`` header; the body stays a list."""
        db = runtime.require_chat().db
        query = chat_history.ConversationQuery(q=q, offset=offset, limit=limit, customer_id=customer_id)
        page = await run_in_threadpool(lambda: chat_history.list_page(db, caller=caller, query=query))
        response.headers["X-Total-Count"] = str(page.total)
        return [ev.ConversationSummary.of(c) for c in page.items]

    @app.post("/api/conversations/{conversation_id}/seen", response_model=ev.SeenResponse, tags=["chat"])
    async def conversation_seen(
        conversation_id: str, body: ev.SeenRequest, caller: CallerDep, runtime: RuntimeDep
    ) -> ev.SeenResponse:
        """The page showed this conversation up to ``seq`` (at most its ``last_seq``, else 422
        ``seen_seq_out_of_range``): the list stops counting those events as unread."""
        db = runtime.require_chat().db
        mark = await run_in_threadpool(
            lambda: chat_history.mark_seen(db, caller=caller, conversation_id=conversation_id, seq=body.seq)
        )
        return ev.SeenResponse(conversation_id=conversation_id, last_seen_seq=mark)

    @app.get("/api/conversations/{conversation_id}/events", response_model=ev.HistoryResponse, tags=["chat"])
    async def history(
        conversation_id: str, caller: CallerDep, runtime: RuntimeDep, after_seq: int = Query(0, ge=0, le=ev.MAX_SEQ)
    ) -> ev.HistoryResponse:
        chat = runtime.require_chat()
        stored = await run_in_threadpool(
            lambda: chat.events_after(caller=caller, conversation_id=conversation_id, after_seq=after_seq)
        )
        return ev.HistoryResponse(conversation_id=conversation_id, events=[ev.event_out(e) for e in stored])

    @app.post("/api/conversations/{conversation_id}/messages", response_model=ev.TurnResponse, tags=["chat"])
    async def post_message(
        conversation_id: str, body: ev.MessageRequest, caller: CallerDep, runtime: RuntimeDep
    ) -> ev.TurnResponse:
        chat = runtime.require_chat()
        started = time.perf_counter()
        result = await runtime.in_turn_lane(
            lambda: chat.post_message(
                caller=caller,
                conversation_id=conversation_id,
                client_msg_id=body.client_msg_id,
                text=body.text,
                profile_patch=body.profile,
            )
        )
        by_type = {e.type: e for e in result.events}
        if not result.duplicate:
            _observe_turn(runtime, result.events, started)
            # The conversation's open sockets (the chat page on another device) see the turn.
            for item in (result.message, *result.events):
                await runtime.hub.publish(conversation_id, ev.event_out(item))
        ack = ev.AckOut(**{**ev.event_out(result.message), "duplicate": result.duplicate})
        reply = ev.ReplyOut(**ev.event_out(by_type["reply"])) if "reply" in by_type else None
        profile = ev.ProfileOut(**ev.event_out(by_type["profile"])) if "profile" in by_type else None
        return ev.TurnResponse(ack=ack, reply=reply, profile=profile)

    @app.post("/api/conversations/{conversation_id}/feedback", status_code=204, tags=["chat"])
    async def feedback(conversation_id: str, body: ev.FeedbackRequest, caller: CallerDep, runtime: RuntimeDep) -> None:
        chat = runtime.require_chat()
        await run_in_threadpool(
            lambda: chat.add_feedback(
                caller=caller,
                conversation_id=conversation_id,
                message_seq=body.message_seq,
                rating=body.rating,
                comment=body.comment,
            )
        )

    @app.get("/api/conversations/{conversation_id}/profile", tags=["chat"])
    async def get_profile(conversation_id: str, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
        chat = runtime.require_chat()
        return await run_in_threadpool(lambda: chat.get_profile(caller=caller, conversation_id=conversation_id))

    @app.patch("/api/conversations/{conversation_id}/profile", tags=["chat"])
    async def patch_profile(
        conversation_id: str, body: dict[str, Any], caller: CallerDep, runtime: RuntimeDep
    ) -> dict[str, Any]:
        chat = runtime.require_chat()
        profile = await run_in_threadpool(
            lambda: chat.patch_profile(caller=caller, conversation_id=conversation_id, patch=body)
        )
        # The conversation's other devices learn the correction from this event.
        event = await run_in_threadpool(lambda: chat.announce_profile(caller=caller, conversation_id=conversation_id))
        if event is not None:
            await runtime.hub.publish(conversation_id, ev.event_out(event))
        return profile

    for router in feature_routers():
        app.include_router(router)

    # -- WebSocket ------------------------------------------------------------------

    @app.websocket("/ws/chat")
    async def chat_ws(websocket: WebSocket, conversation_id: str | None = None) -> None:
        """Signed in by ``?ticket=`` (``POST /api/ws-ticket``) or the ``Authorization``
        header, from the service's own origin or a portal's (:mod:`assistant.api.sockets`);
        refused with 1008 before accept when the origin, ticket or token is refused or
        the conversation is not the caller's; 1013 while the service is still loading."""
        signed = await sign_in_socket(rt, websocket)
        if signed is None:
            return
        # The page's language (?lang=en): replies and errors in it; a message may switch it.
        caller = replace(signed.caller, language=language_of(websocket.query_params.get("lang")))
        if widget_origin_refused(rt, websocket, caller):  # widget sessions: the portal's origins only
            await websocket.close(code=1008)
            return
        if not rt.ready:
            await websocket.close(code=1013)
            return
        chat = rt.require_chat()
        try:
            if conversation_id:
                await run_in_threadpool(lambda: chat.ensure_access(caller=caller, conversation_id=conversation_id))
                cid = conversation_id
            else:
                cid = await run_in_threadpool(lambda: chat.create_conversation(caller=caller))
            last = await run_in_threadpool(lambda: chat.events_after(caller=caller, conversation_id=cid, after_seq=0))
        except AssistantError:
            await websocket.close(code=1008)
            return
        bind_context(conversation_id=cid)
        await websocket.accept()
        await websocket.send_json(ev.ReadyOut(conversation_id=cid, last_seq=last[-1].seq if last else 0).model_dump())
        await rt.hub.join(cid, websocket)
        try:
            async with closed_at_expiry(websocket, signed.expires_at, lambda code: _send_error(websocket, code)):
                while True:
                    frame = await receive_text(websocket)
                    if frame is None:
                        await _send_error(websocket, "unsupported_frame")
                        continue
                    await _handle_frame(websocket, rt, caller, cid, frame)
        except WebSocketDisconnect:
            return
        except RuntimeError:  # sending on a socket the server is closing (shutdown, expiry)
            if websocket.application_state != WebSocketState.DISCONNECTED:
                raise
        finally:
            await rt.hub.leave(cid, websocket)

    return app


async def _send_error(
    websocket: WebSocket, code: str, client_msg_id: str | None = None, *, retry_after: int | None = None
) -> None:
    runtime: Runtime = websocket.app.state.runtime
    runtime.metrics.error(code)
    language = language_of(websocket.query_params.get("lang"))
    event = ev.ErrorOut(
        code=code, message=error_message(code, language), client_msg_id=client_msg_id, retry_after=retry_after
    )
    await websocket.send_json(event.model_dump(exclude={"retry_after"} if retry_after is None else None))


async def _refuse(websocket: WebSocket, rt: Runtime, exc: RateLimitedError, client_msg_id: str | None) -> None:
    """A throttled frame: an ``error`` event; a socket that keeps sending while refused is
    closed with 1008 (policy violation)."""
    if await rt.throttle.still_tolerated(connection_key(websocket.scope)):
        await _send_error(websocket, exc.code, client_msg_id, retry_after=exc.retry_after)
        return
    log.warning("chat socket closed: it kept sending while throttled (%s)", exc.rule)
    await websocket.close(code=1008)
    raise WebSocketDisconnect(1008)


def _observe_turn(rt: Runtime, events: tuple[StoredEvent, ...], started: float) -> None:
    reply = next((e for e in events if e.type == "reply"), None)
    intent = str(reply.payload.get("intent", "unknown")) if reply is not None else "relayed"
    rt.metrics.turn(intent, time.perf_counter() - started)


async def _handle_frame(websocket: WebSocket, rt: Runtime, caller: Caller, cid: str, frame: str) -> None:
    """One client frame.  Bad input gets an ``error`` event; the connection stays usable."""
    chat = rt.require_chat()
    try:
        data: Any = json.loads(frame)
        parsed = True
    except (ValueError, RecursionError):  # JSONDecodeError, or an integer past int's digit limit
        data, parsed = None, False
    rtc = isinstance(data, dict) and data.get("type") == "rtc"  # a video-call signal (assistant/handoff/rtc.py)
    try:
        await rt.throttle.frame(connection_key(websocket.scope), rtc=rtc)
    except RateLimitedError as exc:
        await _refuse(websocket, rt, exc, None)
        return
    if not parsed:
        await _send_error(websocket, "invalid_json")
        return
    if rtc:
        refused = await relay_rtc(rt, caller, side="requester", raw=frame, data=data)
        if refused is not None:
            await _send_error(websocket, refused)
        return
    if not isinstance(data, dict) or data.get("type") not in ev.CLIENT_EVENT_TYPES:
        await _send_error(websocket, "unknown_event")
        return
    client_msg_id = data.get("client_msg_id") if isinstance(data.get("client_msg_id"), str) else None
    try:
        event = ev.client_event_adapter.validate_python(data)
    except ValidationError:
        await _send_error(websocket, "invalid_event", client_msg_id)
        return
    try:
        if isinstance(event, ev.MessageIn):
            speaker = replace(caller, language=event.lang) if event.lang else caller
            await _on_message(websocket, rt, speaker, cid, event)
        elif isinstance(event, ev.FeedbackIn):
            await run_in_threadpool(
                lambda: chat.add_feedback(
                    caller=caller,
                    conversation_id=cid,
                    message_seq=event.message_seq,
                    rating=event.rating,
                    comment=event.comment,
                )
            )
            await websocket.send_json(ev.FeedbackSavedOut(message_seq=event.message_seq).model_dump())
        else:
            stored = await run_in_threadpool(
                lambda: chat.events_after(caller=caller, conversation_id=cid, after_seq=event.last_seq)
            )
            for item in stored:
                await websocket.send_json(ev.event_out(item))
    except AssistantError as exc:
        await _send_error(websocket, exc.code, client_msg_id)
    except WebSocketDisconnect:
        raise
    except Exception as exc:  # a bug in a turn: a stable code, the socket stays; a stored message stays pending
        if isinstance(exc, RuntimeError) and websocket.application_state == WebSocketState.DISCONNECTED:
            raise  # sending on a socket that is gone: the connection's loop ends it
        log.exception("unhandled error in a socket event")
        await _send_error(websocket, "internal", client_msg_id)


async def _on_message(websocket: WebSocket, rt: Runtime, caller: Caller, cid: str, event: ev.MessageIn) -> None:
    chat = rt.require_chat()
    try:
        await rt.throttle.message(user_id=caller.user_id, ip=client_ip(websocket.scope))
    except RateLimitedError as exc:
        await _refuse(websocket, rt, exc, event.client_msg_id)
        return
    started = time.perf_counter()
    accepted = await rt.in_turn_lane(
        lambda: chat.accept_message(
            caller=caller,
            conversation_id=cid,
            client_msg_id=event.client_msg_id,
            text=event.text,
            profile_patch=event.profile,
        )
    )
    ack = ev.event_out(accepted.message)
    await websocket.send_json({**ack, "duplicate": accepted.duplicate})
    if not accepted.duplicate:
        # The conversation's other sockets (another device, on any instance) see the turn too.
        await rt.hub.publish(cid, ack, skip=websocket)
        await websocket.send_json(ev.TypingOut(on=True).model_dump())
    # A duplicate may wait for the turn that still holds its message: not on the turn lane,
    # which that turn may need.
    run = run_in_threadpool if accepted.duplicate else rt.in_turn_lane
    answers = await run(lambda: chat.answer(caller=caller, conversation_id=cid, accepted=accepted))
    if not accepted.duplicate:
        await websocket.send_json(ev.TypingOut(on=False).model_dump())
        _observe_turn(rt, answers, started)
    for item in answers:
        out = ev.event_out(item)
        await websocket.send_json(out)
        # (also a resend's: its answer may be computed only now; a socket that has it ignores it)
        await rt.hub.publish(cid, out, skip=websocket)
