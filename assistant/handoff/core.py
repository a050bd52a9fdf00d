"""What both sides of the handoff share: its configuration, the effects a transaction
leaves for after its commit, and :class:`HandoffCore`, the state changes, reads and
formatting that the requester side (:mod:`.requester`), the expert side
(:mod:`.expert_side`) and the timers (:mod:`.service`) all use.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from assistant.chat.service import StoredEvent
from assistant.content.loader import Corpus
from assistant.dialogue.types import Caller
from assistant.handoff.errors import ExpertOnlyError, HandoffInputError, HandoffNotFoundError, InvalidStateError
from assistant.handoff.experts import EXPERT_ROLE
from assistant.handoff.hours import ServiceHours, TimeZoneError, time_zone
from assistant.handoff.outbox import Outbox, Presence, QueueChanged, ToConversation, ToConversationLive, ToExpert
from assistant.handoff.packet import build_packet, remote_assist
from assistant.handoff.queueing import Waiting, estimate_minutes, positions
from assistant.handoff.slots import SlotExtractor, missing_slots
from assistant.handoff.tables import HandoffAssignment, HandoffEvent, HandoffExpert, HandoffSession
from assistant.handoff.texts import text, zone_name
from assistant.handoff.types import (
    ACCEPTABLE_STATES,
    ACTIVE_STATES,
    ExpertInfo,
    SessionDetail,
    SessionEvent,
    SessionView,
    SlotValues,
    State,
)
from assistant.rebates.network import ChannelNetwork
from assistant.storage.db import Database
from assistant.storage.models import Conversation, Event, User, utcnow

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4000
_HANDLE_SAMPLE = 50


class ChatLog(Protocol):
    """The chat's event log (``ChatService`` implements it)."""

    def append_event(self, *, conversation_id: str, event_type: str, payload: dict[str, Any]) -> StoredEvent: ...


@dataclass(frozen=True, slots=True)
class HandoffConfig:
    queue_timeout_seconds: float = 300
    collect_timeout_seconds: float = 1800
    callback_hours: int = 4
    join_code_ttl_seconds: int = 600
    ar_link_base: str = "/assist"  # our chat page (GET /assist), or a third-party AR tool's
    default_handle_minutes: float = 15
    pickup_seconds: int = 60
    max_collect_turns: int = 8
    timezone: str = "Asia/Shanghai"  # how times are written in messages
    service_hours: ServiceHours | None = None  # a callback is promised inside them


@dataclass
class Effects:
    """What to do once the transaction committed."""

    chat: list[tuple[str, str, dict[str, Any], bool]] = field(default_factory=list)  # cid, type, payload, publish
    experts: list[ToExpert] = field(default_factory=list)
    queue_lines: set[str] = field(default_factory=set)
    live: list[ToConversationLive] = field(default_factory=list)  # not stored (call signals)

    def say(self, conversation_id: str, event_type: str, payload: dict[str, Any], *, publish: bool = True) -> None:
        self.chat.append((conversation_id, event_type, payload, publish))

    def expert_left(self, conversation_id: str, *, session_id: str, expert: str, lang: str) -> None:
        """Tell the requester the expert left (on transfer and on resolve alike)."""
        self.say(
            conversation_id,
            "expert_left",
            {"session_id": session_id, "expert": expert, "text": text(lang, "expert_left", expert=expert)},
        )


def iso(value: datetime | None) -> str | None:
    """UTC times in JSON, marked as such."""
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


def hash_code(code: str) -> str:
    canonical = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(canonical.encode()).hexdigest()


CUSTOMER_ZONE_KEY = "customer_timezone"  # in a session's context packet: the customer's IANA zone
RTC_CALL_KEY = "rtc_call"  # in a session's context: the video call in progress (assistant/handoff/rtc.py)


def customer_zone(row: HandoffSession) -> str | None:
    """The customer's time zone the request carried (kept in the session's context)."""
    value = (row.context or {}).get(CUSTOMER_ZONE_KEY)
    return value if isinstance(value, str) and value else None


def ticket_id(session_id: str) -> str:
    return "T-" + session_id.replace("-", "")[:8].upper()


class HandoffCore:
    """The handoff's state and the internals both sides use (see the module docstring)."""

    def __init__(
        self,
        *,
        db: Database,
        chat: ChatLog,
        extractor: SlotExtractor,
        corpus: Corpus | None = None,
        network: ChannelNetwork | None = None,
        config: HandoffConfig | None = None,
        outbox: Outbox | None = None,
        presence: Presence | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.chat = chat
        self.extractor = extractor
        self.corpus = corpus
        self.network = network
        self.config = config or HandoffConfig()
        self.outbox = outbox or Outbox()
        self.presence = presence or Presence()
        self.clock = clock
        self._tz = ZoneInfo(self.config.timezone)

    def _to_ticket(
        self, s: Session, row: HandoffSession, fx: Effects, *, reason: str, now: datetime, tell: bool = True
    ) -> None:
        row.state = State.TICKET
        row.ticket_reason = reason
        row.ticket_at = now
        hours = self.config.service_hours
        row.callback_by = (
            hours.callback_by(now, hours=self.config.callback_hours, customer_zone=self._known_zone(row))
            if hours is not None
            else now + timedelta(hours=self.config.callback_hours)
        )
        row.last_position = row.last_estimate_min = None
        row.updated_at = now
        if row.queued_at is None:
            row.queued_at = now  # it entered the queue and left it at once
        s.flush()
        self._log(s, row, kind="status", sender="system", author_id=None, text=f"ticket:{reason}")
        fx.queue_lines.add(row.product_line)
        if tell:
            lang = self._requester_language(s, row)
            fx.say(
                row.conversation_id,
                "handoff_status",
                self._status_payload(self._view(s, row), self._ticket_text(row, lang), ()),
            )
        log.info("handoff %s became ticket %s (%s)", row.id, ticket_id(row.id), reason)

    def _ticket_text(self, row: HandoffSession, lang: str) -> str:
        key = "ticket_no_expert" if row.ticket_reason == "no_expert_online" else "ticket_timeout"
        line = self.extractor.line_name(row.product_line) if row.product_line else ""
        return text(lang, key, line=line, ticket=ticket_id(row.id), callback=self._callback_text(row, lang))

    def _known_zone(self, row: HandoffSession) -> str | None:
        """The customer's zone of the row when this machine knows it (checked at the edge;
        a zone database changed since is a promise without it, not an error)."""
        zone = customer_zone(row)
        if zone is None:
            return None
        try:
            time_zone(zone)
        except TimeZoneError:
            log.warning("handoff %s: customer time zone %r unknown now; ignored", row.id, zone)
            return None
        return zone

    def _callback_text(self, row: HandoffSession, lang: str) -> str:
        """The promised callback in the experts' time, and in the customer's local time too
        when their clock shows another time then."""
        value = row.callback_by
        zone = self._known_zone(row)
        if value is None or zone is None:
            return self._local(value)
        at = value.replace(tzinfo=UTC)
        ours, theirs = at.astimezone(self._tz), at.astimezone(time_zone(zone))
        if ours.utcoffset() == theirs.utcoffset():
            return self._local(value)
        return text(
            lang,
            "callback_two_zones",
            time=ours.strftime("%Y-%m-%d %H:%M"),
            zone=zone_name(self.config.timezone, lang),
            customer_time=theirs.strftime("%Y-%m-%d %H:%M"),
            customer_zone=zone,
        )

    def _close(self, s: Session, row: HandoffSession, state: State, *, now: datetime) -> None:
        row.state = state
        row.asking = None
        row.closed_at = now
        row.updated_at = now
        row.last_position = row.last_estimate_min = None
        s.flush()

    def _end_assignment(self, s: Session, session_id: str, expert_id: str, *, reason: str, now: datetime) -> None:
        s.execute(
            update(HandoffAssignment)
            .where(
                HandoffAssignment.session_id == session_id,
                HandoffAssignment.expert_id == expert_id,
                HandoffAssignment.ended_at.is_(None),
            )
            .values(ended_at=now, end_reason=reason)
            .execution_options(synchronize_session=False)
        )

    def _log(
        self,
        s: Session,
        row: HandoffSession,
        *,
        kind: str,
        sender: str,
        author_id: str | None,
        text: str,
        client_msg_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> SessionEvent:
        # The next seq comes from one UPDATE ... RETURNING (the row stays locked until
        # commit), not from the loaded row: two instances logging to one session would
        # both read the same last_seq.  Pending changes of ``row`` are flushed first.
        s.flush()
        seq = s.execute(
            update(HandoffSession)
            .where(HandoffSession.id == row.id)
            .values(last_seq=HandoffSession.last_seq + 1)
            .returning(HandoffSession.last_seq)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        set_committed_value(row, "last_seq", seq)  # as stored; not written again at flush
        event = HandoffEvent(
            session_id=row.id,
            seq=seq,
            kind=kind,
            sender=sender,
            author_id=author_id,
            client_msg_id=client_msg_id,
            payload={"text": text, **(data or {})},
            created_at=self.clock(),
        )
        s.add(event)
        s.flush()
        return self._session_event(event, "")

    def _insert_message(
        self,
        s: Session,
        *,
        session_id: str,
        seq: int,
        sender: str,
        author: Caller,
        text: str,
        now: datetime,
        client_msg_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> SessionEvent:
        """Append a relayed message at a seq the caller already claimed with a conditional
        UPDATE (the relay hot paths: one INSERT, no ORM unit of work)."""
        extra = dict(data or {})
        s.execute(
            insert(HandoffEvent).values(
                session_id=session_id,
                seq=seq,
                kind="message",
                sender=sender,
                author_id=author.user_id,
                client_msg_id=client_msg_id,
                payload={"text": text, **extra},
                created_at=now,
            )
        )
        return SessionEvent(
            session_id=session_id,
            seq=seq,
            kind="message",
            sender=sender,
            author=author.display_name,
            text=text,
            created_at=now,
            client_msg_id=client_msg_id,
            data=extra,
        )

    def _refresh_positions(self, s: Session, fx: Effects, *, quiet: Iterable[str] = ()) -> None:
        """Recompute every waiting session's position and estimate; tell the requesters
        whose figures changed (``quiet``: updated without telling)."""
        rows = s.scalars(select(HandoffSession).where(HandoffSession.state == State.QUEUED)).all()
        if not rows:
            return
        silent = set(quiet)
        experts = self._experts(s)
        table = positions([Waiting(r.id, r.product_line, r.queued_at or r.created_at) for r in rows])
        handle: dict[str, float] = {}
        for row in rows:
            if row.product_line not in handle:
                handle[row.product_line] = self._handle_minutes(s, row.product_line)
            position = table[row.id]
            estimate = estimate_minutes(
                position=position,
                product_line=row.product_line,
                experts=experts,
                handle_minutes=handle[row.product_line],
                pickup_seconds=self.config.pickup_seconds,
            )
            if (position, estimate) == (row.last_position, row.last_estimate_min):
                continue
            row.last_position, row.last_estimate_min = position, estimate
            if row.id in silent:
                continue
            lang = self._requester_language(s, row)
            words = (
                text(lang, "queue_update", position=position, estimate=self._minutes(estimate, lang))
                if estimate is not None
                else text(lang, "queue_update_no_estimate", position=position)
            )
            fx.say(
                row.conversation_id,
                "handoff_queue",
                {"session_id": row.id, "position": position, "estimate_minutes": estimate, "text": words},
            )

    def _handle_minutes(self, s: Session, product_line: str) -> float:
        rows = s.execute(
            select(HandoffSession.assigned_at, HandoffSession.closed_at)
            .where(
                HandoffSession.state == State.RESOLVED,
                HandoffSession.product_line == product_line,
                HandoffSession.assigned_at.is_not(None),
            )
            .order_by(HandoffSession.closed_at.desc())
            .limit(_HANDLE_SAMPLE)
        ).all()
        spans = [(c - a).total_seconds() / 60 for a, c in rows if a is not None and c is not None]
        return sum(spans) / len(spans) if spans else self.config.default_handle_minutes

    def _apply(self, fx: Effects) -> None:
        """After the commit: store the requester's events, then hand deliveries over."""
        for conversation_id, event_type, payload, publish in fx.chat:
            stored = self.chat.append_event(conversation_id=conversation_id, event_type=event_type, payload=payload)
            if publish:
                self.outbox.put(ToConversation(conversation_id, stored))
        for delivery in fx.experts:
            self.outbox.put(delivery)
        for live in fx.live:
            self.outbox.put(live)
        if fx.queue_lines:
            self.outbox.put(QueueChanged(frozenset(fx.queue_lines)))

    def _latest_open(self, s: Session, conversation_id: str) -> HandoffSession | None:
        return s.scalars(
            select(HandoffSession)
            .where(
                HandoffSession.conversation_id == conversation_id,
                HandoffSession.state.in_([*ACTIVE_STATES, State.TICKET]),
            )
            .order_by(HandoffSession.created_at.desc())
            .limit(1)
        ).first()

    def _active(self, s: Session, conversation_id: str) -> HandoffSession | None:
        return s.scalars(
            select(HandoffSession)
            .where(HandoffSession.conversation_id == conversation_id, HandoffSession.state.in_(ACTIVE_STATES))
            .limit(1)
        ).first()

    def _requested_by(self, s: Session, caller: Caller, session_id: str) -> HandoffSession:
        row = s.get(HandoffSession, session_id)
        if row is None or row.requester_id != caller.user_id:
            raise HandoffNotFoundError("handoff session not found")
        return row

    def _expert(self, s: Session, caller: Caller) -> ExpertInfo:
        if caller.role != EXPERT_ROLE:
            raise ExpertOnlyError("experts only")
        expert = self._expert_by_id(s, caller.user_id)
        if expert is None:
            raise ExpertOnlyError("not a registered expert")
        return expert

    def _expert_by_id(self, s: Session, user_id: str) -> ExpertInfo | None:
        return next((e for e in self._experts(s) if e.user_id == user_id), None)

    def _experts(self, s: Session) -> list[ExpertInfo]:
        active = dict(
            s.execute(
                select(HandoffSession.expert_id, func.count())
                .where(HandoffSession.state == State.ASSIGNED)
                .group_by(HandoffSession.expert_id)
            ).all()
        )
        online = self.presence.online()
        rows = s.execute(
            select(HandoffExpert, User)
            .join(User, User.id == HandoffExpert.user_id)
            .where(User.active.is_(True), User.role == EXPERT_ROLE)
            .order_by(User.username)
        ).all()
        return [
            ExpertInfo(
                user_id=user.id,
                username=user.username,
                display_name=user.display_name,
                skills=tuple(expert.skills),
                capacity=expert.capacity,
                active=int(active.get(user.id, 0)),
                online=user.id in online,
            )
            for expert, user in rows
        ]

    def _online_for(self, s: Session, product_line: str) -> bool:
        return any(e.online and e.has_skill(product_line) for e in self._experts(s))

    def _visible(self, s: Session, expert: ExpertInfo, session_id: str) -> HandoffSession:
        """Sessions routed to the expert (now or before) or waiting in their queue;
        anything else is "not found"."""
        row = s.get(HandoffSession, session_id)
        if row is None:
            raise HandoffNotFoundError("handoff session not found")
        if row.expert_id == expert.user_id:
            return row
        if row.state in ACCEPTABLE_STATES and expert.has_skill(row.product_line):
            return row
        handled = s.scalars(
            select(func.count())
            .select_from(HandoffAssignment)
            .where(HandoffAssignment.session_id == row.id, HandoffAssignment.expert_id == expert.user_id)
        ).one()
        if handled:
            return row
        raise HandoffNotFoundError("handoff session not found")

    def _owned_by_expert(self, s: Session, expert: ExpertInfo, session_id: str) -> HandoffSession:
        row = self._visible(s, expert, session_id)
        if row.state != State.ASSIGNED or row.expert_id != expert.user_id:
            raise InvalidStateError("the session is not assigned to you")
        return row

    def _queue_for(self, s: Session, expert: ExpertInfo) -> tuple[list[SessionView], list[SessionView]]:
        mine = s.scalars(
            select(HandoffSession)
            .where(HandoffSession.state == State.ASSIGNED, HandoffSession.expert_id == expert.user_id)
            .order_by(HandoffSession.assigned_at)
        ).all()
        waiting = s.scalars(
            select(HandoffSession)
            .where(HandoffSession.state.in_(ACCEPTABLE_STATES))
            .order_by(HandoffSession.state, HandoffSession.queued_at)
        ).all()
        visible = [r for r in waiting if expert.has_skill(r.product_line)]
        visible.sort(key=lambda r: (r.state != State.QUEUED, r.queued_at or r.created_at))
        return [self._view(s, r) for r in mine], [self._view(s, r) for r in visible]

    def _waiting_lines(self, s: Session) -> set[str]:
        return set(
            s.scalars(
                select(HandoffSession.product_line).where(HandoffSession.state.in_(ACCEPTABLE_STATES)).distinct()
            ).all()
        )

    def _events(self, s: Session, session_id: str, after_seq: int) -> list[SessionEvent]:
        rows = s.scalars(
            select(HandoffEvent)
            .where(HandoffEvent.session_id == session_id, HandoffEvent.seq > after_seq)
            .order_by(HandoffEvent.seq)
            .limit(1000)
        ).all()
        names: dict[str | None, str] = {}
        out = []
        for e in rows:
            if e.author_id not in names:
                names[e.author_id] = self._name(s, e.author_id)
            out.append(self._session_event(e, names[e.author_id]))
        return out

    def _detail(self, s: Session, row: HandoffSession) -> SessionDetail:
        events = tuple(self._events(s, row.id, 0))
        packet = {k: v for k, v in (row.context or {}).items() if k != RTC_CALL_KEY}
        packet["remote_assist"] = remote_assist(events, self._local)
        return SessionDetail(session=self._view(s, row), packet=packet, events=events)

    def _status_for(self, s: Session, row: HandoffSession) -> tuple[int, int | None] | None:
        if row.state != State.QUEUED:
            return None
        if row.last_position is not None:
            return row.last_position, row.last_estimate_min
        rows = s.scalars(select(HandoffSession).where(HandoffSession.state == State.QUEUED)).all()
        table = positions([Waiting(r.id, r.product_line, r.queued_at or r.created_at) for r in rows])
        return table.get(row.id, 1), None

    def _view(self, s: Session, row: HandoffSession) -> SessionView:
        status = self._status_for(s, row)
        slots = self._slots(row)
        now = self.clock()
        waiting = None
        if row.queued_at is not None:
            waiting = (
                (row.assigned_at or (now if row.state == State.QUEUED else row.ticket_at or now)) - row.queued_at
            ).total_seconds()
        return SessionView(
            id=row.id,
            conversation_id=row.conversation_id,
            state=str(row.state),
            slots=slots,
            requester_name=self._name(s, row.requester_id),
            partner_id=row.partner_id,
            missing=missing_slots(slots, row.asked) if row.state == State.COLLECTING else (),
            asking=row.asking,
            position=status[0] if status else None,
            estimate_minutes=status[1] if status else None,
            expert_id=row.expert_id,
            expert_name=self._name(s, row.expert_id),
            ticket_id=ticket_id(row.id) if row.ticket_at is not None else "",
            ticket_reason=row.ticket_reason,
            callback_by=row.callback_by,
            resolution=row.resolution,
            resolved=row.resolved,
            created_at=row.created_at,
            queued_at=row.queued_at,
            assigned_at=row.assigned_at,
            closed_at=row.closed_at,
            waiting_seconds=round(max(0.0, waiting), 3) if waiting is not None else None,
        )

    def _packet(self, s: Session, row: HandoffSession, lang: str) -> dict[str, Any]:
        conversation = s.get(Conversation, row.conversation_id)
        events = s.scalars(
            select(Event)
            .where(Event.conversation_id == row.conversation_id, Event.type.in_(("message", "reply")))
            .order_by(Event.seq.desc())
            .limit(200)
        ).all()
        user_messages = [str(e.payload.get("text", "")) for e in reversed(events) if e.type == "message"]
        citations: list[dict[str, Any]] = []
        for e in events:
            raw = e.payload.get("citations")
            if e.type == "reply" and isinstance(raw, list):
                citations.extend(c for c in raw if isinstance(c, dict))
        slots = self._slots(row)
        packet = build_packet(
            slots=slots,
            requester=self._name(s, row.requester_id),
            partner_id=row.partner_id,
            profile=dict(conversation.profile) if conversation is not None else {},
            user_messages=user_messages,
            citations_newest_first=citations,
            corpus=self.corpus,
            network=self.network,
            line_name=self.extractor.line_name(slots.product_line) if slots.product_line else "",
            language=lang,
        )
        return packet.to_json()

    def _with_line(self, slots: SlotValues) -> SlotValues:
        if slots.product_model and not slots.product_line:
            return replace(slots, product_line=self.extractor.products.get(slots.product_model, ""))
        return slots

    def _name(self, s: Session, user_id: str | None) -> str:
        if not user_id:
            return ""
        user = s.get(User, user_id)
        return user.display_name or user.username if user is not None else ""

    @staticmethod
    def _requester_language(s: Session, row: HandoffSession) -> str:
        return "zh"  # users carry no language preference yet; callers' turns use caller.language

    @staticmethod
    def _slots(row: HandoffSession) -> SlotValues:
        return SlotValues(
            product_model=row.product_model or "",
            product_line=row.product_line or "",
            serial=row.serial or "",
            firmware=row.firmware or "",
            symptom=row.symptom or "",
            site=row.site or "",
            urgency=row.urgency or "",
        )

    @staticmethod
    def _set_slots(row: HandoffSession, slots: SlotValues) -> None:
        row.product_model = slots.product_model[:64]
        row.product_line = slots.product_line[:16]
        row.serial = slots.serial[:64]
        row.firmware = slots.firmware[:32]
        row.symptom = slots.symptom
        row.site = slots.site[:200]
        row.urgency = slots.urgency[:8]

    def _session_event(self, e: HandoffEvent, author: str) -> SessionEvent:
        payload = dict(e.payload)
        body = str(payload.pop("text", ""))
        return SessionEvent(
            session_id=e.session_id,
            seq=e.seq,
            kind=e.kind,
            sender=e.sender,
            author=author,
            text=body,
            created_at=e.created_at,
            client_msg_id=e.client_msg_id,
            data=payload,
        )

    def _event_json(self, event: SessionEvent, author: str | None = None) -> dict[str, Any]:
        return {
            "type": "session_event",
            "session_id": event.session_id,
            "seq": event.seq,
            "kind": event.kind,
            "sender": event.sender,
            "author": author if author is not None else event.author,
            "text": event.text,
            "created_at": iso(event.created_at),
            "client_msg_id": event.client_msg_id,
            "data": dict(event.data),
        }

    def _status_payload(self, view: SessionView, words: str, suggestions: Sequence[str]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "session_id": view.id,
            "state": view.state,
            "text": words,
            "suggestions": list(suggestions),
        }
        if view.state == State.COLLECTING:
            payload["asking"] = view.asking
            payload["missing"] = list(view.missing)
        if view.position is not None:
            payload["position"] = view.position
            payload["estimate_minutes"] = view.estimate_minutes
        if view.ticket_id:
            payload["ticket_id"] = view.ticket_id
            payload["callback_by"] = iso(view.callback_by)
        if view.state == State.RESOLVED:
            payload["summary"] = view.resolution
            payload["resolved"] = view.resolved
        return payload

    def _local(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return value.replace(tzinfo=UTC).astimezone(self._tz).strftime("%Y-%m-%d %H:%M")

    @staticmethod
    def _minutes(value: int | None, lang: str) -> str:
        if value is None or value <= 1:
            return text(lang, "estimate_soon")
        return text(lang, "estimate_minutes", minutes=value)


def view_json(view: SessionView) -> dict[str, Any]:
    """A session view as JSON (the API's response models mirror these keys)."""
    return {
        "id": view.id,
        "conversation_id": view.conversation_id,
        "state": view.state,
        "slots": view.slots.as_dict(),
        "requester_name": view.requester_name,
        "partner_id": view.partner_id,
        "missing": list(view.missing),
        "asking": view.asking,
        "position": view.position,
        "estimate_minutes": view.estimate_minutes,
        "expert_id": view.expert_id,
        "expert_name": view.expert_name,
        "ticket_id": view.ticket_id,
        "ticket_reason": view.ticket_reason,
        "callback_by": iso(view.callback_by),
        "resolution": view.resolution,
        "resolved": view.resolved,
        "created_at": iso(view.created_at),
        "queued_at": iso(view.queued_at),
        "assigned_at": iso(view.assigned_at),
        "closed_at": iso(view.closed_at),
        "waiting_seconds": view.waiting_seconds,
    }


def clean_text(value: str, limit: int) -> str:
    body = value.strip()
    if not body or len(body) > limit:
        raise HandoffInputError(f"text must be 1..{limit} characters")
    return body
