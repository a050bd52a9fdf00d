"""Seq allocation with two instances on one database: two ``Database`` objects (two
connection pools, as two serving processes have) append to the same conversation from two
threads at once.  Every event gets its own seq, the seqs have no gap, and a repeated
``client_msg_id`` is still a duplicate, not a clash of seqs.  On SQLite the writers queue
on BEGIN IMMEDIATE; on PostgreSQL on the conversation's row lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from assistant.chat.service import Accepted, ChatService
from assistant.dialogue.types import Caller
from assistant.storage.db import Database, migrate
from assistant.storage.models import Conversation, User

ALICE = Caller(user_id="u-alice", partner_id="P-1", display_name="王丽", role="sales")
N = 200


class UnusedEngine:
    """Only messages are stored here (step 1 of a turn); nothing is answered."""

    def handle(self, **_: object) -> None:
        raise AssertionError("the engine is not called when a message is only accepted")


@pytest.fixture
def two_instances(database_url: str) -> Iterator[tuple[ChatService, ChatService, str]]:
    migrate(database_url)
    dbs = (Database(database_url), Database(database_url))
    with dbs[0].write() as s:
        s.add(User(id=ALICE.user_id, username="alice", password_hash="x", partner_id=ALICE.partner_id))
    a, b = (ChatService(db=db, engine=UnusedEngine(), instance=f"i{n}") for n, db in enumerate(dbs))  # type: ignore[arg-type]
    cid = a.create_conversation(caller=ALICE)
    yield a, b, cid
    for db in dbs:
        db.dispose()


def _together(*work: Callable[[], None]) -> None:
    """Run each callable in its own thread, started at the same moment; re-raise failures."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(step: Callable[[], None]) -> None:
        barrier.wait()
        try:
            step()
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)


def _seqs(chat: ChatService, cid: str) -> list[int]:
    return [e.seq for e in chat.events_after(caller=ALICE, conversation_id=cid, limit=10_000)]


def test_two_instances_appending_to_one_conversation_get_distinct_gap_free_seqs(
    two_instances: tuple[ChatService, ChatService, str],
) -> None:
    a, b, cid = two_instances
    accepted: list[Accepted] = []

    def messages() -> None:  # user messages on instance A
        for i in range(N):
            accepted.append(a.accept_message(caller=ALICE, conversation_id=cid, client_msg_id=f"a{i}", text=f"问{i}"))

    def events() -> None:  # server events (an expert's message, say) on instance B
        for i in range(N):
            b.append_event(conversation_id=cid, event_type="expert_message", payload={"i": i})

    _together(messages, events)
    assert _seqs(a, cid) == list(range(1, 2 * N + 1))
    assert not any(x.duplicate for x in accepted)
    with b.db.read() as s:
        assert s.get(Conversation, cid).last_seq == 2 * N  # type: ignore[union-attr]


def test_a_repeated_client_msg_id_is_a_duplicate_on_either_instance(
    two_instances: tuple[ChatService, ChatService, str],
) -> None:
    a, b, cid = two_instances
    results: dict[str, list[Accepted]] = {"a": [], "b": []}

    def send(chat: ChatService, name: str) -> Callable[[], None]:
        def run() -> None:  # both instances get the same ids (a client resending to the other)
            for i in range(N):
                got = chat.accept_message(caller=ALICE, conversation_id=cid, client_msg_id=f"m{i}", text=f"问{i}")
                results[name].append(got)

        return run

    _together(send(a, "a"), send(b, "b"))
    for first, second in zip(results["a"], results["b"], strict=True):
        assert sorted((first.duplicate, second.duplicate)) == [False, True]  # stored once
        assert first.message.seq == second.message.seq  # and both told the same seq
    assert _seqs(a, cid) == list(range(1, N + 1))
