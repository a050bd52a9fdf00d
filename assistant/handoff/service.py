"""The handoff service: requests, slot collection, queue, experts, relay, resolve.

Every state change is one short ``BEGIN IMMEDIATE`` transaction (``Database.write``);
what must then reach people happens after the commit:

* the requester's side is stored as chat events (``ChatLog.append_event``), so the
  chat's resume-by-``seq`` covers it, and put in the :class:`Outbox` for live sockets;
* the expert's side is the session's own log (``handoff_events``, its own ``seq``),
  put in the outbox for the expert's console sockets.

Acceptance is a conditional ``UPDATE ... WHERE state IN ('queued', 'ticket')`` in the
same transaction as the skill and capacity checks: of two experts racing, exactly
one row changes and the other gets :class:`AlreadyTakenError`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.chat.service import ConversationNotFoundError, StoredEvent
from assistant.content.loader import Corpus
from assistant.dialogue.types import Caller
from assistant.handoff import metrics as metrics_mod
from assistant.handoff.errors import (
    AlreadyTakenError,
    AtCapacityError,
    ExpertOnlyError,
    HandoffInputError,
    HandoffNotFoundError,
    InvalidStateError,
    JoinCodeExpiredError,
    JoinCodeInvalidError,
    JoinCodeUsedError,
    TransferTargetError,
)
from assistant.handoff.experts import EXPERT_ROLE
from assistant.handoff.outbox import Outbox, Presence, QueueChanged, ToConversation, ToExpert
from assistant.handoff.packet import build_packet
from assistant.handoff.queueing import Waiting, estimate_minutes, positions
from assistant.handoff.slots import SlotExtractor, is_cancel, is_dont_know, missing_slots
from assistant.handoff.tables import HandoffAssignment, HandoffEvent, HandoffExpert, HandoffJoinCode, HandoffSession
from assistant.handoff.texts import text
from assistant.handoff.types import (
    ACCEPTABLE_STATES,
    ACTIVE_STATES,
    SLOT_ORDER,
    ExpertInfo,
    FaqCandidate,
    JoinCode,
    JoinRedeemed,
    SessionDetail,
    SessionEvent,
    SessionView,
    Slot,
    SlotValues,
    State,
)
from assistant.rebates.network import ChannelNetwork
from assistant.storage.db import Database
from assistant.storage.models import Conversation, Event, User, utcnow

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4000
MAX_SUMMARY_CHARS = 2000
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
_CODE_LENGTH = 10
_HANDLE_SAMPLE = 50
METRICS_ROLES = frozenset({EXPERT_ROLE, "admin"})


class ChatLog(Protocol):
    """The chat's event log (``ChatService`` implements it)."""

    def append_event(self, *, conversation_id: str, event_type: str, payload: dict[str, Any]) -> StoredEvent: ...


@dataclass(frozen=True, slots=True)
class HandoffConfig:
    queue_timeout_seconds: float = 300
    collect_timeout_seconds: float = 1800
    callback_hours: int = 4
    join_code_ttl_seconds: int = 600
    ar_link_base: str = "https://ar-link.lantu.example/join"
    default_handle_minutes: float = 15
    pickup_seconds: int = 60
    max_collect_turns: int = 8
    timezone: str = "Asia/Shanghai"  # how times are written in messages


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """A requester's chat turn taken by the handoff: a bot reply to store, or none
    (the message was relayed to the expert's side)."""

    reply: str | None
    suggestions: tuple[str, ...] = ()
    profile_patch: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    session: SessionView
    text: str
    suggestions: tuple[str, ...]
    created: bool


@dataclass
class _Effects:
    """What to do once the transaction committed."""

    chat: list[tuple[str, str, dict[str, Any], bool]] = field(default_factory=list)  # cid, type, payload, publish
    experts: list[ToExpert] = field(default_factory=list)
    queue_lines: set[str] = field(default_factory=set)

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


def ticket_id(session_id: str) -> str:
    return "T-" + session_id.replace("-", "")[:8].upper()


# Asked on every chat turn (route_turn): built once, run on the session's connection.
_ACTIVE_FOR_CONVERSATION = (
    select(HandoffSession.id, HandoffSession.state)
    .where(HandoffSession.conversation_id == bindparam("cid"), HandoffSession.state.in_(ACTIVE_STATES))
    .limit(1)
)


class HandoffService:
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

    # == requester side ================================================================

    def request(
        self,
        *,
        caller: Caller,
        conversation_id: str,
        provided: SlotValues | None = None,
        text_said: str = "",
        history: Sequence[str] = (),
        in_turn: bool = False,
    ) -> RequestOutcome:
        """Open a handoff for the caller's conversation (or return the open one).

        ``in_turn``: called from the chat turn itself, whose reply carries the text;
        otherwise (the button, REST) the text is stored and published as a
        ``handoff_status`` chat event."""
        lang = caller.language
        fx = _Effects()
        now = self.clock()
        with self.db.write() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None or conversation.user_id != caller.user_id:
                raise ConversationNotFoundError("conversation not found")
            row = self._latest_open(s, conversation_id)
            created = False
            if row is not None and row.state in ACTIVE_STATES:
                if provided and row.state == State.COLLECTING:
                    self._set_slots(row, self._slots(row).merged(provided))
                reply, suggestions = self._advance(s, row, fx, lang=lang, now=now, fresh=False)
            elif row is not None and row.state == State.TICKET and not self._online_for(s, row.product_line):
                reply = text(lang, "ticket_open", ticket=ticket_id(row.id), callback=self._local(row.callback_by))
                suggestions = ()
            else:
                if row is not None:  # a ticket, and now someone is online: back in the queue
                    row.state = State.COLLECTING
                    row.ticket_reason = ""
                    row.callback_by = None
                    row.ticket_at = None
                    row.last_position = row.last_estimate_min = None
                else:
                    slots = self.extractor.from_context(text=text_said, history=history, profile=conversation.profile)
                    row = HandoffSession(
                        id=str(uuid.uuid4()),
                        conversation_id=conversation_id,
                        requester_id=caller.user_id,
                        partner_id=caller.partner_id,
                        state=State.COLLECTING,
                        asked=[],
                        collect_turns=0,
                        context={},
                        last_seq=0,
                        created_at=now,
                        updated_at=now,
                    )
                    self._set_slots(row, slots.merged(provided or SlotValues()))
                    s.add(row)
                    s.flush()
                    created = True
                reply, suggestions = self._advance(s, row, fx, lang=lang, now=now, fresh=True)
            row.updated_at = now
            s.flush()
            view = self._view(s, row)
            if not in_turn:
                fx.say(conversation_id, "handoff_status", self._status_payload(view, reply, suggestions))
        self._apply(fx)
        return RequestOutcome(session=view, text=reply, suggestions=suggestions, created=created)

    def route_turn(self, *, caller: Caller, conversation_id: str, text_said: str, chat_seq: int) -> TurnOutcome | None:
        """A requester's chat message while a handoff is active: answer the bot's
        question, or relay it to the expert's side.  None: no active handoff, the bot
        answers.  The conversation's ownership was checked by the chat service."""
        lang = caller.language
        fx = _Effects()
        now = self.clock()
        with self.db.read() as s:  # most turns: no handoff, and no write lock taken
            found = s.connection().execute(_ACTIVE_FOR_CONVERSATION, {"cid": conversation_id}).first()
        if found is None:
            return None
        if found.state != State.COLLECTING and not is_cancel(text_said):
            relayed = self._relay_from_requester(
                caller=caller, session_id=found.id, text_said=text_said, chat_seq=chat_seq, now=now
            )
            if relayed:
                return TurnOutcome(reply=None)
        with self.db.write() as s:
            row = self._active(s, conversation_id)
            if row is None:
                return None
            row.updated_at = now
            if row.state in (State.COLLECTING, State.QUEUED) and is_cancel(text_said):
                self._close(s, row, State.CANCELLED, now=now)
                self._log(s, row, kind="status", sender="requester", author_id=caller.user_id, text="cancelled")
                fx.queue_lines.add(row.product_line)
                self._refresh_positions(s, fx)
                outcome = TurnOutcome(reply=text(lang, "cancelled"))
            elif row.state == State.COLLECTING:
                outcome = self._collect(s, row, fx, text_said=text_said, lang=lang, now=now)
            else:
                event = self._log(
                    s,
                    row,
                    kind="message",
                    sender="requester",
                    author_id=caller.user_id,
                    text=text_said,
                    data={"chat_seq": chat_seq},
                )
                if row.state == State.ASSIGNED and row.expert_id:
                    fx.experts.append(ToExpert(row.expert_id, self._event_json(event, caller.display_name)))
                outcome = TurnOutcome(reply=None)
        self._apply(fx)
        return outcome

    def _relay_from_requester(
        self, *, caller: Caller, session_id: str, text_said: str, chat_seq: int, now: datetime
    ) -> bool:
        """The hot path of a relay (queued or assigned): claim the session's next seq
        with one conditional UPDATE and append the message.  False: the session changed
        state meanwhile, the caller takes the full path."""
        with self.db.write() as s:
            claimed = s.execute(
                update(HandoffSession)
                .where(HandoffSession.id == session_id, HandoffSession.state.in_((State.QUEUED, State.ASSIGNED)))
                .values(last_seq=HandoffSession.last_seq + 1, updated_at=now)
                .returning(HandoffSession.last_seq, HandoffSession.state, HandoffSession.expert_id)
                .execution_options(synchronize_session=False)
            ).first()
            if claimed is None:
                return False
            seq, state, expert_id = claimed
            payload = {"text": text_said, "chat_seq": chat_seq}
            s.execute(
                insert(HandoffEvent).values(
                    session_id=session_id,
                    seq=seq,
                    kind="message",
                    sender="requester",
                    author_id=caller.user_id,
                    payload=payload,
                    created_at=now,
                )
            )
        if state == State.ASSIGNED and expert_id:
            event = SessionEvent(
                session_id=session_id,
                seq=seq,
                kind="message",
                sender="requester",
                author=caller.display_name,
                text=text_said,
                created_at=now,
                data={"chat_seq": chat_seq},
            )
            self.outbox.put(ToExpert(expert_id, self._event_json(event)))
        return True

    def _collect(
        self, s: Session, row: HandoffSession, fx: _Effects, *, text_said: str, lang: str, now: datetime
    ) -> TurnOutcome:
        asking: Slot | None = row.asking if row.asking in SLOT_ORDER else None
        found = self.extractor.extract(text_said, asking=asking)
        before = self._slots(row)
        self._set_slots(row, before.merged(found))
        if asking in ("product_model", "serial_firmware"):
            row.asked = sorted({*row.asked, asking})  # asked once, answered or not
        if asking == "product_model" and is_dont_know(text_said):
            row.asked = sorted({*row.asked, "product_model"})
        row.collect_turns += 1
        reply, suggestions = self._advance(s, row, fx, lang=lang, now=now, fresh=False)
        patch: dict[str, str] = {}
        after = self._slots(row)
        if after.product_model and self.corpus is not None and self.corpus.product(after.product_model):
            patch = {"product_model": after.product_model, "product_line": after.product_line}
        return TurnOutcome(reply=reply, suggestions=suggestions, profile_patch=patch)

    def cancel(self, *, caller: Caller, session_id: str) -> SessionView:
        fx = _Effects()
        now = self.clock()
        with self.db.write() as s:
            row = self._requested_by(s, caller, session_id)
            if row.state not in (State.COLLECTING, State.QUEUED):
                raise InvalidStateError(f"cannot cancel a {row.state} session")
            self._close(s, row, State.CANCELLED, now=now)
            self._log(s, row, kind="status", sender="requester", author_id=caller.user_id, text="cancelled")
            fx.say(
                row.conversation_id,
                "handoff_status",
                self._status_payload(self._view(s, row), text(caller.language, "cancelled"), ()),
            )
            fx.queue_lines.add(row.product_line)
            self._refresh_positions(s, fx)
            view = self._view(s, row)
        self._apply(fx)
        return view

    def profile_of(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's stored customer profile (JSON)."""
        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
            return dict(conversation.profile) if conversation is not None else {}

    def requester_view(self, *, caller: Caller, session_id: str) -> SessionView:
        with self.db.read() as s:
            return self._view(s, self._requested_by(s, caller, session_id))

    def active_session(self, *, caller: Caller, conversation_id: str) -> SessionView | None:
        with self.db.read() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None or conversation.user_id != caller.user_id:
                raise ConversationNotFoundError("conversation not found")
            row = self._latest_open(s, conversation_id)
            return self._view(s, row) if row is not None else None

    def redeem_join_code(self, *, caller: Caller, code: str) -> JoinRedeemed:
        """The field side joins the AR session: single use, before it expires, and
        only by the session's requester (anyone else: ``join_code_invalid``)."""
        digest = hash_code(code)
        now = self.clock()
        fx = _Effects()
        with self.db.write() as s:
            entry = s.get(HandoffJoinCode, digest)
            row = s.get(HandoffSession, entry.session_id) if entry is not None else None
            if entry is None or row is None or row.requester_id != caller.user_id or entry.revoked:
                raise JoinCodeInvalidError("no such join code")
            if row.state != State.ASSIGNED:
                raise JoinCodeInvalidError("the session is no longer live")
            taken = s.execute(
                update(HandoffJoinCode)
                .where(
                    HandoffJoinCode.code_hash == digest,
                    HandoffJoinCode.used_at.is_(None),
                    HandoffJoinCode.revoked.is_(False),
                    HandoffJoinCode.expires_at > now,
                )
                .values(used_at=now, used_by=caller.user_id)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                s.refresh(entry)
                if entry.used_at is not None:
                    raise JoinCodeUsedError("join code already used")
                raise JoinCodeExpiredError("join code expired")
            event = self._log(
                s, row, kind="status", sender="requester", author_id=caller.user_id, text="ar_joined", data={}
            )
            if row.expert_id:
                fx.experts.append(ToExpert(row.expert_id, self._event_json(event, caller.display_name)))
            result = JoinRedeemed(
                session_id=row.id, expert_name=self._name(s, row.expert_id), product_model=row.product_model
            )
        self._apply(fx)
        return result

    # == expert side ===================================================================

    def expert_info(self, *, caller: Caller) -> ExpertInfo:
        with self.db.read() as s:
            return self._expert(s, caller)

    def list_experts(self, *, caller: Caller) -> list[ExpertInfo]:
        with self.db.read() as s:
            self._expert(s, caller)
            return self._experts(s)

    def queue_for(self, *, caller: Caller) -> tuple[list[SessionView], list[SessionView]]:
        """(sessions assigned to the expert, sessions waiting that the expert may take:
        queued oldest first, then tickets)."""
        with self.db.read() as s:
            return self._queue_for(s, self._expert(s, caller))

    def queue_for_expert_id(self, expert_id: str) -> tuple[list[SessionView], list[SessionView]] | None:
        with self.db.read() as s:
            expert = self._expert_by_id(s, expert_id)
            return None if expert is None else self._queue_for(s, expert)

    def expert_detail(self, *, caller: Caller, session_id: str) -> SessionDetail:
        with self.db.read() as s:
            expert = self._expert(s, caller)
            row = self._visible(s, expert, session_id)
            return self._detail(s, row)

    def events_after(self, *, caller: Caller, session_id: str, after_seq: int = 0) -> list[dict[str, Any]]:
        with self.db.read() as s:
            expert = self._expert(s, caller)
            row = self._visible(s, expert, session_id)
            return [self._event_json(e) for e in self._events(s, row.id, after_seq)]

    def accept(self, *, caller: Caller, session_id: str) -> SessionDetail:
        fx = _Effects()
        now = self.clock()
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = s.get(HandoffSession, session_id)
            # Only sessions that were routed to a queue this expert's skills cover exist
            # for them; one taken meanwhile is "already taken", not "not found".
            if row is None or row.queued_at is None or not expert.has_skill(row.product_line):
                raise HandoffNotFoundError("handoff session not found")
            if row.state not in ACCEPTABLE_STATES:
                raise AlreadyTakenError("session is not waiting")
            if expert.active >= expert.capacity:
                raise AtCapacityError("expert at capacity")
            # The race is decided here: only one UPDATE finds the session still waiting.
            won = s.execute(
                update(HandoffSession)
                .where(HandoffSession.id == row.id, HandoffSession.state.in_(ACCEPTABLE_STATES))
                .values(
                    state=State.ASSIGNED,
                    expert_id=expert.user_id,
                    assigned_at=func.coalesce(HandoffSession.assigned_at, now),
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise AlreadyTakenError("another expert accepted first")
            s.refresh(row)
            s.add(HandoffAssignment(session_id=row.id, expert_id=expert.user_id, assigned_at=now))
            self._log(s, row, kind="status", sender="expert", author_id=expert.user_id, text="accepted")
            lang = self._requester_language(s, row)
            fx.say(
                row.conversation_id,
                "expert_joined",
                {
                    "session_id": row.id,
                    "expert": expert.display_name,
                    "text": text(lang, "expert_joined", expert=expert.display_name),
                },
            )
            fx.queue_lines.add(row.product_line)
            self._refresh_positions(s, fx)
            detail = self._detail(s, row)
            fx.experts.append(ToExpert(expert.user_id, {"type": "assigned", "session": view_json(detail.session)}))
        self._apply(fx)
        log.info("handoff %s accepted by %s", session_id, expert.user_id)
        return detail

    def expert_message(
        self, *, caller: Caller, session_id: str, client_msg_id: str, text_said: str
    ) -> tuple[dict[str, Any], bool]:
        """Relay an expert's message to the requester.  Returns (session event, duplicate)."""
        body = _clean_text(text_said, MAX_TEXT_CHARS)
        fx = _Effects()
        now = self.clock()
        try:
            with self.db.write() as s:
                # The hot path: one conditional UPDATE claims the next seq of a session
                # assigned to this expert; a repeated client_msg_id fails the INSERT
                # (unique) and rolls the whole transaction back.
                claimed = s.execute(
                    update(HandoffSession)
                    .where(
                        HandoffSession.id == session_id,
                        HandoffSession.state == State.ASSIGNED,
                        HandoffSession.expert_id == caller.user_id,
                    )
                    .values(last_seq=HandoffSession.last_seq + 1, updated_at=now)
                    .returning(HandoffSession.last_seq, HandoffSession.conversation_id)
                    .execution_options(synchronize_session=False)
                ).first()
                if claimed is None or caller.role != EXPERT_ROLE:
                    self._owned_by_expert(s, self._expert(s, caller), session_id)  # raises the right error
                    raise InvalidStateError("the session is not assigned to you")
                seq, conversation_id = claimed
                s.execute(
                    insert(HandoffEvent).values(
                        session_id=session_id,
                        seq=seq,
                        kind="message",
                        sender="expert",
                        author_id=caller.user_id,
                        client_msg_id=client_msg_id,
                        payload={"text": body},
                        created_at=now,
                    )
                )
                event = SessionEvent(
                    session_id=session_id,
                    seq=seq,
                    kind="message",
                    sender="expert",
                    author=caller.display_name,
                    text=body,
                    created_at=now,
                    client_msg_id=client_msg_id,
                )
                fx.say(
                    conversation_id,
                    "expert_message",
                    {
                        "session_id": session_id,
                        "expert": caller.display_name,
                        "text": body,
                        "client_msg_id": client_msg_id,
                        "session_seq": seq,
                    },
                )
                out = self._event_json(event)
        except IntegrityError:  # this client_msg_id was stored before: it is a repeat
            with self.db.read() as s:
                existing = s.scalars(
                    select(HandoffEvent).where(
                        HandoffEvent.session_id == session_id, HandoffEvent.client_msg_id == client_msg_id
                    )
                ).one()
                return self._event_json(self._session_event(existing, caller.display_name)), True
        self._apply(fx)
        return out, False

    def add_note(self, *, caller: Caller, session_id: str, text_said: str) -> dict[str, Any]:
        """A private note on the session (experts only; never shown to the requester)."""
        body = _clean_text(text_said, MAX_TEXT_CHARS)
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            event = self._log(s, row, kind="note", sender="expert", author_id=expert.user_id, text=body)
            return self._event_json(event, expert.display_name)

    def issue_join_code(self, *, caller: Caller, session_id: str) -> JoinCode:
        """A fresh AR join code for the session (earlier unused ones are revoked); the
        requester receives it as an ``ar_join_code`` chat event."""
        now = self.clock()
        fx = _Effects()
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
        code = f"{code[:5]}-{code[5:]}"
        expires = now + timedelta(seconds=self.config.join_code_ttl_seconds)
        link = f"{self.config.ar_link_base}?code={code}"
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            s.execute(
                update(HandoffJoinCode)
                .where(HandoffJoinCode.session_id == row.id, HandoffJoinCode.used_at.is_(None))
                .values(revoked=True)
                .execution_options(synchronize_session=False)
            )
            s.add(
                HandoffJoinCode(
                    code_hash=hash_code(code),
                    session_id=row.id,
                    expert_id=expert.user_id,
                    created_at=now,
                    expires_at=expires,
                )
            )
            self._log(
                s,
                row,
                kind="join_code",
                sender="expert",
                author_id=expert.user_id,
                text="ar_join_code",
                data={"expires_at": iso(expires), "code_tail": code[-4:]},
            )
            lang = self._requester_language(s, row)
            minutes = max(1, round(self.config.join_code_ttl_seconds / 60))
            fx.say(
                row.conversation_id,
                "ar_join_code",
                {
                    "session_id": row.id,
                    "code": code,
                    "link": link,
                    "expires_at": iso(expires),
                    "expert": expert.display_name,
                    "text": text(lang, "join_code", code=code, minutes=minutes, link=link),
                },
            )
        self._apply(fx)
        return JoinCode(session_id=session_id, code=code, link=link, expires_at=expires)

    def transfer(self, *, caller: Caller, session_id: str, to_username: str, note: str = "") -> SessionView:
        now = self.clock()
        fx = _Effects()
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            target_user = s.scalars(select(User).where(User.username == to_username)).first()
            target = self._expert_by_id(s, target_user.id) if target_user is not None and target_user.active else None
            if target is None or target.user_id == expert.user_id or not target.has_skill(row.product_line):
                raise TransferTargetError("not an expert with this skill")
            if target.active >= target.capacity:
                raise AtCapacityError("the other expert is at capacity")
            moved = s.execute(
                update(HandoffSession)
                .where(
                    HandoffSession.id == row.id,
                    HandoffSession.state == State.ASSIGNED,
                    HandoffSession.expert_id == expert.user_id,
                )
                .values(expert_id=target.user_id, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise InvalidStateError("session is not yours any more")
            s.refresh(row)
            self._end_assignment(s, row.id, expert.user_id, reason="transferred", now=now)
            s.add(HandoffAssignment(session_id=row.id, expert_id=target.user_id, assigned_at=now))
            self._log(
                s,
                row,
                kind="status",
                sender="expert",
                author_id=expert.user_id,
                text="transferred",
                data={"from": expert.display_name, "to": target.display_name},
            )
            if note.strip():
                self._log(
                    s,
                    row,
                    kind="note",
                    sender="expert",
                    author_id=expert.user_id,
                    text=_clean_text(note, MAX_TEXT_CHARS),
                )
            lang = self._requester_language(s, row)
            fx.expert_left(row.conversation_id, session_id=row.id, expert=expert.display_name, lang=lang)
            fx.say(
                row.conversation_id,
                "expert_joined",
                {
                    "session_id": row.id,
                    "expert": target.display_name,
                    "text": text(lang, "transferred", expert=target.display_name),
                },
            )
            view = self._view(s, row)
            fx.experts.append(ToExpert(target.user_id, {"type": "assigned", "session": view_json(view)}))
            fx.experts.append(
                ToExpert(expert.user_id, {"type": "unassigned", "session_id": row.id, "reason": "transferred"})
            )
            self._refresh_positions(s, fx)
        self._apply(fx)
        return view

    def resolve(self, *, caller: Caller, session_id: str, summary: str, resolved: bool = True) -> SessionView:
        """Close the session; the conversation goes back to the bot and the summary
        becomes a candidate FAQ entry (see :meth:`faq_candidates`)."""
        body = _clean_text(summary, MAX_SUMMARY_CHARS)
        now = self.clock()
        fx = _Effects()
        with self.db.write() as s:
            expert = self._expert(s, caller)
            row = self._owned_by_expert(s, expert, session_id)
            closed = s.execute(
                update(HandoffSession)
                .where(
                    HandoffSession.id == row.id,
                    HandoffSession.state == State.ASSIGNED,
                    HandoffSession.expert_id == expert.user_id,
                )
                .values(state=State.RESOLVED, resolution=body, resolved=resolved, closed_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if closed.rowcount != 1:  # type: ignore[attr-defined]
                raise InvalidStateError("session is not yours any more")
            s.refresh(row)
            self._end_assignment(s, row.id, expert.user_id, reason="resolved", now=now)
            self._log(
                s,
                row,
                kind="status",
                sender="expert",
                author_id=expert.user_id,
                text="resolved" if resolved else "closed_unresolved",
                data={"summary": body},
            )
            lang = self._requester_language(s, row)
            fx.expert_left(row.conversation_id, session_id=row.id, expert=expert.display_name, lang=lang)
            view = self._view(s, row)
            key = "resolved" if resolved else "closed_unresolved"
            fx.say(
                row.conversation_id,
                "handoff_status",
                self._status_payload(view, text(lang, key, expert=expert.display_name, summary=body), ()),
            )
            fx.experts.append(ToExpert(expert.user_id, {"type": "closed", "session": view_json(view)}))
            self._refresh_positions(s, fx)  # a slot is free: estimates shrink
            fx.queue_lines.add(row.product_line)
        self._apply(fx)
        log.info("handoff %s resolved=%s by %s", session_id, resolved, expert.user_id)
        return view

    def metrics(self, *, caller: Caller) -> metrics_mod.Metrics:
        if caller.role not in METRICS_ROLES:
            raise ExpertOnlyError("experts and admins only")
        with self.db.read() as s:
            sessions = [
                metrics_mod.SessionRow(
                    id=r.id,
                    product_line=r.product_line,
                    state=r.state,
                    resolved=r.resolved,
                    queued_at=r.queued_at,
                    assigned_at=r.assigned_at,
                    closed_at=r.closed_at,
                )
                for r in s.scalars(select(HandoffSession).where(HandoffSession.queued_at.is_not(None)))
            ]
            assignments = [
                metrics_mod.AssignmentRow(
                    session_id=a.session_id,
                    expert_id=a.expert_id,
                    assigned_at=a.assigned_at,
                    ended_at=a.ended_at,
                    end_reason=a.end_reason,
                )
                for a in s.scalars(select(HandoffAssignment))
            ]
            names = {e.user_id: e.display_name for e in self._experts(s)}
        return metrics_mod.compute(sessions=sessions, assignments=assignments, experts=names, now=self.clock())

    def faq_candidates(self, *, caller: Caller) -> list[FaqCandidate]:
        """Resolutions offered to the knowledge base, newest first.  An editor reviews
        them; nothing here is ever written to the corpus."""
        if caller.role not in METRICS_ROLES:
            raise ExpertOnlyError("experts and admins only")
        with self.db.read() as s:
            rows = s.scalars(
                select(HandoffSession)
                .where(HandoffSession.state == State.RESOLVED, HandoffSession.resolved.is_(True))
                .order_by(HandoffSession.closed_at.desc())
            ).all()
            out: list[FaqCandidate] = []
            for r in rows:
                if not r.resolution:
                    continue
                closer = s.scalars(
                    select(HandoffAssignment.expert_id)
                    .where(HandoffAssignment.session_id == r.id, HandoffAssignment.end_reason == "resolved")
                    .limit(1)
                ).first()
                model = r.product_model if (self.corpus and self.corpus.product(r.product_model)) else ""
                question = f"{r.product_model + ' ' if r.product_model else ''}{r.symptom}".strip()
                out.append(
                    FaqCandidate(
                        id=f"FAQ-HO-{r.id.replace('-', '')[:8].upper()}",
                        category=_faq_category(r.symptom + r.resolution),
                        question=question[:200] or r.product_line,
                        answer=r.resolution,
                        products=(model,) if model else (),
                        product_line=r.product_line,
                        session_id=r.id,
                        expert=self._name(s, closer),
                        resolved_at=r.closed_at,
                    )
                )
            return out

    # == system ========================================================================

    def sweep(self) -> int:
        """Queued too long -> ticket with a callback promise; collecting too long ->
        cancelled.  Returns how many sessions changed."""
        now = self.clock()
        queue_deadline = now - timedelta(seconds=self.config.queue_timeout_seconds)
        collect_deadline = now - timedelta(seconds=self.config.collect_timeout_seconds)
        fx = _Effects()
        changed = 0
        with self.db.write() as s:
            stale = s.scalars(
                select(HandoffSession).where(
                    HandoffSession.state == State.QUEUED, HandoffSession.queued_at <= queue_deadline
                )
            ).all()
            for row in stale:
                self._to_ticket(s, row, fx, reason="timeout", now=now)
                changed += 1
            idle = s.scalars(
                select(HandoffSession).where(
                    HandoffSession.state == State.COLLECTING, HandoffSession.updated_at <= collect_deadline
                )
            ).all()
            for row in idle:
                self._close(s, row, State.CANCELLED, now=now)
                lang = self._requester_language(s, row)
                fx.say(
                    row.conversation_id,
                    "handoff_status",
                    self._status_payload(self._view(s, row), text(lang, "cancelled_stale"), ()),
                )
                changed += 1
            if changed:
                self._refresh_positions(s, fx)
        self._apply(fx)
        return changed

    def presence_changed(self) -> None:
        """An expert came online or went offline: estimates change."""
        fx = _Effects()
        with self.db.write() as s:
            self._refresh_positions(s, fx)
            fx.queue_lines.update(self._waiting_lines(s))
        self._apply(fx)

    # == internals: state ==============================================================

    def _advance(
        self, s: Session, row: HandoffSession, fx: _Effects, *, lang: str, now: datetime, fresh: bool
    ) -> tuple[str, tuple[str, ...]]:
        """Ask for the next missing slot, or queue the session (a ticket when nobody
        with the skill is online).  Returns the text for the requester."""
        if row.state == State.QUEUED:
            status = self._status_for(s, row)
            return text(lang, "still_queued", position=status[0] if status else "?"), ()
        if row.state == State.ASSIGNED:
            return text(lang, "already_assigned", expert=self._name(s, row.expert_id)), ()
        missing = missing_slots(self._slots(row), row.asked)
        if missing and row.collect_turns < self.config.max_collect_turns:
            row.asking = missing[0]
            question, suggestions = self._question(missing[0], lang)
            return (text(lang, "intro") + "\n" + question if fresh else question), suggestions
        row.asking = None
        self._set_slots(row, self._with_line(self._slots(row)))
        row.context = self._packet(s, row, lang)
        if not self._online_for(s, row.product_line):
            self._to_ticket(s, row, fx, reason="no_expert_online", now=now, tell=False)
            return self._ticket_text(row, lang), ()
        row.state = State.QUEUED
        row.queued_at = now
        s.flush()
        self._log(s, row, kind="status", sender="system", author_id=None, text="queued")
        fx.queue_lines.add(row.product_line)
        self._refresh_positions(s, fx, quiet={row.id})
        slots = self._slots(row)
        line = self.extractor.line_name(slots.product_line) if slots.product_line else text(lang, "line_unknown")
        model = slots.product_model or text(lang, "model_unknown")
        position = row.last_position or 1
        if row.last_estimate_min is None:
            return text(lang, "queued_no_estimate", line=line, model=model, position=position), ()
        return (
            text(
                lang,
                "queued",
                line=line,
                model=model,
                position=position,
                estimate=self._minutes(row.last_estimate_min, lang),
            ),
            (),
        )

    def _question(self, slot: Slot, lang: str) -> tuple[str, tuple[str, ...]]:
        if slot == "product_model":
            examples = tuple(sorted(self.extractor.products))[:3]
            return text(lang, "ask_product_model", example=self.extractor.example_model), examples
        if slot == "serial_firmware":
            return text(lang, "ask_serial_firmware"), (text(lang, "dont_know"),)
        if slot == "urgency":
            return text(lang, "ask_urgency"), tuple(text(lang, f"urgency_{u}") for u in ("high", "normal", "low"))
        return text(lang, f"ask_{slot}"), ()

    def _to_ticket(
        self, s: Session, row: HandoffSession, fx: _Effects, *, reason: str, now: datetime, tell: bool = True
    ) -> None:
        row.state = State.TICKET
        row.ticket_reason = reason
        row.ticket_at = now
        row.callback_by = now + timedelta(hours=self.config.callback_hours)
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
        return text(lang, key, line=line, ticket=ticket_id(row.id), callback=self._local(row.callback_by))

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
        row.last_seq += 1
        event = HandoffEvent(
            session_id=row.id,
            seq=row.last_seq,
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

    def _refresh_positions(self, s: Session, fx: _Effects, *, quiet: Iterable[str] = ()) -> None:
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

    def _apply(self, fx: _Effects) -> None:
        """After the commit: store the requester's events, then hand deliveries over."""
        for conversation_id, event_type, payload, publish in fx.chat:
            stored = self.chat.append_event(conversation_id=conversation_id, event_type=event_type, payload=payload)
            if publish:
                self.outbox.put(ToConversation(conversation_id, stored))
        for delivery in fx.experts:
            self.outbox.put(delivery)
        if fx.queue_lines:
            self.outbox.put(QueueChanged(frozenset(fx.queue_lines)))

    # == internals: reading ============================================================

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
        return SessionDetail(
            session=self._view(s, row), packet=dict(row.context), events=tuple(self._events(s, row.id, 0))
        )

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


def _clean_text(value: str, limit: int) -> str:
    body = value.strip()
    if not body or len(body) > limit:
        raise HandoffInputError(f"text must be 1..{limit} characters")
    return body


def _faq_category(words: str) -> str:
    if any(w in words for w in ("固件", "升级", "firmware")):
        return "firmware"
    if any(w in words for w in ("安装", "装不上", "接线", "导轨", "供电")):
        return "installation"
    if any(w in words for w in ("兼容", "对接", "协议")):
        return "compatibility"
    return "configuration"
