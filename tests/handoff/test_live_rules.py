"""Live-server rules: the accept race, timeout to ticket, who may see what, and a
restart in the middle of a session with both sides resuming by seq."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from assistant.settings import Settings
from tests.api.conftest import LiveServer, free_port
from tests.handoff.clients import FULL, auth, get, of_type, post, recv, until

pytestmark = pytest.mark.slow


def expert_url(live: LiveServer, username: str) -> str:
    return live.socket_url(live.token(username), "/ws/expert")


def new_conversation(live: LiveServer, token: str) -> str:
    r = httpx.post(f"{live.http}/api/conversations", headers=auth(token))
    assert r.status_code == 201
    return str(r.json()["id"])


def open_handoff(live: LiveServer, token: str, **fields: Any) -> dict[str, Any]:
    cid = new_conversation(live, token)
    r = post(live.http, "/api/handoff/request", token, {"conversation_id": cid, **FULL, **fields})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_two_experts_racing_exactly_one_wins(handoff_live: LiveServer) -> None:
    live = handoff_live
    alice = live.token("alice")
    tokens = {"exp_eg": live.token("exp_eg"), "exp_eg2": live.token("exp_eg2")}
    rounds = 8

    async def scenario() -> None:
        async with connect(expert_url(live, "exp_eg")) as a, connect(expert_url(live, "exp_eg2")) as b:
            await recv(a)
            await recv(b)
            async with httpx.AsyncClient(base_url=live.http, timeout=10) as client:
                for n in range(rounds):
                    session = open_handoff(live, alice)
                    assert session["state"] == "queued"
                    sid = session["id"]
                    results = await asyncio.gather(
                        *(client.post(f"/api/handoff/sessions/{sid}/accept", headers=auth(t)) for t in tokens.values())
                    )
                    codes = sorted(r.status_code for r in results)
                    assert codes == [200, 409], (n, [r.text for r in results])
                    loser = next(r for r in results if r.status_code == 409)
                    assert loser.json()["code"] == "handoff_already_taken"
                    winner = next(r for r in results if r.status_code == 200)
                    who = winner.json()["session"]["expert_id"]
                    token = tokens[who.removeprefix("u-")]
                    done = await client.post(
                        f"/api/handoff/sessions/{sid}/resolve", headers=auth(token), json={"summary": "ok"}
                    )
                    assert done.status_code == 200

    asyncio.run(scenario())
    engine = create_engine(live.settings.database_url)
    with engine.connect() as c:
        per_session = c.execute(text("SELECT session_id, count(*) FROM handoff_assignments GROUP BY session_id")).all()
    engine.dispose()
    assert len(per_session) == rounds and all(n == 1 for _, n in per_session)


def test_no_expert_within_the_timeout_becomes_a_ticket_with_a_callback(handoff_settings: Settings) -> None:
    settings = handoff_settings.model_copy(update={"handoff_queue_timeout_seconds": 0.5})
    live = LiveServer(settings, free_port())
    live.start()
    try:
        alice = live.token("alice")

        async def scenario() -> None:
            async with connect(expert_url(live, "exp_eg")) as ex:
                await recv(ex)
                cid = new_conversation(live, alice)
                async with connect(live.socket_url(alice, conversation_id=cid)) as rq:
                    await recv(rq)
                    r = post(live.http, "/api/handoff/request", alice, {"conversation_id": cid, **FULL})
                    assert r.json()["state"] == "queued"
                    sid = r.json()["id"]
                    queued, _ = await until(rq, of_type("handoff_status"))
                    assert queued["state"] == "queued" and queued["position"] == 1
                    ticket, _ = await until(rq, lambda e: e["type"] == "handoff_status" and e["state"] == "ticket", 10)
                    assert ticket["ticket_id"].startswith("T-") and ticket["callback_by"]
                    assert ticket["ticket_id"] in ticket["text"] and "回电" in ticket["text"]
                    view = get(live.http, f"/api/handoff/sessions/{sid}", alice).json()["session"]
                    assert view["state"] == "ticket" and view["ticket_reason"] == "timeout"
                    # With the ticket the bot answers again ...
                    await rq.send(json.dumps({"type": "message", "client_msg_id": "q1", "text": "EG-2100 有几个串口"}))
                    reply, _ = await until(rq, of_type("reply"))
                    assert reply["intent"] != "handoff_request"
                    # ... and an expert may still take it to call back.
                    took = post(live.http, f"/api/handoff/sessions/{sid}/accept", live.token("exp_eg"))
                    assert took.status_code == 200
                    joined, _ = await until(rq, of_type("expert_joined"))
                    assert joined["session_id"] == sid

        asyncio.run(scenario())
    finally:
        live.stop()


def test_no_expert_online_is_a_ticket_at_once(handoff_live: LiveServer) -> None:
    session = open_handoff(handoff_live, handoff_live.token("alice"))
    assert session["state"] == "ticket" and session["ticket_reason"] == "no_expert_online"
    assert session["callback_by"] and session["ticket_id"]


def test_who_may_see_and_do_what(handoff_live: LiveServer) -> None:
    live = handoff_live
    alice, bob = live.token("alice"), live.token("bob")
    eg, sn = live.token("exp_eg"), live.token("exp_sn")

    async def scenario() -> None:
        async with connect(expert_url(live, "exp_eg")) as ex:
            await recv(ex)
            session = open_handoff(live, alice)
            sid, cid = session["id"], session["conversation_id"]
            assert session["state"] == "queued"
            # A requester cannot read another requester's session or conversation.
            assert get(live.http, f"/api/handoff/sessions/{sid}", bob).status_code == 404
            assert post(live.http, "/api/handoff/request", bob, {"conversation_id": cid}).status_code == 404
            assert get(live.http, f"/api/handoff/conversations/{cid}", bob).status_code == 404
            assert post(live.http, f"/api/handoff/sessions/{sid}/cancel", bob).status_code == 404
            # Requesters are no experts.
            assert get(live.http, "/api/handoff/queue", alice).status_code == 403
            assert post(live.http, f"/api/handoff/sessions/{sid}/accept", alice).status_code == 403
            assert get(live.http, "/api/handoff/metrics", alice).status_code == 403
            with pytest.raises(InvalidStatus):
                async with connect(live.socket_url(alice, "/ws/expert")):
                    pass
            with pytest.raises(InvalidStatus):
                async with connect(f"ws://127.0.0.1:{live.port}/ws/expert"):
                    pass
            # An expert without the skill neither sees nor takes it.
            assert get(live.http, "/api/handoff/queue", sn).json()["queue"] == []
            assert get(live.http, f"/api/handoff/sessions/{sid}", sn).status_code == 404
            assert post(live.http, f"/api/handoff/sessions/{sid}/accept", sn).status_code == 404
            # The skilled expert sees it in the queue, with the packet.
            detail = get(live.http, f"/api/handoff/sessions/{sid}", eg).json()
            assert detail["packet"]["slots"]["serial"] == "LT21A00077"
            # The requester's own view carries no packet or notes.
            mine = get(live.http, f"/api/handoff/sessions/{sid}", alice).json()
            assert mine["session"]["position"] == 1 and mine["packet"] is None and mine["events"] is None
            assert get(live.http, f"/api/handoff/conversations/{cid}", alice).json()["id"] == sid
            # Bad input answers with a code, never a 500.
            assert (
                post(
                    live.http, f"/api/handoff/sessions/{sid}/messages", eg, {"client_msg_id": "x", "text": "hi"}
                ).json()["code"]
                == "handoff_invalid_state"
            )
            bad = post(live.http, "/api/handoff/request", alice, {"conversation_id": cid, "urgency": "asap"})
            assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
            await ex.send("not json")
            assert (await until(ex, of_type("error")))[0]["code"] == "invalid_json"
            await ex.send(json.dumps({"type": "accept"}))
            assert (await until(ex, of_type("error")))[0]["code"] == "invalid_event"
            await ex.send(json.dumps({"type": "hack"}))
            assert (await until(ex, of_type("error")))[0]["code"] == "unknown_event"
            await ex.send(json.dumps({"type": "accept", "session_id": "nope", "request_id": "r9"}))
            err, _ = await until(ex, of_type("error"))
            assert err["code"] == "handoff_not_found" and err["request_id"] == "r9"
            # Taken: the other skilled expert no longer sees it.
            assert post(live.http, f"/api/handoff/sessions/{sid}/accept", eg).status_code == 200
            eg2 = live.token("exp_eg2")
            assert get(live.http, f"/api/handoff/sessions/{sid}", eg2).status_code == 404
            assert get(live.http, "/api/handoff/queue", eg2).json()["queue"] == []

    asyncio.run(scenario())


def test_restart_mid_session_both_sides_resume_by_seq(handoff_settings: Settings) -> None:
    first = LiveServer(handoff_settings, free_port())
    first.start()
    alice, expert = first.token("alice"), first.token("exp_eg")
    state: dict[str, Any] = {}

    async def before() -> None:
        async with connect(expert_url(first, "exp_eg")) as ex:
            await recv(ex)
            session = open_handoff(first, alice)
            sid, cid = session["id"], session["conversation_id"]
            state.update(sid=sid, cid=cid)
            await ex.send(json.dumps({"type": "accept", "session_id": sid}))
            await until(ex, of_type("result", action="accept"))
            async with connect(first.socket_url(alice, conversation_id=cid)) as rq:
                await recv(rq)
                await rq.send(json.dumps({"type": "message", "client_msg_id": "a1", "text": "网关 COM1 灯不闪"}))
                seen, _ = await until(ex, lambda e: e["type"] == "session_event" and e["kind"] == "message")
                state["expert_seq"] = seen["seq"]
                await ex.send(
                    json.dumps({"type": "message", "session_id": sid, "client_msg_id": "e1", "text": "拍一下接线"})
                )
                said, _ = await until(rq, of_type("expert_message"))
                state["requester_seq"] = said["seq"]
            # The requester is away: the expert writes once more.
            await ex.send(
                json.dumps({"type": "message", "session_id": sid, "client_msg_id": "e2", "text": "A/B 线对调试试"})
            )
            await until(ex, of_type("ack", client_msg_id="e2"))
        # The expert is away: the requester writes (stored and relayed to the session log).
        async with connect(first.socket_url(alice, conversation_id=state["cid"])) as rq:
            await recv(rq)
            await rq.send(json.dumps({"type": "message", "client_msg_id": "a2", "text": "对调后有数据了"}))
            await until(rq, of_type("ack", client_msg_id="a2"))

    asyncio.run(before())
    first.stop()

    second = LiveServer(handoff_settings, free_port())  # same database, new process state
    second.start()
    try:

        async def after() -> None:
            sid, cid = state["sid"], state["cid"]
            async with connect(second.socket_url(alice, conversation_id=cid)) as rq:
                await recv(rq)
                await rq.send(json.dumps({"type": "resume", "last_seq": state["requester_seq"]}))
                missed, _ = await until(rq, of_type("expert_message"))
                assert missed["text"] == "A/B 线对调试试" and missed["seq"] > state["requester_seq"]
                async with connect(expert_url(second, "exp_eg")) as ex:
                    ready = await recv(ex)
                    assert [s["id"] for s in ready["mine"]] == [sid]  # the assignment survived
                    await ex.send(json.dumps({"type": "resume", "session_id": sid, "last_seq": state["expert_seq"]}))
                    late, _ = await until(ex, lambda e: e["type"] == "session_event" and e["sender"] == "requester")
                    assert late["text"] == "对调后有数据了"
                    # And the session goes on live.
                    await ex.send(
                        json.dumps({"type": "message", "session_id": sid, "client_msg_id": "e3", "text": "好的，结束"})
                    )
                    live_msg, _ = await until(rq, of_type("expert_message"))
                    assert live_msg["text"] == "好的，结束"
            history = get(second.http, f"/api/conversations/{cid}/events", alice).json()["events"]
            texts = [e.get("text") for e in history if e["type"] == "expert_message"]
            assert texts == ["拍一下接线", "A/B 线对调试试", "好的，结束"]

        asyncio.run(after())
        _ = expert
    finally:
        second.stop()
