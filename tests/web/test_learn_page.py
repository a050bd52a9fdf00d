"""The micro-lessons page in headless Chromium against a real uvicorn server: a demo
salesperson signs in, filters the catalogue, opens a lesson, fails its quiz, passes it on
a second attempt and sees the progress update; the 390 px layout has no horizontal scroll,
the desktop one puts the progress beside the catalogue, the page's CSP reports no
violation, and text from the server is never rendered as HTML.
Screenshots: ``var/test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from assistant.settings import PROJECT_ROOT
from assistant.storage.models import User
from assistant.training.lessons_model import LessonFilter, load_library
from tests.api.conftest import free_port
from tests.rebates_api.harness import PASSWORD, build_index, make_settings
from tests.web.conftest import WebServer, artifacts_dir, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]

LIBRARY = load_library(PROJECT_ROOT / "corpus")

# Before any page script: every CSP violation is recorded.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || ''));
});
"""


@pytest.fixture(scope="module")
def learn_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The demo channel network's users (demo password) over the fixture corpus; the
    lessons are the shipped ones (the fixture corpus has no training data)."""
    tmp = tmp_path_factory.mktemp("learn-web")
    settings = make_settings(tmp)
    build_index(settings)
    srv = WebServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


def open_learn(context: Any, server: WebServer, username: str) -> Any:
    context.add_init_script(WATCH)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, server, username, path="/learn")
    expect(page.locator("#catalogue")).to_have_attribute("data-state", "ok")
    expect(page.locator("#progress-panel")).to_have_attribute("data-state", "ok")
    return page


def clean(page: Any) -> None:
    assert page.evaluate("window.__csp") == []
    assert page.evaluate("window.__xss") is None
    assert [e for e in page.errors if "favicon" not in e] == []


def no_horizontal_scroll(page: Any, width: int = 390) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width


def answer(page: Any, lesson_id: str, *, right: bool) -> None:
    """Pick, for every question, the right option (by its text in the data file) or a wrong one."""
    quiz = LIBRARY.lesson(lesson_id).quiz
    sets = page.locator("#quiz-form fieldset")
    expect(sets).to_have_count(len(quiz.questions))
    for i, question in enumerate(quiz.questions):
        target = question.options[question.answer]
        if not right:
            target = next(o for o in question.options if o != target)
        sets.nth(i).get_by_text(target, exact=True).click()
    page.click("#btn-submit-quiz")


def test_filter_open_fail_then_pass_at_390px(learn_web: WebServer, context: Any) -> None:
    page = open_learn(context, learn_web, "hz_sales1")
    lessons = page.locator("#lesson-list li")
    expect(lessons).to_have_count(25)
    expect(page.locator("#progress-panel [data-field=completed]")).to_have_text("已完成 0 / 25 节")
    expect(page.locator("#h-catalogue")).to_have_text("课程目录")

    # Filter: lessons for salespeople, then of the edge gateways only.
    page.select_option("#f-role", "sales")
    expect(lessons).to_have_count(len(LIBRARY.select(LessonFilter(role="sales"))))
    page.select_option("#f-line", "EG")
    expect(lessons).to_have_count(3)
    assert lessons.evaluate_all("(ls) => ls.map(l => l.dataset.lesson)") == ["L-001", "L-003", "L-019"]
    expect(page.locator("#lesson-count")).to_have_text("共 3 节课")
    no_horizontal_scroll(page)

    # Open a lesson: its content and duration.
    page.locator("#lesson-list li[data-lesson='L-001'] button").click()
    view = page.locator("#lesson-view")
    expect(view).to_have_attribute("data-state", "ok")
    expect(page.locator("#lesson-title")).to_have_text("现场安装 EG-2100：上导轨、接线与上电检查")
    expect(page.locator("#lesson-meta")).to_contain_text("10 分钟")
    expect(page.locator("#lesson-content")).to_contain_text("DIN 导轨上，上下各留 50 mm 散热空间")
    expect(page.locator("#quiz-rule")).to_have_text("共 3 道单选题，答对 2 题即通过。")
    assert page.url.endswith("#lesson/L-001")
    no_horizontal_scroll(page)

    # First attempt: every answer wrong.
    page.click("#btn-start-quiz")
    expect(page.locator("#quiz")).to_have_attribute("data-state", "answering")
    no_horizontal_scroll(page)
    answer(page, "L-001", right=False)
    expect(page.locator("#quiz")).to_have_attribute("data-state", "failed")
    expect(page.locator("#quiz-result [data-field=verdict]")).to_have_text("未通过：答对 0/3 题，需答对 2 题。")
    expect(page.locator("#quiz-form fieldset.wrong")).to_have_count(3)
    expect(page.locator("#quiz-form .opt.answer")).to_have_count(0)  # the right options are not given away
    expect(page.locator("#progress-panel [data-field=completed]")).to_have_text("已完成 0 / 25 节")
    expect(page.locator("#lesson-done")).to_be_hidden()
    page.screenshot(path=str(artifacts_dir() / "learn-quiz-failed-390.png"), full_page=True)

    # Second attempt (a new one, its options in another order): every answer right.
    page.click("#btn-retry")
    expect(page.locator("#quiz")).to_have_attribute("data-state", "answering")
    answer(page, "L-001", right=True)
    expect(page.locator("#quiz")).to_have_attribute("data-state", "passed")
    expect(page.locator("#quiz-result [data-field=verdict]")).to_have_text("通过！答对 3/3 题。")
    expect(page.locator("#quiz-result")).to_contain_text("本课已记为完成。")
    expect(page.locator("#quiz-form fieldset.right")).to_have_count(3)
    expect(page.locator("#lesson-done")).to_be_visible()

    # Progress: one lesson, ten minutes, one practice lesson.
    panel = page.locator("#progress-panel")
    expect(panel.locator("[data-field=completed]")).to_have_text("已完成 1 / 25 节")
    expect(panel.locator("[data-field=minutes]")).to_have_text("累计学习 10 分钟")
    expect(panel.locator("li[data-mode=practice] [data-field=mode-count]")).to_have_text("1/17")
    expect(panel.locator(".prog-recent li[data-lesson='L-001']")).to_contain_text("现场安装 EG-2100")
    no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts_dir() / "learn-390.png"), full_page=True)

    # Back in the catalogue (filters kept) the lesson is marked completed.
    page.click("#btn-back")
    expect(page.locator("#catalogue")).to_be_visible()
    expect(page.locator("#lesson-list li[data-lesson='L-001']")).to_have_class("done")
    expect(lessons).to_have_count(3)
    no_horizontal_scroll(page)
    # In English the header's longer labels still fit the phone (they wrap, never push the page wider).
    page.click("#btn-lang")
    expect(page.locator("#nav-mentoring")).not_to_have_text("分享会")
    no_horizontal_scroll(page)
    page.click("#btn-lang")
    clean(page)

    # The server agrees.
    token = learn_web.token("hz_sales1", PASSWORD)
    progress = httpx.get(f"{learn_web.http}/api/training/progress", headers={"Authorization": f"Bearer {token}"})
    assert progress.json()["completed"] == 1 and progress.json()["lessons"][0]["lesson_id"] == "L-001"


def test_desktop_layout_and_a_reload_keeps_the_lesson(learn_web: WebServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = open_learn(context, learn_web, "hz_sales2")
        progress = page.locator("#progress-panel").bounding_box()
        catalogue = page.locator("#catalogue").bounding_box()
        assert progress is not None and catalogue is not None
        assert catalogue["x"] >= progress["x"] + progress["width"] - 1  # side by side
        page.select_option("#f-mode", "theory")
        expect(page.locator("#lesson-list li")).to_have_count(3)
        page.select_option("#f-week", "1")
        expect(page.locator("#lesson-list li")).to_have_count(2)
        page.click("#f-reset")
        expect(page.locator("#lesson-list li")).to_have_count(25)
        page.screenshot(path=str(artifacts_dir() / "learn-desktop.png"), full_page=True)
        page.locator("#lesson-list li[data-lesson='L-025'] button").click()
        expect(page.locator("#lesson-title")).to_have_text("渠道返利政策基础：基础返利、增量激励与战略补贴")
        page.reload()  # the open lesson is in the address
        expect(page.locator("#lesson-view")).to_have_attribute("data-state", "ok")
        expect(page.locator("#lesson-meta")).to_contain_text("11 分钟")
        lesson = page.locator("#lesson-view").bounding_box()
        assert lesson is not None and lesson["x"] >= progress["x"] + progress["width"] - 1
        no_horizontal_scroll(page, 1280)
        clean(page)
    finally:
        context.close()


def test_text_from_the_server_is_never_html(learn_web: WebServer, context: Any) -> None:
    payload = '<img src=x onerror="window.__xss=1">袁<b>慧</b>'
    assert learn_web.runtime.db is not None
    with learn_web.runtime.db.write() as s:
        s.execute(update(User).where(User.username == "hz_sales3").values(display_name=payload))
    page = open_learn(context, learn_web, "hz_sales3")
    expect(page.locator("#who")).to_contain_text(payload)
    assert page.locator("#who img, #who b").count() == 0
    page.locator("#lesson-list li[data-lesson='L-013'] button").click()
    expect(page.locator("#lesson-view")).to_have_attribute("data-state", "ok")
    assert page.locator("#lesson-content *").count() == 0  # plain text
    page.click("#btn-start-quiz")
    expect(page.locator("#quiz-form fieldset")).to_have_count(3)
    assert page.locator("#quiz-form legend *:not(.mark)").count() == 0
    clean(page)


def test_the_page_is_served_with_its_policy(learn_web: WebServer) -> None:
    r = httpx.get(f"{learn_web.http}/learn", timeout=10)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert '<script src="/static/learn.js" defer></script>' in r.text and "<script>" not in r.text
    for name in ("learn.js", "learn.css"):
        assert httpx.get(f"{learn_web.http}/static/{name}", timeout=10).status_code == 200
