"""The review queue (assistant/content/review.py) on SQLite and PostgreSQL: read from a
resolved handoff, a thumbs-down and an answer the assistant could not give, with the turns
before each; drafted or dismissed items leave it."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.content import review
from assistant.handoff.tables import HandoffSession
from assistant.storage.db import Database, migrate
from assistant.storage.models import Conversation, Event, Feedback, User


def test_queue_reads_every_source_with_context_and_forgets_closed_items(database_url: str) -> None:
    migrate(database_url)
    db = Database(database_url)
    t0 = datetime(2026, 12, 1, 9, 0)
    with db.write() as s:
        s.add(User(id="u-a", username="a", password_hash="x", partner_id="P-1"))
        s.flush()
        s.add(Conversation(id="c-1", user_id="u-a"))
        s.add(Conversation(id="c-2", user_id="u-a"))
        s.flush()
        turns = [
            # The same unanswered question asked earlier in another conversation.
            ("c-2", 8, "message", None, {"text": "EG-2100 的 MTBF 是多少"}),
            ("c-2", 9, "reply", 8, {"text": "资料里没有。", "grounded": False}),
            ("c-1", 1, "message", None, {"text": "EG-2100 功耗多少"}),
            ("c-1", 2, "reply", 1, {"text": "EG-2100 功耗 4.5 W。[1]", "grounded": True}),
            ("c-1", 4, "message", None, {"text": "EG-2100 的 MTBF 是多少"}),
            ("c-1", 5, "reply", 4, {"text": "资料里没有 EG-2100 的 MTBF。", "grounded": False}),
            ("c-2", 1, "message", None, {"text": "网关质保多久"}),
            ("c-2", 2, "reply", 1, {"text": "18 个月。", "grounded": True}),
            ("c-2", 4, "message", None, {"text": "网关装不上导轨，找专家"}),
        ]
        for n, (cid, seq, kind, reply_to, payload) in enumerate(turns):
            s.add(
                Event(
                    conversation_id=cid,
                    seq=seq,
                    type=kind,
                    reply_to=reply_to,
                    payload=payload,
                    created_at=t0 + timedelta(minutes=n),
                )
            )
        s.add(Feedback(conversation_id="c-2", message_seq=2, user_id="u-a", rating="down", created_at=t0))
        s.add(
            HandoffSession(
                id="h-1",
                conversation_id="c-2",
                requester_id="u-a",
                partner_id="P-1",
                state="resolved",
                resolved=True,
                product_model="EG-2100",
                symptom="导轨卡扣装不上",
                resolution="先挂上沿再向下按压，听到咔哒声即可。",
                closed_at=t0 + timedelta(hours=1),
            )
        )
    items = review.review_queue(db, product_ids=["EG-2100"])
    assert [i.source for i in items] == ["handoff", "unanswered", "thumbs_down"]
    handoff, unanswered, down = items
    assert handoff.question == "EG-2100 导轨卡扣装不上"
    assert handoff.suggestion["answer"] == handoff.answer and handoff.suggestion["products"] == ["EG-2100"]
    assert handoff.suggestion["category"] == "installation"
    assert handoff.context[-1].role == "expert"
    assert unanswered.question == "EG-2100 的 MTBF 是多少" and unanswered.conversation_id == "c-1"
    assert [c.text for c in unanswered.context] == [
        "EG-2100 功耗多少",
        "EG-2100 功耗 4.5 W。[1]",
        "EG-2100 的 MTBF 是多少",
    ]
    assert (down.question, down.answer) == ("网关质保多久", "18 个月。")
    review.record(db, unanswered.id, status="drafted", item="faq/FAQ-UA-1", by="u-e")
    review.record(db, down.id, status="dismissed", item="", by="u-e")
    # Neither comes back, not even the same question asked in the other conversation.
    assert [i.id for i in review.review_queue(db)] == [handoff.id]
    db.dispose()
