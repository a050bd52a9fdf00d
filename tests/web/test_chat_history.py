"""The history panel (历史会话) of the chat page, in Chromium against a real server: a
conversation started on one "device" (a browser context) is listed and opened on another
with all its events; an expert message pushed while the second device is away shows as
unread and stops being unread once opened; search narrows the list; a full-screen sheet at
390 px, a side panel on a desktop; English labels with the switch."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.dialogue.types import Caller
from tests.web.artifacts import DESKTOP, PHONE, screenshot
from tests.web.conftest import WebServer, ask, device, eventually, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]


def cid_of(page: Any) -> str:
    cid = page.evaluate("() => window.CAChat.state.conversationId")
    assert isinstance(cid, str) and cid
    return cid


def open_history(page: Any) -> Any:
    page.click("#btn-history")
    panel = page.locator("#history-panel")
    panel.wait_for(state="visible")
    page.locator("#history-status:text-is('')").wait_for(state="attached")  # loaded
    eventually(lambda: page.locator("#history-status").inner_text() != "加载中…")
    return panel


def items(page: Any) -> list[str]:
    return list(page.locator("#history-list .history-item").evaluate_all("els => els.map(e => e.dataset.id)"))


def test_a_conversation_follows_the_user_to_another_device(web: WebServer, browser: Any, devices: list[Any]) -> None:
    phone_a = device(browser, PHONE)
    devices.append(phone_a)
    sign_in(phone_a, web, "alice")
    ask(phone_a, "EG-2100 有几个串口")
    first = cid_of(phone_a)
    # 新会话: a second conversation on the same device
    open_history(phone_a)
    phone_a.click("#history-new")
    eventually(lambda: phone_a.evaluate("() => window.CAChat.state.conversationId") not in (None, first))
    phone_a.locator("#conn[data-state=online]").wait_for()
    assert phone_a.locator(".msg.user").count() == 0  # a clean log
    ask(phone_a, "汽车制造客户的案例")
    second = cid_of(phone_a)
    phone_a.context.close()  # the user leaves the first device
    devices.remove(phone_a)

    phone_b = device(browser, PHONE)
    devices.append(phone_b)
    sign_in(phone_b, web, "alice")
    phone_b.locator("#conn[data-state=online]").wait_for()
    panel = open_history(phone_b)
    box = panel.bounding_box()
    assert box is not None and box["width"] == PHONE["width"] and box["height"] == PHONE["height"]  # full screen
    assert items(phone_b) == [second, first]  # newest first
    row = phone_b.locator(f"#history-list .history-item[data-id='{first}']")
    assert row.locator(".history-name").inner_text() == "EG-2100 有几个串口"
    assert row.locator(".history-preview").inner_text()  # the reply's text
    assert row.locator(".badge.unread").count() == 0
    # search narrows the list
    phone_b.fill("#history-q", "有几个串口")
    eventually(lambda: items(phone_b) == [first])
    phone_b.fill("#history-q", "没有这样的会话")
    eventually(lambda: phone_b.locator("#history-status").inner_text() == "没有找到相关会话。")
    phone_b.fill("#history-q", "")
    eventually(lambda: items(phone_b) == [second, first])
    # tap: the conversation is restored with all its events
    row.click()
    panel.wait_for(state="hidden")
    eventually(lambda: cid_of(phone_b) == first)
    phone_b.locator(".msg.bot[data-seq]:not(.welcome)").first.wait_for()
    assert phone_b.locator(".msg.user .text").all_inner_texts() == ["EG-2100 有几个串口"]
    assert phone_b.locator(".msg.bot[data-seq]:not(.welcome)").count() == 1
    # away from it (another conversation), an expert writes in it: unread on return
    open_history(phone_b)
    phone_b.locator(f"#history-list .history-item[data-id='{second}']").click()
    eventually(lambda: cid_of(phone_b) == second)
    phone_b.locator(".msg.user .text").filter(has_text="汽车制造").wait_for()
    eventually(lambda: web.get("/api/conversations", web.token("alice")).json()[0]["unread"] == 0)
    web.push(first, "expert_message", {"expert": "李工", "text": "我是李工，串口的接线图发你了。"})
    open_history(phone_b)
    assert items(phone_b)[0] == first  # the expert's message is the newest activity
    badge = phone_b.locator(f"#history-list .history-item[data-id='{first}'] .badge.unread")
    assert badge.inner_text() == "1" and badge.get_attribute("aria-label") == "1 条未读"
    assert "李工" in phone_b.locator(f"#history-list .history-item[data-id='{first}'] .history-preview").inner_text()
    width = phone_b.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide"
    screenshot(phone_b, "chat-history-390", full_page=False)
    # opening it shows the expert's message and marks it seen
    phone_b.locator(f"#history-list .history-item[data-id='{first}']").click()
    phone_b.locator(".msg.expert").filter(has_text="接线图").wait_for()

    def first_row() -> dict[str, Any]:
        rows = web.get("/api/conversations", web.token("alice")).json()
        return next(r for r in rows if r["id"] == first)

    eventually(lambda: first_row()["unread"] == 0)
    assert phone_b.errors == []


def test_a_side_panel_on_a_desktop_in_both_languages(web: WebServer, browser: Any, devices: list[Any]) -> None:
    me = web.get("/api/me", web.token("carol")).json()
    carol = Caller(user_id=me["user_id"], partner_id=me["partner_id"], role=me["role"])
    chat = web.runtime.require_chat()
    for n in range(21):  # earlier talks (stored directly: the API's rate limits are not the point)
        cid = chat.create_conversation(caller=carol)
        chat.post_message(caller=carol, conversation_id=cid, client_msg_id="1", text=f"第{n}个客户的报价")
    desk = device(browser, DESKTOP)
    devices.append(desk)
    sign_in(desk, web, "carol")
    ask(desk, "EG-2100 有几个串口")
    panel = open_history(desk)
    box = panel.bounding_box()
    assert box is not None and box["width"] < 500 and box["x"] + box["width"] == DESKTOP["width"]  # right side
    rows = desk.locator("#history-list .history-item")
    assert rows.count() == 20  # a page; carol's own only
    assert rows.first.get_attribute("aria-current") == "true"  # the open one, newest
    desk.click("#history-more")  # 加载更多
    eventually(lambda: rows.count() == 22)
    assert desk.locator("#history-more").is_hidden()
    assert rows.last.locator(".history-name").inner_text() == "第0个客户的报价"  # the oldest last
    screenshot(desk, "chat-history-1366", full_page=False)
    desk.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    desk.click("#btn-lang")
    assert desk.locator("#btn-history").inner_text() == "History"
    open_history(desk)
    assert desk.locator("#history-title").inner_text() == "Conversations"
    assert desk.locator("#history-q").get_attribute("placeholder") == "Search conversations"
    assert desk.errors == []
