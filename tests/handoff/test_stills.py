"""Stills of remote assist ("截图标注") against a real uvicorn server (SQLite and PostgreSQL):
the accepted expert uploads a PNG or JPEG, bounded and checked by its first bytes; both
parties get it in the session's log (the requester's chat replays it on resume); only they
can fetch it; the context packet and the FAQ-candidate export name it.  And revision
0019_handoff_stills up and down."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from websockets.asyncio.client import connect

from assistant.storage.db import alembic_config, migrate
from tests.api.conftest import LiveServer
from tests.handoff.clients import FULL, auth, get, of_type, post, recv, until

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 2000 + b"\xff\xd9"


def upload(live: LiveServer, token: str, sid: str, data: bytes, mime: str, **params: Any) -> httpx.Response:
    return httpx.post(
        f"{live.http}/api/handoff/sessions/{sid}/stills",
        headers={**auth(token), "Content-Type": mime},
        content=data,
        params=params,
        timeout=30,
    )


def accepted_session(live: LiveServer) -> tuple[str, str]:
    """A session of alice's that exp_eg accepted: (session id, conversation id)."""
    alice, expert = live.token("alice"), live.token("exp_eg")
    cid = httpx.post(f"{live.http}/api/conversations", headers=auth(alice), timeout=10).json()["id"]
    asked = post(live.http, "/api/handoff/request", alice, {"conversation_id": cid, **FULL})
    assert asked.status_code == 200, asked.text
    sid = str(asked.json()["id"])
    accepted = post(live.http, f"/api/handoff/sessions/{sid}/accept", expert)
    assert accepted.status_code == 200, accepted.text
    return sid, str(cid)


def test_a_still_reaches_both_parties_and_only_they_can_fetch_it(handoff_live: LiveServer) -> None:
    live = handoff_live
    alice, bob, expert, other = (live.token(u) for u in ("alice", "bob", "exp_eg", "exp_eg2"))

    async def scenario() -> tuple[str, str, dict[str, Any]]:
        async with connect(live.socket_url(expert, "/ws/expert")) as ex:
            assert (await recv(ex))["type"] == "ready"
            sid, cid = accepted_session(live)
            async with connect(live.socket_url(alice, conversation_id=cid)) as rq:
                await recv(rq)
                r = upload(live, expert, sid, PNG, "image/png", note="红框处是 COM1 端子")
                assert r.status_code == 200, r.text
                body = r.json()
                assert body["url"] == f"/api/handoff/stills/{body['still_id']}" and body["session_id"] == sid
                shown, _ = await until(rq, of_type("handoff_still"))
                assert shown["still_id"] == body["still_id"] and shown["url"] == body["url"]
                assert shown["note"] == "红框处是 COM1 端子" and "截图标注" in shown["text"]
                logged, _ = await until(ex, lambda e: e.get("type") == "session_event" and e["kind"] == "still")
                assert logged["data"] == {"still_id": body["still_id"], "url": body["url"], "note": shown["note"]}
            # Resume: a new chat socket gets the still again from the stored events.
            async with connect(live.socket_url(alice, conversation_id=cid)) as again:
                await recv(again)
                await again.send(json.dumps({"type": "resume", "last_seq": 0}))
                replayed, _ = await until(again, of_type("handoff_still"))
                assert replayed == shown
            return sid, cid, body

    sid, _, body = asyncio.run(scenario())
    for token in (alice, expert):
        r = get(live.http, body["url"], token)
        assert r.status_code == 200 and r.content == PNG
        assert r.headers["content-type"] == "image/png"
        assert r.headers["cache-control"] == "private, max-age=3600"
        assert r.headers["x-content-type-options"] == "nosniff"
    missing = get(live.http, "/api/handoff/stills/00000000-0000-0000-0000-000000000000", bob)
    assert missing.status_code == 404 and missing.json()["code"] == "still_not_found"
    for token in (bob, other):  # another salesperson; an expert who never had the session
        refused = get(live.http, body["url"], token)
        assert refused.status_code == 404 and refused.content == missing.content
    assert httpx.get(f"{live.http}{body['url']}", timeout=10).status_code == 401

    # A JPEG too; then the packet and (once resolved) the FAQ export name both.
    jpeg = upload(live, expert, sid, JPEG, "image/jpeg")
    assert jpeg.status_code == 200 and jpeg.json()["note"] == ""
    assert get(live.http, jpeg.json()["url"], alice).headers["content-type"] == "image/jpeg"
    packet = get(live.http, f"/api/handoff/sessions/{sid}", expert).json()["packet"]
    stills = packet["remote_assist"]["stills"]
    assert [(s["url"], s["note"]) for s in stills] == [(body["url"], "红框处是 COM1 端子"), (jpeg.json()["url"], "")]
    resolved = post(
        live.http, f"/api/handoff/sessions/{sid}/resolve", expert, {"summary": "COM1 接线反了，对调后恢复。"}
    )
    assert resolved.status_code == 200
    [candidate] = [c for c in get(live.http, "/api/handoff/faq-candidates", expert).json() if c["session_id"] == sid]
    assert [s["url"] for s in candidate["stills"]] == [body["url"], jpeg.json()["url"]]
    assert candidate["stills"][0]["note"] == "红框处是 COM1 端子"
    exported = get(live.http, "/api/handoff/faq-candidates", expert, format="yaml").text
    assert body["url"] in exported and "红框处是 COM1 端子" in exported
    # The session ended: no more stills, and the old ones stay readable to both.
    late = upload(live, expert, sid, PNG, "image/png")
    assert late.status_code == 409 and late.json()["code"] == "handoff_invalid_state"
    assert get(live.http, body["url"], alice).status_code == 200


def test_the_export_and_packet_carry_the_call_log(handoff_live: LiveServer) -> None:
    live = handoff_live
    expert = live.token("exp_eg")

    async def scenario() -> str:
        async with connect(live.socket_url(expert, "/ws/expert")) as ex:
            assert (await recv(ex))["type"] == "ready"
            sid, cid = accepted_session(live)
            async with connect(live.socket_url(live.token("alice"), conversation_id=cid)) as rq:
                await recv(rq)
                offer = {"type": "rtc", "session_id": sid, "signal": {"kind": "offer", "sdp": "v=0"}}
                await rq.send(json.dumps(offer))
                await until(ex, lambda e: e.get("type") == "rtc")
                await rq.send(json.dumps({**offer, "signal": {"kind": "hangup"}}))
                await until(ex, lambda e: e.get("type") == "session_event" and e["data"].get("call") == "ended")
            return sid

    sid = asyncio.run(scenario())
    assert (
        post(live.http, f"/api/handoff/sessions/{sid}/resolve", expert, {"summary": "重启后恢复。"}).status_code == 200
    )
    [candidate] = [c for c in get(live.http, "/api/handoff/faq-candidates", expert).json() if c["session_id"] == sid]
    assert len(candidate["call_log"]) == 2 and candidate["call_log"][0].endswith("视频协助开始")
    assert "视频协助结束（" in candidate["call_log"][1] and candidate["stills"] == []
    assert "视频协助开始" in get(live.http, "/api/handoff/faq-candidates", expert, format="yaml").text


def test_uploads_are_bounded_and_checked(handoff_live: LiveServer) -> None:
    live = handoff_live
    alice, bob, expert, other = (live.token(u) for u in ("alice", "bob", "exp_eg", "exp_eg2"))

    async def online() -> tuple[str, str]:
        async with connect(live.socket_url(expert, "/ws/expert")) as ex:
            assert (await recv(ex))["type"] == "ready"
            return accepted_session(live)

    sid, _ = asyncio.run(online())
    cases: list[tuple[bytes, str, int, str]] = [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 1_500_000, "image/png", 413, "still_too_large"),  # 1,500,008 bytes
        (PNG, "text/plain", 415, "still_type_invalid"),
        (PNG, "image/gif", 415, "still_type_invalid"),
        (PNG, "image/jpeg", 415, "still_type_invalid"),  # the bytes say PNG
        (JPEG, "image/png", 415, "still_type_invalid"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png", 415, "still_type_invalid"),
        (b"", "image/png", 415, "still_type_invalid"),
    ]
    for data, mime, status, code in cases:
        r = upload(live, expert, sid, data, mime)
        assert (r.status_code, r.json()["code"]) == (status, code), (mime, len(data))
    at_limit = b"\x89PNG\r\n\x1a\n" + b"\x00" * (1_500_000 - 8)
    ok = upload(live, expert, sid, at_limit, "image/png; charset=binary")
    assert ok.status_code == 200, ok.text
    assert len(get(live.http, ok.json()["url"], alice).content) == 1_500_000
    # Chunked, with no Content-Length: cut off past the limit all the same.
    chunks = (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100_000 for _ in range(16))
    chunked = httpx.post(
        f"{live.http}/api/handoff/sessions/{sid}/stills",
        headers={**auth(expert), "Content-Type": "image/png"},
        content=chunks,
        timeout=30,
    )
    assert chunked.status_code == 413 and chunked.json()["code"] == "still_too_large"
    too_long = upload(live, expert, sid, PNG, "image/png", note="注" * 201)
    assert too_long.status_code == 422 and too_long.json()["code"] == "validation_error"
    assert upload(live, expert, sid, PNG, "image/png", note="注" * 200).status_code == 200
    # Only the session's accepted expert sends stills.
    assert upload(live, alice, sid, PNG, "image/png").json()["code"] == "expert_only"
    assert upload(live, bob, sid, PNG, "image/png").status_code == 403
    assert upload(live, other, sid, PNG, "image/png").status_code in (404, 409)
    assert upload(live, expert, "no-such-session", PNG, "image/png").status_code == 404
    events = get(live.http, f"/api/handoff/sessions/{sid}/events", expert).json()
    assert len([e for e in events if e["kind"] == "still"]) == 2  # the two accepted uploads only


def test_revision_0019_goes_down_alone_and_up_again(database_url: str) -> None:
    migrate(database_url)

    def tables() -> set[str]:
        engine = sa.create_engine(database_url)
        try:
            return set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()

    assert "handoff_stills" in tables()
    config = alembic_config(database_url)
    command.downgrade(config, "0019_handoff_stills@-1")
    left = tables()
    assert "handoff_stills" not in left
    assert {"handoff_sessions", "handoff_events", "customers", "conversations"} <= left  # the others stay
    command.upgrade(config, "heads")
    assert "handoff_stills" in tables()
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            heads = {r[0] for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
        assert "0019_handoff_stills" in heads and "0003_handoff" not in heads
        columns = {c["name"] for c in sa.inspect(engine).get_columns("handoff_stills")}
        assert columns == {"id", "session_id", "created_by", "mime", "data", "bytes", "created_at"}
    finally:
        engine.dispose()
    migrate(database_url)  # idempotent
