"""The requester's side of a handoff: open it, answer the bot's questions in the chat,
relay messages to the expert, cancel, and redeem the AR join code.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from assistant.chat.service import ConversationNotFoundError
from assistant.dialogue.types import Caller
from assistant.handoff.core import CUSTOMER_ZONE_KEY, Effects, HandoffCore, hash_code, ticket_id
from assistant.handoff.errors import (
    InvalidStateError,
    JoinCodeExpiredError,
    JoinCodeInvalidError,
    JoinCodeUsedError,
    TimeZoneInvalidError,
)
from assistant.handoff.hours import TimeZoneError, time_zone
from assistant.handoff.outbox import ToConversationLive, ToExpert
from assistant.handoff.rtc import ended_signal
from assistant.handoff.slots import is_cancel, is_dont_know, missing_slots
from assistant.handoff.tables import HandoffJoinCode, HandoffSession
from assistant.handoff.texts import text
from assistant.handoff.types import (
    ACTIVE_STATES,
    SLOT_ORDER,
    JoinRedeemed,
    SessionView,
    Slot,
    SlotValues,
    State,
)
from assistant.storage.models import Conversation


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """A requester's chat turn taken by the handoff: a bot reply to store, or none
    (the message was relayed to the expert's side)."""

    reply: str | None
    suggestions: tuple[str, ...] = ()
    profile_patch: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActiveHandoff:
    """A conversation's handoff that takes its chat turns (collecting, queued or assigned)."""

    session_id: str
    state: State


@dataclass(frozen=True, slots=True)
class RequestOutcome:
    session: SessionView
    text: str
    suggestions: tuple[str, ...]
    created: bool


# Asked on every chat turn (active_handoff): built once, run on the chat's connection.
_ACTIVE_FOR_CONVERSATION = (
    select(HandoffSession.id, HandoffSession.state)
    .where(HandoffSession.conversation_id == bindparam("cid"), HandoffSession.state.in_(ACTIVE_STATES))
    .limit(1)
)


class RequesterSide(HandoffCore):
    """What the sales person who asked for help does."""

    def request(
        self,
        *,
        caller: Caller,
        conversation_id: str,
        provided: SlotValues | None = None,
        text_said: str = "",
        history: Sequence[str] = (),
        in_turn: bool = False,
        customer_timezone: str | None = None,
    ) -> RequestOutcome:
        """Open a handoff for the caller's conversation (or return the open one).

        ``in_turn``: called from the chat turn itself, whose reply carries the text;
        otherwise (the button, REST) the text is stored and published as a
        ``handoff_status`` chat event.  ``customer_timezone``: the customer's IANA zone
        ("America/Los_Angeles"), when known: a ticket's callback then falls in their callable
        hours too and its text gives their local time (:class:`TimeZoneInvalidError` for a
        name that is not a zone)."""
        if customer_timezone is not None:
            try:
                time_zone(customer_timezone)
            except TimeZoneError as exc:
                raise TimeZoneInvalidError(str(exc)) from exc
        lang = caller.language
        fx = Effects()
        now = self.clock()
        with self.db.write() as s:
            conversation = s.get(Conversation, conversation_id)
            if conversation is None or conversation.user_id != caller.user_id:
                raise ConversationNotFoundError("conversation not found")
            row = self._latest_open(s, conversation_id)
            created = False
            if row is not None and customer_timezone is not None:
                row.context = {**(row.context or {}), CUSTOMER_ZONE_KEY: customer_timezone}
            if row is not None and row.state in ACTIVE_STATES:
                if provided and row.state == State.COLLECTING:
                    self._set_slots(row, self._slots(row).merged(provided))
                reply, suggestions = self._advance(s, row, fx, lang=lang, now=now, fresh=False)
            elif row is not None and row.state == State.TICKET and not self._online_for(s, row.product_line):
                reply = text(lang, "ticket_open", ticket=ticket_id(row.id), callback=self._callback_text(row, lang))
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
                        context={} if customer_timezone is None else {CUSTOMER_ZONE_KEY: customer_timezone},
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

    def active_handoff(self, db: Connection, conversation_id: str) -> ActiveHandoff | None:
        """The conversation's active handoff, read on the caller's connection (one query):
        the chat's turn router asks inside the transaction that stores the message."""
        found = db.execute(_ACTIVE_FOR_CONVERSATION, {"cid": conversation_id}).first()
        return None if found is None else ActiveHandoff(session_id=found.id, state=State(found.state))

    def take_turn(
        self, *, caller: Caller, conversation_id: str, text_said: str, chat_seq: int, active: ActiveHandoff
    ) -> TurnOutcome | None:
        """A requester's chat message while ``active`` was the conversation's handoff:
        answer the bot's question or relay it to the expert's side.  None: the bot answers
        (the handoff has ended since, or, while details are collected, the message is a question
        of its own that answers none of them: ``SlotExtractor.asks_instead``).  The chat service
        checked the conversation's owner."""
        lang = caller.language
        fx = Effects()
        now = self.clock()
        if active.state != State.COLLECTING and not is_cancel(text_said):
            relayed = self._relay_from_requester(
                caller=caller, session_id=active.session_id, text_said=text_said, chat_seq=chat_seq, now=now
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
            elif row.state == State.COLLECTING and self.extractor.asks_instead(text_said):
                outcome = None  # a question of its own while details are collected: the bot answers it
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
            event = self._insert_message(
                s,
                session_id=session_id,
                seq=seq,
                sender="requester",
                author=caller,
                text=text_said,
                now=now,
                data={"chat_seq": chat_seq},
            )
        if state == State.ASSIGNED and expert_id:
            self.outbox.put(ToExpert(expert_id, self._event_json(event)))
        return True

    def _collect(
        self, s: Session, row: HandoffSession, fx: Effects, *, text_said: str, lang: str, now: datetime
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
        fx = Effects()
        now = self.clock()
        with self.db.write() as s:
            row = self._requested_by(s, caller, session_id)
            if row.state not in (State.COLLECTING, State.QUEUED):
                raise InvalidStateError(f"cannot cancel a {row.state} session")
            self._close(s, row, State.CANCELLED, now=now)
            fx.live.append(ToConversationLive(row.conversation_id, ended_signal(row.id)))  # no expert yet
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
        fx = Effects()
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
                session_id=row.id,
                conversation_id=row.conversation_id,
                expert_name=self._name(s, row.expert_id),
                product_model=row.product_model,
            )
        self._apply(fx)
        return result

    def _advance(
        self, s: Session, row: HandoffSession, fx: Effects, *, lang: str, now: datetime, fresh: bool
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
        zone = (row.context or {}).get(CUSTOMER_ZONE_KEY)
        row.context = self._packet(s, row, lang) | ({CUSTOMER_ZONE_KEY: zone} if zone else {})
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
