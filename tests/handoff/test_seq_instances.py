"""Handoff session seqs with two instances on one database: two ``Database`` objects (two
pools) log to the same session from two threads, one through the ORM path (``_log``: an
expert's notes) and one through the relay hot path (the expert's messages).  Every event
gets its own seq with no gap, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from assistant.chat.service import ChatService
from assistant.content.loader import Corpus
from assistant.handoff.outbox import Outbox, Presence
from assistant.handoff.service import HandoffConfig, HandoffService
from assistant.handoff.setup import slot_extractor
from assistant.storage.db import Database
from tests.handoff.conftest import ALICE, EXP_EG, CitingEngine, Domain
from tests.handoff.test_service import open_session

N = 100


def _second_instance(d: Domain, corpus: Corpus) -> tuple[Database, HandoffService]:
    db = Database(d.db.url)
    presence = Presence()
    presence.connect(EXP_EG.user_id)
    service = HandoffService(
        db=db,
        chat=ChatService(db=db, engine=CitingEngine()),
        extractor=slot_extractor(corpus),
        corpus=corpus,
        config=HandoffConfig(queue_timeout_seconds=120, collect_timeout_seconds=600, join_code_ttl_seconds=60),
        outbox=Outbox(),
        presence=presence,
        clock=d.clock,
    )
    return db, service


def test_two_instances_logging_to_one_session_get_distinct_gap_free_seqs(
    domain: Domain, fixture_corpus: Corpus
) -> None:
    d = domain
    d.presence.connect(EXP_EG.user_id)
    sid = open_session(d)
    d.service.accept(caller=EXP_EG, session_id=sid)
    before = [e.seq for e in d.service.expert_detail(caller=EXP_EG, session_id=sid).events]
    db_b, b = _second_instance(d, fixture_corpus)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(step: Callable[[int], object]) -> Callable[[], None]:
        def loop() -> None:
            barrier.wait()
            try:
                for i in range(N):
                    step(i)
            except BaseException as exc:  # surfaced in the test's thread
                errors.append(exc)

        return loop

    threads = [
        threading.Thread(target=run(lambda i: d.service.add_note(caller=EXP_EG, session_id=sid, text_said=f"记{i}"))),
        threading.Thread(
            target=run(
                lambda i: b.expert_message(caller=EXP_EG, session_id=sid, client_msg_id=f"m{i}", text_said=f"答{i}")
            )
        ),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        db_b.dispose()
    assert not errors, errors
    events = d.service.expert_detail(caller=EXP_EG, session_id=sid).events
    assert [e.seq for e in events] == list(range(1, len(before) + 2 * N + 1))
    assert sum(e.kind == "note" for e in events) == N
    # The relayed messages also reached the conversation as chat events, each with its own seq.
    cid = d.service.requester_view(caller=ALICE, session_id=sid).conversation_id
    chat = d.chat.events_after(caller=ALICE, conversation_id=cid, limit=10_000)
    assert [e.seq for e in chat] == list(range(1, len(chat) + 1))
    assert sum(e.type == "expert_message" for e in chat) == N
