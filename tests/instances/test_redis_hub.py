"""The conversation hub through Redis pub/sub: two hub objects on the machine's Redis are
two instances.  A socket stand-in records what it is sent (the hub only calls
``send_json``); the live two-server tests are in test_two_instances.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.websockets import WebSocket, WebSocketDisconnect

from assistant.api.hub import ConversationHub, RedisConversationHub
from assistant.api.runtime import build_hub
from assistant.settings import Settings
from tests.redis_backend import REDIS_URL, redis_prefix


class Socket:
    """Records the events sent to it, in order."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    async def send_json(self, event: dict[str, Any]) -> None:
        self.received.append(event)
        self.arrived.set()

    async def until(self, n: int, timeout: float = 5) -> list[dict[str, Any]]:
        async def wait() -> None:
            while len(self.received) < n:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(wait(), timeout)
        return self.received


def ws(s: Socket) -> WebSocket:
    return s  # type: ignore[return-value]  # the hub's seam: only send_json is called


@pytest.fixture
def prefix() -> Iterator[str]:
    with redis_prefix() as p:
        yield p


def test_an_event_published_on_one_instance_reaches_each_socket_on_either_exactly_once(prefix: str) -> None:
    async def scenario() -> None:
        a = RedisConversationHub(REDIS_URL, prefix=prefix)
        b = RedisConversationHub(REDIS_URL, prefix=prefix)
        on_a, on_b, elsewhere = Socket(), Socket(), Socket()
        try:
            await a.join("c1", ws(on_a))
            await b.join("c1", ws(on_b))
            await b.join("c2", ws(elsewhere))
            assert (a.connected("c1"), b.connected("c1"), b.total()) == (1, 1, 2)

            assert await a.publish("c1", {"type": "expert_message", "seq": 7, "text": "先断电重启"}) == 2
            # A second event behind it: pub/sub keeps a channel's order, so once it has
            # arrived, a duplicate of the first would have arrived before it.
            assert await b.publish("c1", {"type": "handoff", "seq": 8}) == 2
            for s in (on_a, on_b):
                assert [e["seq"] for e in await s.until(2)] == [7, 8]
                assert s.received[0]["text"] == "先断电重启"
            assert elsewhere.received == []

            # B's last socket of c1 leaves: only A is subscribed now; B's other socket stays.
            await b.leave("c1", ws(on_b))
            assert await b.publish("c1", {"type": "handoff", "seq": 9}) == 1
            assert [e["seq"] for e in await on_a.until(3)] == [7, 8, 9]
            assert len(on_b.received) == 2
            assert await a.publish("c2", {"type": "handoff", "seq": 1}) == 1
            assert (await elsewhere.until(1))[0]["seq"] == 1
            await a.leave("c1", ws(on_a))
            assert await a.publish("c1", {"type": "handoff", "seq": 10}) == 0  # nobody holds it
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())


def test_two_sockets_of_one_conversation_on_one_instance_each_get_the_event_once(prefix: str) -> None:
    async def scenario() -> None:
        a = RedisConversationHub(REDIS_URL, prefix=prefix)
        first, second = Socket(), Socket()
        try:
            await a.join("c1", ws(first))
            await a.join("c1", ws(second))
            assert await a.publish("c1", {"type": "handoff", "seq": 1}) == 1  # one instance
            assert await a.publish("c1", {"type": "handoff", "seq": 2}) == 1
            for s in (first, second):
                assert [e["seq"] for e in await s.until(2)] == [1, 2]
            await a.leave("c1", ws(first))  # the other socket keeps the subscription
            assert await a.publish("c1", {"type": "handoff", "seq": 3}) == 1
            assert [e["seq"] for e in await second.until(3)] == [1, 2, 3]
            assert len(first.received) == 2
        finally:
            await a.close()

    asyncio.run(scenario())


class GoneSocket(Socket):
    """A socket whose peer vanished (a killed client): Starlette raises WebSocketDisconnect."""

    async def send_json(self, event: dict[str, Any]) -> None:
        raise WebSocketDisconnect(code=1006)


def test_a_socket_whose_peer_is_gone_costs_no_one_else_an_event(prefix: str) -> None:
    async def scenario() -> None:
        a = RedisConversationHub(REDIS_URL, prefix=prefix)
        b = RedisConversationHub(REDIS_URL, prefix=prefix)
        gone, same_conversation, other_conversation = GoneSocket(), Socket(), Socket()
        try:
            await b.join("c1", ws(gone))
            await b.join("c1", ws(same_conversation))
            await b.join("c2", ws(other_conversation))
            assert await a.publish("c1", {"type": "reply", "seq": 1}) == 1
            assert [e["seq"] for e in await same_conversation.until(1)] == [1]
            # B's reader lived through the failed delivery: later events still arrive.
            assert await a.publish("c2", {"type": "reply", "seq": 2}) == 1
            assert [e["seq"] for e in await other_conversation.until(1)] == [2]
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())


def test_an_event_skips_the_socket_it_came_from_on_every_instance(prefix: str) -> None:
    async def scenario() -> None:
        a = RedisConversationHub(REDIS_URL, prefix=prefix)
        b = RedisConversationHub(REDIS_URL, prefix=prefix)
        sender, beside, elsewhere = Socket(), Socket(), Socket()
        try:
            await a.join("c1", ws(sender))
            await a.join("c1", ws(beside))
            await b.join("c1", ws(elsewhere))
            assert await a.publish("c1", {"type": "reply", "seq": 2}, skip=ws(sender)) == 2
            assert await a.publish("c1", {"type": "profile", "seq": 3}) == 2  # no skip: everyone
            for s in (beside, elsewhere):
                assert [e["seq"] for e in await s.until(2)] == [2, 3]
            assert [e["seq"] for e in await sender.until(1)] == [3]  # the first one came from it
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())


def test_the_local_hub_skips_a_socket_whose_peer_is_gone() -> None:
    async def scenario() -> None:
        hub = ConversationHub()
        alive = Socket()
        await hub.join("c1", ws(GoneSocket()))
        await hub.join("c1", ws(alive))
        assert await hub.publish("c1", {"type": "reply", "seq": 1}) == 1
        assert [e["seq"] for e in alive.received] == [1]

    asyncio.run(scenario())


def test_the_redis_hub_is_chosen_only_with_a_redis_url(prefix: str) -> None:
    assert isinstance(build_hub(Settings()), ConversationHub)
    assert isinstance(build_hub(Settings(redis_url="")), ConversationHub)
    hub = build_hub(Settings(redis_url=REDIS_URL, redis_key_prefix=prefix))
    assert isinstance(hub, RedisConversationHub)
    asyncio.run(hub.close())


def test_rate_limit_storage_follows_the_redis_url() -> None:
    assert Settings().rate_limit_storage == "async+memory://"
    assert Settings(redis_url="redis://r:6379/1").rate_limit_storage == "async+redis://r:6379/1"
    assert Settings(redis_url="rediss://r:6380/0").rate_limit_storage == "async+rediss://r:6380/0"
    assert Settings(redis_url="unix:///run/redis.sock").rate_limit_storage == "async+redis+unix:///run/redis.sock"
    explicit = Settings(redis_url="redis://r:6379/1", rate_limit_storage_uri="async+memory://")
    assert explicit.rate_limit_storage == "async+memory://"
