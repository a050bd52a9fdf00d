"""Customer records (assistant/customers/records.py) on SQLite and PostgreSQL, over the demo
channel world: a salesperson's own customers (create, list newest first, search, paging),
field-naming refusals, names unique per owner case-insensitively, soft delete that keeps the
conversations, binding, creation from a conversation, the managers above reading and not
writing, and everyone else meeting exactly what a missing id meets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from assistant.chat.history import ConversationQuery, list_page
from assistant.chat.service import ChatService, ConversationNotFoundError
from assistant.customers import (
    CustomerForbiddenError,
    CustomerInvalidError,
    CustomerNameTakenError,
    CustomerNotFoundError,
    CustomerService,
    load_industries,
)
from assistant.dialogue.types import Caller, CustomerProfile, Reply
from assistant.settings import PROJECT_ROOT
from assistant.storage.db import Database
from tests.channel_world import open_channel_world

TODAY = date(2026, 11, 27)


class EchoEngine:
    def handle(self, *, text: str, profile: CustomerProfile, **_: Any) -> Reply:
        return Reply(text=f"答：{text}", intent="faq", confidence=1.0, profile=profile)  # type: ignore[arg-type]


@dataclass
class World:
    db: Database
    customers: CustomerService
    chat: ChatService
    users: dict[str, Caller]

    def talk(self, who: str, text: str) -> str:
        caller = self.users[who]
        cid = self.chat.create_conversation(caller=caller)
        self.chat.post_message(caller=caller, conversation_id=cid, client_msg_id="m1", text=text)
        return cid

    def names(self, who: str, **kw: Any) -> list[str]:
        items, _ = self.customers.list(self.users[who], **kw)
        return [c.name for c in items]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    channel = open_channel_world(database_url, today=TODAY)
    customers = CustomerService(
        channel.db,
        network=lambda: channel.rebates.state.network,
        industries=load_industries(PROJECT_ROOT / "corpus" / "vocab.yaml"),
    )
    yield World(channel.db, customers, ChatService(db=channel.db, engine=EchoEngine()), channel.users)
    channel.db.dispose()


def make(world: World, who: str, name: str, **kw: Any) -> str:
    time.sleep(0.002)  # distinct updated_at values
    return world.customers.create(world.users[who], name=name, **kw).id


def test_create_list_newest_first_search_and_paging(world: World) -> None:
    sales = world.users["hz_sales1"]
    first = world.customers.create(
        sales,
        name="  杭州某某化纤  ",
        profile={"industry": "纺织", "scale": "large", "region": "杭州", "order_amount": 300000, "device_count": "40"},
        notes="老板姓王，关心停机损失",
    )
    assert first.name == "杭州某某化纤" and first.owner_user_id == sales.user_id and first.partner_id == "P-HZ-01"
    # Numbers are stored as strings, as a conversation's profile stores them.
    assert first.profile == {
        "industry": "纺织",
        "scale": "large",
        "region": "杭州",
        "order_amount": "300000",
        "device_count": 40,
    }
    assert CustomerService.profile_of(first)["customer_name"] == "杭州某某化纤"
    make(world, "hz_sales1", "宁波海天塑机", profile={"region": "宁波", "industry": "机械加工"})
    make(world, "hz_sales1", "苏州 100% 电子", notes="折扣 a_b 方案")
    make(world, "hz_sales2", "别人的客户", profile={"region": "杭州"})
    assert world.names("hz_sales1") == ["苏州 100% 电子", "宁波海天塑机", "杭州某某化纤"]
    items, total = world.customers.list(sales, offset=1, limit=1)
    assert total == 3 and [c.name for c in items] == ["宁波海天塑机"]
    assert world.names("hz_sales1", offset=3) == []
    assert world.names("hz_sales1", q="杭州") == ["杭州某某化纤"]  # name and region; not hz_sales2's
    assert world.names("hz_sales1", q="机械") == ["宁波海天塑机"]  # industry
    assert world.names("hz_sales1", q="停机") == ["杭州某某化纤"]  # notes
    assert world.names("hz_sales1", q="%") == ["苏州 100% 电子"]  # % literal
    assert world.names("hz_sales1", q="_") == ["苏州 100% 电子"]  # _ literal
    make(world, "hz_sales1", "ABC Trading")
    assert world.names("hz_sales1", q="abc trading") == ["ABC Trading"]  # case-insensitive
    # An update moves the customer to the top.
    world.customers.update(sales, first.id, notes="已报价")
    assert world.names("hz_sales1")[0] == "杭州某某化纤"
    assert world.customers.get(sales, first.id).notes == "已报价"


REFUSED_CREATES: list[tuple[dict[str, Any], str]] = [
    ({"name": "   "}, "name"),
    ({"name": "长" * 101}, "name"),
    ({"name": "a\x00b"}, "name"),
    ({"name": "x", "notes": "记" * 2001}, "notes"),
    ({"name": "x", "profile": {"scale": "huge"}}, "profile.scale"),
    ({"name": "x", "profile": {"persona": "boss"}}, "profile.persona"),
    ({"name": "x", "profile": {"industry": "造船"}}, "profile.industry"),
    ({"name": "x", "profile": {"order_amount": "-5"}}, "profile.order_amount"),
    ({"name": "x", "profile": {"device_count": True}}, "profile.device_count"),
    ({"name": "x", "profile": {"region": "长" * 101}}, "profile.region"),
    ({"name": "x", "profile": {"colour": "red"}}, "profile.colour"),
    ({"name": "x", "profile": {"customer_name": "另一家"}}, "profile.customer_name"),
]
REFUSED_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"q": "长" * 101}, "q"),
    ({"q": "a\x00"}, "q"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"offset": -1}, "offset"),
]


def test_refusals_name_the_field(world: World) -> None:
    sales = world.users["hz_sales1"]
    for kw, field in REFUSED_CREATES:
        with pytest.raises(CustomerInvalidError) as caught:
            world.customers.create(sales, **kw)
        assert (caught.value.code, caught.value.field) == ("customer_invalid", field), kw
    assert world.names("hz_sales1") == []  # nothing stored
    customer = make(world, "hz_sales1", "好名字", profile={"scale": "small"})
    for kw, field in REFUSED_CREATES:
        with pytest.raises(CustomerInvalidError) as caught:
            world.customers.update(sales, customer, **kw)
        assert caught.value.field == field, kw
    assert world.customers.get(sales, customer).profile == {"scale": "small"}  # unchanged
    for kw, field in REFUSED_QUERIES:
        with pytest.raises(CustomerInvalidError) as caught:
            world.customers.list(sales, **kw)
        assert caught.value.field == field, kw


def test_names_are_unique_per_owner_case_insensitively_among_live_customers(world: World) -> None:
    sales = world.users["hz_sales1"]
    first = make(world, "hz_sales1", "ABC化纤")
    with pytest.raises(CustomerNameTakenError) as caught:
        make(world, "hz_sales1", " abc化纤 ")
    assert caught.value.code == "customer_name_taken"
    other = make(world, "hz_sales1", "别的")
    with pytest.raises(CustomerNameTakenError):
        world.customers.update(sales, other, name="Abc化纤")
    make(world, "hz_sales2", "ABC化纤")  # another salesperson may have one of the same name
    world.customers.update(sales, first, name="abc化纤")  # its own name in another case: fine
    world.customers.delete(sales, first)
    again = make(world, "hz_sales1", "ABC化纤")  # the name is free again once deleted
    assert again != first


def test_soft_delete_keeps_the_conversations_readable(world: World) -> None:
    sales = world.users["hz_sales1"]
    cid = world.talk("hz_sales1", "宁波那家要 40 台网关")
    customer = make(world, "hz_sales1", "宁波海天塑机", profile={"region": "宁波"})
    world.customers.bind(sales, cid, customer)
    [item] = list_page(world.db, caller=sales, query=ConversationQuery()).items
    assert (item.customer_id, item.customer_name) == (customer, "宁波海天塑机")
    assert world.customers.get(sales, customer).conversation_count == 1
    world.customers.delete(sales, customer)
    with pytest.raises(CustomerNotFoundError):
        world.customers.get(sales, customer)
    assert world.names("hz_sales1") == [] and world.customers.match(sales, "宁波") == []
    with pytest.raises(CustomerNotFoundError):
        world.customers.update(sales, customer, notes="x")
    with pytest.raises(CustomerNotFoundError):
        world.customers.delete(sales, customer)
    with pytest.raises(CustomerNotFoundError):  # a deleted customer cannot be bound
        world.customers.bind(sales, cid, customer)
    # The conversation stays: listed (no live customer any more) and its events readable.
    [item] = list_page(world.db, caller=sales, query=ConversationQuery()).items
    assert item.id == cid and item.customer_id is None and item.customer_name is None
    events = world.chat.events_after(caller=sales, conversation_id=cid)
    assert events[0].payload["text"] == "宁波那家要 40 台网关"
    assert world.customers.read_profile(customer) is None
    with pytest.raises(CustomerNotFoundError):
        world.customers.write_profile(customer, {"region": "宁波"})


def test_bind_unbind_and_the_conversation_filter(world: World) -> None:
    sales, other = world.users["hz_sales1"], world.users["hz_sales2"]
    cid = world.talk("hz_sales1", "第一个问题")
    second = world.talk("hz_sales1", "第二个问题")
    world.chat.patch_profile(caller=sales, conversation_id=cid, patch={"scale": "small"})
    customer = make(world, "hz_sales1", "温州正泰", profile={"scale": "large", "order_amount": "1.5E+5"})
    bound = world.customers.bind(sales, cid, customer)
    assert bound.customer_id == customer
    assert bound.profile == {"customer_name": "温州正泰", "scale": "large", "order_amount": "1.5E+5"}
    page = list_page(world.db, caller=sales, query=ConversationQuery(customer_id=customer))
    assert page.total == 1 and [c.id for c in page.items] == [cid]
    assert {c.id for c in list_page(world.db, caller=sales, query=ConversationQuery()).items} == {cid, second}
    unbound = world.customers.bind(sales, cid, None)
    assert unbound.customer_id is None and unbound.profile == {}  # not about that customer
    assert world.chat.get_profile(caller=sales, conversation_id=cid) == {}
    assert list_page(world.db, caller=sales, query=ConversationQuery(customer_id=customer)).total == 0
    # Only the owner of both binds: someone else's conversation or customer is not found.
    theirs = make(world, "hz_sales2", "别人的客户")
    with pytest.raises(CustomerNotFoundError):
        world.customers.bind(sales, cid, theirs)
    with pytest.raises(ConversationNotFoundError):
        world.customers.bind(other, cid, theirs)
    with pytest.raises(ConversationNotFoundError):
        world.customers.bind(sales, "no-such-conversation", customer)


def test_create_from_a_conversation_takes_its_profile_and_binds_it(world: World) -> None:
    sales = world.users["hz_sales1"]
    cid = world.talk("hz_sales1", "杭州某某化纤，40 台设备")
    world.chat.patch_profile(
        caller=sales,
        conversation_id=cid,
        patch={"customer_name": "杭州某某化纤", "industry": "纺织", "device_count": 40, "scale": "medium"},
    )
    record = world.customers.create(
        sales, name="杭州某某化纤", profile={"scale": "large", "region": "杭州"}, from_conversation_id=cid
    )
    assert record.profile == {"industry": "纺织", "device_count": 40, "scale": "large", "region": "杭州"}
    assert record.conversation_count == 1
    [item] = list_page(world.db, caller=sales, query=ConversationQuery()).items
    assert item.customer_id == record.id
    # From a bound conversation: the profile it shows is its customer's.
    split = world.customers.create(sales, name="杭州另一家", from_conversation_id=cid)
    assert split.profile == record.profile
    [item] = list_page(world.db, caller=sales, query=ConversationQuery()).items
    assert item.customer_id == split.id
    assert world.customers.get(sales, record.id).conversation_count == 0
    with pytest.raises(ConversationNotFoundError):  # another user's conversation
        world.customers.create(world.users["hz_sales2"], name="偷来的", from_conversation_id=cid)
    assert world.names("hz_sales2") == []


def test_managers_above_read_and_do_not_write_others_see_nothing(world: World) -> None:
    customer = make(world, "hz_sales1", "杭州某某化纤", notes="秘密备注")
    sibling = world.customers.create(world.users["hz_sales2"], name="萧山纺织")
    for reader in ("hz_boss1", "hz_manager", "ec_manager", "n_admin", "n_manager"):
        caller = world.users[reader]
        assert world.customers.get(caller, customer).notes == "秘密备注", reader
        assert "杭州某某化纤" in world.names(reader), reader
        with pytest.raises(CustomerForbiddenError) as caught:
            world.customers.update(caller, customer, notes="改一下")
        assert caught.value.code == "forbidden"
        with pytest.raises(CustomerForbiddenError):
            world.customers.delete(caller, customer)
    assert world.names("hz_manager") == ["萧山纺织", "杭州某某化纤"]
    assert world.names("hz_boss1") == ["杭州某某化纤"]  # P-HZ-02 is not below P-HZ-01
    # A sibling partner's salesperson, another alliance's manager, another region's, a content
    # editor (reads like sales): the customer is exactly as missing as an id that never was.
    for outsider in ("hz_sales2", "su_manager", "sc_manager", "n_editor"):
        caller = world.users[outsider]
        for target in (customer, "00000000-0000-0000-0000-000000000000"):
            with pytest.raises(CustomerNotFoundError) as caught:
                world.customers.get(caller, target)
            assert str(caught.value) == "customer not found" and caught.value.code == "customer_not_found"
            with pytest.raises(CustomerNotFoundError):
                world.customers.update(caller, target, notes="x")
        assert "杭州某某化纤" not in world.names(outsider), outsider
        assert world.customers.match(caller, "杭州") == [] or outsider == "hz_sales2"
    assert [c.name for c in world.customers.match(world.users["hz_sales2"], "萧山")] == [sibling.name]
    assert world.customers.match(world.users["hz_manager"], "杭州") == []  # match: own customers only


def test_match_names_and_regions(world: World) -> None:
    sales = world.users["hz_sales1"]
    make(world, "hz_sales1", "宁波海天塑机")
    make(world, "hz_sales1", "某某精密", profile={"region": "宁波"})
    make(world, "hz_sales1", "杭州某某化纤", profile={"region": "杭州"})
    make(world, "hz_sales2", "宁波别家")
    assert [c.name for c in world.customers.match(sales, "宁波")] == ["某某精密", "宁波海天塑机"]
    assert [c.name for c in world.customers.match(sales, "  化纤 ")] == ["杭州某某化纤"]
    assert world.customers.match(sales, "宁") != [] and world.customers.match(sales, "") == []
    assert world.customers.match(sales, "%") == [] and world.customers.match(sales, "x" * 101) == []


def test_the_chat_reads_and_writes_a_bound_customers_profile(world: World) -> None:
    sales = world.users["hz_sales1"]
    customer = make(world, "hz_sales1", "宁波海天塑机", profile={"region": "宁波"})
    written = world.customers.write_profile(
        customer,
        {
            "customer_name": "别的名字",
            "region": "宁波",
            "order_amount": "300000",
            "device_count": 12,
            "quarter": "x" * 500,
        },
    )
    # The name is the record's; a value out of bounds is dropped, not stored.
    assert written == {"customer_name": "宁波海天塑机", "region": "宁波", "order_amount": "300000", "device_count": 12}
    assert world.customers.read_profile(customer) == written
    assert world.customers.get(sales, customer).name == "宁波海天塑机"
    assert world.customers.read_profile("no-such-customer") is None
    # A PATCH clears a field given as None or "", keeps the others.
    updated = world.customers.update(sales, customer, profile={"device_count": None, "region": ""})
    assert updated.profile == {"order_amount": "300000"}
