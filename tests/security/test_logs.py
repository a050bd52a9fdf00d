"""Finding 2 (tokens in the access log) and the observability asks: every log line is
one JSON object with the request id of what it served, carried into threads, engine
worker processes and the handoff; and a whole run (sign-in, chat over WebSocket, a
handoff, a widget session) leaves no token, ticket, password or identity token in it."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from assistant.dialogue.factory import build_engine, load_components
from assistant.dialogue.pool import EnginePool
from assistant.dialogue.types import Caller, CustomerProfile
from assistant.logs import bound_request, configure_logging, redact
from assistant.portals.tokens import sign_identity
from tests.api.conftest import LiveServer, free_port, make_server_settings
from tests.handoff.clients import of_type, post, recv, until
from tests.security.conftest import PASSWORDS, PORTAL_ORIGIN, PORTAL_SECRET, operator_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged, as the service logs it (assistant.logs), into a buffer."""
    buffer = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("INFO", stream=buffer)  # the service's default level
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_redaction_covers_query_secrets_and_token_shapes() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LWFsaWNlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    text = redact(f'"GET /ws/chat?conversation_id=c1&ticket=abc123&token={jwt} HTTP/1.1" Bearer {jwt} ?code=77AB')
    assert "abc123" not in text and jwt not in text and "77AB" not in text
    assert "conversation_id=c1" in text and text.count("[redacted]") == 4


def test_a_whole_run_logs_json_with_request_ids_and_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, captured: io.StringIO
) -> None:
    monkeypatch.setenv("ASSISTANT_PORTAL_SECRET_SEC", PORTAL_SECRET)
    settings = operator_settings(tmp_path, handoff_sweep_seconds=0.1)
    server = LiveServer(settings, free_port(), log_level="info")  # the access log included
    server.start()
    secrets: list[str] = list(PASSWORDS.values())
    try:
        alice = server.token("alice", PASSWORDS["alice"])
        expert = server.token("exp_eg", PASSWORDS["exp_eg"])
        secrets += [alice, expert]
        wrong = httpx.post(f"{server.http}/api/auth/token", json={"username": "alice", "password": "wrong-password-9"})
        assert wrong.status_code == 401
        secrets.append("wrong-password-9")
        r = httpx.get(f"{server.http}/api/me", headers={"Authorization": f"Bearer {alice}", "X-Request-ID": "probe-42"})
        assert r.headers["x-request-id"] == "probe-42"
        evil = httpx.get(f"{server.http}/healthz", headers={"X-Request-ID": 'x" "level": "fake'})
        assert evil.headers["x-request-id"] != 'x" "level": "fake' and len(evil.headers["x-request-id"]) == 32

        chat_url, expert_url = server.socket_url(alice), server.socket_url(expert, "/ws/expert")
        secrets += [chat_url.split("ticket=")[1].split("&")[0], expert_url.split("ticket=")[1].split("&")[0]]

        async def handoff() -> None:
            async with connect(expert_url) as ex, connect(chat_url) as rq:
                await recv(ex)
                cid = str((await recv(rq))["conversation_id"])
                opened = post(
                    server.http,
                    "/api/handoff/request",
                    alice,
                    {
                        "conversation_id": cid,
                        "product_model": "EG-2100",
                        "symptom": "装不上",
                        "site": "宁波工厂",
                        "urgency": "high",
                        "serial": "LT1",
                    },
                )
                assert opened.status_code == 200, opened.text
                pushed, _ = await until(ex, lambda e: e["type"] == "queue" and len(e["queue"]) == 1)
                sid = pushed["queue"][0]["id"]
                await ex.send(json.dumps({"type": "accept", "session_id": sid}))
                await until(ex, of_type("result", action="accept"))
                await rq.send(json.dumps({"type": "message", "client_msg_id": "m1", "text": "王丽的手机 13800000000"}))
                await until(ex, lambda e: e["type"] == "session_event" and e["kind"] == "message")

        asyncio.run(handoff())

        identity = sign_identity(
            secret=PORTAL_SECRET, portal="sec", user="alice", partner="P-1", expires_at=int(time.time()) + 60
        )
        grant = httpx.post(
            f"{server.http}/api/widget/session",
            json={"portal_id": "sec", "identity_token": identity},
            headers={"Origin": PORTAL_ORIGIN},
        )
        assert grant.status_code == 200, grant.text
        widget_token = grant.json()["access_token"]
        widget_url = server.socket_url(widget_token)
        secrets += [identity, widget_token, widget_url.split("ticket=")[1]]

        async def widget_chat() -> None:
            async with connect(widget_url, origin=PORTAL_ORIGIN) as ws:  # type: ignore[arg-type]
                assert (await recv(ws))["type"] == "ready"
                await ws.send(json.dumps({"type": "message", "client_msg_id": "w1", "text": "EG-2100 有几个串口"}))
                await until(ws, of_type("reply"))

        asyncio.run(widget_chat())
    finally:
        server.stop()

    text = captured.getvalue()
    records = lines(captured)  # every line is one JSON object
    assert len(records) > 20
    for secret in secrets:
        assert secret not in text, f"a secret is in the log: {secret[:12]}..."
    for personal in ("13800000000", "王丽", "周工"):  # chat text and people's names
        assert personal not in text
    access = [r for r in records if r.get("logger") == "uvicorn.access"]
    assert access and all(isinstance(r.get("request_id"), str) for r in access)
    # uvicorn logs each WebSocket handshake with its query string (where the tokens leaked).
    handshakes = [r for r in records if '"WebSocket /ws/' in str(r["event"])]
    assert len(handshakes) >= 3 and all("ticket=[redacted]" in str(r["event"]) for r in handshakes)
    assert all(isinstance(r.get("request_id"), str) for r in handshakes)
    assert any(r.get("request_id") == "probe-42" for r in access)
    # The handoff, accepted over the expert socket, logs with that socket's request id.
    accepted = [r for r in records if "accepted by" in str(r["event"])]
    assert accepted and accepted[0].get("request_id") and accepted[0].get("logger", "").startswith("assistant.handoff")


def test_engine_worker_processes_log_with_the_turns_request_id(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = make_server_settings(tmp_path, log_level="DEBUG")
    corpus, retriever = load_components(settings)
    pool = EnginePool(local=build_engine(corpus=corpus, retriever=retriever), settings=settings, processes=1)
    pool.start(timeout=180)
    try:
        with bound_request("turn-rid-7"):
            pool.handle(
                text="EG-2100 有几个串口", profile=CustomerProfile(), caller=Caller(user_id="u-1", partner_id="P-1")
            )
    finally:
        pool.close()
    worker = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    turn = [r for r in worker if "engine process" in str(r.get("event"))]
    assert turn and turn[0]["request_id"] == "turn-rid-7" and turn[0]["level"] == "debug"
