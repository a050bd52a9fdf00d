"""The practice page in headless Chromium against a real uvicorn server: a demo salesperson
signs in, starts a practice on EG-2100, answers every turn of the customer (the first with
its ideal wording, the others as a salesperson plausibly would), sees each answer's score
and feedback, the summary with the missed points, their ideal wording and citations, and
the next lesson, which opens on /learn; the history lists the session.  The 390 px layout
has no horizontal scroll, the desktop one puts the history beside the practice and a
reload keeps the session; the page's CSP reports no violation, and text (the user's
answers, names from the server) is never rendered as HTML.  Screenshots: ``var/test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from assistant.storage.models import User
from assistant.training.practice_tables import PracticeSessionRow
from assistant.training.roleplay import Scenario, ScenarioRequest
from tests.api.conftest import free_port
from tests.rebates_api.harness import PASSWORD, build_index, make_settings
from tests.web.conftest import WebServer, artifacts_dir, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]

# Before any page script: every CSP violation is recorded.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || ''));
});
"""

# What a salesperson might plausibly say to each kind of turn (not the ideal wording).
PLAUSIBLE = {
    "question": "EG-2100 的关键参数规格书里都有，我把参数表发给您，您对照现场需求确认一下。",
    "integration": "EG-2100 支持 Modbus 和 OPC UA，能直接对接 MES，一般不需要二次开发。",
    "competitor": "他们有他们的优势。我们采集周期更快，配置界面全中文，现场调试更省事。",
    "price": "理解您对价格的顾虑，算上集成和后期运维，总拥有成本并不比他们高。",
    "delivery": "常备现货型号订单确认后 3 个工作日内发货，不会耽误您的工期。",
}


@pytest.fixture(scope="module")
def practice_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The demo channel network's users (demo password) over the fixture corpus; the
    role-play plays the shipped corpus (the fixture corpus has no role-play data)."""
    tmp = tmp_path_factory.mktemp("practice-web")
    settings = make_settings(tmp)
    build_index(settings)
    srv = WebServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


def open_practice(context: Any, server: WebServer, username: str, path: str = "/practice") -> Any:
    context.add_init_script(WATCH)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, server, username, path=path)
    expect(page.locator("#setup")).to_have_attribute("data-state", "ok")
    expect(page.locator("#history-panel")).to_have_attribute("data-state", "ok")
    return page


def clean(page: Any) -> None:
    assert page.evaluate("window.__csp") == []
    assert page.evaluate("window.__xss") is None
    assert [e for e in page.errors if "favicon" not in e] == []


def no_horizontal_scroll(page: Any, width: int = 390) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width


def session_id(page: Any) -> str:
    view = page.locator("#session-view")
    expect(view).to_have_attribute("data-state", "answering")
    sid = view.get_attribute("data-session")
    assert sid and page.url.endswith(f"#session/{sid}")
    return str(sid)


def scenario_of(server: WebServer, sid: str) -> Scenario:
    """The customer the server plays in that session (rebuilt from its stored request and seed)."""
    assert server.runtime.db is not None
    with server.runtime.db.read() as s:
        row = s.get(PracticeSessionRow, sid)
        assert row is not None
        request = ScenarioRequest(
            row.product_id, industry=row.industry, persona=row.persona, competitor=row.competitor, seed=row.seed
        )
    return server.runtime.practice.get().roleplay.scenario(request)


def send(page: Any, turn: int, text: str) -> Any:
    """Type an answer, send it, wait for its feedback; the feedback's locator."""
    page.fill("#answer-text", text)
    page.click("#btn-answer")
    feedback = page.locator(f"#log li.fb-card[data-turn='{turn}']")
    expect(feedback).to_be_visible()
    return feedback


def start(page: Any, product: str = "EG-2100", **optional: str) -> str:
    page.select_option("#s-product", product)
    for name, value in optional.items():
        page.select_option(f"#s-{name}", value)
    page.click("#btn-start")
    return session_id(page)


def test_a_whole_practice_at_390px(practice_web: WebServer, context: Any) -> None:
    page = open_practice(context, practice_web, "hz_sales1")
    expect(page.locator("#h-setup")).to_have_text("开始一次练习")
    expect(page.locator("#history-panel")).to_contain_text("还没有练习记录")
    assert page.locator("#nav-learn").get_attribute("href") == "/learn"
    no_horizontal_scroll(page)

    # The competitor list follows the product.
    page.select_option("#s-product", "EG-2100")
    options = page.locator("#s-competitor option").evaluate_all("(os) => os.map(o => o.value)")
    assert options[0] == "" and len(options) >= 3
    sid = start(page, "EG-2100")
    scenario = scenario_of(practice_web, sid)
    log = page.locator("#log")
    expect(log.locator("li.customer")).to_have_count(2)  # the introduction and the first turn
    expect(log.locator("li.customer").first).to_contain_text(scenario.customer.company)
    expect(log.locator("li.customer[data-turn='1']")).to_have_text(f"客户{scenario.turns[0].text}")
    expect(page.locator("#turn-count")).to_have_text(f"第 1 / {len(scenario.turns)} 轮")
    no_horizontal_scroll(page)

    # Turn 1 with the ideal wording: a pass on every dimension that applies.
    good = send(page, 1, scenario.turns[0].ideal)
    expect(good).to_have_attribute("data-verdict", "pass")
    expect(good.locator("[data-field=score]")).to_have_text("得分 100")
    expect(good.locator("li[data-dim=coverage] .num")).to_have_text("100")
    expect(log.locator("li.customer[data-turn='2']")).to_have_text(f"客户{scenario.turns[1].text}")
    page.screenshot(path=str(artifacts_dir() / "practice-answer-390.png"), full_page=True)

    # The others as a salesperson plausibly would; the last one brings the summary.
    for turn in scenario.turns[1:]:
        feedback = send(page, turn.index, PLAUSIBLE[turn.kind])
        assert feedback.get_attribute("data-verdict") in {"pass", "partial", "fail"}
        expect(feedback.locator(".fb-lines li").first).to_be_visible()
        no_horizontal_scroll(page)
    view = page.locator("#session-view")
    expect(view).to_have_attribute("data-state", "finished")
    expect(page.locator("#answer-form")).to_be_hidden()
    expect(log.locator("li.me")).to_have_count(len(scenario.turns))

    summary = page.locator("#summary")
    expect(summary).to_be_visible()
    expect(summary.locator("[data-field=overall]")).to_contain_text("综合得分")
    expect(summary.locator("li[data-dim]")).to_have_count(4)
    missed = summary.locator("ol.missed > li")
    assert missed.count() >= 1
    first = missed.first
    assert first.locator("[data-field=ideal]").inner_text().strip()
    expect(first.locator("[data-field=citation]")).to_contain_text("出处：")
    lesson = summary.locator("a[data-field=lesson]")
    lesson_id = lesson.get_attribute("data-lesson")
    assert lesson_id and lesson.get_attribute("href") == f"/learn#lesson/{lesson_id}"
    no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts_dir() / "practice-summary-390.png"), full_page=True)

    # The history lists it, finished, with its score; the server agrees.
    item = page.locator(f"#history-panel li[data-session='{sid}']")
    expect(item).to_have_attribute("data-status", "finished")
    expect(page.locator("#history-panel [data-field=averages] li")).to_have_count(4)
    token = practice_web.token("hz_sales1", PASSWORD)
    history = httpx.get(f"{practice_web.http}/api/training/practice", headers={"Authorization": f"Bearer {token}"})
    [stored] = history.json()["sessions"]
    assert stored["id"] == sid and stored["status"] == "finished" and stored["scores"]["lesson_id"] == lesson_id
    expect(item.locator("[data-field=status]")).to_contain_text(stored["scores"]["verdict_label"])
    clean(page)

    # The next lesson opens on /learn, which links back to /practice.
    lesson.click()
    expect(page.locator("#lesson-view")).to_have_attribute("data-state", "ok")
    assert page.url.endswith(f"/learn#lesson/{lesson_id}")
    assert page.locator("#lesson-view").get_attribute("data-lesson") == lesson_id
    expect(page.locator("#nav-practice")).to_have_attribute("href", "/practice")
    no_horizontal_scroll(page)


def test_desktop_layout_and_a_reload_keeps_the_session(practice_web: WebServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        page = open_practice(context, practice_web, "hz_sales2")
        sid = start(page, "EG-3200", persona="procurement")
        history = page.locator("#history-panel").bounding_box()
        practice = page.locator("#session-view").bounding_box()
        assert history is not None and practice is not None
        assert practice["x"] >= history["x"] + history["width"] - 1  # side by side
        expect(page.locator("#customer-meta")).to_contain_text("采购")
        send(page, 1, "最大采集点数一万个，工作温度零下40到75度")
        page.reload()  # the open session is in the address
        expect(page.locator("#session-view")).to_have_attribute("data-state", "answering")
        assert page.locator("#session-view").get_attribute("data-session") == sid
        expect(page.locator("#log li.fb-card")).to_have_count(1)
        expect(page.locator("#turn-count")).to_contain_text("第 2 /")
        page.click("#btn-finish")  # end early: the summary of the one turn
        expect(page.locator("#session-view")).to_have_attribute("data-state", "finished")
        expect(page.locator("#summary a[data-field=lesson]")).to_be_visible()
        page.screenshot(path=str(artifacts_dir() / "practice-desktop.png"), full_page=True)
        no_horizontal_scroll(page, 1280)
        page.click("#btn-new")
        expect(page.locator("#setup")).to_be_visible()
        expect(page.locator(f"#history-panel li[data-session='{sid}']")).to_have_attribute("data-status", "finished")
        clean(page)
    finally:
        context.close()


def test_text_is_never_html(practice_web: WebServer, context: Any) -> None:
    payload = '<img src=x onerror="window.__xss=1">袁<b>慧</b>'
    assert practice_web.runtime.db is not None
    with practice_web.runtime.db.write() as s:
        s.execute(update(User).where(User.username == "hz_sales3").values(display_name=payload))
    page = open_practice(context, practice_web, "hz_sales3")
    expect(page.locator("#who")).to_contain_text(payload)
    assert page.locator("#who img, #who b").count() == 0
    start(page)
    send(page, 1, payload)
    mine = page.locator("#log li.me[data-turn='1'] .text")
    expect(mine).to_have_text(payload)
    assert page.locator("#log img, #log b, #log script").count() == 0
    no_horizontal_scroll(page)
    clean(page)


def test_the_page_is_served_with_its_policy(practice_web: WebServer) -> None:
    r = httpx.get(f"{practice_web.http}/practice", timeout=10)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert '<script src="/static/practice.js" defer></script>' in r.text and "<script>" not in r.text
    assert 'href="/learn"' in r.text and " style=" not in r.text
    for name in ("practice.js", "practice.css"):
        assert httpx.get(f"{practice_web.http}/static/{name}", timeout=10).status_code == 200
    assert 'href="/practice"' in httpx.get(f"{practice_web.http}/learn", timeout=10).text


def test_the_chats_practice_card_prefills_the_setup(practice_web: WebServer, context: Any) -> None:
    page = open_practice(
        context,
        practice_web,
        "hz_sales2",
        path="/practice?product=EG-2100&persona=procurement&industry=%E5%8C%96%E5%B7%A5",
    )
    assert page.locator("#s-product").input_value() == "EG-2100"
    assert page.locator("#s-persona").input_value() == "procurement"
    assert page.locator("#s-industry").input_value() == "化工"
    # a value that is not one of the options is not taken
    bogus = open_practice(context, practice_web, "hz_sales2", path="/practice?product=%3Cb%3Ex%3C%2Fb%3E")
    assert bogus.locator("#s-product").input_value() == ""
    clean(page)
    clean(bogus)
