"""The conversation list (assistant/chat/history.py) on SQLite and PostgreSQL: newest
activity first, paged without overlap, searched case-insensitively over titles and texts
(``%`` and ``_`` taken literally), a title and a preview, and the unread count: the
server-pushed events after the last seen seq, not the user's messages nor the bot's replies.
Another user's conversations are never listed nor markable."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from assistant.chat.history import (
    ConversationQuery,
    InvalidConversationQueryError,
    SeenSeqError,
    list_page,
    mark_seen,
)
from assistant.chat.service import ChatService, ConversationNotFoundError
from assistant.dialogue.types import Caller, CustomerProfile, Reply
from assistant.storage.db import Database, migrate
from assistant.storage.models import User

ALICE = Caller(user_id="u-alice", partner_id="P-1", display_name="王丽", role="sales")
BOB = Caller(user_id="u-bob", partner_id="P-2", display_name="李博", role="sales")


class EchoEngine:
    def handle(self, *, text: str, profile: CustomerProfile, **_: Any) -> Reply:
        return Reply(text=f"答：{text}", intent="faq", confidence=1.0, profile=profile)  # type: ignore[arg-type]


@dataclass
class World:
    db: Database
    chat: ChatService

    def talk(self, caller: Caller, *texts: str) -> str:
        cid = self.chat.create_conversation(caller=caller)
        for n, text in enumerate(texts):
            self.chat.post_message(caller=caller, conversation_id=cid, client_msg_id=f"m{n}", text=text)
            time.sleep(0.002)  # distinct updated_at values
        return cid

    def page(self, caller: Caller = ALICE, **kw: Any) -> list[str]:
        return [c.id for c in list_page(self.db, caller=caller, query=ConversationQuery(**kw)).items]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    migrate(database_url)
    db = Database(database_url)
    with db.write() as s:
        for c in (ALICE, BOB):
            s.add(User(id=c.user_id, username=c.user_id, password_hash="x", partner_id=c.partner_id))
    yield World(db, ChatService(db=db, engine=EchoEngine()))
    db.dispose()


def test_newest_first_paged_with_title_preview_and_total(world: World) -> None:
    ids = [world.talk(ALICE, f"第{n}个问题 EG-2100 功耗") for n in range(5)]
    world.chat.create_conversation(caller=ALICE)  # no event yet: not listed
    world.talk(BOB, "李博的问题")
    newest_first = list(reversed(ids))
    assert world.page() == newest_first
    page = list_page(world.db, caller=ALICE, query=ConversationQuery(offset=0, limit=2))
    assert page.total == 5 and [c.id for c in page.items] == newest_first[:2]
    assert world.page(offset=2, limit=2) == newest_first[2:4]
    assert world.page(offset=4, limit=2) == newest_first[4:]
    assert world.page(offset=10, limit=2) == []
    first = page.items[0]
    assert first.title == "第4个问题 EG-2100 功耗"
    assert first.preview == "答：第4个问题 EG-2100 功耗"  # the reply's text (the profile event has none)
    assert first.last_seq == 3 and first.unread == 0
    world.chat.post_message(caller=ALICE, conversation_id=ids[0], client_msg_id="again", text="再问一次")
    assert world.page()[0] == ids[0]  # new activity moves it to the top


def test_search_titles_and_texts_case_insensitive_and_literal(world: World) -> None:
    power = world.talk(ALICE, "EG-2100 功耗多少", "那价格呢")
    rebate = world.talk(ALICE, "本季度返利 100% 吗")
    under = world.talk(ALICE, "型号 a_b 的参数")
    world.talk(BOB, "EG-2100 功耗")
    assert world.page(q="eg-2100") == [power]  # case-insensitive, Bob's is not listed
    assert world.page(q="价格") == [power]  # a later message, not the title
    assert world.page(q="答：本季度") == [rebate]  # a reply's text
    assert world.page(q="100%") == [rebate]
    assert world.page(q="%") == [rebate]  # % is literal, not "anything"
    assert world.page(q="a_b") == [under] and world.page(q="_") == [under]
    assert world.page(q="  功耗  ") == [power]  # trimmed
    assert world.page(q="没有这个词") == []
    assert list_page(world.db, caller=ALICE, query=ConversationQuery(q="EG")).total == 1


def test_unread_counts_pushed_events_after_the_last_seen_seq(world: World) -> None:
    cid = world.talk(ALICE, "找专家看看")
    assert mark_seen(world.db, caller=ALICE, conversation_id=cid, seq=3) == 3  # the page showed all
    world.chat.append_event(conversation_id=cid, event_type="handoff_status", payload={"text": "专家已接入"})
    world.chat.append_event(conversation_id=cid, event_type="expert_message", payload={"text": "您好，我是专家"})
    [item] = list_page(world.db, caller=ALICE, query=ConversationQuery()).items
    assert item.unread == 2 and item.preview == "您好，我是专家" and item.last_seen_seq == 3
    world.chat.post_message(caller=ALICE, conversation_id=cid, client_msg_id="m9", text="好的")
    [item] = list_page(world.db, caller=ALICE, query=ConversationQuery()).items
    assert item.unread == 2  # the user's own message and its reply are not news
    assert mark_seen(world.db, caller=ALICE, conversation_id=cid, seq=5) == 5
    [item] = list_page(world.db, caller=ALICE, query=ConversationQuery()).items
    assert item.unread == 0
    assert mark_seen(world.db, caller=ALICE, conversation_id=cid, seq=2) == 5  # never goes back
    with pytest.raises(SeenSeqError):
        mark_seen(world.db, caller=ALICE, conversation_id=cid, seq=item.last_seq + 1)
    with pytest.raises(SeenSeqError):
        mark_seen(world.db, caller=ALICE, conversation_id=cid, seq=-1)


def test_another_users_conversation_answers_like_a_missing_one(world: World) -> None:
    cid = world.talk(ALICE, "王丽的客户")
    for who, target in ((BOB, cid), (ALICE, "no-such-id")):
        with pytest.raises(ConversationNotFoundError) as caught:
            mark_seen(world.db, caller=who, conversation_id=target, seq=0)
        assert caught.value.code == "conversation_not_found"
    assert world.page(BOB) == [] and world.page(BOB, q="王丽") == []


@pytest.mark.parametrize(
    "query",
    [
        ConversationQuery(limit=0),
        ConversationQuery(limit=51),
        ConversationQuery(offset=-1),
        ConversationQuery(q="长" * 101),
        ConversationQuery(q="a\x00b"),
    ],
)
def test_bad_queries_are_refused_with_a_code(world: World, query: ConversationQuery) -> None:
    with pytest.raises(InvalidConversationQueryError) as caught:
        list_page(world.db, caller=ALICE, query=query)
    assert caught.value.code == "invalid_conversation_query"
