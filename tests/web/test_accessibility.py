"""Accessibility: an axe-core audit (vendored, see tests/web/vendor) of each page in the states
people use, at 390 px and on a desktop, with no serious or critical violation; and the chat page
worked with the keyboard alone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.api.conftest import LiveServer, free_port, make_server_settings
from tests.handoff.conftest import EXPERTS
from tests.rebates_api.harness import build_index, make_settings
from tests.web.a11y import assert_no_serious
from tests.web.artifacts import DESKTOP, screenshot
from tests.web.conftest import INIT_SCRIPT, PASSWORD, WebServer, ask, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]

WIDTHS = [390, DESKTOP["width"]]
# Moderate rules the chat page was cleared of: headings in order inside the answer cards, and
# every piece of content (the message box included) inside a landmark.
CHAT_RULES = ("heading-order", "region")


def audit(page: Any, where: str, shot: str, *, rules: tuple[str, ...] = ()) -> None:
    """The axe check of the page as it is now, and its screenshot kept as an artifact."""
    screenshot(page, f"a11y-{shot}")
    assert_no_serious(page, where, rules=rules)


@pytest.fixture(scope="module")
def a11y_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The demo channel network (sales, managers, mentors) over the fixture corpus: every page
    has real data to show."""
    tmp = tmp_path_factory.mktemp("a11y-web")
    settings = make_settings(tmp)
    build_index(settings)
    srv = WebServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def console_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with the demo experts, as the handoff tests start it (SQLite)."""
    tmp = tmp_path_factory.mktemp("a11y-console")
    experts = tmp / "experts.yaml"
    experts.write_text(EXPERTS, encoding="utf-8")
    settings = make_server_settings(
        tmp, handoff_experts_file=experts, handoff_sweep_seconds=0.1, handoff_queue_timeout_seconds=60
    )
    srv = LiveServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


def new_page(browser: Any, width: int) -> Any:
    height = DESKTOP["height"] if width == DESKTOP["width"] else 860
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.add_init_script(INIT_SCRIPT)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_chat_page_signed_out_signed_in_and_profile_editor(a11y_web: WebServer, browser: Any, width: int) -> None:
    page = new_page(browser, width)
    try:
        page.goto(a11y_web.http + "/")
        expect(page.locator("#signin-form")).to_be_visible()
        audit(page, f"chat, signed out, {width}px", f"chat-signed-out-{width}", rules=CHAT_RULES)
        sign_in(page, a11y_web, "hz_sales1")
        page.locator("#conn[data-state=online]").wait_for()
        reply = ask(page, "EG-2100 有几个串口")
        expect(reply.locator("section.card").first).to_be_visible()
        expect(reply.locator("button.cite").first).to_be_visible()
        audit(page, f"chat, an answer with a card and citations, {width}px", f"chat-answer-{width}", rules=CHAT_RULES)
        reply.locator("button.cite").first.click()
        page.locator("#source-dialog[data-loaded='1']").wait_for()
        audit(page, f"chat, source dialog, {width}px", f"chat-source-{width}", rules=CHAT_RULES)
        page.click("#source-close")
        ask(page, "汽车制造客户的案例")
        page.locator("#btn-profile-edit").wait_for(state="visible")
        page.click("#btn-profile-edit")
        page.locator("#profile-form [name=customer_name]").wait_for()
        audit(page, f"chat, profile editor open, {width}px", f"chat-profile-editor-{width}", rules=CHAT_RULES)
        page.click("#btn-customer")  # the customer picker, a dialog
        page.locator("#customer-list .customer-unbind").wait_for()
        expect(page.locator("#customer-status")).not_to_have_text("加载中…")  # loaded
        audit(page, f"chat, customer picker open, {width}px", f"chat-customer-picker-{width}", rules=CHAT_RULES)
        page.keyboard.press("Escape")
        assert page.errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_as_a_manager(a11y_web: WebServer, browser: Any, width: int) -> None:
    page = new_page(browser, width)
    try:
        page.goto(a11y_web.http + "/dashboard")
        expect(page.locator("#signin-view")).to_be_visible()
        audit(page, f"dashboard, signed out, {width}px", f"dashboard-signed-out-{width}")
        sign_in(page, a11y_web, "n_manager", path="/dashboard")
        expect(page.locator("#panel-sales")).to_have_attribute("data-state", re.compile("^(ok|empty)$"))
        expect(page.locator("#panel-history")).to_have_attribute("data-state", re.compile("^(ok|empty)$"))
        audit(page, f"dashboard, manager, {width}px", f"dashboard-manager-{width}")
        assert page.errors == []
    finally:
        page.context.close()


PAGES = {
    "/learn": ("hz_sales1", "#catalogue"),
    "/practice": ("hz_sales1", "#setup"),
    "/mentoring": ("hz_sales1", "#upcoming"),
    "/sandbox": ("hz_sales1", "#setup"),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", list(PAGES))
def test_training_pages(a11y_web: WebServer, browser: Any, path: str, width: int) -> None:
    user, ready = PAGES[path]
    page = new_page(browser, width)
    try:
        page.goto(a11y_web.http + path)
        page.locator("#signin-form").wait_for(state="visible")
        audit(page, f"{path}, signed out, {width}px", f"{path.strip('/')}-signed-out-{width}")
        sign_in(page, a11y_web, user, path=path)
        expect(page.locator(ready)).to_have_attribute("data-state", re.compile("^(ok|empty)$"))
        audit(page, f"{path}, signed in, {width}px", f"{path.strip('/')}-signed-in-{width}")
        assert page.errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_expert_console_with_a_session_open(console_live: LiveServer, browser: Any, width: int) -> None:
    live = console_live
    page = new_page(browser, width)
    try:
        page.goto(f"{live.http}/expert")
        expect(page.locator("#signin")).to_be_visible()
        audit(page, f"console, signed out, {width}px", f"console-signed-out-{width}")
        page.fill("#username", "exp_eg")
        page.fill("#password", PASSWORD)
        page.click("#signin-form button")
        page.wait_for_selector("#conn[data-state='on']")
        alice = {"Authorization": f"Bearer {live.token('alice')}"}
        cid = httpx.post(f"{live.http}/api/conversations", headers=alice, timeout=10).json()["id"]
        body = {
            "conversation_id": cid,
            "product_model": "EG-2100",
            "symptom": "网关掉线",
            "site": "一号厂房",
            "serial": "LT21A00001",
            "urgency": "high",
        }
        sid = httpx.post(f"{live.http}/api/handoff/request", headers=alice, json=body, timeout=10).json()["id"]
        page.wait_for_selector(f"#queue li[data-id='{sid}']").click()
        page.click("#accept")
        page.wait_for_selector(f"#mine li[data-id='{sid}']")
        expect(page.locator("#send-text")).to_be_enabled()  # (no wait_for_function: the page forbids eval)
        page.fill("#send-text", "收到，请拍一下指示灯")
        page.press("#send-text", "Enter")
        page.locator("#log li.expert").first.wait_for()
        audit(page, f"console, a session open, {width}px", f"console-session-{width}")
        assert page.errors == []
    finally:
        page.context.close()


def test_chat_page_with_the_keyboard_alone(a11y_web: WebServer, browser: Any) -> None:
    page = new_page(browser, DESKTOP["width"])
    try:
        sign_in(page, a11y_web, "hz_sales1")
        page.locator("#conn[data-state=online]").wait_for()
        page.evaluate("() => document.activeElement && document.activeElement.blur()")

        def tab_to(selector: str, limit: int = 40) -> None:
            for _ in range(limit):
                page.keyboard.press("Tab")
                if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
                    return
            raise AssertionError(f"Tab never reached {selector}")

        tab_to("#input")
        page.keyboard.type("EG-2100 有几个串口")
        tab_to("#send")  # the send button is reachable too
        tab_to("#input")
        replies = page.locator(".msg.bot[data-seq]:not(.welcome)")
        before = replies.count()
        page.keyboard.press("Enter")  # Enter sends
        reply = replies.nth(before)
        reply.wait_for()
        cite = reply.locator("button.cite").first
        expect(cite).to_be_visible()
        tab_to(f".msg.bot[data-seq='{reply.get_attribute('data-seq')}'] button.cite")
        page.keyboard.press("Enter")
        dialog = page.locator("#source-dialog")
        dialog.wait_for(state="visible")
        page.locator("#source-dialog[data-loaded='1']").wait_for()
        assert page.evaluate("() => document.getElementById('source-dialog').contains(document.activeElement)")
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        assert cite.evaluate("(el) => el === document.activeElement")
        assert page.errors == []
    finally:
        page.context.close()
