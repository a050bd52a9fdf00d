"""Video-call signalling of remote assist over the two existing sockets, against a real
uvicorn server with real WebSocket clients (SQLite and PostgreSQL): signals go only between
the requester and the accepted expert of a live session, bad frames are refused and the
socket stays usable, the call's log is stored, and ending the handoff hangs both up.
Last, a relay across two instances sharing PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from assistant.settings import Settings
from tests.api.conftest import LiveServer, free_port, make_server_settings
from tests.handoff.clients import FULL, Event, get, of_type, post, recv, until
from tests.handoff.conftest import EXPERTS
from tests.instances.support import two_instances
from tests.redis_backend import REDIS_URL, redis_prefix
from tests.storage_backends import fresh_postgres_database

pytestmark = pytest.mark.slow

OFFER = {"kind": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}
ANSWER = {"kind": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n"}
ICE = {"kind": "ice", "candidate": {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host"}}


class Inbox:
    """A socket whose events are kept until a test asks for them: events arrive in any order
    across the two paths (the relay and the stored log), and none is lost by waiting for
    another first."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.kept: list[Event] = []

    async def send(self, frame: str) -> None:
        await self.ws.send(frame)

    async def next(self, pred: Callable[[Event], bool], timeout: float = 10) -> Event:
        """The earliest event matching ``pred`` (taken out), waiting for it if need be."""
        for i, e in enumerate(self.kept):
            if pred(e):
                return self.kept.pop(i)
        while True:
            e = await recv(self.ws, timeout)
            if pred(e):
                return e
            self.kept.append(e)


@dataclass
class Call:
    ex: Inbox  # the expert's console socket
    rq: Inbox  # the requester's chat socket
    sid: str
    cid: str


def rtc(sid: str, signal: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"type": "rtc", "session_id": sid, "signal": signal, **extra})


def is_rtc(e: Event) -> bool:
    return e.get("type") == "rtc"


def is_error(e: Event) -> bool:
    return e.get("type") == "error"


@asynccontextmanager
async def handoff(
    requester_at: LiveServer, expert_at: LiveServer | None = None, *, accept: bool = True
) -> AsyncIterator[Call]:
    """alice's chat socket and exp_eg's console socket on a session exp_eg accepted."""
    experts = expert_at or requester_at
    alice, expert = requester_at.token("alice"), experts.token("exp_eg")
    async with (
        connect(experts.socket_url(expert, "/ws/expert")) as ex,
        connect(requester_at.socket_url(alice)) as rq,
    ):
        assert (await recv(ex))["type"] == "ready"  # online before the request: it queues
        cid = (await recv(rq))["conversation_id"]
        asked = post(requester_at.http, "/api/handoff/request", alice, {"conversation_id": cid, **FULL})
        assert asked.status_code == 200, asked.text
        sid = asked.json()["id"]
        if accept:
            assert post(experts.http, f"/api/handoff/sessions/{sid}/accept", expert).status_code == 200
            await until(rq, of_type("expert_joined"))
        yield Call(ex=Inbox(ex), rq=Inbox(rq), sid=sid, cid=cid)


def test_signals_are_relayed_both_ways_and_the_call_is_logged(handoff_live: LiveServer) -> None:
    live = handoff_live

    async def scenario() -> Call:
        async with handoff(live) as c:
            await c.rq.send(rtc(c.sid, OFFER))
            got = await c.ex.next(is_rtc)
            assert got == {"type": "rtc", "session_id": c.sid, "from": "requester", "signal": OFFER}
            await c.ex.send(rtc(c.sid, ANSWER, request_id="r1"))
            got = await c.rq.next(is_rtc)
            assert got == {"type": "rtc", "session_id": c.sid, "from": "expert", "signal": ANSWER}
            for sender, receiver, who in ((c.rq, c.ex, "requester"), (c.ex, c.rq, "expert")):
                await sender.send(rtc(c.sid, ICE))
                got = await receiver.next(is_rtc)
                assert got["from"] == who and got["signal"] == ICE
            mark = {"kind": "annotation", "annotation": {"shape": "arrow", "x": 0.25, "y": 0.5, "text": "这个端子"}}
            await c.ex.send(rtc(c.sid, mark))
            got = await c.rq.next(is_rtc)
            assert got["signal"] == mark
            await c.rq.send(rtc(c.sid, {"kind": "state", "state": "connected"}))
            assert (await c.ex.next(is_rtc))["signal"] == {"kind": "state", "state": "connected"}
            # A renegotiation (ICE restart after a network drop) is no new call in the log.
            await c.rq.send(rtc(c.sid, OFFER))
            await c.ex.next(is_rtc)
            started = await c.rq.next(of_type("handoff_call"))
            assert started["call"] == "started" and started["text"] == "视频协助开始"
            await c.ex.send(rtc(c.sid, {"kind": "hangup", "reason": "user"}))
            got = await c.rq.next(is_rtc)
            assert got["signal"] == {"kind": "hangup", "reason": "user"}
            ended = await c.rq.next(of_type("handoff_call"))
            assert ended["call"] == "ended" and ended["text"].startswith("视频协助结束（")
            assert ended["text"].endswith("秒）") and not any(e.get("type") == "handoff_call" for e in c.rq.kept)
            # The console got both entries of the session's log live.
            logged = await c.ex.next(lambda e: e.get("kind") == "call" and e["data"]["call"] == "ended")
            assert logged["type"] == "session_event" and logged["sender"] == "expert"
            return c

    c = asyncio.run(scenario())
    expert = live.token("exp_eg")
    events = get(live.http, f"/api/handoff/sessions/{c.sid}/events", expert).json()
    calls = [e for e in events if e["kind"] == "call"]
    assert [e["data"]["call"] for e in calls] == ["started", "ended"]  # one call, not two
    assert calls[0]["text"] == "视频协助开始" and calls[0]["sender"] == "requester"
    assert isinstance(calls[1]["data"]["duration_seconds"], int)
    assert not any(e["kind"] in ("rtc", "offer") for e in events)  # signals are never stored
    history = get(live.http, f"/api/conversations/{c.cid}/events", live.token("alice")).json()["events"]
    assert [e["call"] for e in history if e["type"] == "handoff_call"] == ["started", "ended"]
    assert not any(e["type"] == "rtc" for e in history)
    packet = get(live.http, f"/api/handoff/sessions/{c.sid}", expert).json()["packet"]
    lines = packet["remote_assist"]["calls"]
    assert len(lines) == 2 and lines[0].endswith("视频协助开始") and "视频协助结束（" in lines[1]
    assert "rtc_call" not in packet  # the call in progress is bookkeeping, not context


def test_third_parties_unknown_sessions_and_sessions_not_live_are_refused_alike(handoff_live: LiveServer) -> None:
    live = handoff_live
    bob, other = live.token("bob"), live.token("exp_eg2")

    async def scenario() -> None:
        async with handoff(live, accept=False) as c:
            # Queued, not accepted yet: nobody may signal.
            await c.rq.send(rtc(c.sid, OFFER))
            early = await c.rq.next(is_error)
            assert early["code"] == "rtc_not_allowed" and early["message"]
            await c.ex.send(rtc(c.sid, OFFER, request_id="q1"))
            queued = await c.ex.next(is_error)
            assert queued["code"] == "rtc_not_allowed" and queued["request_id"] == "q1"
            assert post(live.http, f"/api/handoff/sessions/{c.sid}/accept", live.token("exp_eg")).status_code == 200
            async with connect(live.socket_url(bob)) as intruder, connect(live.socket_url(other, "/ws/expert")) as ex2:
                await recv(intruder)
                assert (await recv(ex2))["type"] == "ready"
                await intruder.send(rtc(c.sid, OFFER))
                refused, _ = await until(intruder, is_error)
                await intruder.send(rtc("no-such-session", OFFER))
                unknown, _ = await until(intruder, is_error)
                assert refused == unknown  # no hint that the session exists
                assert refused["code"] == "rtc_not_allowed"
                await ex2.send(rtc(c.sid, ANSWER))
                assert (await until(ex2, is_error))[0]["code"] == "rtc_not_allowed"
                # The requester's socket cannot speak as the expert of its own session either.
                await c.rq.send(json.dumps({"type": "rtc", "session_id": c.sid, "signal": OFFER, "from": "expert"}))
                assert (await c.rq.next(is_error))["code"] == "rtc_invalid"
            # Nothing of the refused frames was relayed: the first signal either side gets is
            # the one sent now.
            await c.rq.send(rtc(c.sid, ICE))
            first = await c.ex.next(is_rtc)
            assert first["signal"] == ICE
            await c.ex.send(rtc(c.sid, ICE))
            first = await c.rq.next(is_rtc)
            assert first["from"] == "expert"

    asyncio.run(scenario())


def test_invalid_and_oversized_frames_are_refused_and_the_socket_stays_usable(handoff_live: LiveServer) -> None:
    live = handoff_live
    bad: list[str] = []

    async def scenario() -> None:
        async with handoff(live) as c:
            sid = c.sid
            bad[:] = [
                rtc(sid, {"kind": "dance"}),
                rtc(sid, {"kind": "offer"}),  # an offer carries its sdp
                rtc(sid, {"kind": "offer", "sdp": "x" * 20_001}),
                rtc(sid, {"kind": "ice", "candidate": {"candidate": "c" * 2_001}}),
                rtc(sid, {"kind": "annotation", "annotation": {"points": [[0.1, 0.2]] * 600}}),
                rtc(sid, {"kind": "state", "state": "s" * 33}),
                rtc(sid, {"kind": "hangup", "reason": "r" * 65}),
                rtc(sid, {"kind": "ice", "candidate": "not an object"}),
                rtc(sid, {**ICE, "extra": 1}),
                json.dumps({"type": "rtc", "session_id": sid}),
                json.dumps({"type": "rtc", "session_id": "", "signal": ICE}),
                json.dumps({"type": "rtc", "session_id": sid, "signal": ICE, "pad": "p" * 33_000}),
            ]
            for frame in bad:
                await c.rq.send(frame)
                refused = await c.rq.next(is_error)
                assert refused["code"] == "rtc_invalid", frame[:80]
            for frame in bad[:4]:
                await c.ex.send(frame)
                assert (await c.ex.next(is_error))["code"] == "rtc_invalid"
            # Both sockets still work, and nothing was relayed before.
            await c.rq.send(rtc(sid, ICE))
            first = await c.ex.next(is_rtc)
            assert first["signal"] == ICE
            await c.ex.send(json.dumps({"type": "ping", "request_id": "p1"}))
            assert (await c.ex.next(of_type("pong")))["request_id"] == "p1"
            await c.rq.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "还在吗"}))
            assert (await c.rq.next(of_type("ack")))["client_msg_id"] == "m1"

    asyncio.run(scenario())


def test_resolving_hangs_up_both_parties_and_ends_the_call_in_the_log(handoff_live: LiveServer) -> None:
    live = handoff_live
    hangup = {"kind": "hangup", "reason": "handoff_ended"}

    async def scenario() -> tuple[str, str]:
        async with handoff(live) as c:
            await c.rq.send(rtc(c.sid, OFFER))
            await c.ex.next(is_rtc)
            await c.ex.send(
                json.dumps({"type": "resolve", "session_id": c.sid, "summary": "重新接线后恢复。", "request_id": "z"})
            )
            to_expert = await c.ex.next(is_rtc)
            to_requester = await c.rq.next(is_rtc)
            for got in (to_expert, to_requester):
                assert got == {"type": "rtc", "session_id": c.sid, "from": "server", "signal": hangup}
            assert (await c.rq.next(of_type("handoff_call")))["call"] == "started"
            ended = await c.rq.next(of_type("handoff_call"))
            assert ended["call"] == "ended" and "视频协助结束" in ended["text"]
            # After the end, nobody signals any more.
            await c.rq.send(rtc(c.sid, ICE))
            assert (await c.rq.next(is_error))["code"] == "rtc_not_allowed"
            await c.ex.send(rtc(c.sid, ICE))
            assert (await c.ex.next(is_error))["code"] == "rtc_not_allowed"
            return c.sid, c.cid

    sid, _ = asyncio.run(scenario())
    events = get(live.http, f"/api/handoff/sessions/{sid}/events", live.token("exp_eg")).json()
    assert [e["data"]["call"] for e in events if e["kind"] == "call"] == ["started", "ended"]
    assert next(e for e in events if e["kind"] == "call" and e["data"]["call"] == "ended")["sender"] == "system"


def test_transferring_away_hangs_up_the_requester_and_the_first_expert(handoff_live: LiveServer) -> None:
    live = handoff_live

    async def scenario() -> None:
        async with handoff(live) as c, connect(live.socket_url(live.token("exp_eg2"), "/ws/expert")) as ex2:
            assert (await recv(ex2))["type"] == "ready"
            await c.rq.send(rtc(c.sid, OFFER))
            await c.ex.next(is_rtc)
            await c.ex.send(json.dumps({"type": "transfer", "session_id": c.sid, "to": "exp_eg2"}))
            for ws in (c.ex, c.rq):
                got = await ws.next(is_rtc)
                assert got["from"] == "server" and got["signal"]["reason"] == "handoff_ended"
            # The first expert's console logs the end of its call.
            ended = await c.ex.next(lambda e: e.get("kind") == "call" and e["data"]["call"] == "ended")
            assert ended["sender"] == "system" and ended["text"].startswith("视频协助结束")
            # The new expert may call; the first one may not any more.
            await c.ex.send(rtc(c.sid, OFFER))
            assert (await c.ex.next(is_error))["code"] == "rtc_not_allowed"
            await ex2.send(rtc(c.sid, OFFER))
            got = await c.rq.next(is_rtc)
            assert got["from"] == "expert" and got["signal"] == OFFER

    asyncio.run(scenario())


def test_cancelling_tells_the_requester_to_hang_up(handoff_live: LiveServer) -> None:
    live = handoff_live

    async def scenario() -> None:
        async with handoff(live, accept=False) as c:
            cancelled = post(live.http, f"/api/handoff/sessions/{c.sid}/cancel", live.token("alice"))
            assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
            got = await c.rq.next(is_rtc)
            assert got == {
                "type": "rtc",
                "session_id": c.sid,
                "from": "server",
                "signal": {"kind": "hangup", "reason": "handoff_ended"},
            }

    asyncio.run(scenario())


def test_rtc_config_serves_the_ice_servers_setting(tmp_path: Path, handoff_settings: Settings) -> None:
    servers = [
        {"urls": ["stun:stun.internal.test:3478"]},
        {"urls": "turn:turn.internal.test:3478?transport=udp", "username": "field", "credential": "s3cret"},
    ]
    settings = handoff_settings.model_copy(
        update={"rtc_ice_servers": Settings(rtc_ice_servers=servers).rtc_ice_servers}
    )
    live = LiveServer(settings, free_port())
    live.start()
    try:
        r = get(live.http, "/api/rtc/config", live.token("alice"))
        assert r.status_code == 200 and r.json() == {"ice_servers": servers}
        assert httpx.get(f"{live.http}/api/rtc/config", timeout=10).status_code == 401
    finally:
        live.stop()
    with pytest.raises(ValueError, match="STUN/TURN"):
        Settings(rtc_ice_servers=[{"urls": "https://example.com"}])


def test_rtc_config_defaults_to_no_servers(handoff_live: LiveServer) -> None:
    r = get(handoff_live.http, "/api/rtc/config", handoff_live.token("exp_eg"))
    assert r.status_code == 200 and r.json() == {"ice_servers": []}


# -- two instances ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    tmp = tmp_path_factory.mktemp("rtc-instances")
    with fresh_postgres_database() as database_url, redis_prefix() as prefix:
        experts = tmp / "experts.yaml"
        experts.write_text(EXPERTS, encoding="utf-8")
        settings = make_server_settings(
            tmp, database_url=database_url, redis_url=REDIS_URL, redis_key_prefix=prefix, handoff_experts_file=experts
        )
        with two_instances(settings) as pair:
            yield pair


def test_signals_cross_two_instances_through_redis(instances: tuple[LiveServer, LiveServer]) -> None:
    a, b = instances

    async def scenario() -> None:
        async with handoff(b, expert_at=a) as c:  # the requester on B, the expert on A
            await c.rq.send(rtc(c.sid, OFFER))
            got = await c.ex.next(is_rtc)
            assert got["from"] == "requester" and got["signal"] == OFFER
            await c.ex.send(rtc(c.sid, ANSWER))
            got = await c.rq.next(is_rtc)
            assert got["from"] == "expert" and got["signal"] == ANSWER
            # Once each: a second copy would arrive before the next signal.
            await c.ex.send(rtc(c.sid, ICE))
            got = await c.rq.next(is_rtc)
            assert got["signal"] == ICE
            resolved = post(a.http, f"/api/handoff/sessions/{c.sid}/resolve", a.token("exp_eg"), {"summary": "好了"})
            assert resolved.status_code == 200
            got = await c.rq.next(is_rtc)
            assert got["from"] == "server" and got["signal"]["reason"] == "handoff_ended"

    asyncio.run(scenario())
