"""Reconnect and resume after the server restarts, without losing or duplicating messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.conftest import free_port
from tests.web.conftest import WebServer, ask, make_settings, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[dict[str, WebServer]]:
    port = free_port()
    holder = {"server": WebServer(make_settings(tmp_path / "srv", port, free_port()), port)}
    holder["server"].start()
    yield holder
    if holder["server"].server is not None and not holder["server"].server.should_exit:
        holder["server"].stop()


def test_reconnects_after_a_server_restart_without_losing_or_duplicating(
    restartable: dict[str, WebServer], page: Any
) -> None:
    first = restartable["server"]
    sign_in(page, first)
    ask(page, "EG-2100 有几个串口")
    conversation = page.evaluate("() => window.CAChat.state.conversationId")

    first.stop()  # uvicorn closes the socket (1012); the page shows it is offline
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    page.locator("#input").fill("网关质保多久")  # typed while the server is down
    page.locator("#input").press("Enter")
    pending = page.locator(".msg.user[data-pending='1']")
    expect(pending).to_have_count(1)
    expect(pending.locator(".state")).to_have_text("发送中")

    second = WebServer(first.settings, first.port)  # same port, same database
    second.start()
    restartable["server"] = second
    page.locator(".msg.bot[data-seq]:not(.welcome)").nth(1).wait_for(timeout=30_000)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")

    # same conversation, each message once, each reply once, in order
    assert page.evaluate("() => window.CAChat.state.conversationId") == conversation
    users = page.locator(".msg.user .text").all_inner_texts()
    assert users == ["EG-2100 有几个串口", "网关质保多久"]
    assert page.locator(".msg.bot[data-seq]:not(.welcome)").count() == 2
    seqs = page.eval_on_selector_all("#log > [data-seq]", "nodes => nodes.map(n => Number(n.dataset.seq))")
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert page.locator("[data-pending='1']").count() == 0
    history = second.get(f"/api/conversations/{conversation}/events", second.token()).json()["events"]
    assert [e["text"] for e in history if e["type"] == "ack"] == users
    assert len([e for e in history if e["type"] == "reply"]) == 2


def test_reload_replays_the_conversation_once(restartable: dict[str, WebServer], page: Any) -> None:
    server = restartable["server"]
    sign_in(page, server)
    ask(page, "EG-2100 有几个串口")
    ask(page, "网关质保多久")
    page.reload()  # same tab: the conversation id is kept, resume from 0 replays it
    page.locator(".msg.bot[data-seq]:not(.welcome)").nth(1).wait_for()
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    page.wait_for_timeout(300)
    assert page.locator(".msg.user").count() == 2
    assert page.locator(".msg.bot[data-seq]:not(.welcome)").count() == 2
    assert page.locator(".pchip[data-field=product_model]").inner_text().endswith("EG-2100")


def test_lost_acknowledgement_is_resent_once_and_shown_once(restartable: dict[str, WebServer], page: Any) -> None:
    """The server stores and answers a message, but the connection drops before the page
    hears back: the page resends it with the same client_msg_id and shows it once."""
    server = restartable["server"]
    state = {"connections": 0, "dropping": False}
    resent: list[str] = []
    kinds: list[str] = []

    def route(ws: Any) -> None:
        state["connections"] += 1
        first = state["connections"] == 1
        upstream = ws.connect_to_server()

        def to_page(message: str | bytes) -> None:
            event = json.loads(message)
            if first and state["dropping"]:
                if event.get("type") == "profile":  # the answer is stored; now the network fails
                    ws.close(code=4000, reason="network lost")
                return
            ws.send(message)

        def to_server(message: str | bytes) -> None:
            frame = json.loads(message)
            if frame.get("type") == "message":
                if first:
                    state["dropping"] = True
                else:
                    resent.append(frame["client_msg_id"])
            else:
                kinds.append(frame.get("type"))
            upstream.send(message)

        upstream.on_message(to_page)
        ws.on_message(to_server)

    page.route_web_socket("**/ws/chat*", route)
    sign_in(page, server)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    page.locator("#input").fill("EG-2100 有几个串口")
    page.locator("#input").press("Enter")
    reply = page.locator(".msg.bot[data-seq]:not(.welcome)")
    reply.first.wait_for(timeout=30_000)
    assert state["connections"] >= 2
    assert len(resent) == 1 and "resume" in kinds  # the same message, once, after a resume
    page.wait_for_timeout(500)
    assert page.locator(".msg.user").count() == 1 and reply.count() == 1
    assert page.locator("[data-pending='1']").count() == 0
    conversation = page.evaluate("() => window.CAChat.state.conversationId")
    history = server.get(f"/api/conversations/{conversation}/events", server.token()).json()["events"]
    assert [e["type"] for e in history] == ["ack", "reply", "profile"]


def test_offline_then_online_delivers_what_was_typed(
    restartable: dict[str, WebServer], context: Any, page: Any
) -> None:
    server = restartable["server"]
    sign_in(page, server)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    page.locator("#input").fill("网关质保多久")
    page.locator("#input").press("Enter")
    expect(page.locator(".msg.user[data-pending='1']")).to_have_count(1)
    context.set_offline(False)
    page.locator(".msg.bot[data-seq]:not(.welcome)").first.wait_for(timeout=30_000)
    assert page.locator(".msg.user").count() == 1
    assert page.locator(".msg.user").first.get_attribute("data-seq") == "1"
