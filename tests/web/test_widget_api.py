"""The widget's HTTP and WebSocket rules without a browser: exchange, origins, demo portal."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.api.conftest import bearer
from tests.web.conftest import OTHER_SECRET, WebServer

pytestmark = pytest.mark.slow


def exchange(web: WebServer, token: str, portal: str = "demo", **headers: str) -> httpx.Response:
    return httpx.post(
        f"{web.http}/api/widget/session", json={"portal_id": portal, "identity_token": token}, headers=headers
    )


def test_exchange_answers_with_stable_codes(web: WebServer) -> None:
    ok = exchange(web, web.identity())
    assert ok.status_code == 200 and ok.json()["partner_id"] == "P-1" and ok.json()["display_name"] == "王丽"
    me = web.get("/api/me", ok.json()["access_token"]).json()
    assert me["username"] == "alice"
    cases = [
        (web.identity(user="bob", partner="P-2"), "demo", 403, "widget_user_rejected"),
        (web.identity(partner="P-2"), "demo", 403, "widget_user_rejected"),
        (web.identity(secret="z" * 40), "demo", 401, "identity_token_invalid"),
        (web.identity(ttl=-100), "demo", 401, "identity_token_expired"),
        (web.identity(ttl=3600), "demo", 401, "identity_token_invalid"),
        (web.identity(portal="other", secret=OTHER_SECRET), "demo", 401, "identity_token_invalid"),
        (web.identity(), "nope", 404, "portal_not_found"),
        ("garbage", "demo", 401, "identity_token_invalid"),
    ]
    for token, portal, status, code in cases:
        r = exchange(web, token, portal)
        assert (r.status_code, r.json()["code"]) == (status, code), (token, portal)
        assert "Traceback" not in r.text


def test_exchange_from_a_foreign_browser_origin_is_refused(web: WebServer) -> None:
    r = exchange(web, web.identity(), Origin="http://evil.example")
    assert (r.status_code, r.json()["code"]) == (403, "origin_not_allowed")
    assert exchange(web, web.identity(), Origin=web.http).status_code == 200  # the widget page itself
    assert exchange(web, web.identity(), Origin=web.portal_origin).status_code == 200


def test_widget_websocket_requires_an_allowed_origin(web: WebServer) -> None:
    widget_token = exchange(web, web.identity()).json()["access_token"]
    staff_token = web.token()

    async def status(token: str, origin: str | None) -> str:
        try:
            async with connect(web.ws, origin=origin, additional_headers=bearer(token)) as ws:  # type: ignore[arg-type]
                return str(json.loads(await asyncio.wait_for(ws.recv(), 10))["type"])
        except InvalidStatus as exc:
            return f"refused {exc.response.status_code}"

    assert asyncio.run(status(widget_token, "http://evil.example")) == "refused 403"
    assert asyncio.run(status(widget_token, None)) == "refused 403"
    assert asyncio.run(status(widget_token, web.portal_origin)) == "ready"
    assert asyncio.run(status(widget_token, web.http)) == "ready"
    assert asyncio.run(status(staff_token, None)) == "ready"  # staff tokens are not tied to a portal


def test_demo_portal_signs_for_its_own_users_only(web: WebServer) -> None:
    page = httpx.get(f"{web.portal_origin}/demo/portal?as=alice")
    assert page.status_code == 200 and f'src="{web.http}/widget.js"' in page.text
    assert 'data-identity-url="/demo/portal/identity?as=alice"' in page.text
    assert "bob" not in page.text  # bob's partner is not served by the demo portal
    token = httpx.post(f"{web.portal_origin}/demo/portal/identity?as=alice").json()["token"]
    assert exchange(web, token).status_code == 200
    assert httpx.post(f"{web.portal_origin}/demo/portal/identity?as=bob").status_code == 403
    assert httpx.get(f"{web.portal_origin}/demo/portal?as=%22%3E%3Cscript%3E").text.count("<script") == 1


def test_documents_endpoint_returns_the_cited_passage(web: WebServer) -> None:
    r = web.get("/api/documents/EG-2100%23params", web.token())
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "EG-2100#params" and body["kind"] == "product" and "串口" in body["text"]
    assert body["title"].endswith("技术参数") and "规格" not in body["title"]  # a title, not search keys
