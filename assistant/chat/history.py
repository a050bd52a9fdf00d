"""The conversation list ("历史会话"): the caller's conversations, newest activity first,
searched and paged, with a title, a preview of the last text and an unread count.

Transport-free, like :mod:`assistant.chat.service`.  *Unread* are the server-pushed events
(an expert's message, handoff status: every type but the user's ``message`` and the bot's
``reply`` and ``profile``, which the user's own turn brought) after ``last_seen_seq``, the
highest seq one of the owner's pages showed (:func:`mark_seen`).  Identity is the caller
only: another user's conversation is never listed, and marking it answers exactly like a
missing one (:class:`ConversationNotFoundError`).

Search is a case-insensitive LIKE over the title and the events' stored ``text`` (with
``%``, ``_`` and ``\\`` escaped), the same SQL on SQLite and PostgreSQL: at a salesperson's
few hundred conversations a scan of their events is milliseconds; a full-text index would
be the next step if it were not.  The query is a dataclass so that a filter is one more
field, not another signature (``customer_id``: the conversations bound to that customer).
Each item names the live customer it is bound to (assistant/customers); a deleted customer's
conversations stay listed, unbound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update

from assistant.chat.service import ChatError, ConversationNotFoundError
from assistant.dialogue.types import Caller
from assistant.storage.db import Database
from assistant.storage.models import Conversation, Customer, Event

MAX_PAGE = 50
MAX_QUERY_CHARS = 100
PREVIEW_CHARS = 80
# Event types the user's own turn brings; everything else was pushed by the server.
TURN_TYPES = ("message", "reply", "profile")
_CITATION_MARK = re.compile(r"\[\d{1,2}\]")


class InvalidConversationQueryError(ChatError):
    code = "invalid_conversation_query"


class SeenSeqError(ChatError):
    code = "seen_seq_out_of_range"


@dataclass(frozen=True, slots=True)
class ConversationQuery:
    q: str = ""  # search text, trimmed; empty: every conversation
    offset: int = 0
    limit: int = 20
    customer_id: str | None = None  # only the conversations bound to this live customer

    def checked(self) -> ConversationQuery:
        q = self.q.strip()
        if len(q) > MAX_QUERY_CHARS:
            raise InvalidConversationQueryError(f"q longer than {MAX_QUERY_CHARS} characters")
        if "\x00" in q:  # PostgreSQL refuses NUL in text: a clear refusal, not a database error
            raise InvalidConversationQueryError("q must not contain NUL")
        if not 1 <= self.limit <= MAX_PAGE:
            raise InvalidConversationQueryError(f"limit must be from 1 to {MAX_PAGE}")
        if self.offset < 0:
            raise InvalidConversationQueryError("offset must not be negative")
        if self.customer_id is not None and (len(self.customer_id) > 36 or "\x00" in self.customer_id):
            raise InvalidConversationQueryError("customer_id is not a customer id")
        return ConversationQuery(q=q, offset=self.offset, limit=self.limit, customer_id=self.customer_id)


@dataclass(frozen=True, slots=True)
class ConversationItem:
    id: str
    title: str  # the first user message, cut (set when it was stored); "" before one
    preview: str  # the last event's text, cut; "" when no event has text
    updated_at: datetime  # the last activity (message, reply or pushed event)
    last_seq: int
    last_seen_seq: int
    unread: int  # server-pushed events after last_seen_seq
    customer_id: str | None = None  # the live customer it is bound to (None: none, or deleted)
    customer_name: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationPage:
    items: tuple[ConversationItem, ...]
    total: int  # conversations matching the query, over all pages
    offset: int
    limit: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _event_text() -> ColumnElement[str]:
    text: ColumnElement[str] = Event.payload["text"].as_string()
    return text


def list_page(db: Database, *, caller: Caller, query: ConversationQuery) -> ConversationPage:
    """One page of the caller's conversations, newest activity first (ties: by id, so
    pages never overlap nor skip)."""
    query = query.checked()
    # A conversation with no event yet (a page opened and left) has nothing to restore.
    where: list[ColumnElement[bool]] = [Conversation.user_id == caller.user_id, Conversation.last_seq > 0]
    if query.q:
        pattern = f"%{_escape_like(query.q)}%"
        in_events = exists().where(
            Event.conversation_id == Conversation.id,
            Event.type != "profile",
            _event_text().ilike(pattern, escape="\\"),
        )
        where.append(or_(Conversation.title.ilike(pattern, escape="\\"), in_events))
    if query.customer_id is not None:
        where.append(Customer.id == query.customer_id)
    # The bound customer, while it is not deleted (a deleted one's conversations list unbound).
    bound = Conversation.__table__.outerjoin(
        Customer.__table__, and_(Customer.id == Conversation.customer_id, Customer.deleted_at.is_(None))
    )
    unread = (
        select(func.count())
        .select_from(Event)
        .where(
            Event.conversation_id == Conversation.id,
            Event.seq > Conversation.last_seen_seq,
            Event.type.not_in(TURN_TYPES),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(bound).where(and_(*where))) or 0
        rows = s.execute(
            select(
                Conversation.id,
                Conversation.title,
                Conversation.updated_at,
                Conversation.last_seq,
                Conversation.last_seen_seq,
                unread.label("unread"),
                Customer.id.label("customer_id"),
                Customer.name.label("customer_name"),
            )
            .select_from(bound)
            .where(and_(*where))
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .offset(query.offset)
            .limit(query.limit)
        ).all()
        previews = _previews(s, [r.id for r in rows])
    items = tuple(
        ConversationItem(
            id=r.id,
            title=r.title,
            preview=previews.get(r.id, ""),
            updated_at=r.updated_at,
            last_seq=r.last_seq,
            last_seen_seq=r.last_seen_seq,
            unread=int(r.unread or 0),
            customer_id=r.customer_id,
            customer_name=r.customer_name,
        )
        for r in rows
    )
    return ConversationPage(items=items, total=int(total), offset=query.offset, limit=query.limit)


def _previews(s: Any, ids: list[str]) -> dict[str, str]:
    """The text of each conversation's last event that has one (a profile event has none),
    from its last few events: one query for the page (a window function, on both databases)."""
    if not ids:
        return {}
    rank = func.row_number().over(partition_by=Event.conversation_id, order_by=Event.seq.desc()).label("rank")
    recent = (
        select(Event.conversation_id, Event.seq, _event_text().label("text"), rank)
        .where(Event.conversation_id.in_(ids), Event.type != "profile")
        .subquery()
    )
    rows = s.execute(
        select(recent.c.conversation_id, recent.c.text)
        .where(recent.c.rank <= 3)
        .order_by(recent.c.conversation_id, recent.c.seq.desc())
    ).all()
    out: dict[str, str] = {}
    for cid, text in rows:
        if cid not in out and isinstance(text, str) and text.strip():
            out[cid] = _cut(text.strip(), PREVIEW_CHARS)
    return out


def _cut(text: str, n: int) -> str:
    text = " ".join(_CITATION_MARK.sub("", text).split())  # "[1]" points at sources the list does not show
    return text if len(text) <= n else text[: n - 1] + "…"


def mark_seen(db: Database, *, caller: Caller, conversation_id: str, seq: int) -> int:
    """Record that the owner's page showed the conversation up to ``seq`` (0..last_seq;
    more is refused: a client cannot mark events that do not exist yet as read).  Never
    goes back: a device showing an older state leaves a newer mark alone.  Returns the mark."""
    if len(conversation_id) > 36 or "\x00" in conversation_id:  # no such id can exist
        raise ConversationNotFoundError("conversation not found")
    with db.write() as s:
        row = s.execute(
            select(Conversation.user_id, Conversation.last_seq, Conversation.last_seen_seq)
            .where(Conversation.id == conversation_id)
            .with_for_update()
        ).first()
        if row is None or row.user_id != caller.user_id:
            raise ConversationNotFoundError("conversation not found")
        if seq < 0 or seq > row.last_seq:
            raise SeenSeqError(f"seq must be from 0 to {row.last_seq}")
        if seq <= row.last_seen_seq:
            return int(row.last_seen_seq)
        s.execute(update(Conversation).where(Conversation.id == conversation_id).values(last_seen_seq=seq))
        return seq
