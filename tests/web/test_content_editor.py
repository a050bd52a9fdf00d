"""The knowledge-base editor (/content) against the real content API.

One server for the module over the fixture corpus (hash embedder), with a content admin
(erin) added to the channel network.  Publishing really rebuilds the index and switches
the engine, so each editor test ends by asking the assistant (REST, as alice) and reading
the new content back in its answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.api.conftest import free_port
from tests.web.conftest import CHANNELS, WebServer, artifacts_dir, eventually, make_settings, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]

EDITOR = "erin"
CONTENT_CHANNELS = CHANNELS + "  - {username: erin, display_name: 何编辑, partner: P-1, role: content_admin}\n"
LIVE_TIMEOUT = 90_000  # ms: written out, indexed, switched to (after the previous release's NLU training)


@pytest.fixture(scope="module")
def cms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The web tests' server and settings, with erin (content_admin) among the users."""
    root = tmp_path_factory.mktemp("content-web")
    port = free_port()
    settings = make_settings(root, port, free_port())
    settings.channels_file.write_text(CONTENT_CHANNELS, encoding="utf-8")  # read at start
    srv = WebServer(settings, port)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("dialog", lambda d: (pg.errors.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    ctx.close()


# -- API helpers ----------------------------------------------------------------------------


_TOKENS: dict[tuple[int, str], str] = {}


def token(srv: WebServer, user: str) -> str:
    """One access token per user and server (sign-in is rate limited)."""
    key = (srv.port, user)
    if key not in _TOKENS:
        _TOKENS[key] = srv.token(user)
    return _TOKENS[key]


def api(srv: WebServer, method: str, path: str, user: str = EDITOR, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token(srv, user)}"}
    return httpx.request(method, f"{srv.http}{path}", headers=headers, timeout=30, **kw)


def item(srv: WebServer, kind: str, entry_id: str) -> dict[str, Any]:
    r = api(srv, "GET", f"/api/content/items/{kind}/{entry_id}")
    r.raise_for_status()
    data: dict[str, Any] = r.json()
    return data


def ask(srv: WebServer, *questions: str, user: str = "alice") -> tuple[str, list[dict[str, Any]]]:
    """A new conversation with these questions; its id and the replies."""
    headers = {"Authorization": f"Bearer {token(srv, user)}"}
    cid = httpx.post(f"{srv.http}/api/conversations", headers=headers, timeout=10).json()["id"]
    replies = []
    for n, text in enumerate(questions):
        r = httpx.post(
            f"{srv.http}/api/conversations/{cid}/messages",
            headers=headers,
            json={"client_msg_id": f"m{n}", "text": text},
            timeout=60,
        )
        r.raise_for_status()
        replies.append(r.json()["reply"])
    return cid, replies


def publish_via_api(srv: WebServer, kind: str, entry_id: str, yaml: str, base: int) -> dict[str, Any]:
    saved = api(srv, "PUT", f"/api/content/items/{kind}/{entry_id}", json={"yaml": yaml, "base_version": base})
    saved.raise_for_status()
    version = saved.json()["item"]["latest_version"]
    ref = {"kind": kind, "entry_id": entry_id, "version": version}
    release = api(srv, "POST", "/api/content/publish", json={"items": [ref]})
    assert release.status_code == 202, release.text
    rid = release.json()["id"]
    deadline = time.monotonic() + LIVE_TIMEOUT / 1000
    while True:
        state: dict[str, Any] = api(srv, "GET", f"/api/content/releases/{rid}").json()
        if state["status"] in ("live", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert state["status"] == "live", state
    return state


def review_items(srv: WebServer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api(srv, "GET", "/api/content/review").json()["items"]
    return items


# -- page helpers ---------------------------------------------------------------------------


def open_editor(page: Any, srv: WebServer) -> None:
    sign_in(page, srv, username=EDITOR, path="/content")
    expect(page.locator("#cms")).to_be_visible()
    expect(page.locator("#who")).to_contain_text("何编辑")


def search_and_open(page: Any, query: str, entry_id: str) -> None:
    page.get_by_role("tab", name="内容列表").click()
    page.get_by_label("搜索").fill(query)
    page.get_by_role("button", name="搜索", exact=True).click()
    row = page.locator(f"#items li[data-id='{entry_id}']")
    expect(row).to_have_count(1)
    row.get_by_role("button").click()
    expect(page.locator("#panel-edit")).to_be_visible()
    expect(page.locator("#ed-id")).to_have_text(entry_id)


def no_horizontal_overflow(page: Any, width: int) -> None:
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"page is {scroll} px wide in a {width} px viewport"


# -- tests ----------------------------------------------------------------------------------


def test_edit_validate_save_publish_and_the_assistant_answers_anew(cms: WebServer, desktop: Any) -> None:
    page = desktop
    seed = item(cms, "faq", "FAQ-WAR-001")
    assert seed["item"]["latest_version"] == 1 and "24 个月" in seed["yaml"]
    open_editor(page, cms)

    # list and search: the FAQ of the fixture corpus by a word of its title
    search_and_open(page, "质保", "FAQ-WAR-001")
    area = page.get_by_label("内容（YAML）")
    expect(area).to_have_value(seed["yaml"])
    expect(page.locator("#ed-status")).to_have_text("最新 v1 已发布")
    expect(page.get_by_role("button", name="发布", exact=True)).to_be_disabled()  # nothing new to publish

    # a validation error: the field's problem next to the editor, the text kept, nothing saved
    wrong = seed["yaml"].replace("category: warranty", "category: guarantee").replace("24 个月", "36 个月")
    area.fill(wrong)
    expect(page.locator("#ed-dirty")).to_be_visible()
    page.get_by_role("button", name="保存草稿").click()
    problems = page.locator("#ed-problems")
    expect(problems).to_be_visible()
    expect(problems.locator("li[data-field='category']")).to_contain_text("字段 category：")
    expect(problems).to_contain_text("warranty")  # the allowed values are listed
    expect(page.locator("#ed-message")).to_contain_text("没有保存")
    expect(area).to_have_value(wrong)
    assert item(cms, "faq", "FAQ-WAR-001")["item"]["latest_version"] == 1
    page.screenshot(path=str(artifacts_dir() / "content-editor-problems.png"), full_page=True)

    # save a draft: the history lists it
    fixed = wrong.replace("category: guarantee", "category: warranty")
    area.fill(fixed)
    page.get_by_label("修改说明（可选）").fill("质保延长到 36 个月")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#ed-status")).to_have_text("最新 v2 草稿")
    expect(problems).to_be_hidden()
    expect(page.locator("#ed-dirty")).to_be_hidden()
    page.get_by_role("tab", name="版本历史").click()
    v2 = page.locator("#versions li[data-version='2']")
    expect(v2).to_contain_text("草稿")
    expect(v2).to_contain_text("质保延长到 36 个月")
    expect(page.locator("#versions li[data-version='1']")).to_contain_text("已发布")
    page.locator("#versions li[data-version='1']").get_by_role("button", name="对比 v1 与最新版本").click()
    expect(page.locator("#diff .d-add")).to_contain_text(["+answer: 边缘网关标准质保 36 个月"])
    expect(page.locator("#diff .d-del")).to_contain_text(["-answer: 边缘网关标准质保 24 个月"])

    # publish: the progress is followed until the release is live
    page.get_by_role("tab", name="编辑").click()
    page.get_by_role("button", name="发布", exact=True).click()
    box = page.locator("#ed-release")
    expect(box.locator("[data-role=status]")).to_have_text("已上线", timeout=LIVE_TIMEOUT)
    expect(box.locator("progress")).to_have_attribute("value", "100")
    expect(box.locator("[data-role=stage]")).to_contain_text("100%")
    expect(page.locator("#ed-status")).to_have_text("最新 v2 已发布")
    page.get_by_role("tab", name="发布进度").click()
    expect(page.locator("#release-current [data-role=status]")).to_have_text("已上线")
    expect(page.locator("#releases li").first).to_contain_text("faq/FAQ-WAR-001@2")
    page.screenshot(path=str(artifacts_dir() / "content-editor-published.png"), full_page=True)

    after = item(cms, "faq", "FAQ-WAR-001")
    assert after["item"]["published_version"] == 2 and after["published_yaml"] == fixed
    _, [reply] = ask(cms, "网关的质保期是多久？")
    assert "36 个月" in reply["text"] and "24 个月" not in reply["text"]
    assert page.errors == []


def test_conflict_keeps_the_text_and_a_new_entry_is_created(cms: WebServer, desktop: Any) -> None:
    page = desktop
    before = item(cms, "faq", "FAQ-REB-001")
    open_editor(page, cms)
    search_and_open(page, "FAQ-REB", "FAQ-REB-001")
    base = before["item"]["latest_version"]

    # someone else saves first
    theirs = before["yaml"].replace("分四档", "分为四档")
    r = api(cms, "PUT", "/api/content/items/faq/FAQ-REB-001", json={"yaml": theirs, "base_version": base})
    assert r.status_code == 200, r.text
    mine = before["yaml"].replace("300 万以上 5%", "300 万以上 5.5%")
    area = page.get_by_label("内容（YAML）")
    area.fill(mine)
    page.get_by_role("button", name="保存草稿").click()
    conflict = page.locator("#ed-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("别人在你之后保存了新版本")
    expect(page.locator("#ed-conflict-version")).to_have_text(f"v{base + 1}")
    expect(area).to_have_value(mine)  # the user's text is kept
    page.get_by_role("button", name="查看最新版本").click()
    expect(page.locator("#ed-conflict-latest")).to_contain_text("分为四档")
    # merge by hand, then save on top of their version
    page.get_by_role("button", name="基于最新版本保存我的文本").click()
    area.fill(mine.replace("分四档", "分为四档"))
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#ed-status")).to_have_text(f"最新 v{base + 2} 草稿")
    latest = item(cms, "faq", "FAQ-REB-001")
    assert "分为四档" in latest["yaml"] and "5.5%" in latest["yaml"]

    # a new entry: kind and id asked, a template to fill, saved as version 1
    page.get_by_role("tab", name="内容列表").click()
    page.get_by_role("button", name="新建条目").click()
    page.locator("#new-form").get_by_label("类型").select_option("faq")
    page.get_by_label("编号（字母、数字、- _ .）").fill("FAQ-ORD-101")
    page.get_by_role("button", name="开始编辑").click()
    expect(page.locator("#ed-status")).to_have_text("新条目，尚未保存")
    text = area.input_value()
    assert "id: FAQ-ORD-101" in text
    text = text.replace("category: configuration", "category: ordering")
    text = text.replace("question: ''", "question: 下单后多久发货？")
    text = text.replace("answer: ''", "answer: 现货 2 个工作日内发货。")
    area.fill(text)
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#ed-status")).to_have_text("最新 v1 审核中")
    created = item(cms, "faq", "FAQ-ORD-101")
    assert created["item"]["status"] == "review" and created["item"]["published_version"] is None
    assert created["body"]["answer"] == "现货 2 个工作日内发货。"

    # a release whose build fails: its error is shown (publish and release answered in the
    # browser, so nothing is published for real)
    release = {
        "id": 987654,
        "status": "pending",
        "stage": "queued",
        "progress": 0.0,
        "error": "",
        "items": ["faq/FAQ-ORD-101@1"],
        "created_by": "u-erin",
        "created_at": "2026-01-01T00:00:00",
        "finished_at": None,
        "build_id": "",
    }
    failed = {**release, "status": "failed", "stage": "failed", "progress": 0.3, "error": "CorpusError: 索引构建失败"}
    page.route("**/api/content/publish", lambda route: route.fulfill(status=202, json=release))
    page.route("**/api/content/releases/987654", lambda route: route.fulfill(json=failed))
    page.get_by_role("button", name="发布", exact=True).click()
    box = page.locator("#ed-release")
    expect(box.locator("[data-role=status]")).to_have_text("发布失败")
    expect(box.locator("[data-role=error]")).to_contain_text("CorpusError: 索引构建失败")
    expect(box.locator("[data-role=error]")).to_contain_text("线上仍是之前的内容")
    expect(page.locator("#ed-message")).to_contain_text("发布 #987654 失败")
    page.unroute("**/api/content/publish")
    page.unroute("**/api/content/releases/987654")
    assert item(cms, "faq", "FAQ-ORD-101")["item"]["published_version"] is None
    assert page.errors == []


def test_rollback_to_an_earlier_version(cms: WebServer, desktop: Any) -> None:
    page = desktop
    v1 = item(cms, "faq", "FAQ-INS-001")
    assert v1["item"]["latest_version"] == 1
    v2_yaml = v1["yaml"].replace("35 mm 导轨", "35 mm 标准导轨（TS35）")
    publish_via_api(cms, "faq", "FAQ-INS-001", v2_yaml, base=1)
    assert item(cms, "faq", "FAQ-INS-001")["published_yaml"] == v2_yaml

    open_editor(page, cms)
    search_and_open(page, "DIN", "FAQ-INS-001")
    expect(page.locator("#ed-status")).to_have_text("最新 v2 已发布")
    page.get_by_role("tab", name="版本历史").click()
    first = page.locator("#versions li[data-version='1']")
    expect(first).to_contain_text("已被取代")
    expect(page.locator("#versions li[data-version='2']")).to_contain_text("线上")
    first.get_by_role("button", name="对比 v1 与最新版本").click()
    expect(page.locator("#diff .d-add")).to_contain_text(["TS35"])
    first.get_by_role("button", name="回滚到 v1").click()
    confirm = page.locator("#rollback-confirm")
    expect(confirm).to_contain_text("v1")
    confirm.get_by_role("button", name="确认回滚").click()
    expect(page.locator("#history-message")).to_contain_text("v1 的内容发布为 v3")
    page.get_by_role("tab", name="发布进度").click()
    release = page.locator("#release-current")
    expect(release.locator("[data-role=status]")).to_have_text("已上线", timeout=LIVE_TIMEOUT)
    expect(release).to_contain_text("faq/FAQ-INS-001@3")
    page.get_by_role("tab", name="版本历史").click()
    v3 = page.locator("#versions li[data-version='3']")
    expect(v3).to_contain_text("回滚到 v1")
    expect(v3).to_contain_text("线上")
    page.screenshot(path=str(artifacts_dir() / "content-rollback.png"), full_page=True)

    after = item(cms, "faq", "FAQ-INS-001")
    assert after["item"]["published_version"] == 3
    assert after["published_yaml"] == v1["yaml"]
    _, [reply] = ask(cms, "EG-2100 怎么安装到 DIN 导轨上？")
    assert "TS35" not in reply["text"] and "35 mm 导轨" in reply["text"], reply
    assert page.errors == []


def test_review_queue_to_faq_in_two_clicks_and_dismiss(cms: WebServer, page: Any) -> None:
    # the chat cannot answer these: each becomes a review item, with its conversation
    unanswerable = "网关出厂默认密码是什么"
    _, replies = ask(cms, "网关的质保期是多久？", unanswerable)
    assert replies[1]["grounded"] is False
    # a thumbs-down on an answer (with markup in the question: shown as text)
    marked = "<img src=x onerror=window.__xss=1>年会在哪里举办"
    cid, [wrong] = ask(cms, marked)
    headers = {"Authorization": f"Bearer {token(cms, 'alice')}"}
    httpx.post(
        f"{cms.http}/api/conversations/{cid}/feedback",
        headers=headers,
        json={"message_seq": wrong["seq"], "rating": "down", "comment": "答非所问"},
        timeout=10,
    ).raise_for_status()
    queue = {i["question"]: i for i in review_items(cms)}
    assert unanswerable in queue and marked in queue
    to_faq, to_dismiss = queue[unanswerable], queue[marked]

    open_editor(page, cms)
    expect(page.locator("#review-count")).not_to_have_text("")
    page.get_by_role("tab", name="待审核").click()
    card = page.locator(f"#reviews li[data-review='{to_faq['id']}']")
    expect(card).to_be_visible()
    expect(card.locator(".source")).to_have_text("未答出")
    expect(card.locator("[data-role=question]")).to_have_text(unanswerable)
    expect(card.locator("[data-role=answer]")).to_contain_text("没有找到可靠的答案")
    turns = card.locator(".context li")
    expect(turns.first).to_contain_text("销售：网关的质保期是多久？")
    expect(card.locator(".context li.assistant").first).to_contain_text("质保")
    other = page.locator(f"#reviews li[data-review='{to_dismiss['id']}']")
    expect(other.locator(".source")).to_have_text("点踩")
    expect(other.locator("[data-role=question]")).to_have_text(marked)
    assert page.locator("#reviews img").count() == 0 and page.evaluate("() => window.__xss") is None
    no_horizontal_overflow(page, 390)
    page.screenshot(path=str(artifacts_dir() / "content-review-queue.png"), full_page=True)

    # click 1: 转为 FAQ opens the suggestion as a new FAQ entry
    card.get_by_role("button", name="转为 FAQ").click()
    expect(page.locator("#panel-edit")).to_be_visible()
    entry_id = to_faq["suggestion"]["id"]
    expect(page.locator("#ed-id")).to_have_text(entry_id)
    expect(page.locator("#ed-origin")).to_contain_text(unanswerable)
    area = page.get_by_label("内容（YAML）")
    expect(area).to_have_value(to_faq["suggestion_yaml"])
    # the editor fills in the answer the assistant did not have...
    area.fill(to_faq["suggestion_yaml"].replace("answer: ''", "answer: 默认密码印在机身铭牌上，首次登录时必须修改。"))
    # ...click 2: 保存并发布
    page.get_by_role("button", name="保存并发布").click()
    expect(page.locator("#ed-release [data-role=status]")).to_have_text("已上线", timeout=LIVE_TIMEOUT)
    expect(page.locator("#ed-status")).to_have_text("最新 v1 已发布")
    no_horizontal_overflow(page, 390)

    published = item(cms, "faq", entry_id)
    assert published["item"]["published_version"] == 1
    assert "机身铭牌" in published["published_yaml"]
    assert to_faq["id"] not in {i["id"] for i in review_items(cms)}
    page.get_by_role("tab", name="待审核").click()
    expect(card).to_have_count(0)
    _, [reply] = ask(cms, unanswerable)
    assert "机身铭牌" in reply["text"], reply

    # 忽略 removes another item
    expect(other).to_be_visible()
    other.get_by_role("button", name="忽略").click()
    expect(other).to_have_count(0)
    eventually(lambda: to_dismiss["id"] not in {i["id"] for i in review_items(cms)})
    page.reload()  # still gone for a fresh page
    page.get_by_role("tab", name="待审核").click()
    expect(page.locator("#review-state")).to_have_text(re.compile("条待处理|没有待审核"))
    expect(page.locator(f"#reviews li[data-review='{to_dismiss['id']}']")).to_have_count(0)
    assert page.errors == []


def test_no_permission_message_and_a_phone_sized_editor(cms: WebServer, page: Any) -> None:
    # a salesperson: the API says 403, the page says so in Chinese and shows nothing else
    sign_in(page, cms, username="alice", path="/content")
    denied = page.locator("#denied-view")
    expect(denied).to_be_visible()
    expect(denied).to_contain_text("你没有权限执行这个操作")
    expect(denied).to_contain_text("仅限内容管理员")
    expect(denied).to_contain_text("王丽")
    expect(page.locator("#cms")).to_be_hidden()
    page.screenshot(path=str(artifacts_dir() / "content-denied.png"))
    page.get_by_role("button", name="换个账号登录").click()
    expect(page.locator("#signin-view")).to_be_visible()

    # the content admin on a 390 px phone: every tab fits the width, buttons reachable
    page.fill("#signin-form [name=username]", EDITOR)
    page.fill("#signin-form [name=password]", "pw-test-123")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#cms")).to_be_visible()
    expect(page.locator("#items li").first).to_be_visible()
    no_horizontal_overflow(page, 390)
    search_and_open(page, "质保", "FAQ-WAR-001")
    no_horizontal_overflow(page, 390)
    for name in ("保存草稿", "提交审核", "发布", "保存并发布"):
        button = page.get_by_role("button", name=name, exact=True)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
    page.screenshot(path=str(artifacts_dir() / "content-editor-390.png"), full_page=True)
    for tab in ("版本历史", "发布进度", "待审核", "内容列表"):
        page.get_by_role("tab", name=tab).click()
        no_horizontal_overflow(page, 390)
    assert page.errors == []


def test_content_page_headers(cms: WebServer) -> None:
    r = httpx.get(f"{cms.http}/content", timeout=10)
    assert r.status_code == 200 and "知识库管理" in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in r.text and "style=" not in r.text
    for asset in ("content.js", "content.css"):
        assert httpx.get(f"{cms.http}/static/{asset}", timeout=10).status_code == 200


def test_the_dashboard_leads_content_admins_to_the_editor(cms: WebServer, page: Any) -> None:
    sign_in(page, cms, username="alice", path="/dashboard")
    expect(page.locator("#dash")).to_be_visible()
    expect(page.locator("#link-content")).to_be_hidden()
    page.get_by_role("button", name="退出").click()
    sign_in(page, cms, username=EDITOR, path="/dashboard")
    expect(page.locator("#dash")).to_be_visible()
    link = page.get_by_role("link", name="知识库")
    expect(link).to_be_visible()
    link.click()
    expect(page.locator("#cms")).to_be_visible()
