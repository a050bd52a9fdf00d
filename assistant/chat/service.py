"""Conversations, turns and their event log: transport-free, used by REST and WebSocket alike.

A turn is two short write transactions around the dialogue engine:

1. store the user's message with the next ``seq`` (or find it, when the same
   ``client_msg_id`` was seen before) and read the profile and recent history the
   engine needs -> the ``ack`` may be sent;
2. run the engine (no transaction open), then store the reply and the updated
   profile -> the ``reply`` and ``profile`` events may be sent.

A message repeated with the same ``client_msg_id`` is stored and answered once:
the repeat gets the stored events back.

Every acknowledged message is answered, also when the service is killed between the
``ack`` and the reply: step 1 enters the message in ``pending_turns`` (claimed by this
instance), step 2 deletes it in the reply's transaction.  What a crash leaves there is
answered on start and by a periodic sweep (:meth:`ChatService.recover_pending`), or at
once when the client sends the same ``client_msg_id`` again.  A claim is a conditional
UPDATE that one instance wins; another instance takes it over only after
``claim_seconds``, the same instance (same ``instance`` name) after its restart at once,
and the unique index on (conversation, reply_to, type) keeps one answer per message
whatever happens.  Every conversation belongs to one user;
anyone else gets :class:`ConversationNotFoundError` (404), never a hint it exists.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlalchemy import Connection, Row, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from assistant.dialogue.state import DialogueState
from assistant.dialogue.types import PROFILE_KEYS, Caller, CustomerProfile, Reply
from assistant.errors import AssistantError
from assistant.i18n import error_message
from assistant.storage.db import Database
from assistant.storage.models import Base, Conversation, Customer, Event, Feedback, PendingTurn, User, utcnow

log = logging.getLogger(__name__)

_DECIMAL_FIELDS = {"order_amount", "downtime_hours_per_month", "downtime_cost_per_hour", "labour_cost_per_month"}
_INT_FIELDS = {"device_count"}


class ChatError(AssistantError):
    code = "chat_error"


class ConversationNotFoundError(ChatError):
    code = "conversation_not_found"


class MessageTooLongError(ChatError):
    code = "message_too_long"


class EmptyMessageError(ChatError):
    code = "empty_message"


class InvalidProfileError(ChatError):
    code = "invalid_profile"


class FeedbackTargetError(ChatError):
    code = "feedback_target_not_found"


class Engine(Protocol):
    def handle(
        self,
        *,
        text: str,
        profile: CustomerProfile,
        caller: Caller,
        history: Sequence[str] = (),
        state: DialogueState | None = None,
    ) -> Reply: ...


@dataclass(frozen=True, slots=True)
class RoutedTurn:
    """A turn taken away from the engine: ``reply`` is stored as the turn's answer;
    None means no answer (e.g. the message was relayed to a human expert)."""

    reply: Reply | None


class TurnRouter(Protocol):
    """Consulted before the engine on every turn (the handoff: while a human expert has
    the conversation, the requester's messages go to the expert, not the bot).

    ``probe`` runs inside the transaction that stores the message (one query on its
    connection, no transaction of its own) and says whether the router may want the
    turn; ``route`` gets that answer and returns None to let the engine answer."""

    def probe(self, db: Connection, conversation_id: str) -> object | None: ...

    def route(
        self, *, caller: Caller, conversation_id: str, message: StoredEvent, probed: object | None
    ) -> RoutedTurn | None: ...


@dataclass(frozen=True, slots=True)
class CustomerTurn:
    """A message that was a customer command ("换到宁波那家", "把这家存为客户"): the reply,
    and the customer the conversation belongs to from now on when it changes (``rebind``
    True; ``customer_id`` None: to no customer)."""

    reply: Reply
    rebind: bool = False
    customer_id: str | None = None


class CustomerCommands(Protocol):
    """Consulted before the engine on every turn (assistant/customers/chat.py): returns
    None for any message that is not a customer command."""

    def handle(
        self, *, caller: Caller, conversation_id: str, text: str, profile: CustomerProfile
    ) -> CustomerTurn | None: ...


def customer_key(name: str) -> str:
    """How customers' names are compared: stripped and case-folded ("ABC化纤" is "abc化纤")."""
    return name.strip().casefold()


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    type: str  # message | reply | profile
    payload: dict[str, Any]
    client_msg_id: str | None = None
    reply_to: int | None = None


@dataclass(frozen=True, slots=True)
class TurnResult:
    conversation_id: str
    message: StoredEvent  # the user's message (its seq is the ack's seq)
    events: tuple[StoredEvent, ...]  # reply then profile
    duplicate: bool  # True when this client_msg_id had been answered before


@dataclass(frozen=True, slots=True)
class TurnContext:
    """What the engine needs besides the text, read in the transaction that stored it."""

    profile: CustomerProfile  # the conversation's profile with the message's patch applied
    history: tuple[str, ...]  # the recent user messages before this one, oldest first
    state: DialogueState = field(default_factory=DialogueState)  # the engine's last task (dialogue/state.py)
    probed: object | None = None  # the turn router's probe (None: no router, or it wants no turn)


@dataclass(frozen=True, slots=True)
class Recovered:
    """A pending message answered by :meth:`ChatService.recover_pending`: its stored answer
    events, for the conversation's connected sockets (the rest get them by ``resume``)."""

    conversation_id: str
    message_seq: int
    events: tuple[StoredEvent, ...]


@dataclass(frozen=True, slots=True)
class Accepted:
    """A user message after step 1: stored (``duplicate`` False, with the context the
    engine needs) or found stored before under the same ``client_msg_id``."""

    message: StoredEvent
    duplicate: bool
    context: TurnContext | None


# -- profile (de)serialisation -------------------------------------------------------


def profile_to_json(profile: CustomerProfile) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in profile.known().items()}


def profile_from_json(data: dict[str, Any]) -> CustomerProfile:
    """A stored profile.  A value that fails today's bounds (written by older code, e.g. an
    amount of 1E+30) is dropped and logged, so it cannot break every later turn."""
    clean: dict[str, Any] = {}
    for key, value in data.items():
        try:
            clean.update(parse_profile_patch({key: value}))
        except InvalidProfileError as exc:
            log.warning("stored profile field dropped: %s (%s)", key, exc)
    return CustomerProfile(**clean)


def storable_profile(profile: CustomerProfile) -> dict[str, Any]:
    """A profile as it is stored: JSON-ready and within the bounds a patch must keep (a value
    the engine read out of a message is bounded the same way before it is stored)."""
    return profile_to_json(profile_from_json(profile_to_json(profile)))


# Bounds of the profile's numbers: what a customer could plausibly have, far inside what
# Decimal computes exactly (28 digits); anything else is refused with `invalid_profile`.
MAX_MONEY = Decimal(10) ** 12  # yuan
MAX_HOURS_PER_MONTH = Decimal(31 * 24)
MAX_DEVICE_COUNT = 1_000_000
_MAX_NUMBER_TEXT = 40  # characters of a number as sent, before it is parsed


def parse_profile_patch(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a client's profile patch: known keys, right types, bounded numbers.
    ``None`` clears a field."""
    unknown = sorted(set(data) - set(PROFILE_KEYS))
    if unknown:
        raise InvalidProfileError(f"unknown profile field(s): {unknown}")
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or value == "":
            clean[key] = None
        elif key in _DECIMAL_FIELDS:
            clean[key] = _bounded_decimal(key, value)
        elif key in _INT_FIELDS:
            text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
            if not text.isdigit() or len(text) > 7 or int(text) > MAX_DEVICE_COUNT:
                raise InvalidProfileError(f"{key} must be an integer from 0 to {MAX_DEVICE_COUNT}")
            clean[key] = int(text)
        else:
            if not isinstance(value, str) or len(value) > 100:
                raise InvalidProfileError(f"{key} must be a short text")
            clean[key] = value.strip()
    return clean


def _bounded_decimal(key: str, value: Any) -> Decimal:
    limit = MAX_HOURS_PER_MONTH if key == "downtime_hours_per_month" else MAX_MONEY
    text = str(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal) or len(text) > _MAX_NUMBER_TEXT:
        raise InvalidProfileError(f"{key} must be a number")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidProfileError(f"{key} must be a number") from exc
    if not number.is_finite() or number < 0 or number > limit:
        raise InvalidProfileError(f"{key} must be a number from 0 to {limit}")
    return number


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """The reply as JSON-ready data (dataclasses as dicts, Decimals as strings, tuples as
    lists); the profile is left out, it is sent as its own ``profile`` event, and so is
    the engine's state, which stays on the server."""
    data = _json_ready(reply)
    data.pop("profile", None)
    data.pop("state", None)
    return dict(data)


def _json_ready(value: Any) -> Any:
    # dataclasses.asdict would deep-copy every leaf on the way; the leaves here are immutable.
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json_ready(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


class ChatService:
    def __init__(
        self,
        *,
        db: Database,
        engine: Engine,
        max_message_chars: int = 4000,
        history_turns: int = 6,
        router: TurnRouter | None = None,
        instance: str = "",
        claim_seconds: float = 60.0,
        max_attempts: int = 5,
        customers: CustomerCommands | None = None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.router = router
        self.max_message_chars = max_message_chars
        self.history_turns = history_turns
        # Who holds a pending message's claim: a name that stays the same across a restart
        # of the same instance (default host:pid, i.e. a restart waits for claim_seconds).
        self.instance = instance or f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = utcnow()
        self.claim_seconds = claim_seconds
        self.max_attempts = max_attempts  # claims of one message before it gets an apology
        self.customers = customers  # customer commands in chat (None: messages all go to the engine)

    # -- conversations ---------------------------------------------------------------

    def create_conversation(self, *, caller: Caller, title: str = "") -> str:
        conversation_id = str(uuid.uuid4())
        with self.db.write() as s:
            s.add(Conversation(id=conversation_id, user_id=caller.user_id, title=title[:200], profile={}))
        return conversation_id

    def _owned(self, s: Session, caller: Caller, conversation_id: str) -> Conversation:
        conversation = s.get(Conversation, conversation_id)
        if conversation is None or conversation.user_id != caller.user_id:
            raise ConversationNotFoundError("conversation not found")
        return conversation

    def ensure_access(self, *, caller: Caller, conversation_id: str) -> None:
        with self.db.read() as s:
            self._owned(s, caller, conversation_id)

    # -- turns -----------------------------------------------------------------------

    def post_message(
        self,
        *,
        caller: Caller,
        conversation_id: str,
        client_msg_id: str,
        text: str,
        profile_patch: dict[str, Any] | None = None,
    ) -> TurnResult:
        """Store and answer one message (both steps; the REST mirror uses this)."""
        accepted = self.accept_message(
            caller=caller,
            conversation_id=conversation_id,
            client_msg_id=client_msg_id,
            text=text,
            profile_patch=profile_patch,
        )
        events = self.answer(caller=caller, conversation_id=conversation_id, accepted=accepted)
        return TurnResult(conversation_id, accepted.message, events, accepted.duplicate)

    def accept_message(
        self,
        *,
        caller: Caller,
        conversation_id: str,
        client_msg_id: str,
        text: str,
        profile_patch: dict[str, Any] | None = None,
    ) -> Accepted:
        """Step 1: validate and commit the user's message; the ``ack`` may be sent."""
        text = text.strip()
        if not text:
            raise EmptyMessageError("message is empty")
        if len(text) > self.max_message_chars:
            raise MessageTooLongError(f"message longer than {self.max_message_chars} characters")
        patch = parse_profile_patch(profile_patch) if profile_patch else {}
        try:
            return self._store_user_message(caller, conversation_id, client_msg_id, text, patch)
        except IntegrityError:
            # This client_msg_id was stored before (a retry, or a concurrent connection): the
            # first one answers.  Any other constraint (a seq taken twice would be a bug in
            # the seq allocation) is not a duplicate and is raised as it is.
            with self.db.read() as s:
                params = {"cid": conversation_id, "client_msg_id": client_msg_id}
                row = s.connection().execute(_EVENT_BY_CLIENT_ID, params).first()
            if row is None:
                raise
            return Accepted(_stored(row), duplicate=True, context=None)

    def answer(self, *, caller: Caller, conversation_id: str, accepted: Accepted) -> tuple[StoredEvent, ...]:
        """Step 2: run the engine on an accepted message and commit its reply and profile.
        A duplicate gets the answer stored the first time; if there is none yet, it is
        answered now (its first answer was lost in a crash) or, while another turn still
        holds it, that turn's answer is awaited."""
        message = accepted.message
        if accepted.context is None:
            return self._answer_again(caller, conversation_id, message.seq, wait=True)
        return self._answer_claimed(caller, conversation_id, message, accepted.context)

    def _answer_claimed(
        self, caller: Caller, conversation_id: str, message: StoredEvent, context: TurnContext
    ) -> tuple[StoredEvent, ...]:
        """Answer a message this instance holds the claim on; an error releases the claim
        (the sweep or a resend tries again)."""
        try:
            if self.router is not None:
                routed = self.router.route(
                    caller=caller, conversation_id=conversation_id, message=message, probed=context.probed
                )
                if routed is not None:
                    if routed.reply is None:  # relayed to a human expert: nothing to store
                        self._settle(conversation_id, message.seq)
                        return ()
                    return self._store_reply(conversation_id, message.seq, routed.reply, context)
            if self.customers is not None:
                command = self.customers.handle(
                    caller=caller,
                    conversation_id=conversation_id,
                    text=str(message.payload["text"]),
                    profile=context.profile,
                )
                if command is not None:
                    return self._store_reply(conversation_id, message.seq, command.reply, context, command)
            reply = self.engine.handle(
                text=str(message.payload["text"]),
                profile=context.profile,
                caller=caller,
                history=context.history,
                state=context.state,
            )
            return self._store_reply(conversation_id, message.seq, reply, context)
        except Exception:
            self._release(conversation_id, message.seq)
            raise

    def _answer_again(self, caller: Caller, conversation_id: str, seq: int, *, wait: bool) -> tuple[StoredEvent, ...]:
        """A message stored before: its stored answer, or answer it now if its claim is free.
        Without ``wait`` (the sweep) only an answer stored now is returned."""
        answers, pending = self._answers_or_pending(conversation_id, seq)
        if answers or not pending:
            return answers if wait else ()
        attempts = self._claim(conversation_id, seq)
        if attempts is None:  # another turn holds it
            return self._await_answer(conversation_id, seq) if wait else ()
        message, context = self._context_of(conversation_id, seq)
        if attempts > self.max_attempts:  # it failed every time: say so instead of trying forever
            log.error(
                "conversation %s message %s failed %s times; answered with an apology",
                conversation_id,
                seq,
                attempts - 1,
            )
            apology = Reply(
                text=error_message("internal", caller.language),
                intent="out_of_scope",
                confidence=0.0,
                profile=context.profile,
                grounded=False,
            )
            return self._store_reply(conversation_id, seq, apology, context)
        return self._answer_claimed(caller, conversation_id, message, context)

    def _await_answer(self, conversation_id: str, seq: int) -> tuple[StoredEvent, ...]:
        """The answer of a message another turn is answering (a resend that raced it)."""
        deadline = time.monotonic() + min(10.0, self.claim_seconds)
        while time.monotonic() < deadline:
            time.sleep(0.05)
            answers, pending = self._answers_or_pending(conversation_id, seq)
            if answers or not pending:
                return answers
        return ()

    def recover_pending(self, *, limit: int = 100) -> list[Recovered]:
        """Answer, in order per conversation, the acknowledged messages left unanswered
        whose claim this instance may take: at start (a crash, a kill) and periodically
        (an instance that died for good).  Returns what was stored, for live sockets."""
        with self.db.read() as s:
            rows = s.connection().execute(_CLAIMABLE, {**self._claim_params(), "n": limit}).all()
        recovered: list[Recovered] = []
        stuck: set[str] = set()  # a conversation whose earlier message failed keeps its order
        for cid, seq in rows:
            if cid in stuck:
                continue
            try:
                caller = self._caller_of(cid)
                events = self._answer_again(caller, cid, seq, wait=False)
            except (AssistantError, SQLAlchemyError) as exc:
                log.warning("pending message %s of %s not answered yet: %s", seq, cid, exc)
                stuck.add(cid)
                continue
            except Exception:  # a bug in this turn: its claim is released, so a later sweep
                # tries again until max_attempts, then answers with an apology
                log.exception("pending message %s of %s failed", seq, cid)
                stuck.add(cid)
                continue
            if not events:
                stuck.add(cid)  # held by another instance, or went to an expert
            else:
                log.info("answered pending message %s of conversation %s", seq, cid)
                recovered.append(Recovered(cid, seq, events))
        return recovered

    # -- claims on pending messages ------------------------------------------------------

    def _claim_params(self) -> dict[str, Any]:
        now = utcnow()
        return {
            "me": self.instance,
            "now": now,
            "started": self.started_at,
            "stale": now - timedelta(seconds=self.claim_seconds),
        }

    def _claim(self, conversation_id: str, seq: int) -> int | None:
        """Take a pending message's claim: one conditional UPDATE, so of several instances
        one wins.  Returns how many times it has been claimed, None if not won."""
        with self.db.write() as s:
            params = {**self._claim_params(), "cid": conversation_id, "seq": seq}
            attempts = s.connection().execute(_CLAIM, params).scalar()
            return None if attempts is None else int(attempts)

    def _release(self, conversation_id: str, seq: int) -> None:
        try:
            with self.db.write() as s:
                s.connection().execute(_RELEASE, {"cid": conversation_id, "seq": seq, "me": self.instance})
        except SQLAlchemyError as exc:  # the claim then lapses after claim_seconds
            log.warning("could not release the claim on message %s of %s: %s", seq, conversation_id, exc)

    def _settle(self, conversation_id: str, seq: int) -> None:
        with self.db.write() as s:
            s.connection().execute(_DELETE_PENDING, {"cid": conversation_id, "seq": seq})

    def _answers_or_pending(self, conversation_id: str, seq: int) -> tuple[tuple[StoredEvent, ...], bool]:
        with self.db.read() as s:
            db = s.connection()
            answers = tuple(_stored(r) for r in db.execute(_ANSWERS, {"cid": conversation_id, "reply_to": seq}))
            pending = not answers and db.execute(_PENDING, {"cid": conversation_id, "seq": seq}).first() is not None
            return answers, pending

    def _context_of(self, conversation_id: str, seq: int) -> tuple[StoredEvent, TurnContext]:
        """A stored message and what the engine needs to answer it now."""
        with self.db.read() as s:
            db = s.connection()
            conversation = db.execute(_CONVERSATION, {"cid": conversation_id}).one()
            row = db.execute(_EVENT_BY_SEQ, {"cid": conversation_id, "seq": seq}).one()
            params = {"cid": conversation_id, "seq": seq, "n": self.history_turns}
            recent = db.execute(_RECENT_BEFORE, params).scalars().all()
            probed = self.router.probe(db, conversation_id) if self.router is not None else None
            history = tuple(str(p.get("text", "")) for p in reversed(recent))
            profile = _turn_profile(conversation)
            state = DialogueState.from_json(conversation.dialogue_state)
            context = TurnContext(profile=profile, history=history, state=state, probed=probed)
            return _stored(row), context

    def _caller_of(self, conversation_id: str) -> Caller:
        """The conversation's owner, who sent the pending message (signed in then)."""
        with self.db.read() as s:
            user = s.scalars(
                select(User)
                .join(Conversation, Conversation.user_id == User.id)
                .where(Conversation.id == conversation_id)
            ).one()
            return Caller(user_id=user.id, partner_id=user.partner_id, display_name=user.display_name, role=user.role)

    # A turn is on the hot path: its transactions run the prebuilt Core statements below
    # (no unit of work, no identity map, no statement building per call).

    def _store_user_message(
        self, caller: Caller, conversation_id: str, client_msg_id: str, text: str, patch: dict[str, Any]
    ) -> Accepted:
        with self.db.write() as s:
            db = s.connection()
            # The row lock (FOR UPDATE; SQLite's BEGIN IMMEDIATE already serialises writers)
            # keeps another instance from taking the same next seq until this one commits.
            conversation = db.execute(_CONVERSATION_FOR_UPDATE, {"cid": conversation_id}).first()
            if conversation is None or conversation.user_id != caller.user_id:
                raise ConversationNotFoundError("conversation not found")
            seq = conversation.last_seq + 1
            payload: dict[str, Any] = {"text": text}
            changes: dict[str, Any] = {"cid": conversation_id, "last_seq": seq, "updated_at": utcnow()}
            profile = _turn_profile(conversation)
            if patch:
                profile = profile.merged(patch)
                changes["profile"] = profile_to_json(profile)
                payload["profile_patch"] = {k: (str(v) if v is not None else None) for k, v in patch.items()}
            if not conversation.title:
                changes["title"] = text[:40]
            recent = db.execute(_RECENT_MESSAGES, {"cid": conversation_id, "n": self.history_turns}).scalars().all()
            message = StoredEvent(seq=seq, type="message", payload=payload, client_msg_id=client_msg_id)
            # A repeated client_msg_id fails here (unique per conversation): accept_message
            # then returns the message stored the first time.
            db.execute(_INSERT_EVENT, _event_row(conversation_id, message))
            db.execute(_INSERT_PENDING, _pending_row(conversation_id, seq, self.instance))
            db.execute(_UPDATE_CONVERSATION, changes)
            history = tuple(str(p.get("text", "")) for p in reversed(recent))  # oldest first
            probed = self.router.probe(db, conversation_id) if self.router is not None else None
            state = DialogueState.from_json(conversation.dialogue_state)
            context = TurnContext(profile=profile, history=history, state=state, probed=probed)
            return Accepted(message, duplicate=False, context=context)

    def _store_reply(
        self,
        conversation_id: str,
        message_seq: int,
        reply: Reply,
        context: TurnContext,
        command: CustomerTurn | None = None,
    ) -> tuple[StoredEvent, ...]:
        """Store the reply and the profile after it, and the engine's state (the context's
        unless the reply carries a new one); a customer command's new customer too."""
        try:
            return self._store_reply_once(conversation_id, message_seq, reply, context, command)
        except IntegrityError:  # another instance stored its answer meanwhile (uq_events_answer)
            return self.answers_to(conversation_id, message_seq)

    def _store_reply_once(
        self,
        conversation_id: str,
        message_seq: int,
        reply: Reply,
        context: TurnContext,
        command: CustomerTurn | None,
    ) -> tuple[StoredEvent, ...]:
        with self.db.write() as s:
            db = s.connection()
            db.execute(_DELETE_PENDING, {"cid": conversation_id, "seq": message_seq})
            answered = db.execute(_ANSWERS, {"cid": conversation_id, "reply_to": message_seq}).all()
            if answered:  # a concurrent duplicate stored its answer first; keep exactly one
                return tuple(_stored(row) for row in answered)
            if command is not None and command.rebind:
                db.execute(_BIND_CUSTOMER, {"cid": conversation_id, "customer": command.customer_id})
            profile = storable_profile(reply.profile)
            new_state = (reply.state if reply.state is not None else context.state).to_json()
            now = utcnow()
            params = {"cid": conversation_id, "new_profile": profile, "new_state": new_state, "now": now}
            last, owner, customer_id = db.execute(_CLAIM_REPLY_SEQS, params).one()
            customer, offer = _follow_customer(
                db,
                owner=owner,
                customer_id=customer_id,
                profile=reply.profile,
                before=context.profile,
                stored=profile,
                now=now,
            )
            payload = reply_to_payload(reply)
            if offer is not None and command is None:
                payload["customer_offer"] = offer
            events = (
                StoredEvent(seq=last - 1, type="reply", payload=payload, reply_to=message_seq),
                StoredEvent(
                    seq=last, type="profile", payload={"profile": profile, "customer": customer}, reply_to=message_seq
                ),
            )
            db.execute(_INSERT_EVENT, [_event_row(conversation_id, e) for e in events])
            return events

    def answers_to(self, conversation_id: str, message_seq: int) -> tuple[StoredEvent, ...]:
        with self.db.read() as s:
            rows = s.connection().execute(_ANSWERS, {"cid": conversation_id, "reply_to": message_seq}).all()
            return tuple(_stored(row) for row in rows)

    def append_event(self, *, conversation_id: str, event_type: str, payload: dict[str, Any]) -> StoredEvent:
        """Store a server-initiated event (e.g. ``handoff``: an expert joined) with the
        next ``seq``, so a client that was offline gets it by ``resume``.  Publishing it
        to connected sockets is the caller's job (``ConversationHub.publish``)."""
        if event_type in {"message", "reply", "profile"}:
            raise ValueError(f"{event_type!r} events are written by the turn logic only")
        with self.db.write() as s:
            # One UPDATE ... RETURNING takes the next seq: the row stays locked until commit,
            # so two instances appending to one conversation never read the same last_seq.
            db = s.connection()
            seq = db.execute(_CLAIM_EVENT_SEQ, {"cid": conversation_id, "now": utcnow()}).scalar()
            if seq is None:
                raise ConversationNotFoundError("conversation not found")
            event = StoredEvent(seq=seq, type=event_type, payload=payload)
            db.execute(_INSERT_EVENT, _event_row(conversation_id, event))
            return event

    # -- history, resume, feedback, profile -------------------------------------------

    def events_after(
        self, *, caller: Caller, conversation_id: str, after_seq: int = 0, limit: int = 500
    ) -> list[StoredEvent]:
        with self.db.read() as s:
            self._owned(s, caller, conversation_id)
            rows = s.connection().execute(_EVENTS_AFTER, {"cid": conversation_id, "after": after_seq, "n": limit}).all()
            return [_stored(row) for row in rows]

    def add_feedback(
        self, *, caller: Caller, conversation_id: str, message_seq: int, rating: str, comment: str = ""
    ) -> None:
        with self.db.write() as s:
            self._owned(s, caller, conversation_id)
            target = s.scalars(
                select(func.count())
                .select_from(Event)
                .where(Event.conversation_id == conversation_id, Event.seq == message_seq, Event.type == "reply")
            ).one()
            if not target:
                raise FeedbackTargetError("no assistant reply with that seq")
            existing = s.scalars(
                select(Feedback).where(
                    Feedback.conversation_id == conversation_id,
                    Feedback.message_seq == message_seq,
                    Feedback.user_id == caller.user_id,
                )
            ).first()
            if existing is None:
                s.add(
                    Feedback(
                        conversation_id=conversation_id,
                        message_seq=message_seq,
                        user_id=caller.user_id,
                        rating=rating,
                        comment=comment[:1000],
                    )
                )
            else:  # changing one's mind replaces the earlier rating
                existing.rating = rating
                existing.comment = comment[:1000]

    def get_profile(self, *, caller: Caller, conversation_id: str) -> dict[str, Any]:
        """The profile the next turn starts from (the bound customer's, see ``_turn_profile``)."""
        with self.db.read() as s:
            self._owned(s, caller, conversation_id)
            row = s.connection().execute(_CONVERSATION, {"cid": conversation_id}).one()
            return profile_to_json(_turn_profile(row))

    def announce_profile(self, *, caller: Caller, conversation_id: str) -> StoredEvent | None:
        """Store a ``profile`` event for a change made outside a turn (the conversation bound to a
        customer or its profile corrected by REST), so every device shows it: live when the
        caller publishes it to the hub, later by resume.  None for a conversation nobody has
        written in yet: it is listed nowhere, and its first turn's profile event tells it."""
        with self.db.write() as s:
            conversation = self._owned(s, caller, conversation_id)
            db = s.connection()
            row = db.execute(_CONVERSATION, {"cid": conversation_id}).one()
            if row.last_seq == 0:
                return None
            bound = conversation.customer_id if row.customer_name is not None else None
            payload = {
                "profile": profile_to_json(_turn_profile(row)),
                "customer": {"id": bound, "name": row.customer_name} if bound is not None else None,
            }
            seq = db.execute(_CLAIM_EVENT_SEQ, {"cid": conversation_id, "now": utcnow()}).scalar_one()
            event = StoredEvent(seq=seq, type="profile", payload=payload)
            db.execute(_INSERT_EVENT, _event_row(conversation_id, event))
            return event

    def patch_profile(self, *, caller: Caller, conversation_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Correct the profile by hand; a bound customer's record gets the same correction."""
        clean = parse_profile_patch(patch)
        with self.db.write() as s:
            conversation = self._owned(s, caller, conversation_id)
            row = s.connection().execute(_CONVERSATION, {"cid": conversation_id}).one()
            profile = profile_to_json(_turn_profile(row).merged(clean))
            for key, value in clean.items():  # merged() skips None; an explicit None clears
                if value is None:
                    profile.pop(key, None)
            conversation.profile = profile
            if conversation.customer_id is not None:
                _follow_customer(
                    s.connection(),
                    owner=conversation.user_id,
                    customer_id=conversation.customer_id,
                    profile=profile_from_json(profile),
                    before=profile_from_json(profile),
                    stored=profile,
                    now=utcnow(),
                )
            return dict(profile)


# -- the turn's statements, built once ----------------------------------------------

_conversations = Base.metadata.tables[Conversation.__tablename__]
_events = Base.metadata.tables[Event.__tablename__]
_customers = Base.metadata.tables[Customer.__tablename__]
# A conversation and, when it is bound to a customer that is not deleted, that customer's
# name and profile: the turn's profile is the customer's (it may have changed elsewhere).
_CONVERSATION = (
    select(
        _conversations.c.user_id,
        _conversations.c.last_seq,
        _conversations.c.profile,
        _conversations.c.title,
        _conversations.c.dialogue_state,
        _customers.c.name.label("customer_name"),
        _customers.c.profile.label("customer_profile"),
    )
    .select_from(
        _conversations.outerjoin(
            _customers, and_(_customers.c.id == _conversations.c.customer_id, _customers.c.deleted_at.is_(None))
        )
    )
    .where(_conversations.c.id == bindparam("cid"))
)
_CONVERSATION_FOR_UPDATE = _CONVERSATION.with_for_update(of=_conversations)
_EVENT_COLUMNS = (_events.c.seq, _events.c.type, _events.c.payload, _events.c.client_msg_id, _events.c.reply_to)
_EVENT_BY_CLIENT_ID = select(*_EVENT_COLUMNS).where(
    _events.c.conversation_id == bindparam("cid"), _events.c.client_msg_id == bindparam("client_msg_id")
)
_ANSWERS = (
    select(*_EVENT_COLUMNS)
    .where(_events.c.conversation_id == bindparam("cid"), _events.c.reply_to == bindparam("reply_to"))
    .order_by(_events.c.seq)
)
_EVENTS_AFTER = (
    select(*_EVENT_COLUMNS)
    .where(_events.c.conversation_id == bindparam("cid"), _events.c.seq > bindparam("after"))
    .order_by(_events.c.seq)
    .limit(bindparam("n"))
)
_RECENT_MESSAGES = (
    select(_events.c.payload)
    .where(_events.c.conversation_id == bindparam("cid"), _events.c.type == "message")
    .order_by(_events.c.seq.desc())
    .limit(bindparam("n"))
)
_INSERT_EVENT = insert(_events)
_EVENT_BY_SEQ = select(*_EVENT_COLUMNS).where(
    _events.c.conversation_id == bindparam("cid"), _events.c.seq == bindparam("seq")
)
_RECENT_BEFORE = (
    select(_events.c.payload)
    .where(_events.c.conversation_id == bindparam("cid"), _events.c.type == "message", _events.c.seq < bindparam("seq"))
    .order_by(_events.c.seq.desc())
    .limit(bindparam("n"))
)
# Pending messages (acknowledged, not answered) and their claims.
_pending = Base.metadata.tables[PendingTurn.__tablename__]
_THIS_PENDING = and_(_pending.c.conversation_id == bindparam("cid"), _pending.c.message_seq == bindparam("seq"))
# A claim is free when nobody holds it, it lapsed, or this instance held it before its restart.
_CLAIM_FREE = or_(
    _pending.c.owner.is_(None),
    _pending.c.claimed_at < bindparam("stale"),
    and_(_pending.c.owner == bindparam("me"), _pending.c.claimed_at < bindparam("started")),
)
_INSERT_PENDING = insert(_pending)
_PENDING = select(_pending.c.attempts).where(_THIS_PENDING)
_DELETE_PENDING = delete(_pending).where(_THIS_PENDING)
_CLAIM = (
    update(_pending)
    .where(_THIS_PENDING, _CLAIM_FREE)
    .values(owner=bindparam("me"), claimed_at=bindparam("now"), attempts=_pending.c.attempts + 1)
    .returning(_pending.c.attempts)
)
_RELEASE = (
    update(_pending).where(_THIS_PENDING, _pending.c.owner == bindparam("me")).values(owner=None, claimed_at=None)
)
_CLAIMABLE = (
    select(_pending.c.conversation_id, _pending.c.message_seq)
    .where(_CLAIM_FREE)
    .order_by(_pending.c.conversation_id, _pending.c.message_seq)
    .limit(bindparam("n"))
)
# The SET clause is the parameters' keys other than ``cid``.
_UPDATE_CONVERSATION = update(_conversations).where(_conversations.c.id == bindparam("cid"))
# A reply and its profile take the conversation's next two seqs and set its profile.
_CLAIM_REPLY_SEQS = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("cid"))
    .values(
        last_seq=_conversations.c.last_seq + 2,
        profile=bindparam("new_profile"),
        dialogue_state=bindparam("new_state"),
        updated_at=bindparam("now"),
    )
    .returning(_conversations.c.last_seq, _conversations.c.user_id, _conversations.c.customer_id)
)
# The customers a turn reads and writes (assistant/customers: the records themselves).
_BIND_CUSTOMER = (
    update(_conversations).where(_conversations.c.id == bindparam("cid")).values(customer_id=bindparam("customer"))
)
_LIVE_CUSTOMER = select(_customers.c.id, _customers.c.name, _customers.c.name_key).where(
    _customers.c.id == bindparam("customer"), _customers.c.deleted_at.is_(None)
)
_CUSTOMER_BY_NAME = select(_customers.c.id).where(
    _customers.c.owner_user_id == bindparam("owner"),
    _customers.c.name_key == bindparam("key"),
    _customers.c.deleted_at.is_(None),
)
_WRITE_CUSTOMER_PROFILE = (
    update(_customers)
    .where(_customers.c.id == bindparam("customer"))
    .values(profile=bindparam("customer_profile"), updated_at=bindparam("now"))
)

# A server-initiated event takes the conversation's next seq.
_CLAIM_EVENT_SEQ = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("cid"))
    .values(last_seq=_conversations.c.last_seq + 1, updated_at=bindparam("now"))
    .returning(_conversations.c.last_seq)
)


def _turn_profile(conversation: Row[Any, Any, Any, Any, Any, Any, Any]) -> CustomerProfile:
    """The profile a turn starts from (a row of ``_CONVERSATION``)."""
    return effective_profile(conversation.profile, conversation.customer_name, conversation.customer_profile)


def effective_profile(
    own: dict[str, Any], customer_name: str | None, customer_profile: dict[str, Any] | None
) -> CustomerProfile:
    """The profile a conversation shows: its live customer's record with the customer's name
    (``customer_name`` None: not bound, or the customer is deleted), unless the talk has moved
    to a company of another name that is not saved yet: the conversation's own profile then,
    until the salesperson saves or switches."""
    mine = profile_from_json(own or {})
    if customer_name is None:
        return mine
    if mine.customer_name and customer_key(mine.customer_name) != customer_key(customer_name):
        return mine
    return profile_from_json({**(customer_profile or {}), "customer_name": customer_name})


def _follow_customer(
    db: Connection,
    *,
    owner: str,
    customer_id: str | None,
    profile: CustomerProfile,
    before: CustomerProfile,
    stored: dict[str, Any],
    now: datetime,
) -> tuple[dict[str, str] | None, dict[str, str | None] | None]:
    """After a reply: the conversation's customer (for the ``profile`` event) and, when this
    turn named a company that is not it, an offer to save that company or to move to the
    caller's record of that name.  While the talk is about the bound customer, the reply's
    profile is written to its record, so every conversation about it starts from the same facts."""
    customer = db.execute(_LIVE_CUSTOMER, {"customer": customer_id}).first() if customer_id else None
    named = profile.customer_name
    same = customer is not None and (named is None or customer_key(named) == customer.name_key)
    if customer is not None and same:
        record = {k: v for k, v in stored.items() if k != "customer_name"}
        db.execute(_WRITE_CUSTOMER_PROFILE, {"customer": customer.id, "customer_profile": record, "now": now})
    bound = {"id": customer.id, "name": customer.name} if customer is not None else None
    if not named or same or named == before.customer_name:
        return bound, None
    existing = db.execute(_CUSTOMER_BY_NAME, {"owner": owner, "key": customer_key(named)}).scalar()
    return bound, {"name": named, "customer_id": existing}


def _event_row(conversation_id: str, event: StoredEvent) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "seq": event.seq,
        "type": event.type,
        "client_msg_id": event.client_msg_id,
        "reply_to": event.reply_to,
        "payload": event.payload,
        "created_at": utcnow(),
    }


def _pending_row(conversation_id: str, seq: int, owner: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "conversation_id": conversation_id,
        "message_seq": seq,
        "owner": owner,
        "claimed_at": now,
        "attempts": 1,
        "created_at": now,
    }


def _stored(row: Row[Any, Any, Any, Any, Any]) -> StoredEvent:  # a row of _EVENT_COLUMNS
    return StoredEvent(
        seq=row.seq, type=row.type, payload=dict(row.payload), client_msg_id=row.client_msg_id, reply_to=row.reply_to
    )
