"""The training panel of the partner dashboard (issue 15, item 4) in headless Chromium over a
real server on the shipped demo data: after a salesperson of P-HZ-01 passed a quiz and
finished a practice session (both through the REST API), the partner's manager sees one
lesson completed with its minutes in the 70/20/10 split and the practice session, row by
member; the alliance's manager sees it on the partner's row and drills into it; a
salesperson sees no panel and the page asks nothing of the team routes (no 403, no console
error); 390 px and desktop without sideways scrolling, English, no CSP violation.
Screenshots: ``var/test-artifacts/dashboard-training-*.png``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.rebates_api.harness import PASSWORD
from tests.training.test_lessons_api import LIBRARY, right_positions
from tests.web.artifacts import DESKTOP
from tests.web.conftest import WebServer, artifacts_dir
from tests.web.test_ops_dashboard_page import no_csp_violations, open_dashboard, ops_web  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.web, pytest.mark.slow]

LESSON = "L-012"  # on-the-job practice (the 70 of 70/20/10), 11 minutes, for salespeople
MINUTES = LIBRARY.lesson(LESSON).duration_minutes


def bearer(server: WebServer, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token(username, PASSWORD)}"}


@pytest.fixture(scope="module")
def learned(ops_web: WebServer) -> None:  # noqa: F811
    """hz_sales1 (P-HZ-01, in A-HZ) passes the lesson's quiz and finishes one practice session."""
    sales = bearer(ops_web, "hz_sales1")
    r = httpx.post(f"{ops_web.http}/api/training/lessons/{LESSON}/quiz", headers=sales, timeout=30)
    assert r.status_code == 201, r.text
    attempt = r.json()
    r = httpx.post(
        f"{ops_web.http}/api/training/quiz/{attempt['attempt_id']}",
        json={"answers": right_positions(attempt)},
        headers=sales,
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["passed"] and r.json()["newly_completed"], r.text

    r = httpx.post(f"{ops_web.http}/api/training/practice", json={"product_id": "EG-2100"}, headers=sales, timeout=30)
    assert r.status_code == 201, r.text
    session = r.json()
    sid, turn = session["session"]["id"], session["next_turn"]["index"]
    text = "EG-2100 支持 Modbus 和 OPC UA，现场可以先做一周试点，我把参数表和案例发给您。"
    r = httpx.post(
        f"{ops_web.http}/api/training/practice/{sid}/answers",
        json={"turn": turn, "text": text},
        headers=sales,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    r = httpx.post(f"{ops_web.http}/api/training/practice/{sid}/finish", headers=sales, timeout=30)
    assert r.status_code == 200 and r.json()["session"]["status"] == "finished", r.text


def training_ready(page: Any, node: str) -> Any:
    panel = page.locator("#panel-training")
    expect(page.locator("#training")).to_be_visible()
    expect(panel).to_have_attribute("data-state", "ok")
    expect(panel).to_have_attribute("data-node", node)
    return panel


def no_sideways_scroll(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ("#training", "#panel-training", "#panel-training .train-table"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, selector


def test_the_partner_manager_sees_the_lesson_passed_below_at_390px(
    ops_web: WebServer,  # noqa: F811
    context: Any,
    learned: None,
) -> None:
    page = open_dashboard(context, ops_web, "hz_boss1")
    panel = training_ready(page, "P-HZ-01")
    expect(page.locator("#h-training")).to_have_text("培训")

    # The partner's own figures: one lesson, its minutes, all of them in on-the-job practice.
    expect(panel.locator(".train-figs [data-field=completed]")).to_have_text("1")
    expect(panel.locator(".train-figs [data-field=minutes]")).to_have_text(str(MINUTES))
    assert int(panel.locator(".train-figs [data-field=people]").inner_text()) >= 2  # hz_boss1 and hz_sales1
    practice = panel.locator(".split-legend li[data-mode=practice] [data-field=mode-minutes]")
    expect(practice).to_have_text(f"{MINUTES} 分钟 · 100.0%")
    expect(panel.locator(".split-legend li[data-mode=theory] [data-field=mode-minutes]")).to_have_text("0 分钟 · 0.0%")
    expect(panel.locator(".split-bar[data-bar=actual] .seg")).to_have_count(1)
    expect(panel.locator(".split-bar[data-bar=target] .seg")).to_have_count(3)
    expect(panel.locator(".split-legend li[data-mode=practice] .goal")).to_have_text("目标 70%")

    # Practice: the finished session and the mean score of each dimension.
    expect(panel.locator(".train-figs [data-field=sessions]")).to_have_text("1")
    assert panel.locator(".dim-bars li").evaluate_all("(ls) => ls.map(l => l.dataset.dimension)") == [
        "coverage",
        "values",
        "objection",
        "accuracy",
    ]
    expect(panel.locator(".dim-bars li[data-dimension=coverage] .name")).to_have_text("要点覆盖")
    scores = panel.locator(".dim-bars [data-field=score]").all_inner_texts()
    assert any(s.isdigit() and 0 <= int(s) <= 100 for s in scores), scores

    # A partner: one row per member, the same figures.
    expect(panel.locator(".train-table")).to_have_attribute("data-rows", "members")
    sales = panel.locator(".train-table tr[data-user=hz_sales1]")
    expect(sales.locator("[data-field=completed]")).to_have_text("1")
    expect(sales.locator("[data-field=minutes]")).to_have_text(str(MINUTES))
    expect(sales.locator("[data-field=modes]")).to_have_text(f"{MINUTES} / 0 / 0")
    expect(sales.locator("[data-field=sessions]")).to_have_text("1")
    expect(sales.locator("[data-field=role]")).to_have_text("销售")
    boss = panel.locator(".train-table tr[data-user=hz_boss1]")
    expect(boss.locator("[data-field=completed]")).to_have_text("0")
    expect(boss.locator("[data-field=sessions]")).to_have_text("0")
    expect(boss.locator("[data-field=overall]")).to_have_text("—")  # nothing scored: no mean, not 0

    # The way to the lessons and to practice.
    expect(page.locator("#training a[href='/learn']")).to_be_visible()
    expect(page.locator("#training a[href='/practice']")).to_be_visible()

    # Mobile first: nothing wider than the screen, the rows as cards.
    no_sideways_scroll(page, 390)
    expect(panel.locator(".train-table thead")).to_be_hidden()
    page.locator("#training").scroll_into_view_if_needed()
    page.locator("#training").screenshot(path=str(artifacts_dir() / "dashboard-training-390.png"))
    no_csp_violations(page)


def test_the_alliance_manager_drills_into_the_partner_on_desktop(
    ops_web: WebServer,  # noqa: F811
    browser: Any,
    learned: None,
) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = open_dashboard(context, ops_web, "hz_manager")
        panel = training_ready(page, "A-HZ")
        expect(panel.locator(".train-figs [data-field=completed]")).to_have_text("1")
        expect(panel.locator(".train-figs [data-field=minutes]")).to_have_text(str(MINUTES))
        expect(panel.locator(".train-table")).to_have_attribute("data-rows", "children")
        network = ops_web.runtime.rebates.state.network  # type: ignore[union-attr]
        rows = panel.locator(".train-table tbody tr[data-node]")
        assert rows.evaluate_all("(rs) => rs.map(r => r.dataset.node)") == [n.id for n in network.children("A-HZ")]
        partner = panel.locator(".train-table tr[data-node='P-HZ-01']")
        expect(partner.locator("[data-field=completed]")).to_have_text("1")
        expect(partner.locator("[data-field=minutes]")).to_have_text(str(MINUTES))
        expect(partner.locator("[data-field=sessions]")).to_have_text("1")
        other = panel.locator(".train-table tr[data-node='P-HZ-02']")
        expect(other.locator("[data-field=completed]")).to_have_text("0")
        expect(panel.locator(".train-table thead")).to_be_visible()
        no_sideways_scroll(page, DESKTOP["width"])
        page.locator("#training").screenshot(path=str(artifacts_dir() / "dashboard-training-desktop.png"))

        # Into the partner: its members; and back.
        partner.locator("[data-action=drill]").click()
        panel = training_ready(page, "P-HZ-01")
        expect(panel.locator(".train-table tr[data-user=hz_sales1] [data-field=completed]")).to_have_text("1")
        panel.locator("[data-action=back]").click()
        panel = training_ready(page, "A-HZ")

        # English: the page's switch redraws the panel.
        page.click("#btn-lang")
        expect(page.locator("#h-training")).to_have_text("Training")
        expect(page.locator("#panel-training .split-legend li[data-mode=practice] .name")).to_have_text(
            "On-the-job practice"
        )
        expect(
            page.locator("#panel-training .split-legend li[data-mode=practice] [data-field=mode-minutes]")
        ).to_have_text(f"{MINUTES} min · 100.0%")
        expect(page.locator("#training a[href='/learn']")).to_have_text("Micro-lessons")
        no_sideways_scroll(page, DESKTOP["width"])
        no_csp_violations(page)
    finally:
        context.close()


def test_a_salesperson_sees_no_training_panel(ops_web: WebServer, context: Any, learned: None) -> None:  # noqa: F811
    asked: list[str] = []
    context.on("request", lambda req: asked.append(req.url))
    page = open_dashboard(context, ops_web, "hz_sales1")
    expect(page.locator("#panel-feedback")).to_have_attribute("data-state", "ok")  # everything asked by now
    expect(page.locator("#training")).to_be_hidden()
    expect(page.locator("#panel-training")).to_be_hidden()
    assert any("/api/ops/dashboard" in url for url in asked)
    assert not any("/api/training/" in url for url in asked)  # never asked, so no 403 in the console
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    no_csp_violations(page)
