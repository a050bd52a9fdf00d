"""End to end against a real uvicorn server over real WebSockets: the requester asks
in the chat, the bot collects what is missing, an expert accepts in the console
socket, both exchange messages, a join code is redeemed once, the expert resolves,
and the bot answers again."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect

from tests.api.conftest import LiveServer
from tests.handoff.clients import get, of_type, post, recv, until

pytestmark = pytest.mark.slow


def expert_ws(live: LiveServer, username: str) -> str:
    return live.socket_url(live.token(username), "/ws/expert")


def test_request_accept_chat_resolve_and_back_to_the_bot(handoff_live: LiveServer) -> None:
    live = handoff_live
    alice = live.token("alice")
    expert = live.token("exp_eg")

    async def scenario() -> None:
        async with connect(expert_ws(live, "exp_eg")) as ex, connect(live.socket_url(alice)) as rq:
            ready = await recv(ex)
            assert ready["type"] == "ready" and ready["expert"]["skills"] == ["EG"] and ready["queue"] == []
            cid = (await recv(rq))["conversation_id"]

            async def turn(text: str, cmid: str) -> dict[str, object]:
                await rq.send(json.dumps({"type": "message", "client_msg_id": cmid, "text": text}))
                reply, _ = await until(rq, of_type("reply"))
                return reply

            first = await turn("EG-2100 现场装不上，找专家", "m1")
            assert first["intent"] == "handoff_request" and first["handoff_offered"] is True
            assert "哪个现场" in str(first["text"])  # model and symptom were understood already
            assert "序列号" in str((await turn("宁波吉利汽车工厂", "m2"))["text"])
            urgency = await turn("不知道", "m3")
            assert "紧急" in str(urgency["text"]) and urgency["suggestions"]
            queued = await turn("紧急，现场停线等着", "m4")
            assert "第 1 位" in str(queued["text"])

            pushed, _ = await until(ex, lambda e: e["type"] == "queue" and len(e["queue"]) == 1)
            session = pushed["queue"][0]
            assert session["slots"]["site"] == "宁波吉利汽车工厂" and session["slots"]["urgency"] == "high"
            sid = session["id"]

            await ex.send(json.dumps({"type": "accept", "session_id": sid, "request_id": "r1"}))
            result, _ = await until(ex, of_type("result", action="accept"))
            packet = result["data"]["packet"]
            assert "宁波吉利汽车工厂" in packet["summary"]
            assert any(f["citation"].startswith("EG-2100#fault-") for f in packet["faults"])
            assert "EG-2100 现场装不上，找专家" in packet["recent_messages"]
            joined, _ = await until(rq, of_type("expert_joined"))
            assert joined["expert"] == "周工" and joined["seq"] > queued["seq"]  # type: ignore[operator]

            # requester -> expert (no bot reply), expert -> requester
            await rq.send(json.dumps({"type": "message", "client_msg_id": "m5", "text": "SYS 灯红色常亮"}))
            relayed, _ = await until(ex, lambda e: e["type"] == "session_event" and e["kind"] == "message")
            assert relayed["sender"] == "requester" and relayed["text"] == "SYS 灯红色常亮"
            await ex.send(
                json.dumps({"type": "message", "session_id": sid, "client_msg_id": "e1", "text": "先断电重启"})
            )
            ack, _ = await until(ex, of_type("ack"))
            assert ack["client_msg_id"] == "e1" and ack["duplicate"] is False
            said, skipped = await until(rq, of_type("expert_message"))
            assert said["text"] == "先断电重启" and said["expert"] == "周工"
            assert not any(e["type"] == "reply" for e in skipped)  # the bot stayed quiet

            await ex.send(json.dumps({"type": "join_code", "session_id": sid}))
            code = (await until(ex, of_type("result", action="join_code")))[0]["data"]["code"]
            shown, _ = await until(rq, of_type("ar_join_code"))
            assert shown["code"] == code and code in shown["text"] and shown["link"] == f"/assist?code={code}"
            assert (
                post(live.http, "/api/handoff/join-codes/redeem", live.token("bob"), {"code": code}).status_code == 404
            )
            first_use = post(live.http, "/api/handoff/join-codes/redeem", alice, {"code": code})
            assert first_use.status_code == 200 and first_use.json()["session_id"] == sid
            assert first_use.json()["conversation_id"] == cid
            again = post(live.http, "/api/handoff/join-codes/redeem", alice, {"code": code})
            assert again.status_code == 409 and again.json()["code"] == "join_code_used"

            note = post(
                live.http, f"/api/handoff/sessions/{sid}/notes", expert, {"text": "现场 SYS 红灯，疑似升级断电"}
            )
            assert note.status_code == 200 and note.json()["kind"] == "note"

            await ex.send(
                json.dumps(
                    {
                        "type": "resolve",
                        "session_id": sid,
                        "summary": "升级中断电导致系统损坏，按 RST 进入恢复模式重刷固件后恢复。",
                    }
                )
            )
            closed = (await until(ex, of_type("result", action="resolve")))[0]["data"]
            assert closed["state"] == "resolved"
            left, _ = await until(rq, of_type("expert_left"))
            status, _ = await until(rq, of_type("handoff_status"))
            assert status["state"] == "resolved" and "重刷固件" in status["text"]
            assert left["seq"] < status["seq"]

            back = await turn("EG-2100 有几个串口", "m6")
            assert back["intent"] != "handoff_request" and back["citations"]  # the bot answers again

            # The bot's own offer (its suggestion chip) starts a new handoff; "取消" ends it.
            again = await turn("转接远程专家", "m7")
            assert again["intent"] == "handoff_request" and again["handoff_offered"] is True
            assert "取消" in str((await turn("取消", "m8"))["text"])
            assert (await turn("EG-2100 的功耗是多少", "m9"))["intent"] != "handoff_request"

        # The requester's history has everything, in order, for resume.
        history = get(live.http, f"/api/conversations/{cid}/events", alice).json()["events"]
        kinds = [e["type"] for e in history]
        for kind in ("expert_joined", "expert_message", "ar_join_code", "expert_left", "handoff_status"):
            assert kind in kinds
        assert [e["seq"] for e in history] == sorted(e["seq"] for e in history)
        # The requester never sees notes; the expert's log has them.
        assert "疑似升级断电" not in json.dumps(history, ensure_ascii=False)
        log = get(live.http, f"/api/handoff/sessions/{sid}/events", expert).json()
        assert [e["kind"] for e in log].count("note") == 1

        faq = get(live.http, "/api/handoff/faq-candidates", expert).json()
        assert faq[0]["answer"].startswith("升级中断电") and faq[0]["products"] == ["EG-2100"]
        as_yaml = get(live.http, "/api/handoff/faq-candidates", expert, format="yaml")
        assert "review:" in as_yaml.text and "source_session: " + sid in as_yaml.text
        assert get(live.http, "/api/handoff/faq-candidates", alice).status_code == 403

        m = get(live.http, "/api/handoff/metrics", expert).json()
        mine = next(e for e in m["by_expert"] if e["expert_id"] == "u-exp_eg")
        assert mine["resolved"] == 1 and mine["resolved_rate"] == 1.0 and mine["handling"]["count"] == 1
        line = next(x for x in m["by_product_line"] if x["product_line"] == "EG")
        assert line["resolved"] == 1 and line["waiting"]["count"] == 1 and line["waiting"]["avg_s"] >= 0

    asyncio.run(scenario())
