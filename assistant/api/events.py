"""The chat protocol: typed JSON events on ``/ws/chat`` (and the REST mirror's bodies).

Client -> server (field ``type`` selects the event):

* ``message``  ``client_msg_id`` (1-64 chars, unique per conversation), ``text``
  (1-4000 chars), optional ``profile`` patch (customer-profile fields).
* ``feedback`` ``message_seq`` (the ``seq`` of a ``reply``), ``rating`` (``up``|``down``),
  optional ``comment``.
* ``resume``   ``last_seq``: the server re-sends every stored event after it.
* ``rtc``      ``session_id``, ``signal`` {``kind``: offer|answer|ice|hangup|state|annotation,
  ``sdp``?, ``candidate``?, ``state``?, ``annotation``?, ``reason``?}: a video-call signal for
  the caller's live handoff, relayed to its expert (``assistant/handoff/rtc.py``); refused
  with ``rtc_invalid`` / ``rtc_not_allowed``.  The expert's signals arrive as ``rtc`` events
  (``from``: expert | server).

Server -> client:

* ``ready``    sent once on connect: ``conversation_id``, ``last_seq``.
* ``ack``      the message is stored: ``seq``, ``client_msg_id``.
* ``typing``   ``on`` true/false while the reply is computed (not stored).
* ``reply``    ``seq``, ``reply_to`` (the message's seq), ``text``, ``intent``, ``cards``,
  ``citations``, ``suggestions``, ``grounded``, ``handoff_offered``.
* ``profile``  ``seq``, ``profile``: the customer profile as understood so far;
  ``customer``: the customer record the conversation belongs to ({id, name}) or null.
  A ``reply`` may carry ``customer_offer`` ({name, customer_id}): the salesperson named a
  company that is not that customer (customer_id null: no record of that name yet).
* ``feedback_saved`` ``message_seq``.
* ``error``    ``code`` (stable, snake_case), ``message`` (zh-CN), optional ``client_msg_id``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from assistant.chat.history import ConversationItem
from assistant.chat.service import StoredEvent
from assistant.handoff import rtc

MAX_MESSAGE_CHARS = 4000
# The largest seq a client may name: far above any conversation's length, inside SQLite's
# 64-bit INTEGER and a JavaScript number's exact range; larger values are refused (422 /
# `invalid_event`) before they reach a query.
MAX_SEQ = 2**53 - 1
Seq = Annotated[int, Field(ge=0, le=MAX_SEQ)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- client -> server ------------------------------------------------------------------


class MessageIn(_Event):
    type: Literal["message"]
    client_msg_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)  # length limit checked by the service, with its own error code
    profile: dict[str, Any] | None = None
    lang: Literal["zh", "en"] | None = None  # the language the user reads now (the page's switch)


class FeedbackIn(_Event):
    type: Literal["feedback"]
    message_seq: int = Field(ge=1, le=MAX_SEQ)
    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=1000)


class ResumeIn(_Event):
    type: Literal["resume"]
    last_seq: Seq


class RtcSignal(_Event):
    """One WebRTC signal relayed between the two parties of a live handoff (never stored)."""

    kind: Literal["offer", "answer", "ice", "hangup", "state", "annotation"]
    sdp: str | None = Field(default=None, max_length=rtc.MAX_SDP_CHARS)
    candidate: dict[str, Any] | None = None
    state: str | None = Field(default=None, max_length=rtc.MAX_STATE_CHARS)
    annotation: dict[str, Any] | None = None
    reason: str | None = Field(default=None, max_length=rtc.MAX_REASON_CHARS)

    @model_validator(mode="after")
    def _fits(self) -> RtcSignal:
        needed = {"offer": "sdp", "answer": "sdp", "ice": "candidate", "state": "state", "annotation": "annotation"}
        name = needed.get(self.kind)
        if name is not None and getattr(self, name) is None:
            raise ValueError(f"a {self.kind} signal carries {name}")
        for value, limit in (
            (self.candidate, rtc.MAX_CANDIDATE_JSON_CHARS),
            (self.annotation, rtc.MAX_ANNOTATION_JSON_CHARS),
        ):
            if value is not None and len(json.dumps(value, ensure_ascii=False, separators=(",", ":"))) > limit:
                raise ValueError("signal part too large")
        return self


class RtcIn(_Event):
    """``rtc``: a call signal for the handoff session ``session_id`` (both ``/ws/chat`` and
    ``/ws/expert``; the console's frames may carry a ``request_id``)."""

    type: Literal["rtc"]
    session_id: str = Field(min_length=1, max_length=64)
    signal: RtcSignal
    request_id: str | None = Field(default=None, max_length=64)


rtc_in_adapter: TypeAdapter[RtcIn] = TypeAdapter(RtcIn)


ClientEvent = Annotated[MessageIn | FeedbackIn | ResumeIn, Field(discriminator="type")]
client_event_adapter: TypeAdapter[MessageIn | FeedbackIn | ResumeIn] = TypeAdapter(ClientEvent)
CLIENT_EVENT_TYPES = ("message", "feedback", "resume")


# -- server -> client ------------------------------------------------------------------


class ReadyOut(_Event):
    type: Literal["ready"] = "ready"
    conversation_id: str
    last_seq: int


class AckOut(_Event):
    type: Literal["ack"] = "ack"
    seq: int
    client_msg_id: str
    text: str = ""
    duplicate: bool = False


class TypingOut(_Event):
    type: Literal["typing"] = "typing"
    on: bool


class CustomerRef(BaseModel):
    id: str
    name: str


class CustomerOffer(BaseModel):
    name: str
    customer_id: str | None


class ReplyOut(_Event):
    type: Literal["reply"] = "reply"
    seq: int
    reply_to: int
    text: str
    intent: str
    confidence: float
    cards: list[dict[str, Any]]
    citations: list[dict[str, Any]]
    suggestions: list[str]
    grounded: bool
    handoff_offered: bool
    # The salesperson named a company that is not the conversation's customer: save it, or move
    # to the caller's record of that name ({"name", "customer_id": null | id}).
    customer_offer: CustomerOffer | None = None


class ProfileOut(_Event):
    type: Literal["profile"] = "profile"
    seq: int
    profile: dict[str, Any]
    customer: CustomerRef | None = None  # the customer the conversation belongs to (its profile is theirs)


class FeedbackSavedOut(_Event):
    type: Literal["feedback_saved"] = "feedback_saved"
    message_seq: int


class ErrorOut(_Event):
    type: Literal["error"] = "error"
    code: str
    message: str
    client_msg_id: str | None = None
    retry_after: int | None = None  # seconds, with code rate_limited


# -- REST bodies -----------------------------------------------------------------------


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(BaseModel):
    user_id: str
    username: str
    display_name: str
    partner_id: str
    role: str


class ConversationCreated(BaseModel):
    id: str


class ConversationSummary(BaseModel):
    """A row of ``GET /api/conversations`` (the history list; the total is ``X-Total-Count``)."""

    id: str
    title: str  # the first user message, cut
    last_seq: int
    updated_at: str  # ISO 8601, UTC (no offset, as stored)
    preview: str = ""  # the last event's text, cut
    last_seen_seq: int = 0  # the highest seq a page of the owner showed (POST .../seen)
    unread: int = 0  # server-pushed events (expert, handoff) after last_seen_seq
    customer_id: str | None = None  # the live customer it is bound to (assistant/customers)
    customer_name: str | None = None

    @classmethod
    def of(cls, item: ConversationItem) -> ConversationSummary:
        return cls(
            id=item.id,
            title=item.title,
            last_seq=item.last_seq,
            updated_at=item.updated_at.isoformat(),
            preview=item.preview,
            last_seen_seq=item.last_seen_seq,
            unread=item.unread,
            customer_id=item.customer_id,
            customer_name=item.customer_name,
        )


class SeenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: int = Field(ge=0, le=MAX_SEQ)


class SeenResponse(BaseModel):
    conversation_id: str
    last_seen_seq: int


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_msg_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)
    profile: dict[str, Any] | None = None


class TurnResponse(BaseModel):
    ack: AckOut
    reply: ReplyOut | None
    profile: ProfileOut | None


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_seq: int = Field(ge=1, le=MAX_SEQ)
    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=1000)


class HistoryResponse(BaseModel):
    conversation_id: str
    events: list[dict[str, Any]]


class ErrorResponse(BaseModel):
    code: str
    message: str
    retry_after: int | None = None  # seconds (also the Retry-After header), on 429 and 503
    # A refused batch (POST /api/admin/orders) names the item at fault: its index in the
    # batch and the field (DECISIONS 2026-12-04 #6); a refused sandbox decision names the
    # field alone (``sandbox_invalid_decision``, ``sandbox_unknown_product``).  Absent from
    # every other error body.
    item: int | None = None
    field: str | None = None


class WsTicketResponse(BaseModel):
    ticket: str
    expires_in: int  # seconds; single use
    # False while the service is still loading its index and model: a socket opened now is refused
    # (1013), so the page shows "starting" and asks again instead of opening one.
    ready: bool = True


def event_out(event: StoredEvent) -> dict[str, Any]:
    """A stored event as the server event the client receives."""
    if event.type == "message":
        return AckOut(
            seq=event.seq, client_msg_id=event.client_msg_id or "", text=str(event.payload.get("text", ""))
        ).model_dump()
    if event.type == "reply":
        return ReplyOut(seq=event.seq, reply_to=event.reply_to or 0, **event.payload).model_dump()
    if event.type == "profile":
        return ProfileOut(
            seq=event.seq, profile=dict(event.payload.get("profile", {})), customer=event.payload.get("customer")
        ).model_dump()
    # Events appended by other features (e.g. handoff) carry their own payload.
    return {**event.payload, "type": event.type, "seq": event.seq}
