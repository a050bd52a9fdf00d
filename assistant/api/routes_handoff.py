"""Remote-expert handoff over HTTP and WebSocket (translation only; the logic is in
:mod:`assistant.handoff.service`).

Requester (any signed-in user, on their own conversations):

* ``POST /api/handoff/request`` ``{conversation_id, product_model?, serial?, firmware?,
  symptom?, site?, urgency?, customer_timezone?}``: open a handoff (the chat page's button);
  what is still missing is asked in the chat.  Returns the session.  ``customer_timezone``
  is an IANA name ("America/Los_Angeles", at most 64 characters; the page sends the
  browser's): a ticket's callback then also falls in the customer's callable hours and is
  told in their local time too; a name that is no zone is ``timezone_invalid`` (422).
* ``GET /api/handoff/conversations/{conversation_id}``: the conversation's open session or null.
* ``GET /api/handoff/sessions/{id}``, ``POST .../cancel``.
* ``POST /api/handoff/join-codes/redeem`` ``{code}``: the field side joins the AR session.

Expert (role ``expert``): ``GET /api/handoff/queue``, ``GET /api/handoff/experts``,
``GET /api/handoff/sessions/{id}`` (packet and log), ``GET .../events?after_seq=``,
``POST .../accept``, ``.../messages``, ``.../notes``, ``.../join-code``, ``.../transfer``,
``.../resolve``; the console WebSocket ``/ws/expert?ticket=...`` (``POST /api/ws-ticket``);
the console page ``/expert``.

Experts and admins: ``GET /api/handoff/metrics``, ``GET /api/handoff/faq-candidates[?format=yaml]``.

Remote assist (docs/remote-assist.md, :mod:`assistant.handoff.rtc`): ``GET /api/rtc/config``
(signed in: ``{"ice_servers": [...]}``), ``POST /api/handoff/sessions/{id}/stills[?note=]``
(the accepted expert; body: the PNG/JPEG bytes), ``GET /api/handoff/stills/{id}`` (the
requester and the session's experts).  Call signals travel as ``rtc`` frames on ``/ws/chat``
and ``/ws/expert`` (:func:`relay_rtc`).

``/ws/expert`` frames (client -> server), each may carry a ``request_id`` echoed back:
``resume {session_id, last_seq}``, ``message {session_id, client_msg_id, text}``,
``accept {session_id}``, ``note {session_id, text}``, ``join_code {session_id}``,
``transfer {session_id, to, note?}``, ``resolve {session_id, summary, resolved?}``,
``queue``, ``ping``, ``rtc {session_id, signal}`` (relayed; no reply when accepted).
Server -> client: ``ready`` (expert, mine, queue), ``ack``
(``session_id, seq, client_msg_id, duplicate``), ``session_event`` (a session's log
entry: requester and expert messages, notes, status), ``result`` (``action``, ``data``),
``queue`` (mine, queue: pushed when the queue changes), ``assigned``, ``unassigned``,
``closed``, ``pong``, ``rtc`` (``session_id``, ``from``: requester | server, ``signal``),
``error`` (``code``, ``message``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, FastAPI, Query, Request, WebSocket
from fastapi.responses import FileResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState

from assistant.api import events as ev
from assistant.api.deps import CallerDep, RuntimeDep
from assistant.api.events import MAX_SEQ
from assistant.api.runtime import NotReadyError, Runtime
from assistant.api.sockets import closed_at_expiry, receive_text, sign_in_socket
from assistant.chat.service import StoredEvent
from assistant.dialogue.types import Caller
from assistant.errors import AssistantError
from assistant.handoff import rtc
from assistant.handoff.errors import StillTooLargeError, StillTypeInvalidError
from assistant.handoff.metrics import Metrics
from assistant.handoff.outbox import Delivery, QueueChanged, ToConversation, ToConversationLive, ToExpert
from assistant.handoff.service import HandoffService, iso, view_json
from assistant.handoff.types import ExpertInfo, FaqCandidate, SessionDetail, SessionView, SlotValues
from assistant.i18n import error_message
from assistant.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

CONSOLE_DIR = PROJECT_ROOT / "web" / "expert"
_STATIC_NAME = re.compile(r"^[a-z0-9_-]{1,64}\.(js|css)$")
_MEDIA = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
# The console renders every server string with textContent; the policy is a second wall.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


# -- bodies and responses ----------------------------------------------------------------


# Field types shared by the REST bodies and the expert WebSocket frames.
_SessionId = Annotated[str, Field(min_length=1, max_length=64)]
_Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HandoffRequestBody(_Body):
    conversation_id: str = Field(min_length=1, max_length=64)
    product_model: str = Field(default="", max_length=64)
    serial: str = Field(default="", max_length=64)
    firmware: str = Field(default="", max_length=32)
    symptom: str = Field(default="", max_length=500)
    site: str = Field(default="", max_length=200)
    urgency: Literal["high", "normal", "low", ""] = ""
    customer_timezone: str = Field(default="", max_length=64, description="IANA zone; empty: not known")


class ExpertMessageBody(_Body):
    client_msg_id: str = Field(min_length=1, max_length=64)
    text: _Text


class NoteBody(_Body):
    text: _Text


class TransferBody(_Body):
    to: str = Field(min_length=1, max_length=64, description="the other expert's username")
    note: str = Field(default="", max_length=4000)


class ResolveBody(_Body):
    summary: str = Field(min_length=1, max_length=2000)
    resolved: bool = True


class RedeemBody(_Body):
    code: str = Field(min_length=4, max_length=32)


class SlotsOut(BaseModel):
    product_model: str
    product_line: str
    serial: str
    firmware: str
    symptom: str
    site: str
    urgency: str


class SessionOut(BaseModel):
    id: str
    conversation_id: str
    state: str
    slots: SlotsOut
    requester_name: str
    partner_id: str
    missing: list[str]
    asking: str | None
    position: int | None
    estimate_minutes: int | None
    expert_id: str | None
    expert_name: str
    ticket_id: str
    ticket_reason: str
    callback_by: str | None
    resolution: str
    resolved: bool | None
    created_at: str | None
    queued_at: str | None
    assigned_at: str | None
    closed_at: str | None
    waiting_seconds: float | None


class SessionEventOut(BaseModel):
    type: Literal["session_event"] = "session_event"
    session_id: str
    seq: int
    kind: str
    sender: str
    author: str
    text: str
    created_at: str | None
    client_msg_id: str | None
    data: dict[str, Any]


class SessionDetailOut(BaseModel):
    session: SessionOut
    packet: dict[str, Any] | None = None  # experts only
    events: list[SessionEventOut] | None = None  # experts only (notes included)


class QueueOut(BaseModel):
    mine: list[SessionOut]
    queue: list[SessionOut]


class ExpertOut(BaseModel):
    user_id: str
    username: str
    display_name: str
    skills: list[str]
    capacity: int
    active: int
    online: bool


class JoinCodeOut(BaseModel):
    session_id: str
    code: str
    link: str
    expires_at: str


class RedeemOut(BaseModel):
    session_id: str
    conversation_id: str
    expert_name: str
    product_model: str


class AckOut(BaseModel):
    event: SessionEventOut
    duplicate: bool


class RtcConfigOut(BaseModel):
    ice_servers: list[dict[str, Any]]


class StillOut(BaseModel):
    still_id: str
    session_id: str
    url: str
    note: str


# Its route reads the body itself, within rtc.MAX_STILL_BYTES (not the general max_body_bytes).
STILL_UPLOAD_PATH = re.compile(r"/api/handoff/sessions/[^/]{1,64}/stills")
_STILL_BODY = {mime: {"schema": {"type": "string", "format": "binary"}} for mime in rtc.STILL_MAGIC}
_STILL_HEADERS = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The request body, refused with ``still_too_large`` as soon as it passes ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise StillTooLargeError(f"a still is at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise StillTooLargeError(f"a still is at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def relay_rtc(rt: Runtime, caller: Caller, *, side: rtc.Side, raw: str, data: object) -> str | None:
    """One ``rtc`` frame of either socket: checked, then relayed to the other party's sockets
    (the expert hub by expert id, the conversation hub by conversation id: through Redis
    when several instances share it).  Returns the refusal's code, or None when relayed."""
    if len(raw) > rtc.MAX_FRAME_BYTES or len(raw.encode("utf-8")) > rtc.MAX_FRAME_BYTES:
        return "rtc_invalid"
    try:
        frame = ev.rtc_in_adapter.validate_python(data)
    except ValidationError:
        return "rtc_invalid"
    if rt.handoff is None:
        return "not_ready"
    service = rt.handoff
    try:
        route = await run_in_threadpool(
            lambda: service.rtc_route(caller=caller, session_id=frame.session_id, side=side, kind=frame.signal.kind)
        )
    except AssistantError as exc:
        return exc.code
    event = rtc.rtc_event(frame.session_id, side, frame.signal.model_dump(exclude_none=True))
    if side == "requester":
        await rt.expert_hub.publish(route.expert_id, event)
    else:
        await rt.hub.publish(route.conversation_id, event)
    return None


def _session(view: SessionView) -> SessionOut:
    return SessionOut.model_validate(view_json(view))


def _detail(detail: SessionDetail) -> SessionDetailOut:
    return SessionDetailOut(
        session=_session(detail.session),
        packet=detail.packet,
        events=[
            SessionEventOut.model_validate(
                {**asdict(e), "type": "session_event", "created_at": iso(e.created_at), "data": e.data}
            )
            for e in detail.events
        ],
    )


def _expert(e: ExpertInfo) -> ExpertOut:
    return ExpertOut(
        user_id=e.user_id,
        username=e.username,
        display_name=e.display_name,
        skills=list(e.skills),
        capacity=e.capacity,
        active=e.active,
        online=e.online,
    )


def _queue(mine: list[SessionView], waiting: list[SessionView]) -> QueueOut:
    return QueueOut(mine=[_session(v) for v in mine], queue=[_session(v) for v in waiting])


def faq_yaml(candidates: list[FaqCandidate]) -> str:
    """Candidates in the corpus FAQ layout, with a ``review`` block the editor removes."""
    entries = [
        {
            "id": c.id,
            "category": c.category,
            "question": c.question,
            "answer": c.answer,
            "products": list(c.products),
            "product_line": c.product_line,
            "review": {
                "source_session": c.session_id,
                "expert": c.expert,
                "resolved_at": iso(c.resolved_at),
                "call_log": list(c.call_log),
                "stills": [dict(x) for x in c.stills],
            },
        }
        for c in candidates
    ]
    header = "# 候选 FAQ（来自远程专家的解决总结），需编辑审核后才能加入 corpus/faq/；不会自动加入知识库。\n"
    return header + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)


def chat_event_json(event: StoredEvent) -> dict[str, Any]:
    """A handoff chat event as ``/ws/chat`` sends it (same shape as resume)."""
    return {**event.payload, "type": event.type, "seq": event.seq}


def _service(runtime: Runtime) -> HandoffService:
    if runtime.handoff is None:
        raise NotReadyError("still loading")
    return runtime.handoff


# -- expert WebSocket frames ----------------------------------------------------------------


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: str | None = Field(default=None, max_length=64)


class ResumeFrame(_Frame):
    type: Literal["resume"]
    session_id: _SessionId
    last_seq: int = Field(ge=0, le=MAX_SEQ)


class MessageFrame(_Frame):
    type: Literal["message"]
    session_id: _SessionId
    client_msg_id: str = Field(min_length=1, max_length=64)
    text: _Text


class AcceptFrame(_Frame):
    type: Literal["accept"]
    session_id: _SessionId


class NoteFrame(_Frame):
    type: Literal["note"]
    session_id: _SessionId
    text: _Text


class JoinCodeFrame(_Frame):
    type: Literal["join_code"]
    session_id: _SessionId


class TransferFrame(_Frame):
    type: Literal["transfer"]
    session_id: _SessionId
    to: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=4000)


class ResolveFrame(_Frame):
    type: Literal["resolve"]
    session_id: _SessionId
    summary: str = Field(min_length=1, max_length=2000)
    resolved: bool = True


class QueueFrame(_Frame):
    type: Literal["queue"]


class PingFrame(_Frame):
    type: Literal["ping"]


ExpertFrame = Annotated[
    ResumeFrame
    | MessageFrame
    | AcceptFrame
    | NoteFrame
    | JoinCodeFrame
    | TransferFrame
    | ResolveFrame
    | QueueFrame
    | PingFrame,
    Field(discriminator="type"),
]
_frames: TypeAdapter[
    ResumeFrame
    | MessageFrame
    | AcceptFrame
    | NoteFrame
    | JoinCodeFrame
    | TransferFrame
    | ResolveFrame
    | QueueFrame
    | PingFrame
] = TypeAdapter(ExpertFrame)


# -- live delivery: the outbox pump, the queue pushes and the timeout sweeper -------------


class _Live:
    """Per-app delivery state: the background tasks (expert sockets are ``rt.expert_hub``)."""

    def __init__(self) -> None:
        self._dirty: set[str] = set()
        self._pusher: asyncio.Task[None] | None = None

    async def run(self, rt: Runtime) -> None:
        """Bind the outbox to this loop once the service exists; then sweep timeouts."""
        while rt.handoff is None:
            if rt.load_error:
                return
            await asyncio.sleep(0.05)
        service = rt.handoff
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Delivery] = asyncio.Queue()

        def sink(delivery: Delivery) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, delivery)
            except RuntimeError:  # the loop is closing: resume will catch the clients up
                log.debug("delivery dropped at shutdown")

        service.outbox.bind(sink)
        pump = asyncio.create_task(self._pump(rt, service, queue))
        try:
            while True:
                await asyncio.sleep(rt.settings.handoff_sweep_seconds)
                try:
                    await run_in_threadpool(service.sweep)
                except SQLAlchemyError as exc:  # e.g. the database is busy: try again next tick
                    log.warning("handoff sweep failed: %s", exc)
        finally:
            service.outbox.unbind()
            pump.cancel()
            with suppress(asyncio.CancelledError):
                await pump

    async def _pump(self, rt: Runtime, service: HandoffService, queue: asyncio.Queue[Delivery]) -> None:
        while True:
            delivery = await queue.get()
            if isinstance(delivery, ToConversation):
                await rt.hub.publish(delivery.conversation_id, chat_event_json(delivery.event))
            elif isinstance(delivery, ToConversationLive):
                await rt.hub.publish(delivery.conversation_id, delivery.event)
            elif isinstance(delivery, ToExpert):
                await rt.expert_hub.publish(delivery.expert_id, delivery.event)
            elif isinstance(delivery, QueueChanged):
                self._dirty |= delivery.lines
                if self._pusher is None or self._pusher.done():
                    self._pusher = asyncio.create_task(self._push_queues(rt, service))

    async def _push_queues(self, rt: Runtime, service: HandoffService) -> None:
        """Every connected expert gets their fresh queue (coalesced while it runs)."""
        while self._dirty:
            self._dirty = set()
            online = await run_in_threadpool(service.presence.online)  # Redis: every instance's
            for expert_id in sorted(online):
                try:
                    snapshot = await run_in_threadpool(service.queue_for_expert_id, expert_id)
                except SQLAlchemyError as exc:
                    log.warning("queue push failed: %s", exc)
                    continue
                if snapshot is not None:
                    mine, waiting = snapshot
                    await rt.expert_hub.publish(expert_id, {"type": "queue", **_queue(mine, waiting).model_dump()})


# -- the router ----------------------------------------------------------------------------


def build_router() -> APIRouter:
    live = _Live()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(live.run(app.state.runtime))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    router = APIRouter(lifespan=lifespan)

    # -- requester ---------------------------------------------------------------------

    @router.post("/api/handoff/request", response_model=SessionOut, tags=["handoff"])
    async def request_handoff(body: HandoffRequestBody, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
        """Ask for a remote expert on one of the caller's conversations (the chat page's
        button).  Fields given here are not asked again; what is missing is asked in
        the chat as ``handoff_status`` events.  Idempotent while a session is open."""
        service = _service(runtime)
        provided = SlotValues(
            product_model=body.product_model.strip(),
            serial=body.serial.strip(),
            firmware=body.firmware.strip(),
            symptom=body.symptom.strip(),
            site=body.site.strip(),
            urgency=body.urgency,
        )
        if provided.product_model:
            provided = SlotValues(
                **{**provided.as_dict(), "product_line": service.extractor.products.get(provided.product_model, "")}
            )
        outcome = await run_in_threadpool(
            lambda: service.request(
                caller=caller,
                conversation_id=body.conversation_id,
                provided=provided,
                customer_timezone=body.customer_timezone or None,
            )
        )
        return _session(outcome.session)

    @router.get("/api/handoff/conversations/{conversation_id}", response_model=SessionOut | None, tags=["handoff"])
    async def conversation_session(conversation_id: str, caller: CallerDep, runtime: RuntimeDep) -> SessionOut | None:
        service = _service(runtime)
        view = await run_in_threadpool(lambda: service.active_session(caller=caller, conversation_id=conversation_id))
        return _session(view) if view is not None else None

    @router.get("/api/handoff/sessions/{session_id}", response_model=SessionDetailOut, tags=["handoff"])
    async def get_session(session_id: str, caller: CallerDep, runtime: RuntimeDep) -> SessionDetailOut:
        """The requester sees their own session; an expert sees sessions routed to them
        or in their queue, with the context packet and the log.  Others: 404."""
        service = _service(runtime)
        if caller.role == "expert":
            detail = await run_in_threadpool(lambda: service.expert_detail(caller=caller, session_id=session_id))
            return _detail(detail)
        view = await run_in_threadpool(lambda: service.requester_view(caller=caller, session_id=session_id))
        return SessionDetailOut(session=_session(view))

    @router.post("/api/handoff/sessions/{session_id}/cancel", response_model=SessionOut, tags=["handoff"])
    async def cancel(session_id: str, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
        service = _service(runtime)
        return _session(await run_in_threadpool(lambda: service.cancel(caller=caller, session_id=session_id)))

    @router.post("/api/handoff/join-codes/redeem", response_model=RedeemOut, tags=["handoff"])
    async def redeem(body: RedeemBody, caller: CallerDep, runtime: RuntimeDep) -> RedeemOut:
        service = _service(runtime)
        done = await run_in_threadpool(lambda: service.redeem_join_code(caller=caller, code=body.code))
        return RedeemOut(
            session_id=done.session_id,
            conversation_id=done.conversation_id,
            expert_name=done.expert_name,
            product_model=done.product_model,
        )

    # -- expert --------------------------------------------------------------------------

    @router.get("/api/handoff/queue", response_model=QueueOut, tags=["handoff"])
    async def queue(caller: CallerDep, runtime: RuntimeDep) -> QueueOut:
        service = _service(runtime)
        mine, waiting = await run_in_threadpool(lambda: service.queue_for(caller=caller))
        return _queue(mine, waiting)

    @router.get("/api/handoff/experts", response_model=list[ExpertOut], tags=["handoff"])
    async def experts(caller: CallerDep, runtime: RuntimeDep) -> list[ExpertOut]:
        service = _service(runtime)
        return [_expert(e) for e in await run_in_threadpool(lambda: service.list_experts(caller=caller))]

    @router.get("/api/handoff/sessions/{session_id}/events", response_model=list[SessionEventOut], tags=["handoff"])
    async def session_events(
        session_id: str, caller: CallerDep, runtime: RuntimeDep, after_seq: int = Query(0, ge=0, le=MAX_SEQ)
    ) -> list[SessionEventOut]:
        service = _service(runtime)
        rows = await run_in_threadpool(
            lambda: service.events_after(caller=caller, session_id=session_id, after_seq=after_seq)
        )
        return [SessionEventOut.model_validate(r) for r in rows]

    @router.post("/api/handoff/sessions/{session_id}/accept", response_model=SessionDetailOut, tags=["handoff"])
    async def accept(session_id: str, caller: CallerDep, runtime: RuntimeDep) -> SessionDetailOut:
        """Only an expert with the session's skill and a free slot; of two racing, one
        wins and the other gets 409 ``handoff_already_taken``."""
        service = _service(runtime)
        return _detail(await run_in_threadpool(lambda: service.accept(caller=caller, session_id=session_id)))

    @router.post("/api/handoff/sessions/{session_id}/messages", response_model=AckOut, tags=["handoff"])
    async def expert_message(
        session_id: str, body: ExpertMessageBody, caller: CallerDep, runtime: RuntimeDep
    ) -> AckOut:
        service = _service(runtime)
        event, duplicate = await run_in_threadpool(
            lambda: service.expert_message(
                caller=caller, session_id=session_id, client_msg_id=body.client_msg_id, text_said=body.text
            )
        )
        return AckOut(event=SessionEventOut.model_validate(event), duplicate=duplicate)

    @router.post("/api/handoff/sessions/{session_id}/notes", response_model=SessionEventOut, tags=["handoff"])
    async def note(session_id: str, body: NoteBody, caller: CallerDep, runtime: RuntimeDep) -> SessionEventOut:
        service = _service(runtime)
        event = await run_in_threadpool(
            lambda: service.add_note(caller=caller, session_id=session_id, text_said=body.text)
        )
        return SessionEventOut.model_validate(event)

    @router.post("/api/handoff/sessions/{session_id}/join-code", response_model=JoinCodeOut, tags=["handoff"])
    async def join_code(session_id: str, caller: CallerDep, runtime: RuntimeDep) -> JoinCodeOut:
        service = _service(runtime)
        code = await run_in_threadpool(lambda: service.issue_join_code(caller=caller, session_id=session_id))
        return JoinCodeOut(
            session_id=code.session_id, code=code.code, link=code.link, expires_at=iso(code.expires_at) or ""
        )

    @router.post("/api/handoff/sessions/{session_id}/transfer", response_model=SessionOut, tags=["handoff"])
    async def transfer(session_id: str, body: TransferBody, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
        service = _service(runtime)
        view = await run_in_threadpool(
            lambda: service.transfer(caller=caller, session_id=session_id, to_username=body.to, note=body.note)
        )
        return _session(view)

    @router.post("/api/handoff/sessions/{session_id}/resolve", response_model=SessionOut, tags=["handoff"])
    async def resolve(session_id: str, body: ResolveBody, caller: CallerDep, runtime: RuntimeDep) -> SessionOut:
        """Close the session: the conversation returns to the bot and the summary is
        offered as a candidate FAQ entry (``GET /api/handoff/faq-candidates``)."""
        service = _service(runtime)
        view = await run_in_threadpool(
            lambda: service.resolve(caller=caller, session_id=session_id, summary=body.summary, resolved=body.resolved)
        )
        return _session(view)

    # -- experts and admins ------------------------------------------------------------------

    @router.get("/api/handoff/metrics", response_model=Metrics, tags=["handoff"])
    async def metrics(caller: CallerDep, runtime: RuntimeDep) -> Metrics:
        """Waiting time, handling time and resolved rate, overall, per product line and per expert."""
        service = _service(runtime)
        return await run_in_threadpool(lambda: service.metrics(caller=caller))

    @router.get("/api/handoff/faq-candidates", tags=["handoff"], response_model=list[FaqCandidate])
    async def faq_candidates(
        caller: CallerDep, runtime: RuntimeDep, format: Literal["json", "yaml"] = "json"
    ) -> list[FaqCandidate] | Response:
        """Resolution summaries offered to the knowledge base, for an editor to review
        (``?format=yaml``: the corpus FAQ layout).  Never added to the corpus automatically."""
        service = _service(runtime)
        rows = await run_in_threadpool(lambda: service.faq_candidates(caller=caller))
        if format == "yaml":
            return PlainTextResponse(faq_yaml(rows), media_type="application/yaml; charset=utf-8")
        return rows

    # -- remote assist: call settings and stills ----------------------------------------------

    @router.get("/api/rtc/config", response_model=RtcConfigOut, tags=["handoff"])
    async def rtc_config(caller: CallerDep, runtime: RuntimeDep) -> RtcConfigOut:
        """The STUN/TURN servers the pages give ``RTCPeerConnection`` (setting
        ``rtc_ice_servers``; empty: none, enough on one network)."""
        return RtcConfigOut(ice_servers=[s.model_dump(exclude_none=True) for s in runtime.settings.rtc_ice_servers])

    @router.post(
        "/api/handoff/sessions/{session_id}/stills",
        response_model=StillOut,
        tags=["handoff"],
        openapi_extra={"requestBody": {"required": True, "content": _STILL_BODY}},
    )
    async def add_still(
        session_id: str,
        request: Request,
        caller: CallerDep,
        runtime: RuntimeDep,
        note: str = Query("", max_length=rtc.MAX_STILL_NOTE_CHARS),
    ) -> StillOut:
        """The session's accepted expert sends an annotated frame: the body is the image
        itself (``Content-Type: image/png`` or ``image/jpeg``, at most 1,500,000 bytes);
        ``note`` is shown with it.  Both parties get it in the session's log."""
        service = _service(runtime)
        mime = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if mime not in rtc.STILL_MAGIC:
            raise StillTypeInvalidError("a still is a PNG or JPEG image")
        data = await _bounded_body(request, rtc.MAX_STILL_BYTES)
        ref = await run_in_threadpool(
            lambda: service.add_still(caller=caller, session_id=session_id, mime=mime, data=data, note=note)
        )
        return StillOut(still_id=ref.still_id, session_id=session_id, url=ref.url, note=ref.note)

    @router.get("/api/handoff/stills/{still_id}", tags=["handoff"], response_class=Response)
    async def get_still(still_id: str, caller: CallerDep, runtime: RuntimeDep) -> Response:
        """The still's image, to the session's requester and its experts only (anyone else:
        404 ``still_not_found``, as for an unknown id)."""
        service = _service(runtime)
        image = await run_in_threadpool(lambda: service.still_image(caller=caller, still_id=still_id))
        return Response(content=image.data, media_type=image.mime, headers=_STILL_HEADERS)

    # -- console page ------------------------------------------------------------------------

    @router.get("/expert", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(CONSOLE_DIR / "index.html", media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)

    @router.get("/expert/static/{name}", include_in_schema=False)
    async def console_static(name: str) -> FileResponse:
        match = _STATIC_NAME.fullmatch(name)
        path = CONSOLE_DIR / "static" / name
        if match is None or not path.is_file():
            raise ConsoleFileNotFoundError()
        return FileResponse(path, media_type=_MEDIA[match.group(1)], headers=_PAGE_HEADERS)

    # -- the console WebSocket -------------------------------------------------------------------

    @router.websocket("/ws/expert")
    async def expert_ws(websocket: WebSocket) -> None:
        """Signed in by ``?ticket=`` (``POST /api/ws-ticket``) or the ``Authorization``
        header of a user with role ``expert``, from the service's own origin or a portal's
        (:mod:`assistant.api.sockets`); refused with 1008 before accept otherwise, 1013
        while loading.  Closed with ``token_expired`` / 4401 when the token expires."""
        rt: Runtime = websocket.app.state.runtime
        signed = await sign_in_socket(rt, websocket)
        if signed is None:
            return
        caller = signed.caller
        if not rt.ready or rt.handoff is None:
            await websocket.close(code=1013)
            return
        service = rt.handoff
        try:
            await run_in_threadpool(lambda: service.expert_info(caller=caller))
        except AssistantError:
            await websocket.close(code=1008)
            return
        await websocket.accept()
        # Online and subscribed first, then the snapshot: a change after it is pushed.
        await rt.expert_hub.join(caller.user_id, websocket)
        came_online = await run_in_threadpool(service.presence.connect, caller.user_id)
        try:
            expert = await run_in_threadpool(lambda: service.expert_info(caller=caller))
            mine, waiting = await run_in_threadpool(lambda: service.queue_for(caller=caller))
            await websocket.send_json(
                {"type": "ready", "expert": _expert(expert).model_dump(), **_queue(mine, waiting).model_dump()}
            )
            if came_online:
                await run_in_threadpool(service.presence_changed)
            async with closed_at_expiry(websocket, signed.expires_at, lambda code: _ws_error(websocket, code, None)):
                while True:
                    frame = await receive_text(websocket)
                    if frame is None:
                        await _ws_error(websocket, "unsupported_frame", None)
                        continue
                    await _expert_frame(websocket, service, caller, frame)
        except WebSocketDisconnect:
            return
        except RuntimeError:  # sending on a socket the server is closing (shutdown)
            if websocket.application_state != WebSocketState.DISCONNECTED:
                raise
        finally:
            await rt.expert_hub.leave(caller.user_id, websocket)
            # Not in a thread: this must run even while the handler is being cancelled (a
            # console left counted would be renewed by the presence heartbeat forever); with
            # Redis it is one ZREM, bounded by the client's timeout.
            if service.presence.disconnect(caller.user_id):
                with suppress(SQLAlchemyError):
                    await run_in_threadpool(service.presence_changed)

    return router


class ConsoleFileNotFoundError(AssistantError):
    code = "not_found"


async def _expert_frame(websocket: WebSocket, service: HandoffService, caller: Caller, raw: str) -> None:
    """One console frame.  Bad input gets an ``error`` event; the connection stays usable."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError, or an integer past the digit limit
        await _ws_error(websocket, "invalid_json", None)
        return
    request_id = data.get("request_id") if isinstance(data, dict) and isinstance(data.get("request_id"), str) else None
    if isinstance(data, dict) and data.get("type") == "rtc":
        refused = await relay_rtc(websocket.app.state.runtime, caller, side="expert", raw=raw, data=data)
        if refused is not None:
            await _ws_error(websocket, refused, request_id)
        return
    try:
        frame = _frames.validate_python(data)
    except ValidationError:
        known = isinstance(data, dict) and data.get("type") in _FRAME_TYPES
        await _ws_error(websocket, "invalid_event" if known else "unknown_event", request_id)
        return
    try:
        await _dispatch(websocket, service, caller, frame)
    except AssistantError as exc:
        await _ws_error(websocket, exc.code, request_id)


_FRAME_TYPES = ("resume", "message", "accept", "note", "join_code", "transfer", "resolve", "queue", "ping")


async def _dispatch(
    websocket: WebSocket,
    service: HandoffService,
    caller: Caller,
    frame: ResumeFrame
    | MessageFrame
    | AcceptFrame
    | NoteFrame
    | JoinCodeFrame
    | TransferFrame
    | ResolveFrame
    | QueueFrame
    | PingFrame,
) -> None:
    rid = frame.request_id
    if isinstance(frame, MessageFrame):
        event, duplicate = await run_in_threadpool(
            lambda: service.expert_message(
                caller=caller, session_id=frame.session_id, client_msg_id=frame.client_msg_id, text_said=frame.text
            )
        )
        await websocket.send_json(
            {
                "type": "ack",
                "session_id": frame.session_id,
                "seq": event["seq"],
                "client_msg_id": frame.client_msg_id,
                "duplicate": duplicate,
                "request_id": rid,
            }
        )
    elif isinstance(frame, ResumeFrame):
        rows = await run_in_threadpool(
            lambda: service.events_after(caller=caller, session_id=frame.session_id, after_seq=frame.last_seq)
        )
        for row in rows:
            await websocket.send_json(row)
    elif isinstance(frame, AcceptFrame):
        detail = await run_in_threadpool(lambda: service.accept(caller=caller, session_id=frame.session_id))
        await _result(websocket, "accept", rid, _detail(detail).model_dump())
    elif isinstance(frame, NoteFrame):
        event = await run_in_threadpool(
            lambda: service.add_note(caller=caller, session_id=frame.session_id, text_said=frame.text)
        )
        await _result(websocket, "note", rid, event)
    elif isinstance(frame, JoinCodeFrame):
        code = await run_in_threadpool(lambda: service.issue_join_code(caller=caller, session_id=frame.session_id))
        await _result(
            websocket,
            "join_code",
            rid,
            {"session_id": code.session_id, "code": code.code, "link": code.link, "expires_at": iso(code.expires_at)},
        )
    elif isinstance(frame, TransferFrame):
        view = await run_in_threadpool(
            lambda: service.transfer(caller=caller, session_id=frame.session_id, to_username=frame.to, note=frame.note)
        )
        await _result(websocket, "transfer", rid, _session(view).model_dump())
    elif isinstance(frame, ResolveFrame):
        view = await run_in_threadpool(
            lambda: service.resolve(
                caller=caller, session_id=frame.session_id, summary=frame.summary, resolved=frame.resolved
            )
        )
        await _result(websocket, "resolve", rid, _session(view).model_dump())
    elif isinstance(frame, QueueFrame):
        mine, waiting = await run_in_threadpool(lambda: service.queue_for(caller=caller))
        await websocket.send_json({"type": "queue", **_queue(mine, waiting).model_dump(), "request_id": rid})
    else:
        await websocket.send_json({"type": "pong", "request_id": rid})


async def _result(websocket: WebSocket, action: str, request_id: str | None, data: dict[str, Any]) -> None:
    await websocket.send_json({"type": "result", "action": action, "request_id": request_id, "data": data})


async def _ws_error(websocket: WebSocket, code: str, request_id: str | None) -> None:
    await websocket.send_json({"type": "error", "code": code, "message": error_message(code), "request_id": request_id})
