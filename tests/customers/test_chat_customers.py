"""Customers in the chat (assistant/customers/chat.py wired into assistant/chat/service.py),
over the real dialogue engine and a real database (SQLite and PostgreSQL).

A salesperson names a company, is offered to save it, saves it by saying so, and from then
on the conversation's profile is the customer's record: facts learnt in any conversation
about it land on the record, a new conversation switched to it ("换到恒逸") starts from them,
and switching to another customer switches the profile.  Messages that only look like
commands go to the engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from assistant.chat.service import ChatService
from assistant.customers.chat import CustomerChat
from assistant.customers.records import CustomerService
from assistant.dialogue.engine import DialogueEngine
from assistant.dialogue.types import Caller
from assistant.storage.db import Database, migrate
from assistant.storage.models import Conversation, Customer, User

ALICE = Caller(user_id="u-alice", partner_id="P-1", display_name="王丽", role="sales")
BOB = Caller(user_id="u-bob", partner_id="P-2", display_name="李博", role="sales")


@dataclass
class Chat:
    db: Database
    chat: ChatService
    customers: CustomerService
    n: int = 0

    def new(self, caller: Caller = ALICE) -> str:
        return self.chat.create_conversation(caller=caller)

    def say(self, cid: str, text: str, caller: Caller = ALICE) -> tuple[dict[str, Any], dict[str, Any]]:
        """The reply's and the profile event's payloads."""
        self.n += 1
        turn = self.chat.post_message(caller=caller, conversation_id=cid, client_msg_id=f"m{self.n}", text=text)
        reply, profile = turn.events
        assert (reply.type, profile.type) == ("reply", "profile")
        return reply.payload, profile.payload

    def bound(self, cid: str) -> str | None:
        with self.db.read() as s:
            conversation = s.get(Conversation, cid)
            assert conversation is not None
            return conversation.customer_id

    def record(self, customer_id: str) -> Customer:
        with self.db.read() as s:
            row = s.get(Customer, customer_id)
            assert row is not None
            s.expunge(row)
            return row


@pytest.fixture
def talk(database_url: str, shipped_engine: DialogueEngine) -> Iterator[Chat]:
    migrate(database_url)
    db = Database(database_url)
    with db.write() as s:
        for c in (ALICE, BOB):
            s.add(User(id=c.user_id, username=c.user_id, password_hash="x", partner_id=c.partner_id))
    customers = CustomerService(db)
    yield Chat(db, ChatService(db=db, engine=shipped_engine, customers=CustomerChat(lambda: customers)), customers)
    db.dispose()


def test_named_company_is_offered_saved_and_followed(talk: Chat) -> None:
    cid = talk.new()
    reply, event = talk.say(cid, "杭州恒逸化纤那边是化纤行业的大厂，设备部长比较关心停机")
    assert event["profile"]["customer_name"] == "杭州恒逸化纤"
    assert event["customer"] is None
    assert reply["customer_offer"] == {"name": "杭州恒逸化纤", "customer_id": None}

    # The next turn about the same company is not offered again.
    reply, _ = talk.say(cid, "EG-2100 的工作电压是多少")
    assert "customer_offer" not in reply

    reply, event = talk.say(cid, "把这家存为客户")
    assert "杭州恒逸化纤" in reply["text"] and "customer_offer" not in reply
    customer_id = event["customer"]["id"]
    assert event["customer"]["name"] == "杭州恒逸化纤" and talk.bound(cid) == customer_id
    record = talk.record(customer_id)
    assert record.owner_user_id == ALICE.user_id
    assert record.profile["industry"] == event["profile"]["industry"] and record.profile["scale"] == "large"
    assert "customer_name" not in record.profile

    # A fact learnt later in this conversation lands on the record.
    _, event = talk.say(cid, "他们有 30 台设备")
    assert event["profile"]["device_count"] == 30
    assert talk.record(customer_id).profile["device_count"] == 30

    # Another conversation (another device) switched to it starts from the record.
    other = talk.new()
    reply, event = talk.say(other, "换到恒逸")
    assert reply["intent"] == "profile_update" and "杭州恒逸化纤" in reply["text"]
    assert event["customer"] == {"id": customer_id, "name": "杭州恒逸化纤"}
    assert event["profile"]["device_count"] == 30 and event["profile"]["scale"] == "large"
    # ... and the engine answers the next turn with those facts (a script for this customer).
    reply, event = talk.say(other, "给他们设备部长的话术")
    assert reply["intent"] == "script_request"
    assert event["profile"]["customer_name"] == "杭州恒逸化纤" and event["profile"]["device_count"] == 30


def test_switching_between_customers_switches_the_profile(talk: Chat) -> None:
    cid = talk.new()
    talk.say(cid, "杭州恒逸化纤那边是化纤行业的大厂")
    _, first = talk.say(cid, "把这家存为客户")
    # Saving another company while talking about this one starts it empty.
    reply, second = talk.say(cid, "新建客户 宁波海天塑机")
    assert "宁波海天塑机" in reply["text"]
    assert second["customer"]["name"] == "宁波海天塑机"
    assert second["profile"] == {"customer_name": "宁波海天塑机"}
    _, event = talk.say(cid, "他们是注塑行业的中型厂")
    assert event["profile"]["scale"] == "medium"
    assert talk.record(second["customer"]["id"]).profile["scale"] == "medium"

    reply, event = talk.say(cid, "换到恒逸那家")
    assert event["customer"]["id"] == first["customer"]["id"] and event["profile"]["scale"] == "large"
    assert talk.bound(cid) == first["customer"]["id"]
    # The other record kept its own facts.
    assert talk.record(second["customer"]["id"]).profile["scale"] == "medium"

    reply, _ = talk.say(cid, "我的客户")
    assert "宁波海天塑机" in reply["text"] and "杭州恒逸化纤" in reply["text"]
    assert "换到宁波海天塑机" in reply["suggestions"]


def test_lookalike_messages_go_to_the_engine(talk: Chat) -> None:
    cid = talk.new()
    talk.say(cid, "杭州恒逸化纤那边是化纤行业的大厂")
    talk.say(cid, "把这家存为客户")
    reply, event = talk.say(cid, "换成EG-3200呢")  # a product, not a customer: the engine answers
    assert reply["intent"] != "profile_update"
    assert event["customer"]["name"] == "杭州恒逸化纤"
    reply, event = talk.say(cid, "换到上海那家")  # a customer word, no such customer
    assert "上海" in reply["text"] and reply["intent"] == "profile_update"
    assert event["customer"]["name"] == "杭州恒逸化纤"  # nothing switched


def test_another_salespersons_customer_is_never_switched_to(talk: Chat) -> None:
    cid = talk.new(BOB)
    talk.say(cid, "杭州恒逸化纤那边是化纤行业的大厂", caller=BOB)
    talk.say(cid, "把这家存为客户", caller=BOB)
    mine = talk.new()
    reply, event = talk.say(mine, "换到恒逸那家")
    assert event["customer"] is None and talk.bound(mine) is None
    assert "恒逸" in reply["text"]  # "not found" among Alice's customers


def test_saving_a_name_already_saved_binds_to_it(talk: Chat) -> None:
    first = talk.new()
    talk.say(first, "杭州恒逸化纤那边是化纤行业的大厂")
    _, saved = talk.say(first, "把这家存为客户")
    second = talk.new()
    reply, event = talk.say(second, "把杭州恒逸化纤存为客户")
    assert "已经在你的客户里" in reply["text"]
    assert event["customer"]["id"] == saved["customer"]["id"] and talk.bound(second) == saved["customer"]["id"]
    with talk.db.read() as s:
        assert s.query(Customer).filter(Customer.owner_user_id == ALICE.user_id).count() == 1


def test_rest_profile_reads_and_corrects_the_bound_record(talk: Chat) -> None:
    cid = talk.new()
    talk.say(cid, "杭州恒逸化纤那边是化纤行业的大厂")
    _, saved = talk.say(cid, "把这家存为客户")
    customer_id = saved["customer"]["id"]
    talk.customers.update(ALICE, customer_id, profile={"device_count": 12})  # edited on the customer page
    assert talk.chat.get_profile(caller=ALICE, conversation_id=cid)["device_count"] == 12
    profile = talk.chat.patch_profile(caller=ALICE, conversation_id=cid, patch={"scale": "medium"})
    assert profile["scale"] == "medium" and talk.record(customer_id).profile["scale"] == "medium"
    # A deleted customer leaves the conversation readable with its last profile.
    talk.customers.delete(ALICE, customer_id)
    assert talk.chat.get_profile(caller=ALICE, conversation_id=cid)["scale"] == "medium"
    reply, event = talk.say(cid, "EG-2100 的工作电压是多少")
    assert event["customer"] is None and reply["text"]


def test_a_conversation_bound_by_hand_follows_its_customer(talk: Chat) -> None:
    # Saved under another name than the one the engine read (the customer picker, the offer
    # bar), then bound by hand: the talk is about the bound customer from then on.
    cid = talk.new()
    talk.say(cid, "杭州恒逸化纤那边是化纤行业的大厂")
    record = talk.customers.create(ALICE, name="恒逸集团", from_conversation_id=cid)
    assert talk.bound(cid) == record.id and record.profile["scale"] == "large"
    _, event = talk.say(cid, "他们有 30 台设备")
    assert event["customer"] == {"id": record.id, "name": "恒逸集团"}
    assert event["profile"]["customer_name"] == "恒逸集团"
    assert talk.record(record.id).profile["device_count"] == 30

    other = talk.customers.create(ALICE, name="宁波海天塑机", profile={"scale": "medium"})
    bound = talk.customers.bind(ALICE, cid, other.id)
    assert bound.profile["customer_name"] == "宁波海天塑机"
    _, event = talk.say(cid, "他们有 8 台设备")
    assert event["profile"]["scale"] == "medium" and talk.record(other.id).profile["device_count"] == 8
    assert talk.record(record.id).profile["device_count"] == 30


def test_talk_moving_to_another_company_is_offered_with_its_own_facts(talk: Chat) -> None:
    cid = talk.new()
    talk.say(cid, "杭州恒逸化纤那边是化纤行业的大厂，有 30 台设备")
    _, saved = talk.say(cid, "把这家存为客户")
    reply, event = talk.say(cid, "还有个客户叫宁波海天塑机，做注塑的")
    assert reply["customer_offer"] == {"name": "宁波海天塑机", "customer_id": None}
    assert event["customer"] == saved["customer"]  # still the conversation's customer until saved
    assert event["profile"]["customer_name"] == "宁波海天塑机"
    assert "scale" not in event["profile"] and "device_count" not in event["profile"]  # not 恒逸's
    assert talk.record(saved["customer"]["id"]).profile["device_count"] == 30  # 恒逸 untouched
    # The offer bar's 保存 (POST /api/customers with from_conversation_id) takes the new facts only.
    made = talk.customers.create(ALICE, name="宁波海天塑机", from_conversation_id=cid)
    assert "scale" not in made.profile and "device_count" not in made.profile
    assert made.profile.get("industry") == event["profile"].get("industry")
    assert talk.bound(cid) == made.id
