"""Typed values of the handoff domain (frozen dataclasses; JSON at the API edge)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal


class State(StrEnum):
    COLLECTING = "collecting"  # the bot is asking for what the expert needs
    QUEUED = "queued"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    TICKET = "ticket"  # nobody took it in time: a callback is promised
    CANCELLED = "cancelled"


# While a session is in one of these states the requester talks to the handoff, not the bot.
ACTIVE_STATES: frozenset[str] = frozenset({State.COLLECTING, State.QUEUED, State.ASSIGNED})
ACCEPTABLE_STATES: tuple[str, ...] = (State.QUEUED, State.TICKET)

Slot = Literal["product_model", "symptom", "site", "serial_firmware", "urgency"]
# The order the bot asks in.  serial_firmware is asked once ("if known").
SLOT_ORDER: tuple[Slot, ...] = ("product_model", "symptom", "site", "serial_firmware", "urgency")
URGENCIES: tuple[str, ...] = ("high", "normal", "low")


@dataclass(frozen=True, slots=True)
class SlotValues:
    """What the expert needs to know.  Empty string: not known yet."""

    product_model: str = ""
    product_line: str = ""
    serial: str = ""
    firmware: str = ""
    symptom: str = ""
    site: str = ""
    urgency: str = ""  # high | normal | low

    def merged(self, other: SlotValues) -> SlotValues:
        """``other``'s non-empty values written over this one's."""
        changes = {f.name: getattr(other, f.name) for f in fields(other) if getattr(other, f.name)}
        return replace(self, **changes)

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class ExpertInfo:
    user_id: str
    username: str
    display_name: str
    skills: tuple[str, ...]
    capacity: int
    active: int = 0  # sessions assigned now
    online: bool = False

    def has_skill(self, product_line: str) -> bool:
        """An unknown product line ("") can be taken by any expert."""
        return not product_line or product_line in self.skills


@dataclass(frozen=True, slots=True)
class QueueStatus:
    position: int  # 1 = next
    estimate_minutes: int | None  # None: no expert with the skill is online


@dataclass(frozen=True, slots=True)
class SessionView:
    """A session as its requester, or an expert who may see it, reads it (no notes)."""

    id: str
    conversation_id: str
    state: str
    slots: SlotValues
    requester_name: str
    partner_id: str
    missing: tuple[str, ...] = ()
    asking: str | None = None
    position: int | None = None
    estimate_minutes: int | None = None
    expert_id: str | None = None
    expert_name: str = ""
    ticket_id: str = ""
    ticket_reason: str = ""
    callback_by: datetime | None = None
    resolution: str = ""
    resolved: bool | None = None
    created_at: datetime | None = None
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    closed_at: datetime | None = None
    waiting_seconds: float | None = None  # queued_at -> first acceptance (or now)


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """One entry of a session's own log, as the expert console receives it."""

    session_id: str
    seq: int
    kind: str  # message | note | join_code | status
    sender: str  # requester | expert | system
    author: str  # display name
    text: str
    created_at: datetime
    client_msg_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FaultHint:
    citation: str  # chunk id, e.g. "EG-2100#fault-1"
    symptom: str
    cause: str
    fix: str
    match: float  # 0..1 overlap with the reported symptom


@dataclass(frozen=True, slots=True)
class ShownDocument:
    doc_id: str
    title: str
    snippet: str
    kind: str


@dataclass(frozen=True, slots=True)
class ChannelLevel:
    partner_id: str
    partner_name: str
    level: str  # national | regional | alliance | partner | unknown
    path: tuple[str, ...]  # names from the national distributor down to the partner


@dataclass(frozen=True, slots=True)
class ContextPacket:
    """What the expert sees first, so nobody asks the requester again."""

    summary: str
    requester: str
    slots: SlotValues
    profile: dict[str, Any]
    recent_messages: tuple[str, ...]
    documents: tuple[ShownDocument, ...]
    faults: tuple[FaultHint, ...]
    channel: ChannelLevel

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "requester": self.requester,
            "slots": self.slots.as_dict(),
            "profile": dict(self.profile),
            "recent_messages": list(self.recent_messages),
            "documents": [
                {"doc_id": d.doc_id, "title": d.title, "snippet": d.snippet, "kind": d.kind} for d in self.documents
            ],
            "faults": [
                {"citation": f.citation, "symptom": f.symptom, "cause": f.cause, "fix": f.fix, "match": f.match}
                for f in self.faults
            ],
            "channel": {
                "partner_id": self.channel.partner_id,
                "partner_name": self.channel.partner_name,
                "level": self.channel.level,
                "path": list(self.channel.path),
            },
        }


@dataclass(frozen=True, slots=True)
class SessionDetail:
    """An expert's full view: the session, its context packet and its log (notes included)."""

    session: SessionView
    packet: dict[str, Any]
    events: tuple[SessionEvent, ...]


@dataclass(frozen=True, slots=True)
class JoinCode:
    session_id: str
    code: str  # shown once; only its hash is stored
    link: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class JoinRedeemed:
    session_id: str
    conversation_id: str  # the requester's conversation the session belongs to (the page opens it)
    expert_name: str
    product_model: str


@dataclass(frozen=True, slots=True)
class FaqCandidate:
    """A resolution offered to the knowledge base; an editor decides (never added automatically)."""

    id: str
    category: str
    question: str
    answer: str
    products: tuple[str, ...]
    product_line: str
    session_id: str
    expert: str
    resolved_at: datetime | None
    # Remote assist of the session: the call log lines and the stills ({still_id, url, note}).
    call_log: tuple[str, ...] = ()
    stills: tuple[dict[str, str], ...] = ()
