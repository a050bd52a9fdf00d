"""The team's learning path on the dashboard's 培训 panel in headless Chromium over a real
server: after a salesperson of P-HZ-01 passed a theory lesson and finished a practice
session (through REST), the alliance manager sees the 70/20/10 balance on the partner's row
(practice sessions counted in) and the next steps recommended most, with how many people;
390 px without sideways scrolling, English, no CSP violation.
Screenshot: ``var/test-artifacts/dashboard-path-390.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from assistant.training.path_data import load_path_data
from tests.api.conftest import free_port
from tests.rebates_api.harness import PASSWORD, build_index, make_settings
from tests.training.path_world import CORPUS
from tests.training.test_lessons_api import right_positions
from tests.web.conftest import WebServer, artifacts_dir
from tests.web.test_ops_dashboard_page import no_csp_violations, open_dashboard

pytestmark = [pytest.mark.web, pytest.mark.slow]

DATA = load_path_data(CORPUS)


@pytest.fixture(scope="module")
def path_dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("path-dash")
    settings = make_settings(tmp)
    build_index(settings)
    srv = WebServer(settings, free_port())
    srv.start()
    sales = {"Authorization": f"Bearer {srv.token('hz_sales1', PASSWORD)}"}
    r = httpx.post(f"{srv.http}/api/training/lessons/L-023/quiz", headers=sales, timeout=30)
    attempt = r.json()
    r = httpx.post(
        f"{srv.http}/api/training/quiz/{attempt['attempt_id']}",
        json={"answers": right_positions(attempt)},
        headers=sales,
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["passed"], r.text
    r = httpx.post(f"{srv.http}/api/training/practice", json={"product_id": "EG-2100"}, headers=sales, timeout=30)
    sid = r.json()["session"]["id"]
    r = httpx.post(
        f"{srv.http}/api/training/practice/{sid}/answers", json={"turn": 1, "text": "很好"}, headers=sales, timeout=30
    )
    assert r.status_code == 200, r.text
    assert httpx.post(f"{srv.http}/api/training/practice/{sid}/finish", headers=sales, timeout=30).status_code == 200
    yield srv
    srv.stop()


def test_the_alliance_manager_sees_each_partners_balance_and_the_top_advice(path_dash: WebServer, context: Any) -> None:
    page = open_dashboard(context, path_dash, "hz_manager")
    block = page.locator("#train-path")
    expect(block).to_have_attribute("data-state", "ok")
    expect(block.locator("h4").first).to_have_text("学习路径 70/20/10（含练习与导师辅导）")
    rows = block.locator(".dpath-table tbody tr")
    assert rows.count() >= 4  # the alliance's partners
    p1 = block.locator("tr[data-row='P-HZ-01']")
    total = 10 + DATA.practice_session_minutes
    expect(p1.locator("[data-field=minutes]")).to_have_text(str(total))
    expect(p1.locator("td[data-mode=practice]")).to_have_text(f"{round(DATA.practice_session_minutes / total * 100)}%")
    expect(p1.locator("td[data-mode=theory]")).to_have_text(f"{round(10 / total * 100)}%")
    expect(p1.locator(".dpath-bar .seg")).to_have_count(2)
    advice = block.locator(".dpath-advice li")
    expect(advice.first).to_be_visible()
    counts = [int(c.split()[0]) for c in block.locator(".dpath-advice [data-field=people]").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and all(c >= 1 for c in counts)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir() / "dashboard-path-390.png"), full_page=True)

    page.click("#btn-lang")
    expect(page.locator("#train-path h4").first).to_have_text(
        "Learning path 70/20/10 (practice and mentoring included)"
    )
    expect(page.locator("#train-path .dpath-advice [data-field=people]").first).to_contain_text("people")
    no_csp_violations(page)
