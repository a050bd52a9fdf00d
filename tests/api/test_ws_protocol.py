"""The chat protocol over a real WebSocket against a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.api.conftest import LiveServer, bearer

pytestmark = pytest.mark.slow


async def recv(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def recv_until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    seen = []
    while True:
        event = await recv(ws)
        seen.append(event)
        if event["type"] == kind:
            return seen


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_message_gets_ack_typing_reply_profile_in_order(live: LiveServer) -> None:
    async def scenario() -> None:
        async with connect(live.socket_url(live.token())) as ws:
            ready = await recv(ws)
            assert ready["type"] == "ready" and ready["last_seq"] == 0
            await ws.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "EG-2100 有几个串口"}))
            events = await recv_until(ws, "profile")
            kinds = [e["type"] for e in events]
            assert kinds == ["ack", "typing", "typing", "reply", "profile"]
            ack, reply, profile = events[0], events[3], events[4]
            assert ack["seq"] == 1 and ack["client_msg_id"] == "m1"
            assert reply["seq"] == 2 and reply["reply_to"] == 1 and reply["text"]
            assert profile["seq"] == 3 and profile["profile"].get("product_model") == "EG-2100"
            assert any(c["doc_id"].startswith("EG-2100") for c in reply["citations"])

    run(scenario())


def test_duplicate_client_msg_id_is_stored_and_answered_once(live: LiveServer) -> None:
    token = live.token()

    async def scenario() -> None:
        async with connect(live.socket_url(token)) as ws:
            cid = (await recv(ws))["conversation_id"]
            msg = json.dumps({"type": "message", "client_msg_id": "same", "text": "网关质保多久"})
            await ws.send(msg)
            first = await recv_until(ws, "profile")
            await ws.send(msg)
            second = await recv_until(ws, "profile")
            assert second[0]["type"] == "ack" and second[0]["duplicate"] is True
            assert second[0]["seq"] == first[0]["seq"]
            assert [e for e in second if e["type"] == "reply"] == [e for e in first if e["type"] == "reply"]
            assert not any(e["type"] == "typing" for e in second)  # the engine did not run again
        history = httpx.get(f"{live.http}/api/conversations/{cid}/events", headers={"Authorization": f"Bearer {token}"})
        assert [e["type"] for e in history.json()["events"]] == ["ack", "reply", "profile"]

    run(scenario())


def test_resume_after_dropped_connection_gets_every_later_event(live: LiveServer) -> None:
    token = live.token()

    async def scenario() -> None:
        async with connect(live.socket_url(token)) as ws:
            cid = (await recv(ws))["conversation_id"]
            await ws.send(json.dumps({"type": "message", "client_msg_id": "a", "text": "你好"}))
            seen = await recv_until(ws, "profile")
            last_seq = seen[-1]["seq"]
            await ws.send(json.dumps({"type": "message", "client_msg_id": "b", "text": "网关质保多久"}))
            await recv(ws)  # the ack arrives, then the network drops
        async with connect(live.socket_url(token, conversation_id=cid)) as ws:
            ready = await recv(ws)
            assert ready["conversation_id"] == cid and ready["last_seq"] >= last_seq + 1
            await ws.send(json.dumps({"type": "resume", "last_seq": last_seq}))
            replayed = [await recv(ws) for _ in range(ready["last_seq"] - last_seq)]
            assert [e["seq"] for e in replayed] == list(range(last_seq + 1, ready["last_seq"] + 1))
            assert replayed[0]["type"] == "ack" and replayed[0]["client_msg_id"] == "b"

    run(scenario())


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        (json.dumps({"type": "shout", "text": "hi"}), "unknown_event"),
        (json.dumps(["message"]), "unknown_event"),
        (json.dumps({"type": "message", "client_msg_id": 5, "text": "hi"}), "invalid_event"),
        (json.dumps({"type": "message", "client_msg_id": "x"}), "invalid_event"),
        (json.dumps({"type": "resume", "last_seq": "yesterday"}), "invalid_event"),
        (json.dumps({"type": "feedback", "message_seq": 99, "rating": "up"}), "feedback_target_not_found"),
        (json.dumps({"type": "message", "client_msg_id": "big", "text": "长" * 4001}), "message_too_long"),
        (
            json.dumps({"type": "message", "client_msg_id": "p", "text": "hi", "profile": {"salary": 1}}),
            "invalid_profile",
        ),
    ],
)
def test_bad_input_gets_error_event_and_connection_stays_usable(live: LiveServer, frame: str, code: str) -> None:
    async def scenario() -> None:
        async with connect(live.socket_url(live.token())) as ws:
            await recv(ws)
            await ws.send(frame)
            error = await recv(ws)
            assert error["type"] == "error" and error["code"] == code
            assert error["message"] and "Traceback" not in error["message"]
            await ws.send(json.dumps({"type": "message", "client_msg_id": "after", "text": "你好"}))
            assert (await recv(ws))["type"] == "ack"

    run(scenario())


@pytest.mark.parametrize("token", ["", "garbage", "eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_invalid_token_is_refused_before_accept(live: LiveServer, token: str) -> None:
    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as info:
            async with connect(live.ws, additional_headers=bearer(token)):
                pass
        assert info.value.response.status_code == 403  # ASGI close(1008) before accept

    run(scenario())


def test_expired_token_is_refused(live: LiveServer) -> None:
    from datetime import UTC, datetime, timedelta

    from assistant.auth import TokenService

    tokens = TokenService(live.settings.secret_key, ttl=timedelta(minutes=1))
    old, _ = tokens.issue(user_id="u-alice", partner_id="P-1", role="sales", now=datetime.now(UTC) - timedelta(hours=2))

    async def scenario() -> None:
        with pytest.raises(InvalidStatus):
            async with connect(live.ws, additional_headers=bearer(old)):
                pass

    run(scenario())
    r = httpx.get(f"{live.http}/api/me", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_someone_elses_conversation_is_refused(live: LiveServer) -> None:
    alice, bob = live.token("alice"), live.token("bob")

    async def scenario() -> None:
        async with connect(live.socket_url(alice)) as ws:
            cid = (await recv(ws))["conversation_id"]
        with pytest.raises(InvalidStatus):
            async with connect(live.socket_url(bob, conversation_id=cid)):
                pass

    run(scenario())


def test_shutdown_closes_websockets_with_1012(live: LiveServer) -> None:
    async def scenario() -> None:
        async with connect(live.socket_url(live.token())) as ws:
            await recv(ws)
            await asyncio.get_running_loop().run_in_executor(None, live.stop)
            with pytest.raises(ConnectionClosed) as info:
                await asyncio.wait_for(ws.recv(), 10)
            assert info.value.rcvd is not None and info.value.rcvd.code == 1012

    run(scenario())
    live.start()  # the fixture's teardown stops it again


def test_server_pushed_events_reach_live_sockets_and_resume(live: LiveServer) -> None:
    """Features such as handoff append events to a conversation and publish them."""
    token = live.token()
    assert live.app is not None and live.loop is not None
    runtime = live.app.state.runtime

    async def scenario() -> None:
        async with connect(live.socket_url(token)) as ws:
            cid = (await recv(ws))["conversation_id"]
            stored = runtime.require_chat().append_event(
                conversation_id=cid, event_type="handoff", payload={"status": "expert_joined", "expert": "张工"}
            )
            assert stored.seq == 1
            loop = asyncio.get_running_loop()
            # publish from the server's own loop, as a feature's route would
            delivered = asyncio.run_coroutine_threadsafe(
                runtime.hub.publish(cid, {"type": "handoff", "seq": stored.seq, **stored.payload}), live.loop
            )
            assert await loop.run_in_executor(None, delivered.result, 5) == 1
            pushed = await recv(ws)
            assert pushed == {"type": "handoff", "seq": 1, "status": "expert_joined", "expert": "张工"}
        async with connect(live.socket_url(token, conversation_id=cid)) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "resume", "last_seq": 0}))
            assert (await recv(ws)) == {"status": "expert_joined", "expert": "张工", "type": "handoff", "seq": 1}

    run(scenario())


def test_a_bug_in_a_turn_is_an_error_event_and_the_socket_stays(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine error that is no domain error (a bug) reaches the client as ``internal``,
    without a stack trace and without dropping the socket; the next message is answered."""
    from assistant.dialogue.pool import InProcessEngine

    real = InProcessEngine.handle
    calls = {"n": 0}

    def broken_once(self: InProcessEngine, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("injected: a bug in the engine")
        return real(self, **kwargs)

    monkeypatch.setattr(InProcessEngine, "handle", broken_once)

    async def scenario() -> None:
        async with connect(live.socket_url(live.token())) as ws:
            assert (await recv(ws))["type"] == "ready"
            await ws.send(json.dumps({"type": "message", "client_msg_id": "b1", "text": "EG-2100 有几个串口"}))
            events = await recv_until(ws, "error")
            error = events[-1]
            assert (error["code"], error["client_msg_id"]) == ("internal", "b1")
            assert "KeyError" not in json.dumps(error, ensure_ascii=False) and "injected" not in error["message"]
            await ws.send(json.dumps({"type": "message", "client_msg_id": "b2", "text": "EG-2100 有几个串口"}))
            reply = next(e for e in await recv_until(ws, "profile") if e["type"] == "reply")
            assert "4" in reply["text"]

    run(scenario())


def test_the_server_speaks_the_pages_language(live: LiveServer) -> None:
    """An English page gets English errors (REST, by Accept-Language; the socket, by ?lang=)
    and English answers (each message says the language the page shows now)."""
    token = live.token()
    english = {**bearer(token), "Accept-Language": "en"}
    r = httpx.get(f"{live.http}/api/conversations/nope/events", headers=english)
    assert r.status_code == 404 and r.json()["message"] == "Conversation not found."
    r = httpx.get(f"{live.http}/api/conversations/nope/events", headers=bearer(token))
    assert r.json()["message"] == "找不到这个会话。"  # zh-CN without a header
    r = httpx.post(f"{live.http}/api/auth/token", json={"username": 1}, headers={"Accept-Language": "en-GB,en"})
    assert r.status_code == 422 and r.json()["message"] == "Invalid request."

    async def scenario() -> None:
        async with connect(live.socket_url(token, lang="en")) as ws:
            await recv(ws)  # ready
            await ws.send("{not json")
            error = await recv(ws)
            assert error["code"] == "invalid_json" and error["message"] == "The message is not valid JSON."
            asked = {"type": "message", "client_msg_id": "en1", "text": "我这季度返利多少", "lang": "en"}
            await ws.send(json.dumps(asked))
            reply = next(e for e in await recv_until(ws, "profile") if e["type"] == "reply")
            await ws.send(json.dumps({**asked, "client_msg_id": "zh1", "lang": "zh"}))
            again = next(e for e in await recv_until(ws, "profile") if e["type"] == "reply")
            assert reply["text"] != again["text"]
            assert not any("\u4e00" <= ch <= "\u9fff" for ch in reply["text"][:12])  # English, not 中文
            assert any("\u4e00" <= ch <= "\u9fff" for ch in again["text"])

    run(scenario())


def test_a_binding_or_a_correction_by_rest_reaches_the_conversations_other_devices(live: LiveServer) -> None:
    """The phone binds the conversation to a customer and corrects its profile by REST; the
    desktop, connected to the same conversation, sees both at once and after a resume."""
    token = live.token()
    headers = bearer(token)
    made = httpx.post(f"{live.http}/api/customers", headers=headers, json={"name": "宁波恒瑞注塑"})
    assert made.status_code == 201, made.text
    customer = made.json()["id"]

    async def scenario() -> None:
        async with connect(live.socket_url(token)) as desktop:
            cid = (await recv(desktop))["conversation_id"]
            await desktop.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "你好"}))
            await recv_until(desktop, "profile")  # the first turn: the conversation is listed now
            bound = httpx.put(
                f"{live.http}/api/conversations/{cid}/customer", headers=headers, json={"customer_id": customer}
            )
            assert bound.status_code == 200, bound.text
            pushed = await recv(desktop)
            assert pushed["type"] == "profile"
            assert pushed["customer"] == {"id": customer, "name": "宁波恒瑞注塑"}
            fixed = httpx.patch(
                f"{live.http}/api/conversations/{cid}/profile", headers=headers, json={"scale": "large"}
            )
            assert fixed.status_code == 200, fixed.text
            corrected = await recv(desktop)
            assert corrected["type"] == "profile" and corrected["seq"] == pushed["seq"] + 1
            assert corrected["profile"]["scale"] == "large" and corrected["customer"]["id"] == customer
        async with connect(live.socket_url(token, conversation_id=cid)) as later:
            await recv(later)
            await later.send(json.dumps({"type": "resume", "last_seq": 0}))
            replayed = [await recv(later) for _ in range(pushed["seq"])]
            replayed = [*replayed, await recv(later)]
            assert [e["seq"] for e in replayed[-2:]] == [pushed["seq"], corrected["seq"]]
            assert replayed[-1]["profile"]["scale"] == "large"

    run(scenario())


def test_a_turn_on_one_device_reaches_the_conversations_other_sockets_once(live: LiveServer) -> None:
    """The same conversation open on a phone and a desktop: a turn sent on one is shown on the
    other as it happens (the user's message, the reply and the profile), and the sender gets
    each event once."""
    token = live.token()

    async def scenario() -> None:
        async with connect(live.socket_url(token)) as phone:
            cid = (await recv(phone))["conversation_id"]
            async with connect(live.socket_url(token, conversation_id=cid)) as desktop:
                await recv(desktop)  # ready
                await phone.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "EG-2100 有几个串口"}))
                sent = await recv_until(phone, "profile")
                seen = await recv_until(desktop, "profile")
                assert [e["type"] for e in seen] == ["ack", "reply", "profile"]  # no typing of another device
                assert seen[0]["text"] == "EG-2100 有几个串口" and seen[0]["client_msg_id"] == "m1"
                assert [e["seq"] for e in seen] == [e["seq"] for e in sent if "seq" in e]
                assert seen[1]["text"] == next(e for e in sent if e["type"] == "reply")["text"]
                with pytest.raises(TimeoutError):  # nothing twice on the sender
                    await recv(phone, timeout=0.5)
                # And a turn sent over REST reaches the open sockets too.
                async with httpx.AsyncClient(base_url=live.http) as http:
                    r = await http.post(
                        f"/api/conversations/{cid}/messages",
                        json={"client_msg_id": "r1", "text": "它功耗多少"},
                        headers=bearer(token),
                    )
                    assert r.status_code == 200, r.text
                for ws in (phone, desktop):
                    pushed = await recv_until(ws, "profile")
                    assert [e["type"] for e in pushed] == ["ack", "reply", "profile"]
                    assert pushed[0]["client_msg_id"] == "r1" and pushed[1]["seq"] == r.json()["reply"]["seq"]

    run(scenario())
