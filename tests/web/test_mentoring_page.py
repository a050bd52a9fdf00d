"""The mentoring page in headless Chromium against a real uvicorn server over the demo
channel network: an admin confirms a mentor candidate from the ranking; the mentor
publishes a sharing session with the host's form; a salesperson of the same region signs
up (the seats left drop, the button turns into "cancel"), cancels (the seat comes back)
and signs up again; once the session has started the host records notes and a recording
link and marks attendance, and the salesperson sees the notes as text, the link as a link
and their attended count.  At 390 px (and at desktop width) nothing scrolls sideways; the
page's CSP reports no violation; text from users is never rendered as HTML; the English
switch works.  Screenshots: ``var/test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from assistant.training.mentoring_tables import MentoringSessionRow
from tests.api.conftest import free_port
from tests.rebates_api.harness import build_index, make_settings
from tests.web.conftest import INIT_SCRIPT, WebServer, artifacts_dir, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]

BASE = "/api/training/mentoring"
MENTOR = "cd_boss1"  # manager of P-CD-01, a top-ranked partner (region R-SW)
LEARNER = "cd_sales2"  # same region
SHANGHAI = timezone(timedelta(hours=8))
XSS = '<img src=x onerror="window.__xss=1">要点'

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || ''));
});
"""


@pytest.fixture(scope="module")
def mentoring_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("mentoring-web")
    settings = make_settings(tmp)
    build_index(settings)
    srv = WebServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


def post(server: WebServer, path: str, user: str, body: Any = None) -> httpx.Response:
    return httpx.post(
        f"{server.http}{path}", json=body, headers={"Authorization": f"Bearer {server.token(user)}"}, timeout=10
    )


def open_page(browser: Any, server: WebServer, username: str, width: int = 390) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 860}, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.add_init_script(INIT_SCRIPT)
    context.add_init_script(WATCH)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, server, username, path="/mentoring")
    expect(page.locator("#upcoming")).to_have_attribute("data-state", re.compile("^(ok|empty)$"))
    return page


def clean(page: Any, width: int = 390) -> None:
    assert page.evaluate("window.__csp") == []
    assert page.evaluate("window.__xss") is None
    assert [e for e in page.errors if "favicon" not in e] == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def session_item(page: Any, sid: str) -> Any:
    return page.locator(f"li.session[data-id='{sid}']")


def ensure_mentor(server: WebServer) -> None:
    r = post(server, f"{BASE}/mentors/u-{MENTOR}/confirm", "n_admin")
    assert r.status_code == 200, r.text


def test_an_admin_confirms_a_mentor_from_the_ranking(mentoring_web: WebServer, browser: Any) -> None:
    page = open_page(browser, mentoring_web, "n_admin")
    try:
        expect(page.locator("#admin-panel")).to_have_attribute("data-state", "ok")
        row = page.locator(f"#candidate-list li[data-user='u-{MENTOR}']")
        expect(row).to_contain_text("第 3 名")
        row.locator("button[data-action=confirm]").click()
        expect(row.locator("button[data-action=withdraw]")).to_be_visible()
        expect(row).to_contain_text("已确认")
        # The admin's host list now offers the mentor.
        expect(page.locator(f"#c-host option[value='u-{MENTOR}']")).to_have_count(1)
        clean(page)
    finally:
        page.context.close()


def test_a_mentor_publishes_and_a_learner_signs_up_and_cancels(mentoring_web: WebServer, browser: Any) -> None:
    ensure_mentor(mentoring_web)
    host = open_page(browser, mentoring_web, MENTOR)
    try:
        expect(host.locator("#host-panel")).to_be_visible()
        expect(host.locator("#admin-panel")).to_be_hidden()
        starts = (datetime.now(UTC) + timedelta(days=3)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
        host.fill("#c-topic", "边缘网关项目打单经验")
        host.fill("#c-starts", starts)
        host.fill("#c-duration", "45")
        host.fill("#c-capacity", "2")
        host.select_option("#c-line", "EG")
        host.click("#btn-create")
        expect(host.locator("#create-ok")).to_have_text("已发布。")
        item = host.locator("#upcoming-list li.session", has_text="边缘网关项目打单经验").first
        expect(item).to_contain_text("剩余 2 / 2 个名额")
        sid = item.get_attribute("data-id")
        assert sid and sid.startswith("MS-")
        expect(item.locator("button[data-action=signup]")).to_have_count(0)  # the host does not sign up
        clean(host)
    finally:
        host.context.close()

    learner = open_page(browser, mentoring_web, LEARNER)
    try:
        item = session_item(learner, sid)
        expect(item.locator("[data-field=seats]")).to_have_text("剩余 2 / 2 个名额")
        item.locator("button[data-action=signup]").click()
        expect(item.locator("[data-field=seats]")).to_have_text("剩余 1 / 2 个名额")
        expect(item.locator("button[data-action=cancel]")).to_be_visible()
        expect(learner.locator("#my-stats")).to_contain_text("待参加 1 场")
        learner.screenshot(path=str(artifacts_dir() / "mentoring-signed-up-390.png"), full_page=True)
        item.locator("button[data-action=cancel]").click()
        expect(item.locator("[data-field=seats]")).to_have_text("剩余 2 / 2 个名额")
        expect(learner.locator("#my-stats")).to_contain_text("待参加 0 场")
        # Someone else takes both seats: the button says full and the refusal is the server's.
        for other in ("cd_sales1", "cd_sales3"):
            assert post(mentoring_web, f"{BASE}/sessions/{sid}/signup", other).status_code == 200
        item.locator("button[data-action=signup]").click()
        expect(learner.locator("#page-error")).to_have_text("这场分享会已满员，请选择其他场次。")
        expect(item.locator("button[disabled]")).to_have_text("已满员")
        learner.click("#btn-lang")
        expect(learner.locator("h1.brand")).to_have_text("Mentors & sharing sessions")
        expect(session_item(learner, sid).locator("[data-field=seats]")).to_have_text("0 of 2 seats left")
        learner.click("#btn-lang")
        learner.errors.remove("Failed to load resource: the server responded with a status of 409 (Conflict)")
        clean(learner)
    finally:
        learner.context.close()


def test_the_host_records_notes_and_attendance_after_the_session(mentoring_web: WebServer, browser: Any) -> None:
    ensure_mentor(mentoring_web)
    body = {
        "topic": "传感器复购经验",
        "starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "duration_minutes": 60,
        "capacity": 10,
    }
    r = post(mentoring_web, f"{BASE}/sessions", MENTOR, body)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert post(mentoring_web, f"{BASE}/sessions/{sid}/signup", LEARNER).status_code == 200
    assert mentoring_web.runtime.db is not None
    with mentoring_web.runtime.db.write() as s:  # as if the session had just taken place
        s.execute(
            update(MentoringSessionRow)
            .where(MentoringSessionRow.id == sid)
            .values(starts_at=datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=2))
        )

    host = open_page(browser, mentoring_web, MENTOR)
    try:
        item = session_item(host, sid)
        expect(item).to_be_visible()
        assert host.locator(f"#past-list li[data-id='{sid}']").count() == 1
        item.locator("details.manage summary").click()
        item.locator("input[name=attended]").check()
        item.locator("button[data-action=attendance]").click()
        item = session_item(host, sid)
        expect(item.locator("p.ok")).to_have_text("已保存。")
        item.locator("textarea[name=notes]").fill(XSS)
        item.locator("input[name=recording_url]").fill("javascript:alert(1)")
        item.locator("button[data-action=record]").click()
        expect(item.locator("p.error")).to_have_text("回放链接须以 http:// 或 https:// 开头。")
        item.locator("input[name=recording_url]").fill("https://rec.example.com/s/1")
        item.locator("button[data-action=record]").click()
        item = session_item(host, sid)
        expect(item.locator("[data-field=notes]")).to_have_text(XSS)
        expect(item.locator("a[data-field=recording]")).to_have_attribute("href", "https://rec.example.com/s/1")
        host.screenshot(path=str(artifacts_dir() / "mentoring-host-390.png"), full_page=True)
        clean(host)
    finally:
        host.context.close()

    learner = open_page(browser, mentoring_web, LEARNER)
    try:
        item = session_item(learner, sid)
        expect(item.locator("[data-field=notes]")).to_have_text(XSS)
        expect(item.locator("[data-field=attended]")).to_have_text("已出勤")
        expect(item.locator("img")).to_have_count(0)
        expect(item.locator("details.manage")).to_have_count(0)  # no host tools for a learner
        expect(learner.locator("#my-stats")).to_contain_text("已参加 1 场分享会，共 60 分钟")
        learner.screenshot(path=str(artifacts_dir() / "mentoring-390.png"), full_page=True)
        clean(learner)
    finally:
        learner.context.close()

    desktop = open_page(browser, mentoring_web, LEARNER, width=1280)
    try:
        expect(session_item(desktop, sid)).to_be_visible()
        desktop.screenshot(path=str(artifacts_dir() / "mentoring-desktop.png"), full_page=True)
        clean(desktop, 1280)
    finally:
        desktop.context.close()


def test_another_region_does_not_see_the_session(mentoring_web: WebServer, browser: Any) -> None:
    ensure_mentor(mentoring_web)
    body = {
        "topic": "西南区内部分享",
        "starts_at": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
        "duration_minutes": 30,
        "capacity": 5,
    }
    sid = post(mentoring_web, f"{BASE}/sessions", MENTOR, body).json()["id"]
    page = open_page(browser, mentoring_web, "hz_sales1")
    try:
        expect(session_item(page, sid)).to_have_count(0)
        expect(page.locator("#host-panel")).to_be_hidden()
        clean(page)
    finally:
        page.context.close()
