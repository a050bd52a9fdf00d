"""The expert console: served with a strict policy, and server text is never HTML."""

from __future__ import annotations

import re
import shutil
from typing import Any

import httpx
import pytest

from assistant.settings import PROJECT_ROOT
from tests.api.conftest import LiveServer
from tests.handoff.clients import auth, get, post
from tests.web.artifacts import DESKTOP, PHONE, screenshot

CONSOLE = PROJECT_ROOT / "web" / "expert"
CHROMIUM = "/usr/bin/chromium"
XSS = '<img src=x onerror="window.__xss=1">'


def test_console_code_never_parses_data_as_html() -> None:
    js = (CONSOLE / "static" / "console.js").read_text(encoding="utf-8")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setAttribute("on',
    ):
        assert sink not in js, sink
    assert js.count("textContent") > 10
    page = (CONSOLE / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"\son[a-z]+\s*=", page)  # no inline handlers
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/expert/static/console.js">',
        '<script src="/expert/static/remote.js">',  # remote assist video (issue 19)
    ]
    remote = (CONSOLE / "static" / "remote.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in remote, sink


@pytest.mark.slow
def test_console_is_served_with_a_strict_policy(handoff_live: LiveServer) -> None:
    page = httpx.get(f"{handoff_live.http}/expert")
    assert page.status_code == 200 and "远程专家控制台" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    js = httpx.get(f"{handoff_live.http}/expert/static/console.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    for bad in ("nope.js", "..%2Fhandoff%2Fconftest.py", "console.JS", "index.html"):
        assert httpx.get(f"{handoff_live.http}/expert/static/{bad}").status_code == 404


@pytest.mark.slow
@pytest.mark.web
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=lambda v: f"{v['width']}px")
def test_console_shows_script_as_text_end_to_end(handoff_live: LiveServer, viewport: dict[str, int]) -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps`")
    from playwright.sync_api import sync_playwright

    live = handoff_live
    alice = live.token("alice")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            # Without the page's CSP, so that only the rendering (textContent) stands between
            # a message and script execution: an innerHTML slip would run the payload.
            page: Any = browser.new_context(bypass_csp=True, viewport=viewport).new_page()
            width = viewport["width"]
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            console_errors: list[str] = []
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{live.http}/expert")
            assert page.locator("#signin").is_visible() and page.locator("#console").is_hidden()
            screenshot(page, f"console-signed-out-{width}")
            page.fill("#username", "exp_eg")
            page.fill("#password", "pw-test-123")
            page.click("#signin-form button")
            page.wait_for_selector("#conn[data-state='on']")
            page.wait_for_function("document.getElementById('who').textContent.includes('周工')")  # ready
            # Signed in: the form is gone, and no empty session pane shows before one is picked.
            assert page.locator("#signin").is_hidden() and page.locator("#session").is_hidden()
            assert page.locator("#empty").is_visible()
            screenshot(page, f"console-signed-in-{width}")
            # The console opens its socket with a single-use ticket, never its access token.
            assert sockets and all("ticket=" in url and "token" not in url for url in sockets)

            cid = httpx.post(f"{live.http}/api/conversations", headers=auth(alice)).json()["id"]
            body = {
                "conversation_id": cid,
                "product_model": "EG-2100",
                "symptom": XSS,
                "site": "<b>厂</b>",
                "serial": "LT21A00001",
                "urgency": "high",
            }
            sid = post(live.http, "/api/handoff/request", alice, body).json()["id"]
            page.wait_for_selector(f"#queue li[data-id='{sid}']").click()
            page.wait_for_function("document.getElementById('p-summary').textContent.includes('onerror')")
            page.click("#accept")
            page.wait_for_selector(f"#mine li[data-id='{sid}']")
            page.wait_for_function("!document.getElementById('send-text').disabled")

            said = post(live.http, f"/api/conversations/{cid}/messages", alice, {"client_msg_id": "x1", "text": XSS})
            assert said.status_code == 200 and said.json()["reply"] is None  # relayed, not answered by the bot
            page.wait_for_function(
                "[...document.querySelectorAll('#log li')].some(li => li.textContent.includes('<img src=x'))"
            )
            page.fill("#send-text", "<script>window.__xss=2</script> 收到")
            page.press("#send-text", "Enter")
            page.wait_for_function(
                "[...document.querySelectorAll('#log li.expert')].some(li => li.textContent.includes('收到'))"
            )
            screenshot(page, f"console-session-{width}")
            assert page.evaluate("window.__xss") is None
            assert page.locator("#log img, #p-summary img, #queue img, #mine img, #log script").count() == 0
            assert page.locator("#p-slots dd", has_text="<b>厂</b>").count() == 1
            assert not errors
            assert console_errors == []  # no failed resource either (the favicon was a 404)
        finally:
            browser.close()
    history = get(live.http, f"/api/conversations/{cid}/events", alice).json()["events"]
    assert any(e["type"] == "expert_message" and e["text"].startswith("<script>") for e in history)
