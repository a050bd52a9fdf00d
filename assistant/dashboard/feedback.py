"""Recent thumbs up/down on assistant replies, scoped like everything else.

Scope (:func:`feedback_scope`): a caller reads the feedback of the users of its own
channel node; a manager or admin also reads that of every node below it when the
channel network is known (the rebates service), never siblings or ancestors.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select, tuple_

from assistant.dialogue.types import Caller
from assistant.storage.db import Database
from assistant.storage.models import Event, Feedback, User

EXCERPT_CHARS = 200
MANAGER_ROLES = frozenset({"manager", "admin"})


class Network(Protocol):
    def readable(self, viewer_partner_id: str) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    rating: str  # up | down
    comment: str
    created_at: str  # ISO 8601, UTC
    user_name: str
    partner_id: str
    question: str  # the message the reply answered (excerpt)
    answer: str  # the reply (excerpt)


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    partner_ids: tuple[str, ...]
    up: int
    down: int
    items: tuple[FeedbackItem, ...]


def feedback_scope(caller: Caller, network: Network | None) -> tuple[str, ...]:
    """Channel nodes whose users' feedback the caller may read."""
    if network is None or caller.role not in MANAGER_ROLES:
        return (caller.partner_id,)
    return network.readable(caller.partner_id) or (caller.partner_id,)


def _excerpt(text: object) -> str:
    value = str(text or "")
    return value if len(value) <= EXCERPT_CHARS else value[: EXCERPT_CHARS - 1] + "…"


def recent_feedback(db: Database, *, partner_ids: Collection[str], limit: int = 20) -> FeedbackSummary:
    ids = tuple(partner_ids)
    with db.read() as s:
        counts = dict(
            s.execute(
                select(Feedback.rating, func.count())
                .join(User, User.id == Feedback.user_id)
                .where(User.partner_id.in_(ids))
                .group_by(Feedback.rating)
            ).all()
        )
        rows = s.execute(
            select(Feedback, User.display_name, User.partner_id)
            .join(User, User.id == Feedback.user_id)
            .where(User.partner_id.in_(ids))
            .order_by(Feedback.created_at.desc(), Feedback.id.desc())
            .limit(limit)
        ).all()
        keys = {(f.conversation_id, f.message_seq) for f, _, _ in rows}
        replies: dict[tuple[str, int], Event] = {}
        if keys:
            for event in s.scalars(select(Event).where(tuple_(Event.conversation_id, Event.seq).in_(keys))):
                replies[(event.conversation_id, event.seq)] = event
        asked = {(e.conversation_id, e.reply_to) for e in replies.values() if e.reply_to is not None}
        questions: dict[tuple[str, int], str] = {}
        if asked:
            for event in s.scalars(select(Event).where(tuple_(Event.conversation_id, Event.seq).in_(asked))):
                questions[(event.conversation_id, event.seq)] = str(event.payload.get("text", ""))
        items = []
        for fb, name, partner in rows:
            reply = replies.get((fb.conversation_id, fb.message_seq))
            question = questions.get((fb.conversation_id, reply.reply_to or 0)) if reply is not None else None
            items.append(
                FeedbackItem(
                    rating=fb.rating,
                    comment=fb.comment,
                    created_at=fb.created_at.isoformat() + "Z",
                    user_name=name,
                    partner_id=partner,
                    question=_excerpt(question),
                    answer=_excerpt(reply.payload.get("text", "") if reply is not None else ""),
                )
            )
    return FeedbackSummary(
        partner_ids=ids, up=int(counts.get("up", 0)), down=int(counts.get("down", 0)), items=tuple(items)
    )
