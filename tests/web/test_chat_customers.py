"""Customer records on the chat page (issue 18, item 1), in Chromium against a real server, at
390x844 and 1366x768: the chip in the profile bar opens the picker (a sheet on a phone, a side
panel on a desktop); a customer is created from the conversation, chosen, switched and unbound,
and the chip and the profile panel follow; the history panel filters by the current customer,
on this device and on another one; the server's refusals are shown as it words them; a reply
that names a company offers to save it; and the picker works with the keyboard alone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.artifacts import screenshot
from tests.web.conftest import WebServer, ask, device, eventually, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
# Each viewport's run has its own customers (one server per module, names are unique per user).
NAMES = {
    "phone": ("杭州恒逸化纤", "宁波华翔汽配"),
    "desktop": ("绍兴恒逸化纤", "宁波华翔电子"),
}


def signed_in(browser: Any, devices: list[Any], web: WebServer, viewport: dict[str, int], user: str) -> Any:
    page = device(browser, viewport)
    devices.append(page)
    sign_in(page, web, user)
    page.locator("#conn[data-state=online]").wait_for()
    return page


def rest(web: WebServer, method: str, path: str, user: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {web.token(user)}"}
    return httpx.request(method, f"{web.http}{path}", headers=headers, timeout=10, **kw)


def cid_of(page: Any) -> str:
    cid = page.evaluate("() => window.CAChat.state.conversationId")
    assert isinstance(cid, str) and cid
    return cid


def chip(page: Any) -> str:
    return str(page.locator("#btn-customer").inner_text())


def profile(page: Any) -> dict[str, str]:
    """The profile panel's chips: field -> the value shown."""
    pairs = page.locator("#profile-summary .pchip").evaluate_all(
        "els => els.map(e => [e.dataset.field, e.lastChild.textContent])"
    )
    return {str(k): str(v) for k, v in pairs}


def settled(page: Any, status: str) -> None:
    eventually(lambda: page.locator(status).inner_text() != "加载中…")


def open_picker(page: Any) -> Any:
    page.click("#btn-customer")
    panel = page.locator("#customer-panel")
    panel.wait_for(state="visible")
    page.locator("#customer-list .customer-unbind").wait_for()
    settled(page, "#customer-status")
    return panel


def picker_names(page: Any) -> list[str]:
    return list(page.locator("#customer-list .customer-item:not(.customer-unbind) .history-name").all_inner_texts())


def open_history(page: Any) -> Any:
    page.click("#btn-history")
    panel = page.locator("#history-panel")
    panel.wait_for(state="visible")
    settled(page, "#history-status")
    return panel


def history_ids(page: Any) -> list[str]:
    return list(page.locator("#history-list .history-item").evaluate_all("els => els.map(e => e.dataset.id)"))


def assert_panel_shape(page: Any, panel: Any, viewport: dict[str, int]) -> None:
    box = panel.bounding_box()
    assert box is not None
    if viewport is PHONE:  # a full-screen sheet
        assert box["width"] == PHONE["width"] and box["height"] == PHONE["height"]
    else:  # a side panel on the right
        assert box["width"] < 500 and box["x"] + box["width"] == DESKTOP["width"]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"page is {width}px wide"


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_create_choose_switch_and_history_per_customer(
    web: WebServer, browser: Any, devices: list[Any], size: str
) -> None:
    viewport = VIEWPORTS[size]
    first_name, second_name = NAMES[size]
    # A customer made earlier (on another day, by the REST API): region, industry and scale known.
    made = rest(
        web,
        "POST",
        "/api/customers",
        "alice",
        json={"name": second_name, "profile": {"region": "宁波", "industry": "汽车制造", "scale": "large"}},
    )
    assert made.status_code == 201, made.text
    second_id = made.json()["id"]

    page = signed_in(browser, devices, web, viewport, "alice")
    assert chip(page) == "未关联客户"
    ask(page, "EG-2100 有几个串口")
    eventually(lambda: profile(page).get("product_model") == "EG-2100")
    conv1 = cid_of(page)

    # 新建客户 from this conversation: the picker suggests nothing, the name is typed
    panel = open_picker(page)
    assert_panel_shape(page, panel, viewport)
    assert page.evaluate("() => document.getElementById('customer-panel').contains(document.activeElement)")
    assert second_name in picker_names(page)
    page.fill("#customer-name", first_name)
    screenshot(page, f"chat-customers-picker-{size}")
    page.click("#customer-create-submit")
    panel.wait_for(state="hidden")
    eventually(lambda: chip(page) == f"客户：{first_name}")
    facts = profile(page)
    assert facts.get("product_model") == "EG-2100"  # the talk's facts
    assert "customer_name" not in facts  # the chip names the customer, once
    created = rest(web, "GET", "/api/customers", "alice", params={"q": first_name}).json()
    assert [c["name"] for c in created] == [first_name]
    first_id = created[0]["id"]
    assert created[0]["product_model"] == "EG-2100"  # the customer took the conversation's profile
    screenshot(page, f"chat-customers-bound-{size}")

    # the same name again: the server's refusal, in its words
    open_picker(page)
    page.fill("#customer-name", first_name)
    page.click("#customer-create-submit")
    eventually(lambda: page.locator("#customer-error").inner_text() != "")
    assert page.locator("#customer-error").inner_text() == "你已经有一个同名的客户了，请换一个名称或打开已有的客户。"
    assert page.locator("#customer-panel").is_visible()

    # switch to the other customer: search, choose; chip and profile follow
    page.fill("#customer-name", "")
    page.fill("#customer-q", "宁波")
    eventually(lambda: picker_names(page) == [second_name])
    row = page.locator(f"#customer-list .customer-item[data-id='{second_id}']")
    assert "宁波" in row.inner_text() and "汽车制造" in row.inner_text()
    row.click()
    panel.wait_for(state="hidden")
    eventually(lambda: chip(page) == f"客户：{second_name}")
    facts = profile(page)
    assert facts.get("region") == "宁波" and facts.get("industry") == "汽车制造" and facts.get("scale") == "大型"
    assert "product_model" not in facts  # the first customer's facts are gone
    screenshot(page, f"chat-customers-switched-{size}")
    page.reload()  # the replay of the talk's events (its profile before) does not undo the binding
    page.locator("#conn[data-state=online]").wait_for()
    page.locator(".msg.bot[data-seq]:not(.welcome)").first.wait_for()
    assert chip(page) == f"客户：{second_name}" and cid_of(page) == conv1
    eventually(lambda: profile(page).get("region") == "宁波")
    assert "product_model" not in profile(page)

    # and back: the first customer's facts again; the current one is marked in the list
    open_picker(page)
    current = page.locator("#customer-list .customer-item[aria-current='true'] .history-name")
    assert current.inner_text() == second_name
    assert "1 个会话" in page.locator(f"#customer-list .customer-item[data-id='{second_id}']").inner_text()
    page.locator(f"#customer-list .customer-item[data-id='{first_id}']").click()
    eventually(lambda: chip(page) == f"客户：{first_name}")
    assert profile(page).get("product_model") == "EG-2100"

    # a second conversation, about the second customer
    open_history(page)
    assert page.locator("#history-scope").is_visible()  # a customer is bound: the toggle shows
    page.click("#history-new")
    eventually(lambda: page.evaluate("() => window.CAChat.state.conversationId") not in (None, conv1))
    page.locator("#conn[data-state=online]").wait_for()
    assert chip(page) == "未关联客户"  # a new conversation starts with none
    ask(page, "汽车制造客户的案例")
    conv2 = cid_of(page)
    open_picker(page)
    page.locator(f"#customer-list .customer-item[data-id='{second_id}']").click()
    eventually(lambda: chip(page) == f"客户：{second_name}")

    # history: 全部 lists both with their customers; 当前客户 only the second customer's
    panel = open_history(page)
    assert page.locator("#history-scope-all").get_attribute("aria-pressed") == "true"
    ids = history_ids(page)
    assert ids.index(conv2) < ids.index(conv1)
    tag = page.locator(f"#history-list .history-item[data-id='{conv1}'] .history-customer")
    assert tag.inner_text() == f"客户：{first_name}"
    page.click("#history-scope-customer")
    eventually(lambda: history_ids(page) == [conv2])
    assert page.locator("#history-scope-customer").get_attribute("aria-pressed") == "true"
    assert_panel_shape(page, panel, viewport)
    screenshot(page, f"chat-customers-history-{size}")
    page.click("#history-scope-all")
    eventually(lambda: conv1 in history_ids(page))
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")

    # another device, the same user: choose the first customer, its conversations are there
    other = signed_in(browser, devices, web, viewport, "alice")
    assert chip(other) == "未关联客户"
    open_picker(other)
    other.locator(f"#customer-list .customer-item[data-id='{first_id}']").click()
    eventually(lambda: chip(other) == f"客户：{first_name}")
    open_history(other)
    other.click("#history-scope-customer")
    eventually(lambda: history_ids(other) == [conv1])
    screenshot(other, f"chat-customers-other-device-{size}")
    other.locator(f"#history-list .history-item[data-id='{conv1}']").click()
    eventually(lambda: cid_of(other) == conv1)
    other.locator(".msg.user .text").filter(has_text="EG-2100 有几个串口").wait_for()
    assert chip(other) == f"客户：{first_name}"
    eventually(lambda: profile(other).get("product_model") == "EG-2100")

    # 不关联客户: the conversation has its own profile again
    open_picker(other)
    other.click("#customer-list .customer-unbind")
    eventually(lambda: chip(other) == "未关联客户")
    assert profile(other).get("customer_name") != first_name
    bound = rest(web, "GET", "/api/conversations", "alice", params={"customer_id": first_id}).json()
    assert [c["id"] for c in bound] == []

    # a customer deleted meanwhile (on another device): choosing it says so, the list refreshes
    open_picker(other)
    assert rest(web, "DELETE", f"/api/customers/{second_id}", "alice").status_code == 204
    other.locator(f"#customer-list .customer-item[data-id='{second_id}']").click()
    eventually(lambda: other.locator("#customer-error").inner_text() == "找不到这个客户。")
    eventually(lambda: second_name not in picker_names(other))
    assert chip(other) == "未关联客户"
    assert page.errors == [] and other.errors == []


def test_the_picker_with_the_keyboard_and_in_english(web: WebServer, browser: Any, devices: list[Any]) -> None:
    page = signed_in(browser, devices, web, DESKTOP, "carol")
    customer = page.locator("#btn-customer")
    customer.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#customer-panel")
    panel.wait_for(state="visible")
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "customer-q"
    labelled = page.evaluate(
        "() => document.getElementById(document.getElementById('customer-panel').getAttribute('aria-labelledby'))"
        ".textContent"
    )
    assert labelled == "选择客户"
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert customer.evaluate("(el) => el === document.activeElement")  # focus back on the chip

    page.click("#btn-lang")
    assert chip(page) == "No customer"
    open_picker(page)
    assert page.locator("#customer-title").inner_text() == "Choose a customer"
    assert page.locator("#customer-list .customer-unbind .history-name").inner_text() == "No customer for this chat"
    page.fill("#customer-name", "")
    page.fill("#customer-name", " ")
    page.click("#customer-create-submit")  # a blank name is not sent
    assert page.locator("#customer-panel").is_visible() and page.locator("#customer-error").inner_text() == ""
    page.evaluate("() => { document.getElementById('customer-name').value = 'y'.repeat(101); }")
    page.click("#customer-create-submit")
    eventually(lambda: page.locator("#customer-error").inner_text() != "")
    assert page.locator("#customer-error").inner_text().startswith("Invalid customer")  # the server's words, English
    assert page.errors == []


def offer_bar(page: Any) -> Any:
    return page.locator(".msg.bot .customer-offer")


def test_a_reply_that_names_a_company_offers_to_save_it(web: WebServer, browser: Any, devices: list[Any]) -> None:
    page = signed_in(browser, devices, web, PHONE, "bob")
    reply = ask(page, "杭州恒逸化纤那边想了解EG-2100")
    bar = reply.locator(".customer-offer")
    bar.wait_for()
    assert bar.locator(".offer-text").inner_text() == "把「杭州恒逸化纤」存为客户？"
    screenshot(page, "chat-customers-offer-390")
    bar.get_by_role("button", name="保存").click()
    bar.wait_for(state="detached")
    eventually(lambda: chip(page) == "客户：杭州恒逸化纤")
    screenshot(page, "chat-customers-offer-saved-390")
    stored = rest(web, "GET", f"/api/conversations/{cid_of(page)}/profile", "bob").json()
    assert stored["customer_name"] == "杭州恒逸化纤"
    mine = rest(web, "GET", "/api/customers", "bob").json()
    assert [c["name"] for c in mine] == ["杭州恒逸化纤"]

    # a company of which a record exists: 关联; declined, it is not offered again on reload
    page.click("#btn-history")
    page.click("#history-new")
    page.locator("#conn[data-state=online]").wait_for()
    eventually(lambda: chip(page) == "未关联客户")
    reply = ask(page, "杭州恒逸化纤那边的IT想了解安全认证")
    bar = reply.locator(".customer-offer")
    bar.wait_for()
    assert bar.locator(".offer-text").inner_text() == "关联到已有客户「杭州恒逸化纤」？"
    screenshot(page, "chat-customers-offer-link-390")
    bar.get_by_role("button", name="不用").click()
    bar.wait_for(state="detached")
    assert chip(page) == "未关联客户"
    page.reload()
    page.locator("#conn[data-state=online]").wait_for()
    page.locator(".msg.bot[data-seq]:not(.welcome)").first.wait_for()
    assert offer_bar(page).count() == 0
    # in another conversation, linked this time: it moves to the existing record
    page.click("#btn-history")
    page.click("#history-new")
    page.locator("#conn[data-state=online]").wait_for()
    reply = ask(page, "杭州恒逸化纤那边想了解EG-2100的价格")
    bar = reply.locator(".customer-offer")
    bar.wait_for()
    bar.get_by_role("button", name="关联").click()
    bar.wait_for(state="detached")
    eventually(lambda: chip(page) == "客户：杭州恒逸化纤")
    assert page.locator("#btn-customer").get_attribute("data-customer-id") == mine[0]["id"]
    assert page.errors == []


def test_switching_customers_by_typing(web: WebServer, browser: Any, devices: list[Any]) -> None:
    made = rest(web, "POST", "/api/customers", "carol", json={"name": "宁波华翔汽配", "profile": {"region": "宁波"}})
    assert made.status_code == 201, made.text
    page = signed_in(browser, devices, web, DESKTOP, "carol")
    ask(page, "换到宁波那家")
    eventually(lambda: chip(page) == "客户：宁波华翔汽配")
    assert profile(page).get("region") == "宁波"
    assert page.locator("#btn-customer").get_attribute("data-customer-id") == made.json()["id"]
    # the page remembers it: a reload shows the same customer
    page.reload()
    page.locator("#conn[data-state=online]").wait_for()
    eventually(lambda: chip(page) == "客户：宁波华翔汽配")
    assert page.errors == []


def test_a_conversation_open_on_two_devices_shows_each_turn_on_both(
    web: WebServer, browser: Any, devices: list[Any]
) -> None:
    phone = signed_in(browser, devices, web, PHONE, "carol")
    ask(phone, "EG-2100 有几个串口")
    cid = cid_of(phone)
    desktop = signed_in(browser, devices, web, DESKTOP, "carol")
    open_history(desktop)
    desktop.locator(f"#history-list .history-item[data-id='{cid}']").click()
    eventually(lambda: cid_of(desktop) == cid)
    desktop.locator(".msg.user .text").filter(has_text="EG-2100 有几个串口").wait_for()
    # A turn on the phone appears on the desktop as it happens, without a reload ...
    reply = ask(phone, "它功耗多少")
    desktop.locator(".msg.user .text").filter(has_text="它功耗多少").wait_for()
    shown = desktop.locator(f".msg.bot[data-seq='{reply.get_attribute('data-seq')}']")
    shown.wait_for()
    assert shown.locator(".text").inner_text() == reply.locator(".text").inner_text()
    # ... and the other way, each message once on the device that sent it.
    ask(desktop, "质保多久")
    phone.locator(".msg.user .text").filter(has_text="质保多久").wait_for()
    for page in (phone, desktop):
        assert page.locator(".msg.user .text").filter(has_text="质保多久").count() == 1
    screenshot(desktop, "chat-two-devices-desktop")
    assert phone.errors == [] and desktop.errors == []
