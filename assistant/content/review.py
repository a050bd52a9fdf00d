"""The review queue: questions the knowledge base did not answer well, for an editor.

Three sources feed it, read from what the service already stores:

* ``handoff``: a remote expert resolved a session and offered the resolution to the
  knowledge base (the FAQ candidates of :mod:`assistant.handoff.expert_side`);
* ``thumbs_down``: a salesperson marked an answer as wrong;
* ``unanswered``: the assistant said the documents do not say (``grounded`` false).

Each item carries the question, the answer given, the conversation's turns before it and
a suggested FAQ body the editor opens in the editor ("转为 FAQ").  What the editor did
(drafted an item from it, or dismissed it) is the only thing stored
(:class:`~assistant.content.tables.ContentReview`); an item without that is open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, tuple_

from assistant.content.tables import ContentReview
from assistant.errors import AssistantError
from assistant.handoff.expert_side import faq_category
from assistant.handoff.tables import HandoffSession
from assistant.storage.db import Database
from assistant.storage.models import Event, Feedback, utcnow

Source = Literal["handoff", "thumbs_down", "unanswered"]
CONTEXT_TURNS = 6  # events shown before the question
PER_SOURCE = 100  # newest items read from each source
TEXT_CHARS = 2000


class ReviewNotFoundError(AssistantError):
    code = "review_not_found"


@dataclass(frozen=True, slots=True)
class ContextLine:
    role: Literal["user", "assistant", "expert"]
    text: str


@dataclass(frozen=True, slots=True)
class ReviewItem:
    id: str
    source: Source
    question: str
    answer: str
    conversation_id: str
    created_at: datetime
    context: tuple[ContextLine, ...]
    suggestion: dict[str, Any]  # a FAQ body to start the draft from


def review_queue(db: Database, *, product_ids: Iterable[str] = (), limit: int = 50) -> list[ReviewItem]:
    """Open review items, newest first; one per question text (the expert's resolution
    first, then a thumbs-down, then an unanswered question), and none for a question text
    an editor already drafted or dismissed (among the newest ``PER_SOURCE`` of each source)."""
    known = set(product_ids)
    with db.read() as s:
        acted = set(s.scalars(select(ContentReview.id)))
        items = [*_from_handoffs(s, known), *_from_feedback(s), *_unanswered(s)]
        # A question an editor has dealt with once is dealt with, whoever asked it again.
        seen = {item.question.strip() for item in items if item.id in acted}
        out: list[ReviewItem] = []
        for item in items:
            key = item.question.strip()
            if item.id in acted or key in seen:
                continue
            seen.add(key)
            out.append(item)
        out.sort(key=lambda i: i.created_at, reverse=True)
        return out[:limit]


def review_item(db: Database, review_id: str, *, product_ids: Iterable[str] = ()) -> ReviewItem:
    for item in review_queue(db, product_ids=product_ids, limit=10_000):
        if item.id == review_id:
            return item
    raise ReviewNotFoundError(f"no open review item {review_id!r}")


def record(db: Database, review_id: str, *, status: Literal["drafted", "dismissed"], item: str, by: str) -> None:
    """Close a review item: drafted into ``item`` ("faq/FAQ-..."), or dismissed."""
    with db.write() as s:
        row = s.get(ContentReview, review_id)
        if row is None:
            s.add(ContentReview(id=review_id, status=status, item=item, by=by, at=utcnow()))
        else:
            row.status, row.item, row.by, row.at = status, item, by, utcnow()


# -- sources ------------------------------------------------------------------------------


def _faq_id(prefix: str, key: str) -> str:
    return f"FAQ-{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:8].upper()}"


def _clip(text: object) -> str:
    return str(text or "")[:TEXT_CHARS]


def _context(s: Any, conversation_id: str, before_seq: int) -> tuple[ContextLine, ...]:
    rows = s.scalars(
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.seq < before_seq, Event.type.in_(("message", "reply")))
        .order_by(Event.seq.desc())
        .limit(CONTEXT_TURNS)
    ).all()
    return tuple(
        ContextLine("user" if e.type == "message" else "assistant", _clip(e.payload.get("text")))
        for e in reversed(rows)
    )


def _from_handoffs(s: Any, known: set[str]) -> list[ReviewItem]:
    rows = s.scalars(
        select(HandoffSession)
        .where(HandoffSession.state == "resolved", HandoffSession.resolved.is_(True))
        .order_by(HandoffSession.closed_at.desc())
        .limit(PER_SOURCE)
    ).all()
    out = []
    for r in rows:
        if not r.resolution:
            continue
        question = f"{r.product_model + ' ' if r.product_model else ''}{r.symptom}".strip()[:200] or r.product_line
        suggestion: dict[str, Any] = {
            "id": _faq_id("HO", r.id),
            "category": faq_category(r.symptom + r.resolution),
            "question": question,
            "answer": _clip(r.resolution),
        }
        if r.product_model in known:
            suggestion["products"] = [r.product_model]
        last = s.scalar(select(Event.seq).where(Event.conversation_id == r.conversation_id).order_by(Event.seq.desc()))
        out.append(
            ReviewItem(
                id=f"handoff:{r.id}",
                source="handoff",
                question=question,
                answer=_clip(r.resolution),
                conversation_id=r.conversation_id,
                created_at=r.closed_at or r.queued_at or utcnow(),
                context=(*_context(s, r.conversation_id, (last or 0) + 1), ContextLine("expert", _clip(r.resolution))),
                suggestion=suggestion,
            )
        )
    return out


def _question_of(s: Any, reply: Event) -> tuple[str, int]:
    if reply.reply_to is None:
        return "", reply.seq
    text = s.scalar(
        select(Event.payload).where(Event.conversation_id == reply.conversation_id, Event.seq == reply.reply_to)
    )
    return _clip((text or {}).get("text")), reply.reply_to


def _item_from_reply(s: Any, reply: Event, *, source: Source, review_id: str, at: datetime) -> ReviewItem | None:
    question, seq = _question_of(s, reply)
    if not question:
        return None
    return ReviewItem(
        id=review_id,
        source=source,
        question=question,
        answer=_clip(reply.payload.get("text")),
        conversation_id=reply.conversation_id,
        created_at=at,
        context=_context(s, reply.conversation_id, seq + 1),
        suggestion={
            "id": _faq_id("FB" if source == "thumbs_down" else "UA", review_id),
            "category": "configuration",
            "question": question[:200],
            "answer": "",
        },
    )


def _from_feedback(s: Any) -> list[ReviewItem]:
    rows = s.scalars(
        select(Feedback).where(Feedback.rating == "down").order_by(Feedback.created_at.desc()).limit(PER_SOURCE)
    ).all()
    keys = {(f.conversation_id, f.message_seq) for f in rows}
    replies = {
        (e.conversation_id, e.seq): e
        for e in (s.scalars(select(Event).where(tuple_(Event.conversation_id, Event.seq).in_(keys))) if keys else ())
    }
    out = []
    for f in rows:
        reply = replies.get((f.conversation_id, f.message_seq))
        if reply is None:
            continue
        item = _item_from_reply(
            s, reply, source="thumbs_down", review_id=f"down:{f.conversation_id}:{f.message_seq}", at=f.created_at
        )
        if item is not None:
            out.append(item)
    return out


def _unanswered(s: Any) -> list[ReviewItem]:
    rows = s.scalars(
        select(Event)
        .where(Event.type == "reply", Event.payload["grounded"].as_boolean().is_(False))
        .order_by(Event.id.desc())
        .limit(PER_SOURCE)
    ).all()
    out = []
    for reply in rows:
        item = _item_from_reply(
            s,
            reply,
            source="unanswered",
            review_id=f"unanswered:{reply.conversation_id}:{reply.seq}",
            at=reply.created_at,
        )
        if item is not None:
            out.append(item)
    return out
