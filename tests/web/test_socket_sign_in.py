"""The chat page opens its socket with a single-use ticket (no access token in any URL),
and signs in again when the server closes the socket because the token expired."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import WebServer, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]


def test_the_page_socket_url_carries_a_ticket_not_the_token(web: WebServer, page: Any) -> None:
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    sign_in(page, web)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('ca.session')).token")
    assert sockets and all("ticket=" in url and "token" not in url and token not in url for url in sockets)


def test_an_expired_sign_in_closes_the_socket_and_the_page_asks_to_sign_in(web: WebServer, page: Any) -> None:
    tokens = web.runtime.tokens
    assert tokens is not None
    issued = datetime.now(UTC) - tokens.ttl + timedelta(seconds=4)  # expires four seconds from now
    token, _ = tokens.issue(user_id="u-alice", partner_id="P-1", role="sales", now=issued)
    page.goto(f"{web.http}/")
    # The page believes the session is good for a minute; only the server knows better.
    session = {"token": token, "expires": int(time.time() * 1000) + 60_000}
    page.evaluate("(s) => sessionStorage.setItem('ca.session', s)", json.dumps(session))
    page.reload()
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(page.locator("#signin-view")).to_be_visible(timeout=20_000)
    expect(page.locator("#notice")).to_contain_text("登录")
    assert page.evaluate("() => sessionStorage.getItem('ca.session')") is None
