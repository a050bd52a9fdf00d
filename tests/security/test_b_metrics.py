"""Prometheus /metrics: turn latency by intent, errors by code, open sockets, handoff
queue depth, engine workers and rate-limit refusals; readable by admins or the scraper's
token only."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import LiveServer
from tests.security.b_support import add_user, auth, new_conversation, recv, recv_until, start_live, ws_connect

pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    srv = start_live(tmp_path, rate_limit_expensive="2/hour")  # a new conversation counts too
    add_user(srv, "root", "pw-root-123", role="admin", partner="HQ")
    yield srv
    srv.stop()


def value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.M)
    assert match, f"{name} not in the metrics"
    return float(match.group(1))


def test_metrics_need_an_admin_token(live: LiveServer) -> None:
    assert httpx.get(f"{live.http}/metrics").status_code == 401
    partner = httpx.get(f"{live.http}/metrics", headers=auth(live.token()))
    assert partner.status_code == 403 and partner.json()["code"] == "forbidden"
    admin = httpx.get(f"{live.http}/metrics", headers=auth(live.token("root", "pw-root-123")))
    assert admin.status_code == 200 and admin.headers["content-type"].startswith("text/plain")


def test_metrics_count_turns_errors_sockets_and_refusals(live: LiveServer) -> None:
    token = live.token()
    admin = auth(live.token("root", "pw-root-123"))
    cid = new_conversation(live, token)
    httpx.post(
        f"{live.http}/api/conversations/{cid}/messages",
        headers=auth(token),
        json={"client_msg_id": "a", "text": "你好"},
    )
    httpx.get(f"{live.http}/api/conversations/nope/events", headers=auth(token))  # 404 conversation_not_found
    for _ in range(2):
        httpx.get(f"{live.http}/api/rebates/history", headers=auth(token))  # the second is refused

    async def with_a_socket_open() -> str:
        async with ws_connect(live, token, cid) as ws:
            await recv(ws)
            await ws.send(json.dumps({"type": "message", "client_msg_id": "b", "text": "EG-2100 有几个串口"}))
            await recv_until(ws, "profile")
            return httpx.get(f"{live.http}/metrics", headers=admin).text

    text = asyncio.run(with_a_socket_open())
    assert value(text, "assistant_websockets_open") == 1
    assert value(text, 'assistant_turn_seconds_count{intent="greeting"}') == 1
    assert (
        sum(float(v) for v in re.findall(r'^assistant_turn_seconds_count\{intent="[a-z_]+"\} (\S+)$', text, re.M)) == 2
    )
    assert value(text, 'assistant_errors_total{code="conversation_not_found"}') == 1
    assert value(text, 'assistant_rate_limited_total{rule="expensive"}') == 1
    assert value(text, "assistant_handoff_queue_depth") == 0
    assert value(text, "assistant_engine_workers_configured") == 0
    assert value(text, "assistant_ready") == 1
    after = httpx.get(f"{live.http}/metrics", headers=admin).text
    assert value(after, "assistant_websockets_open") == 0


def test_a_scraper_token_replaces_admin_access(tmp_path: Path) -> None:
    srv = start_live(tmp_path, metrics_token="scrape-" + "s" * 30)
    try:
        add_user(srv, "root", "pw-root-123", role="admin", partner="HQ")
        ok = httpx.get(f"{srv.http}/metrics", headers=auth("scrape-" + "s" * 30))
        assert ok.status_code == 200 and "assistant_turn_seconds" in ok.text
        assert httpx.get(f"{srv.http}/metrics", headers=auth("scrape-wrong")).status_code == 401
        assert httpx.get(f"{srv.http}/metrics", headers=auth(srv.token("root", "pw-root-123"))).status_code == 401
    finally:
        srv.stop()
