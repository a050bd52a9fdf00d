"""The learning-path panel of /learn in headless Chromium against a real uvicorn server: a
demo salesperson starts with nothing done, passes a lesson's quiz on the page and finishes a
practice session, and the panel shows the 70/20/10 shares against their targets and the next
steps with their reasons, each a link to the lesson or to /practice with the prefill; the
English switch; 390 px without horizontal scroll and the desktop layout; no CSP violation;
a task title from the server is text, never HTML.  Screenshots: ``var/test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from assistant.storage.models import User
from assistant.tasks.tables import TaskAssignmentRow, TaskRow
from assistant.training.path_data import load_path_data
from tests.api.conftest import free_port
from tests.rebates_api.harness import PASSWORD, build_index, make_settings
from tests.training.path_world import CORPUS
from tests.web.conftest import WebServer, artifacts_dir
from tests.web.test_learn_page import answer, clean, no_horizontal_scroll, open_learn

pytestmark = [pytest.mark.web, pytest.mark.slow]

DATA = load_path_data(CORPUS)
XSS_TITLE = '<img src=x onerror="window.__xss=1">演示<b>任务</b>'


@pytest.fixture(scope="module")
def path_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("path-web")
    settings = make_settings(tmp)
    build_index(settings)
    srv = WebServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


def practise(server: WebServer, username: str, product: str) -> None:
    """A practice session started, answered once (weakly) and finished, over REST."""
    headers = {"Authorization": f"Bearer {server.token(username, PASSWORD)}"}
    r = httpx.post(f"{server.http}/api/training/practice", json={"product_id": product}, headers=headers, timeout=30)
    assert r.status_code == 201, r.text
    sid = r.json()["session"]["id"]
    r = httpx.post(
        f"{server.http}/api/training/practice/{sid}/answers",
        json={"turn": 1, "text": "我们的产品很好"},
        headers=headers,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert (
        httpx.post(f"{server.http}/api/training/practice/{sid}/finish", headers=headers, timeout=30).status_code == 200
    )


def open_task(server: WebServer, username: str, title: str, line: str) -> None:
    """An open task of the user's partner on a product line, as a manager would have set it."""
    assert server.runtime.db is not None
    today = date.today()
    with server.runtime.db.write() as s:
        user = s.query(User).filter(User.username == username).one()
        s.add(
            TaskRow(
                id="TK-0000000000a1",
                title=title,
                kind="demos",
                product_line=line,
                goal=2,
                root_node_id=user.partner_id,
                start_date=today - timedelta(days=3),
                due_date=today + timedelta(days=30),
                basis_quarter="2026Q4",
                created_by=user.id,
            )
        )
        s.flush()
        s.add(
            TaskAssignmentRow(
                task_id="TK-0000000000a1",
                key=user.partner_id,
                node_id=user.partner_id,
                user_id=None,
                quantity=2,
                updated_by=user.id,
            )
        )


def test_the_panel_after_a_lesson_and_a_practice_at_390px(path_web: WebServer, context: Any) -> None:
    page = open_learn(context, path_web, "hz_sales4")
    panel = page.locator("#path-panel")
    expect(panel).to_have_attribute("data-state", "ok")
    expect(page.locator("#h-path")).to_have_text("我的学习路径")
    expect(panel.locator("[data-field=path-minutes]")).to_have_text("累计 0 分钟")
    expect(panel.locator("[data-field=path-empty]")).to_be_visible()
    expect(panel.locator(".path-modes li")).to_have_count(3)
    expect(panel.locator("li[data-mode=practice] [data-field=share]")).to_have_text("0% · 目标 70%")
    no_horizontal_scroll(page)

    # A lesson passed on the page (theory, 10 minutes): the panel follows at once.
    page.locator("#lesson-list li[data-lesson='L-023'] button").click()
    expect(page.locator("#lesson-view")).to_have_attribute("data-state", "ok")
    page.click("#btn-start-quiz")
    answer(page, "L-023", right=True)
    expect(page.locator("#quiz")).to_have_attribute("data-state", "passed")
    expect(panel.locator("[data-field=path-minutes]")).to_have_text("累计 10 分钟")
    expect(panel.locator("li[data-mode=theory] [data-field=share]")).to_have_text("100% · 目标 10%")

    # A practice session finished: practice minutes count, and the weak score brings a next step.
    practise(path_web, "hz_sales4", "EG-3200")
    page.goto(f"{path_web.http}/learn")
    expect(panel).to_have_attribute("data-state", "ok")
    total = 10 + DATA.practice_session_minutes
    expect(panel.locator("[data-field=path-minutes]")).to_have_text(f"累计 {total} 分钟")
    share = round(DATA.practice_session_minutes / total * 100)
    expect(panel.locator("li[data-mode=practice] [data-field=share]")).to_have_text(f"{share}% · 目标 70%")
    expect(panel.locator("li[data-mode=practice] [data-field=minutes]")).to_have_text(
        f"{DATA.practice_session_minutes} 分钟"
    )
    steps = panel.locator(".path-steps li")
    expect(steps.first).to_be_visible()
    assert 1 <= steps.count() <= DATA.max_advice
    practice = panel.locator(".path-steps li[data-kind=practice]")
    expect(practice).to_have_count(1)
    expect(practice.locator("a")).to_have_attribute("href", "/practice?product=EG-3200")
    expect(practice.locator("[data-field=reason]")).to_contain_text("是最弱的一项，再练一次 EG-3200")
    lessons = panel.locator(".path-steps li[data-kind=lesson]")
    for i in range(lessons.count()):
        href = lessons.nth(i).locator("a").get_attribute("href") or ""
        assert href.startswith("/learn#lesson/L-") and href != "/learn#lesson/L-023"  # completed: never again
        assert lessons.nth(i).locator("[data-field=reason]").inner_text().strip()
    no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts_dir() / "learning-path-390.png"), full_page=True)

    # English, from the same data.
    page.click("#btn-lang")
    expect(page.locator("#h-path")).to_have_text("My learning path")
    expect(panel.locator("li[data-mode=practice] [data-field=share]")).to_have_text(f"{share}% · target 70%")
    expect(practice.locator("[data-field=reason]")).to_contain_text("weakest; practise EG-3200 again")
    box = panel.bounding_box()  # the panel (the top bar's English links are the page's own matter)
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert panel.evaluate("(p) => p.scrollWidth <= p.clientWidth")
    page.click("#btn-lang")

    # A next step opens its place: the practice page with the product filled in.
    practice.locator("a").click()
    page.wait_for_url("**/practice?product=EG-3200")
    clean(page)


def test_a_task_title_is_text_and_the_desktop_layout(path_web: WebServer, browser: Any) -> None:
    open_task(path_web, "hz_sales3", XSS_TITLE, "SN")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = open_learn(context, path_web, "hz_sales3")
        panel = page.locator("#path-panel")
        expect(panel).to_have_attribute("data-state", "ok")
        task = panel.locator(".path-steps li", has_text="演示<b>任务</b>")
        expect(task).to_have_count(1)
        expect(task.locator("[data-field=reason]")).to_contain_text(XSS_TITLE)
        assert panel.locator(".path-steps img, .path-steps b").count() == 0
        box, catalogue = panel.bounding_box(), page.locator("#catalogue").bounding_box()
        assert box is not None and catalogue is not None
        assert abs(box["x"] - catalogue["x"]) < 2 and box["y"] < catalogue["y"]  # above the catalogue
        no_horizontal_scroll(page, 1280)
        page.screenshot(path=str(artifacts_dir() / "learning-path-desktop.png"), full_page=True)
        clean(page)
    finally:
        context.close()


def test_the_panels_files_are_served_under_the_policy(path_web: WebServer) -> None:
    r = httpx.get(f"{path_web.http}/learn", timeout=10)
    assert '<script src="/static/learn-path.js" defer></script>' in r.text and "<script>" not in r.text
    for name in ("learn-path.js", "learn-path.css"):
        assert httpx.get(f"{path_web.http}/static/{name}", timeout=10).status_code == 200
