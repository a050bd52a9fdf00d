"""Two real service instances (uvicorn on two free ports, in this process) on one fresh
PostgreSQL database and one Redis, as behind a proxy without sticky sessions: an expert's
message relayed on instance A reaches the salesperson's socket on instance B, once; rate
limits count requests to either instance against one limit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.api.conftest import LiveServer, make_server_settings
from tests.handoff.clients import of_type, post, recv, until
from tests.handoff.conftest import EXPERTS
from tests.instances.support import two_instances
from tests.redis_backend import REDIS_URL, redis_prefix
from tests.storage_backends import fresh_postgres_database

pytestmark = pytest.mark.slow

WIDGET_LIMIT = 5  # widget session exchanges per client address and hour, over both instances


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp = tmp_path_factory.mktemp("instances")
    with fresh_postgres_database() as database_url, redis_prefix() as prefix:
        experts = tmp / "experts.yaml"
        experts.write_text(EXPERTS, encoding="utf-8")
        settings = make_server_settings(
            tmp,
            database_url=database_url,
            redis_url=REDIS_URL,
            redis_key_prefix=prefix,
            handoff_experts_file=experts,
            rate_limit_widget_session_ip=f"{WIDGET_LIMIT}/hour",  # per hour: no window ends mid-test
        )
        with two_instances(settings) as pair:
            yield pair


def test_an_expert_message_relayed_on_one_instance_reaches_the_salesperson_on_the_other(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = instances
    alice, expert = a.token("alice"), a.token("exp_eg")  # one secret: tokens hold on both

    async def scenario() -> None:
        expert_url = a.socket_url(expert, "/ws/expert")
        async with connect(expert_url) as ex, connect(b.socket_url(alice)) as rq:
            assert (await recv(ex))["type"] == "ready"  # the expert is online on A
            ready = await recv(rq)
            cid = ready["conversation_id"]
            asked = post(
                a.http,
                "/api/handoff/request",
                alice,
                {
                    "conversation_id": cid,
                    "product_model": "EG-2100",
                    "serial": "LT1234567",
                    "symptom": "COM1 读不到数据",
                    "site": "宁波",
                    "urgency": "high",
                },
            )
            assert asked.status_code == 200, asked.text
            sid = asked.json()["id"]
            assert post(a.http, f"/api/handoff/sessions/{sid}/accept", expert).status_code == 200
            joined, _ = await until(rq, of_type("expert_joined"))  # stored on A, pushed on B
            assert joined["expert"] == "周工"

            for n, text in enumerate(("先断电重启", "再看 SYS 灯"), start=1):
                body = {"client_msg_id": f"e{n}", "text": text}
                sent = post(a.http, f"/api/handoff/sessions/{sid}/messages", expert, body)
                assert sent.status_code == 200, sent.text
            first, _ = await until(rq, of_type("expert_message"))
            second, between = await until(rq, of_type("expert_message"))
            # Once each, in order: a second copy of the first would have come before the second.
            assert (first["text"], second["text"]) == ("先断电重启", "再看 SYS 灯")
            assert not any(e["type"] == "expert_message" for e in between)
            assert second["seq"] > first["seq"] > joined["seq"]

            # And the other way: the salesperson's message on B reaches the expert's socket on A
            # (B's outbox publishes it to the expert's channel; A holds the expert's socket).
            await rq.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "SYS 灯红色常亮"}))
            relayed, _ = await until(ex, lambda e: e["type"] == "session_event" and e["kind"] == "message")
            assert relayed["sender"] == "requester" and relayed["text"] == "SYS 灯红色常亮"

    asyncio.run(scenario())


def test_a_turn_on_one_instance_reaches_the_same_conversation_open_on_the_other(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = instances
    alice = a.token("alice")

    async def scenario() -> None:
        async with connect(a.socket_url(alice)) as phone:
            cid = (await recv(phone))["conversation_id"]
            async with connect(b.socket_url(alice, conversation_id=cid)) as desktop:
                await recv(desktop)  # ready: B holds the conversation's socket from now on
                await phone.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "EG-2100 有几个串口"}))
                profile, sent = await until(phone, of_type("profile"))
                seen_profile, seen = await until(desktop, of_type("profile"))
                assert [e["type"] for e in seen] == ["ack", "reply"] and seen[0]["client_msg_id"] == "m1"
                assert seen_profile["seq"] == profile["seq"]
                assert seen[1]["text"] == next(e for e in sent if e["type"] == "reply")["text"]
                with pytest.raises(TimeoutError):  # the sender, skipped through Redis: nothing twice
                    await recv(phone, timeout=0.5)

    asyncio.run(scenario())


def test_rate_limits_count_requests_to_either_instance_against_one_limit(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    a, b = instances

    def exchange(server: LiveServer) -> int:
        # The limit is counted before the route reads the body: an empty body still counts.
        return httpx.post(f"{server.http}/api/widget/session", json={}, timeout=10).status_code

    on_a = [exchange(a) for _ in range(3)]
    on_b = [exchange(b) for _ in range(WIDGET_LIMIT - 3)]
    assert 429 not in on_a + on_b  # 3 on A and 2 on B: within the limit of 5
    refused = httpx.post(f"{b.http}/api/widget/session", json={}, timeout=10)
    assert refused.status_code == 429  # B alone saw 2: the count is the two instances' together
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
    assert exchange(a) == 429


def test_an_expert_online_on_one_instance_is_offered_a_request_made_on_the_other(
    instances: tuple[LiveServer, LiveServer],
) -> None:
    """Presence is shared: B queues the request (no offline ticket) because the expert's
    console is open on A, and the queue B pushes reaches that console on A.  Once the
    console closes, B sees nobody online and makes a ticket."""
    a, b = instances
    bob, expert = b.token("bob"), a.token("exp_eg2")
    request = {
        "product_model": "EG-2100",
        "serial": "LT7654321",
        "symptom": "4G 掉线",
        "site": "苏州",
        "urgency": "high",
    }

    async def scenario() -> None:
        async with connect(a.socket_url(expert, "/ws/expert")) as ex:
            assert (await recv(ex))["type"] == "ready"  # online on A only
            async with connect(b.socket_url(bob)) as rq:
                cid = (await recv(rq))["conversation_id"]
                asked = post(b.http, "/api/handoff/request", bob, {"conversation_id": cid, **request})
                assert asked.status_code == 200, asked.text
                session = asked.json()
                assert session["state"] == "queued" and not session["ticket_id"], session
                sid = session["id"]
                offered, _ = await until(
                    ex, lambda e: e["type"] == "queue" and sid in {s["id"] for s in e["queue"]}
                )  # pushed by B, delivered on A
                offer = next(s for s in offered["queue"] if s["id"] == sid)
                assert offer["state"] == "queued" and offer["conversation_id"] == cid
                accepted = post(a.http, f"/api/handoff/sessions/{sid}/accept", expert)
                assert accepted.status_code == 200, accepted.text
                joined, _ = await until(rq, of_type("expert_joined"))
                assert joined["expert"] == "吴工"
                resolved = post(a.http, f"/api/handoff/sessions/{sid}/resolve", expert, {"summary": "换了 SIM 卡"})
                assert resolved.status_code == 200, resolved.text

        # The console closed on A: B no longer counts the expert (nobody with EG is online).
        async with connect(b.socket_url(bob)) as rq:
            cid = (await recv(rq))["conversation_id"]
            late = post(b.http, "/api/handoff/request", bob, {"conversation_id": cid, **request})
            assert late.status_code == 200, late.text
            assert late.json()["state"] == "ticket" and late.json()["ticket_id"], late.json()

    asyncio.run(scenario())
