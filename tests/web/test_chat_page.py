"""The chat page in headless Chromium against a real server."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from eval.web import ASSET_BUDGET_BYTES, page_metrics
from tests.web.artifacts import screenshot
from tests.web.conftest import PASSWORD, WebServer, artifacts_dir, ask, eventually, sign_in, width_of

pytestmark = [pytest.mark.web, pytest.mark.slow]


def conversation_id(page: Any) -> str:
    cid = page.evaluate("() => window.CAChat.state.conversationId")
    assert isinstance(cid, str) and cid
    return cid


def test_question_gets_a_reply_with_a_citation_that_opens_the_source(web: WebServer, sized_page: Any) -> None:
    page = sized_page
    sign_in(page, web)
    page.locator("#conn[data-state=online]").wait_for()
    reply = ask(page, "EG-2100 有几个串口")
    assert "4" in reply.locator(".text").first.inner_text()
    # the typing indicator was shown while the reply was computed, and is hidden again
    assert page.evaluate("() => window.__typingShown") >= 1
    assert page.locator("#typing").is_hidden()
    # a parameter-table card with the asked row highlighted
    card = reply.locator("section.card[data-card=params]")
    assert card.locator("tr.hl th").inner_text() == "串口数量"
    # the citation opens the source passage, fetched from /api/documents/{chunk_id}
    cite = reply.locator("button.cite").first
    doc_id = cite.get_attribute("data-doc")
    assert doc_id == "EG-2100#params"
    with page.expect_response(lambda r: "/api/documents/" in r.url) as resp:
        cite.click()
    assert resp.value.status == 200
    dialog = page.locator("#source-dialog")
    dialog.wait_for(state="visible")
    page.locator("#source-dialog[data-loaded='1']").wait_for()
    passage = web.get(f"/api/documents/{quote(doc_id, safe='')}", web.token()).json()
    assert page.locator("#source-text").inner_text().strip() == passage["text"].strip()
    assert "串口" in passage["text"]
    # the citation reads as the document's title, not a list of keywords
    assert page.locator("#source-title").inner_text().strip() == passage["title"].strip()
    screenshot(page, f"chat-citation-source-{width_of(page)}")
    page.click("#source-close")
    dialog.wait_for(state="hidden")
    assert page.errors == []


def test_tapping_a_suggestion_chip_sends_it(web: WebServer, page: Any) -> None:
    sign_in(page, web)
    reply = ask(page, "EG-2100 有几个串口")
    chip = reply.locator("button.chip").first
    text = chip.inner_text()
    assert text
    replies = page.locator(".msg.bot[data-seq]:not(.welcome)")
    chip.click()
    replies.nth(1).wait_for()
    users = page.locator(".msg.user")
    assert users.nth(1).locator(".text").inner_text() == text
    assert users.nth(1).get_attribute("data-seq")  # acknowledged by the server


def test_thumbs_down_with_a_comment_is_saved(web: WebServer, page: Any) -> None:
    sign_in(page, web, username="carol")
    reply = ask(page, "网关质保多久")
    reply.locator("button.thumb.down").click()
    reply.locator(".fb-saved").filter(has_text="谢谢反馈").wait_for()
    assert reply.locator("button.thumb.down").get_attribute("aria-pressed") == "true"
    reply.locator(".fb-comment").fill("希望给出保修条款原文")
    reply.locator(".fb-form button[type=submit]").click()
    seq = int(reply.get_attribute("data-seq") or 0)

    def saved() -> list[dict[str, Any]]:
        items = web.get("/api/feedback/recent", web.token("carol")).json()["items"]
        return [i for i in items if i["comment"] == "希望给出保修条款原文"]

    eventually(saved)
    [item] = saved()
    assert item["rating"] == "down" and item["question"] == "网关质保多久" and seq > 0
    # thumbs up replaces the earlier rating (one rating per reply and user)
    reply.locator("button.thumb.up").click()

    def ratings() -> list[str]:
        return [i["rating"] for i in web.get("/api/feedback/recent", web.token("carol")).json()["items"]]

    eventually(lambda: "down" not in ratings())
    assert ratings().count("up") == 1


def test_360px_screenshot_without_horizontal_scrolling(web: WebServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        sign_in(page, web)
        ask(page, "汽车制造客户的案例")
        reply = ask(page, "EG-2100 有几个串口")
        reply.scroll_into_view_if_needed()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"page is {width}px wide at a 360px viewport"
        # the case card says why the case matches; the profile bar shows what was understood
        assert page.locator("section.card[data-card=case] .why-box li").count() >= 1
        assert page.locator(".pchip[data-field=industry]").inner_text().endswith("汽车制造")
        path = artifacts_dir() / "chat-360.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
    finally:
        context.close()


def test_markup_in_a_message_is_shown_as_text_and_never_runs(web: WebServer, page: Any) -> None:
    payload = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'
    sign_in(page, web)
    ask(page, payload)
    bubble = page.locator(".msg.user .text").first
    assert bubble.inner_text() == payload
    assert page.locator("#log img, #log script").count() == 0
    # the same payload pushed by the server (an expert's message) is text too
    web.push(conversation_id(page), "expert_message", {"expert": "<b>李工</b>", "text": payload})
    expert = page.locator(".msg.expert").first
    expert.wait_for()
    assert expert.locator(".text").inner_text() == payload
    assert "<b>李工</b>" in expert.locator(".who").inner_text()
    assert page.locator("#log img, #log script, #log b").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__xss") is None
    assert page.errors == []


def test_profile_is_visible_and_editable(web: WebServer, page: Any) -> None:
    sign_in(page, web)
    ask(page, "汽车制造客户的案例")
    page.locator(".pchip[data-field=industry]").wait_for()
    page.click("#btn-profile-edit")
    form = page.locator("#profile-form")
    form.locator("[name=customer_name]").fill("恒锐精密")
    form.locator("[name=scale]").select_option("large")
    with page.expect_response(lambda r: r.url.endswith("/profile") and r.request.method == "PATCH") as resp:
        form.locator("button[type=submit]").click()
    assert resp.value.status == 200
    assert page.locator(".pchip[data-field=customer_name]").inner_text().endswith("恒锐精密")
    assert page.locator(".pchip[data-field=scale]").inner_text().endswith("大型")
    stored = web.get(f"/api/conversations/{conversation_id(page)}/profile", web.token()).json()
    assert stored["customer_name"] == "恒锐精密" and stored["scale"] == "large" and stored["industry"] == "汽车制造"


def test_expert_button_and_server_pushed_handoff_events(web: WebServer, page: Any) -> None:
    sign_in(page, web)
    page.locator("#conn[data-state=online]").wait_for()
    # while the handoff API answers 404 (or 501), the button says so clearly
    sent: list[dict[str, Any]] = []

    def refuse(route: Any) -> None:
        sent.append(route.request.post_data_json)
        route.fulfill(status=404, json={"code": "not_found"})

    page.route("**/api/handoff/request", refuse)
    page.click("#btn-expert")
    expect(page.locator("#notice")).to_contain_text("暂未开放")
    # the browser's time zone goes with the request (the customer's callback hours)
    zone = page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert sent == [{"conversation_id": conversation_id(page), "customer_timezone": zone}]
    page.unroute("**/api/handoff/request")
    # events the server pushes on its own: an expert joins, writes, leaves
    cid = conversation_id(page)
    web.push(cid, "expert_joined", {"expert": "李工", "text": "远程专家 李工 已加入对话。"})
    web.push(cid, "expert_message", {"expert": "李工", "text": "请先拍一下网关的指示灯。"})
    web.push(cid, "ar_join_code", {"code": "482 913", "link": "javascript:alert(1)", "expert": "李工", "text": ""})
    web.push(cid, "expert_left", {"expert": "李工", "text": "李工 已离开，助手继续为你服务。"})
    page.locator(".msg.system").filter(has_text="已离开").wait_for()
    log = page.locator("#log").inner_text()
    assert log.index("已加入") < log.index("指示灯") < log.index("已离开")
    assert page.locator(".join-code strong").inner_text() == "482 913"
    assert page.locator("#log a[href^='javascript']").count() == 0  # only http(s) links become links


def test_language_switch_and_wrong_password(web: WebServer, sized_page: Any) -> None:
    page = sized_page
    page.goto(web.http + "/")
    expect(page.locator("#btn-expert")).to_be_hidden()  # no expert to ask for before sign-in
    page.fill("#signin-form [name=username]", "alice")
    page.fill("#signin-form [name=password]", "wrong-password")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-form [data-role=error]")).to_contain_text("用户名或密码不正确")
    screenshot(page, f"chat-signin-refused-{width_of(page)}")
    page.click("#btn-lang")
    assert page.locator("#signin-form button[type=submit]").inner_text() == "Sign in"
    page.fill("#signin-form [name=password]", PASSWORD)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#input")).to_have_attribute("placeholder", "Ask about specs, scripts, cases or rebates…")
    expect(page.locator("#btn-expert")).to_be_visible()
    screenshot(page, f"chat-english-signed-in-{width_of(page)}")
    page.reload()  # the choice is remembered
    expect(page.locator("#send")).to_have_text("Send")
    assert page.evaluate("() => document.documentElement.lang") == "en"


def test_pages_send_strict_security_headers(web: WebServer) -> None:
    for path in ("/", "/dashboard"):
        r = httpx.get(web.http + path)
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    frame = httpx.get(web.http + "/widget/frame?portal=demo")
    assert f"frame-ancestors http://localhost:{web.port}" in frame.headers["content-security-policy"]
    assert "x-frame-options" not in frame.headers
    assert httpx.get(web.http + "/widget/frame?portal=nope").status_code == 404
    assert httpx.get(web.http + "/static/..%2Fchat.html").status_code == 404
    assert httpx.get(web.http + "/static/chat.js").headers["content-type"].startswith("text/javascript")
    assert httpx.get(web.http + "/api/documents/EG-2100%23params").status_code == 401
    icon = httpx.get(web.http + "/favicon.ico")  # every browser asks for it; no 404 in a console
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.content.startswith(b"<svg")
    assert web.get("/api/documents/NOPE%23x", web.token()).status_code == 404


def test_first_paint_and_javascript_css_budget(web: WebServer, browser: Any) -> None:
    """Prints the figures (a benchmark, not a timing assertion); the byte budget is asserted."""
    httpx.get(web.http + "/")
    samples = [page_metrics(browser, web.http + "/") for _ in range(3)]
    size = samples[-1]["js_css_bytes"]
    paints = [s["first_contentful_paint_ms"] for s in samples]
    report = {"first_contentful_paint_ms": paints, "js_css_bytes": size, "assets": samples[-1]["assets"]}
    (artifacts_dir() / "web-metrics.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nchat page: first contentful paint {paints} ms; JS+CSS {size} bytes")
    assert {a["url"] for a in samples[-1]["assets"]} == {
        "/static/app.css",
        "/static/common.js",
        "/static/chat.js",
        "/static/remote.js",  # remote assist video (issue 19)
    }
    assert 0 < size <= ASSET_BUDGET_BYTES
    assert all(p is not None and p > 0 for p in paints)


def test_a_recommended_lesson_opens_on_the_lessons_page(web: WebServer, page: Any) -> None:
    sign_in(page, web)
    page.locator("#conn[data-state=online]").wait_for()
    assert page.locator("#link-learn").get_attribute("href") == "/learn"
    reply = ask(page, "新来的销售 先学哪几节微课")
    lesson = reply.locator("button.cite[data-doc^='L-']").first
    doc_id = lesson.get_attribute("data-doc")
    assert doc_id is not None and doc_id.startswith("L-")
    lesson.click()
    link = page.locator("#source-open")
    expect(link).to_be_visible()
    assert link.get_attribute("href") == f"/learn#lesson/{doc_id}"
    assert link.get_attribute("target") == "_blank" and "noopener" in (link.get_attribute("rel") or "")
    page.click("#source-close")
    # a passage that is no lesson has no such link
    other = ask(page, "EG-2100 有几个串口").locator("button.cite").first
    assert other.get_attribute("data-doc") == "EG-2100#params", other.get_attribute("data-doc")
    other.click()
    page.locator("#source-dialog[data-loaded='1']").wait_for()
    expect(page.locator("#source-open")).to_be_hidden()
    assert page.errors == []


def test_asking_to_practise_shows_a_card_that_opens_the_practice_page(web: WebServer, page: Any) -> None:
    sign_in(page, web)
    page.locator("#conn[data-state=online]").wait_for()
    reply = ask(page, "练习一下：跟化工厂设备部长谈 EG-2100")
    card = reply.locator("section.card[data-card=practice]")
    expect(card).to_be_visible()
    link = card.locator("a.btn")
    assert (link.get_attribute("href") or "").startswith("/practice?product=EG-2100")
    assert link.get_attribute("target") == "_blank" and "noopener" in (link.get_attribute("rel") or "")
    assert "技术决策者" in card.inner_text()
    assert page.errors == []


def test_while_the_service_starts_the_page_waits_instead_of_meeting_a_refusal(web: WebServer, sized_page: Any) -> None:
    """The index and model load after the server answers: the page says so and opens its socket
    once the service is ready, with no refused handshake (a 403) in the browser's console."""
    page = sized_page
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    ready = web.runtime._ready  # the runtime's own flag, cleared as while it loads
    ready.clear()
    try:
        sign_in(page, web)
        page.locator("#conn[data-state=starting]").wait_for()
        expect(page.locator("#conn")).to_contain_text("正在启动")
        screenshot(page, f"chat-starting-{width_of(page)}")
        page.wait_for_timeout(2000)  # at least one more ask while loading
        assert sockets == []
    finally:
        ready.set()
    page.locator("#conn[data-state=online]").wait_for(timeout=10_000)
    reply = ask(page, "EG-2100有几个串口")
    assert "串口" in reply.inner_text()
    assert len(sockets) == 1 and console == [] and page.errors == []


def test_the_profile_and_its_editor_fit_the_screen(web: WebServer, sized_page: Any) -> None:
    """At 390 px (and at 1366 px) nothing of the profile bar or its editor is cut off: every chip
    and field ends inside the screen, and the page never scrolls sideways."""
    page = sized_page
    sign_in(page, web)
    ask(page, "宁波恒锐精密 汽车零部件 大型 设备部长 想看EG-2100的案例")
    page.locator(".pchip[data-field=customer_name]").wait_for()
    page.click("#btn-profile-edit")
    page.locator("#profile-form [name=customer_name]").wait_for()
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert width == width_of(page)
    parts = "#profile .pchip, #profile-form label, #profile-form input, #profile-form select, #profile-form button"
    overflow = page.evaluate(
        """(parts) => [...document.querySelectorAll(parts)]
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .map(el => el.outerHTML.slice(0, 80))""",
        parts,
    )
    assert overflow == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    screenshot(page, f"profile-editor-{width}")
