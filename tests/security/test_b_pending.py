"""Finding 3: a message acknowledged just before a crash is answered, exactly once: on start,
when the client sends the same client_msg_id again, and with several instances on one
database.  (``python -m eval chaos`` does the same with 50 real ``kill -9``.)"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.exc import IntegrityError

from assistant.chat.service import ChatService
from assistant.dialogue.types import Caller
from assistant.settings import Settings
from assistant.storage.db import alembic_config, migrate
from assistant.storage.models import Event, PendingTurn
from tests.api.conftest import LiveServer, free_port, make_server_settings
from tests.security.b_support import new_conversation, recv, recv_until, ws_connect

pytestmark = pytest.mark.slow

ALICE = Caller(user_id="u-alice", partner_id="P-1", display_name="王丽")
QUESTION = "EG-2100 有几个串口"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Only the start pass and resends answer pending messages here (no periodic sweep).
    return make_server_settings(tmp_path, instance_id="node-a", pending_sweep_seconds=3600)


def serve(settings: Settings) -> LiveServer:
    srv = LiveServer(settings, free_port())
    srv.start()
    return srv


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    srv = serve(settings)
    yield srv
    srv.stop()


def chat(live: LiveServer) -> ChatService:
    return live.runtime.require_chat()


def acknowledged_only(live: LiveServer, cid: str, client_msg_id: str, *, claimed_at: datetime | None = None) -> int:
    """Step 1 of a turn as the killed process did it: stored and acked, never answered."""
    accepted = chat(live).accept_message(caller=ALICE, conversation_id=cid, client_msg_id=client_msg_id, text=QUESTION)
    if claimed_at is not None:  # the claim of an earlier life of this instance
        assert live.runtime.db is not None
        with live.runtime.db.write() as s:
            s.execute(update(PendingTurn).values(claimed_at=claimed_at))
    return accepted.message.seq


def answers(live: LiveServer, cid: str, seq: int) -> list[str]:
    assert live.runtime.db is not None
    with live.runtime.db.read() as s:
        return list(
            s.scalars(
                select(Event.type).where(Event.conversation_id == cid, Event.reply_to == seq).order_by(Event.seq)
            ).all()
        )


def pending_count(live: LiveServer) -> int:
    assert live.runtime.db is not None
    with live.runtime.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(PendingTurn)) or 0)


def test_answered_turns_leave_nothing_pending(live: LiveServer) -> None:
    token = live.token()
    cid = new_conversation(live, token)
    result = chat(live).post_message(caller=ALICE, conversation_id=cid, client_msg_id="m1", text=QUESTION)
    assert [e.type for e in result.events] == ["reply", "profile"]
    assert pending_count(live) == 0


def test_an_unanswered_message_is_answered_on_start(settings: Settings) -> None:
    first = serve(settings)
    token = first.token()
    cid = new_conversation(first, token)
    seq = acknowledged_only(first, cid, "lost-1")
    acknowledged_only(first, cid, "lost-2")
    first.stop()  # as if killed: two messages acked, none answered

    second = serve(settings)  # the same instance, restarted
    try:
        deadline = asyncio.run(_wait_for(lambda: answers(second, cid, seq + 1) == ["reply", "profile"]))
        assert deadline, "the second pending message was not answered after the restart"
        assert answers(second, cid, seq) == ["reply", "profile"]
        assert pending_count(second) == 0

        async def resume() -> list[dict[str, object]]:
            async with ws_connect(second, token, cid) as ws:
                await recv(ws)
                await ws.send(json.dumps({"type": "resume", "last_seq": seq}))
                return [await recv(ws) for _ in range(5)]  # lost-2's ack, then two answers

        replayed = asyncio.run(resume())
        replies = [e for e in replayed if e["type"] == "reply"]
        assert [r["reply_to"] for r in replies] == [seq, seq + 1]  # in order, once each
    finally:
        second.stop()


def test_resending_an_unanswered_message_gets_its_answer(live: LiveServer) -> None:
    token = live.token()
    cid = new_conversation(live, token)
    seq = acknowledged_only(live, cid, "m1", claimed_at=datetime(2000, 1, 1))

    async def resend() -> list[dict[str, object]]:
        async with ws_connect(live, token, cid) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": QUESTION}))
            return await recv_until(ws, "profile")

    async def resend_watched() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        # The conversation open on another device too: the answer computed for the resend reaches it.
        async with ws_connect(live, token, cid) as other:
            await recv(other)
            sent = await resend()
            return sent, await recv_until(other, "profile")

    events, watched = asyncio.run(resend_watched())
    assert [e["type"] for e in watched] == ["reply", "profile"] and watched[0] == next(
        e for e in events if e["type"] == "reply"
    )
    assert events[0]["type"] == "ack" and events[0]["duplicate"] is True and events[0]["seq"] == seq
    reply = next(e for e in events if e["type"] == "reply")
    assert reply["reply_to"] == seq and reply["text"]
    again = asyncio.run(resend())  # a second resend: the same stored answer, not a new one
    assert next(e for e in again if e["type"] == "reply") == reply
    assert answers(live, cid, seq) == ["reply", "profile"]


def test_a_live_claim_of_another_instance_is_left_to_it(live: LiveServer) -> None:
    cid = new_conversation(live, live.token())
    seq = acknowledged_only(live, cid, "m1")
    assert live.runtime.db is not None
    with live.runtime.db.write() as s:  # node-b holds it and is alive (its claim is fresh)
        s.execute(update(PendingTurn).values(owner="node-b"))
    assert chat(live).recover_pending() == []
    assert answers(live, cid, seq) == []
    with live.runtime.db.write() as s:  # node-b's claim lapsed: node-a takes it over
        s.execute(update(PendingTurn).values(claimed_at=datetime(2000, 1, 1)))
    recovered = chat(live).recover_pending()
    assert [(r.conversation_id, r.message_seq) for r in recovered] == [(cid, seq)]


def test_several_instances_answer_a_pending_message_once(live: LiveServer, settings: Settings) -> None:
    other = serve(settings.model_copy(update={"instance_id": "node-b"}))
    try:
        cid = new_conversation(live, live.token())
        seqs = [acknowledged_only(live, cid, f"m{n}", claimed_at=datetime(2000, 1, 1)) for n in range(3)]
        with live.runtime.db.write() as s:  # type: ignore[union-attr]
            s.execute(update(PendingTurn).values(owner="node-gone"))  # an instance that died for good
        results: list[object] = []
        services = [chat(live), chat(other)] * 3
        barrier = threading.Barrier(len(services))

        def sweep(service: ChatService) -> None:
            barrier.wait()
            results.extend(service.recover_pending())

        threads = [threading.Thread(target=sweep, args=(svc,)) for svc in services]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for seq in seqs:
            assert answers(live, cid, seq) == ["reply", "profile"]
        assert len(results) == 3 and pending_count(live) == 0
    finally:
        other.stop()


def test_a_turn_that_keeps_failing_is_answered_with_an_apology(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in a pending turn neither ends the sweep nor leaves the message for ever: each
    pass releases the claim, and after max_attempts the message gets an apology."""
    service = chat(live)
    cid = new_conversation(live, live.token())
    seq = acknowledged_only(live, cid, "m1", claimed_at=datetime(2000, 1, 1))

    def broken(**_: object) -> None:
        raise RuntimeError("a bug in the engine")

    monkeypatch.setattr(service.engine, "handle", broken)
    for _ in range(service.max_attempts - 1):  # the claim of acknowledged_only was the first attempt
        assert service.recover_pending() == []
        assert answers(live, cid, seq) == [] and pending_count(live) == 1
    recovered = service.recover_pending()
    assert [(r.conversation_id, r.message_seq) for r in recovered] == [(cid, seq)]
    reply = next(e for e in recovered[0].events if e.type == "reply")
    assert reply.payload["text"] == "服务暂时出错了，请稍后再试。" and reply.payload["grounded"] is False
    assert pending_count(live) == 0


def test_the_database_keeps_one_answer_per_message(live: LiveServer) -> None:
    cid = new_conversation(live, live.token())
    result = chat(live).post_message(caller=ALICE, conversation_id=cid, client_msg_id="m1", text=QUESTION)
    assert live.runtime.db is not None
    with pytest.raises(IntegrityError), live.runtime.db.write() as s:
        s.add(Event(conversation_id=cid, seq=99, type="reply", reply_to=result.message.seq, payload={}))


def test_migration_enters_messages_older_code_left_unanswered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate(url)
    command.downgrade(alembic_config(url), "0007_sign_in_hardening")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, password_hash, partner_id, role, active, created_at)"
                " VALUES ('u1', 'u1', '', 'x', 'P', 'sales', 1, '2026-12-04')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO conversations (id, user_id, title, profile, last_seq, created_at, updated_at)"
                " VALUES ('c1', 'u1', '', '{}', 4, '2026-12-04', '2026-12-04')"
            )
        )
        rows = [(1, "message", None), (2, "reply", 1), (3, "profile", 1), (4, "message", None)]
        for seq, kind, reply_to in rows:
            conn.execute(
                text(
                    "INSERT INTO events (conversation_id, seq, type, client_msg_id, reply_to, payload, created_at)"
                    " VALUES ('c1', :seq, :type, :cmi, :reply_to, '{\"text\": \"hi\"}', '2026-12-04')"
                ),
                {"seq": seq, "type": kind, "cmi": f"m{seq}" if kind == "message" else None, "reply_to": reply_to},
            )
    command.upgrade(alembic_config(url), "heads")
    with engine.begin() as conn:
        pending = conn.execute(text("SELECT conversation_id, message_seq, owner FROM pending_turns")).all()
    assert [tuple(r) for r in pending] == [("c1", 4, None)]


async def _wait_for(check: object, timeout: float = 20) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if callable(check) and check():
            return True
        await asyncio.sleep(0.1)
    return False
