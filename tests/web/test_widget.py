"""The embeddable widget: loaded by a partner portal, refused elsewhere, signed in only
with a fresh, correctly signed, single-use identity token."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.conftest import PortalSite, WebServer, ask, eventually

pytestmark = [pytest.mark.web, pytest.mark.slow]


def portal_page(server: WebServer, *, identity_url: str = "/identity", open_: bool = True) -> str:
    """A portal page pasting the widget tag, as a partner would."""
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>portal</title></head>
<body><h1>Partner portal</h1>
<script src="{server.http}/widget.js" data-portal="demo" data-identity-url="{identity_url}"
        data-position="left" data-color="#aa3300" data-lang="zh" data-open="{"true" if open_ else "false"}"></script>
</body></html>"""


def requests_to(page: Any, fragment: str) -> list[Any]:
    seen: list[Any] = []
    page.on("request", lambda r: seen.append(r) if fragment in r.url else None)
    return seen


def test_widget_loads_inside_the_demo_portal_and_signs_in_through_it(
    web: WebServer, portal_site: PortalSite, page: Any
) -> None:
    sessions = requests_to(page, "/api/widget/session")
    identities = requests_to(page, "/demo/portal/identity")
    page.goto(f"{web.portal_origin}/demo/portal?as=alice")
    assert page.evaluate("() => location.origin") != web.http  # the portal is another origin
    launcher = page.locator("#cas-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    iframe = page.locator("#cas-frame")
    src = iframe.get_attribute("src") or ""
    assert src.startswith(f"{web.http}/widget/frame?portal=demo")
    assert "token" not in src and "secret" not in src  # nothing secret in the embed URL
    frame = page.frame_locator("#cas-frame")
    frame.locator("#conn[data-state=online]").wait_for()
    assert len(identities) == 1 and identities[0].method == "POST"
    assert len(sessions) == 1
    reply = ask(frame, "EG-2100 有几个串口")
    assert reply.locator("button.cite").count() >= 1

    # the loader ignores a request for identity that does not come from its own iframe
    page.evaluate("() => window.postMessage({type: 'cas:need-identity'}, '*')")
    page.wait_for_timeout(300)
    assert len(identities) == 1 and len(sessions) == 1

    # the close button in the iframe asks the portal page to hide it
    frame.locator("#btn-close").click()
    expect(iframe).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    assert page.errors == []


def test_the_iframe_ignores_identity_posted_by_another_frame(
    web: WebServer, portal_site: PortalSite, page: Any
) -> None:
    """postMessage is checked in the iframe too: a correctly signed token posted by another
    frame of the portal page (here a foreign ad frame) is ignored; only the parent counts."""
    sessions = requests_to(page, "/api/widget/session")
    attacker = f"""<!doctype html><script>
      setTimeout(() => {{
        for (let i = 0; i < parent.frames.length; i++)
          parent.frames[i].postMessage({{type: 'cas:identity', token: {json.dumps(web.identity())}}}, '*');
        document.title = 'sent';
      }}, 200);
    </script>"""
    portal_site.routes["/portal"] = (
        "text/html",
        portal_page(web).replace("</body>", f'<iframe id="evil" src="{portal_site.foreign}/attacker"></iframe></body>'),
    )
    portal_site.routes["/identity"] = ("application/json", json.dumps({"token": web.identity()}))
    portal_site.routes["/attacker"] = ("text/html", attacker)
    page.goto(f"{portal_site.allowed}/portal")
    page.frame_locator("#cas-frame").locator("#conn[data-state=online]").wait_for()
    evil = page.frame(url=f"{portal_site.foreign}/attacker")
    assert evil is not None
    eventually(lambda: evil.title() == "sent")  # the attack ran
    page.wait_for_timeout(500)
    assert len(sessions) == 1  # the portal's own sign-in only
    assert [hit[2] for hit in portal_site.hits].count("/identity") == 1


def test_widget_is_refused_inside_a_page_from_an_origin_that_is_not_allowed(
    web: WebServer, portal_site: PortalSite, page: Any
) -> None:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    sessions = requests_to(page, "/api/widget/session")
    leaked = web.identity()  # even a valid identity token does not help a foreign page
    portal_site.routes["/portal"] = ("text/html", portal_page(web))
    portal_site.routes["/identity"] = ("application/json", json.dumps({"token": leaked}))
    with page.expect_response(lambda r: "/widget/frame" in r.url) as frame_response:
        page.goto(f"{portal_site.foreign}/portal")
    csp = frame_response.value.headers["content-security-policy"]
    assert f"frame-ancestors http://localhost:{web.port} {portal_site.allowed}" in csp
    page.wait_for_timeout(800)
    frame = next(f for f in page.frames if f != page.main_frame)
    assert not frame.url.startswith(web.http)  # Chromium replaced the refused page
    assert frame.locator("#log").count() == 0
    assert sessions == []
    assert not [hit for hit in portal_site.hits if hit[2] == "/identity"]
    assert any("frame-ancestors" in text for text in console), console


def test_stolen_widget_access_token_is_refused_on_a_foreign_websocket(
    web: WebServer, portal_site: PortalSite, page: Any
) -> None:
    grant = httpx.post(
        f"{web.http}/api/widget/session", json={"portal_id": "demo", "identity_token": web.identity()}
    ).json()

    def ws_url() -> str:  # a stolen token buys tickets, but a browser on a foreign origin is refused
        return web.socket_url(grant["access_token"])

    probe = """(url) => new Promise(resolve => {
        const ws = new WebSocket(url);
        ws.onmessage = e => { resolve('open:' + JSON.parse(e.data).type); ws.close(); };
        ws.onclose = e => resolve('closed:' + e.code);
    })"""
    portal_site.routes["/blank"] = ("text/html", "<!doctype html><title>blank</title>")
    page.goto(f"{portal_site.foreign}/blank")
    assert page.evaluate(probe, ws_url()).startswith("closed:")
    page.goto(f"{portal_site.allowed}/blank")  # an origin the portal allows
    assert page.evaluate(probe, ws_url()) == "open:ready"
    page.goto(f"{web.http}/")  # the widget page's own origin
    assert page.evaluate(probe, ws_url()) == "open:ready"


def test_expired_identity_token_is_refused(web: WebServer, portal_site: PortalSite, page: Any) -> None:
    portal_site.routes["/portal"] = ("text/html", portal_page(web))
    portal_site.routes["/identity"] = ("application/json", json.dumps({"token": web.identity(ttl=-120)}))
    with page.expect_response(lambda r: "/api/widget/session" in r.url) as resp:
        page.goto(f"{portal_site.allowed}/portal")
    assert resp.value.status == 401 and resp.value.json()["code"] == "identity_token_expired"
    frame = page.frame_locator("#cas-frame")
    expect(frame.locator("#notice")).to_contain_text("已过期")
    assert frame.locator("#conn").get_attribute("data-state") != "online"
    expect(frame.locator("#composer")).to_be_hidden()


def test_replayed_identity_token_is_refused(web: WebServer, portal_site: PortalSite, page: Any) -> None:
    once = web.identity()  # a portal that wrongly hands out the same token every time
    portal_site.routes["/portal"] = ("text/html", portal_page(web))
    portal_site.routes["/identity"] = ("application/json", json.dumps({"token": once}))
    page.goto(f"{portal_site.allowed}/portal")
    page.frame_locator("#cas-frame").locator("#conn[data-state=online]").wait_for()
    with page.expect_response(lambda r: "/api/widget/session" in r.url) as resp:
        page.reload()
    assert resp.value.status == 401 and resp.value.json()["code"] == "identity_token_replayed"
    expect(page.frame_locator("#cas-frame").locator("#notice")).to_contain_text("已被使用过")


def test_widget_page_opened_outside_a_frame_does_nothing(web: WebServer, page: Any) -> None:
    sessions = requests_to(page, "/api/widget/session")
    page.goto(f"{web.http}/widget/frame?portal=demo")
    expect(page.locator("#notice")).to_contain_text("无权嵌入")
    page.wait_for_timeout(300)
    assert sessions == []
