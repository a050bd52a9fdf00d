"""The operations dashboard in headless Chromium over a real server on the shipped demo data
(rebates, ops corpus, today pinned in 2026Q4): every new panel renders with data, the charts
(Chart.js, vendored, same origin) and the capability radar draw, an alert caused by an order
POST and a task progress report appear without a reload, ack works, 390 px and desktop
layouts hold, and the page's CSP reports no violation.  Screenshots: ``var/test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from assistant.rebates.loader import load_orders
from assistant.rebates.quarter import Quarter
from tests.api.conftest import free_port
from tests.rebates_api.harness import PASSWORD, REBATES, TODAY, build_index, make_settings
from tests.web.artifacts import DESKTOP
from tests.web.conftest import WebServer, artifacts_dir, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]

Q4 = "2026Q4"
NEW_PANELS = ("panel-alerts", "panel-ops-sales", "panel-inventory", "panel-customer", "panel-tasks", "panel-radar")

# Before any page script: every CSP violation and console error is recorded.
WATCH = """
window.__csp = [];
window.__consoleErrors = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || ''));
});
"""


@pytest.fixture(scope="module")
def ops_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("ops-web")
    settings = make_settings(tmp)
    build_index(settings)
    srv = WebServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def task_id(ops_web: WebServer) -> str:
    """A visits task of HQ for the quarter, split down the tree by last quarter's sales."""
    token = ops_web.token("n_admin", PASSWORD)
    body = {"title": "四季度客户拜访", "kind": "visits", "goal": 400, "start": "2026-10-01", "due": "2026-12-31"}
    r = httpx.post(f"{ops_web.http}/api/tasks", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def open_dashboard(context: Any, server: WebServer, username: str) -> Any:
    context.add_init_script(WATCH)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, server, username, path="/dashboard")
    for panel in ("panel-ops-sales", "panel-inventory", "panel-customer", "panel-radar"):
        expect(page.locator(f"#{panel}")).to_have_attribute("data-state", "ok")
    return page


def chart_data(page: Any, name: str) -> dict[str, Any]:
    """What Chart.js holds for the chart drawn on ``canvas[data-chart=name]``."""
    found: dict[str, Any] = page.evaluate(
        """(name) => {
          const canvas = document.querySelector(`canvas[data-chart="${name}"]`);
          const chart = canvas && window.Chart.getChart(canvas);
          if (!chart) return null;
          return {type: chart.config.type, labels: chart.data.labels,
                  datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data})),
                  width: canvas.width, height: canvas.height};
        }""",
        name,
    )
    assert found is not None, f"no chart {name}"
    return found


def no_csp_violations(page: Any) -> None:
    assert page.evaluate("window.__csp") == []
    assert [e for e in page.errors if "favicon" not in e] == []


def spike_orders(partner: str, serial: int) -> dict[str, Any]:
    """A booked order and its return big enough for a Q4 return spike of ``partner``."""
    booked = load_orders(REBATES / "orders.csv").sales(partner, Quarter.parse(Q4)).booked
    amount = str(max(booked / 5, Decimal(60_000)).quantize(Decimal("0.01")))
    common = {"partner_id": partner, "customer_id": f"C-WEB-{serial}", "new_customer": False, "product_id": "EG-2100"}
    return {
        "orders": [
            {**common, "order_id": f"SO-WEB-{serial}", "amount": amount, "date": TODAY.isoformat()},
            {
                **common,
                "order_id": f"RT-WEB-{serial}",
                "amount": amount,
                "date": TODAY.isoformat(),
                "status": "returned",
                "reverses": f"SO-WEB-{serial}",
            },
        ]
    }


# --------------------------------------------------------------------------- rendering


def test_every_panel_renders_with_data_at_390px(ops_web: WebServer, context: Any, task_id: str) -> None:
    page = open_dashboard(context, ops_web, "ec_manager")
    expect(page.locator("#panel-tasks")).to_have_attribute("data-state", "ok")
    expect(page.locator("#panel-alerts")).to_have_attribute("data-state", "ok")
    expect(page.locator("#ops-live")).to_have_attribute("data-state", "on")

    # Sales vs target: one bar per alliance of the region, actual and target.
    sales = chart_data(page, "ops-sales")
    assert sales["type"] == "bar" and len(sales["datasets"]) == 2
    assert len(sales["labels"]) == len(ops_web.runtime.rebates.state.network.children("R-EC"))  # type: ignore[union-attr]
    expect(page.locator("#panel-ops-sales [data-field=actual]")).to_contain_text("¥")

    # Inventory: the 12-week trend (stock, DOI, the alert line) and the lines coloured by level.
    trend = chart_data(page, "inventory-trend")
    assert len(trend["labels"]) == 12 and len(trend["datasets"]) == 3
    assert page.locator("#panel-inventory .inv-lines li").count() > 0
    levels = page.locator("#panel-inventory .inv-lines li").evaluate_all("(ls) => ls.map(l => l.dataset.level)")
    assert set(levels) <= {"ok", "low", "medium", "high"}

    # Customer feedback: satisfaction over four quarters and complaints by category (not bot thumbs).
    satisfaction = chart_data(page, "satisfaction-trend")
    assert satisfaction["labels"] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert all(v is not None and 0 < v <= 100 for v in satisfaction["datasets"][0]["data"])
    complaints = chart_data(page, "complaints-by-category")
    assert complaints["labels"] and {d["label"] for d in complaints["datasets"]} == {"待处理", "处理中", "已关闭"}
    expect(page.locator("#h-feedback")).to_have_text("员工对助手回答的评价")

    # Tasks: the HQ task with the region's share, a progress bar and an at-risk badge.
    item = page.locator(f"#panel-tasks li[data-task='{task_id}']")
    expect(item).to_be_visible()
    expect(item.locator("progress")).to_have_count(1)
    expect(item.locator("[data-field=status]")).to_have_text("进度落后")  # nothing reported, 2/3 of the time gone
    expect(item.locator(".badge.st-at_risk")).to_be_visible()

    # Alerts: the region's alerts with severity, evidence and actions.
    first = page.locator("#panel-alerts .alert-list li").first
    expect(first.locator(".sev")).to_be_visible()
    expect(first.locator(".evidence")).not_to_be_empty()
    assert page.locator("#panel-alerts [data-action=ack]").count() > 0

    # The radar: the first partner of the region against its alliance and region.
    radar = chart_data(page, "radar")
    assert radar["type"] == "radar" and len(radar["datasets"]) == 3
    assert len(radar["labels"]) == 3 and all(v is not None for v in radar["datasets"][0]["data"])
    assert radar["width"] > 0 and radar["height"] > 0

    # Mobile first: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for panel in NEW_PANELS:
        box = page.locator(f"#{panel}").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, panel
    page.screenshot(path=str(artifacts_dir() / "ops-dashboard-390.png"), full_page=True)
    no_csp_violations(page)


def test_desktop_layout_and_english(ops_web: WebServer, browser: Any, task_id: str) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        page = open_dashboard(context, ops_web, "n_admin")
        # The planted overstock (P-CQ-01's EG-1100, stuck since 2026-10-12) heads the list, in red.
        worst = page.locator("#panel-inventory .inv-lines li").first
        expect(worst).to_have_attribute("data-partner", "P-CQ-01")
        expect(worst).to_have_attribute("data-level", "high")
        expect(worst.locator(".doi.lvl-high")).to_be_visible()
        expect(worst).to_contain_text("EG-1100")
        left = page.locator("#panel-ops-sales").bounding_box()
        right = page.locator("#panel-inventory").bounding_box()
        assert left is not None and right is not None and right["x"] > left["x"] + left["width"] - 1  # two columns
        assert len(chart_data(page, "ops-sales")["labels"]) == 5  # the five regions
        page.screenshot(path=str(artifacts_dir() / "ops-dashboard-desktop.png"), full_page=True)
        page.click("#btn-lang")
        expect(page.locator("#h-inventory")).to_have_text("Inventory and days of inventory")
        page.wait_for_function(  # the panels drawn again in English
            """() => { const c = document.querySelector('canvas[data-chart="complaints-by-category"]');
                     const chart = c && window.Chart.getChart(c);
                     return chart && chart.data.datasets[0].label === 'Open'; }"""
        )
        expect(page.locator("#panel-radar")).to_have_attribute("data-state", "ok")
        expect(page.locator("#panel-customer [data-field=satisfaction]")).to_contain_text("Satisfaction")
        no_csp_violations(page)
    finally:
        context.close()


def test_a_salesperson_sees_its_partner_without_alerts(ops_web: WebServer, context: Any, task_id: str) -> None:
    page = open_dashboard(context, ops_web, "hz_sales1")
    expect(page.locator("#panel-alerts")).to_be_hidden()
    expect(page.locator("#ops-live")).to_have_attribute("data-state", "off")
    sales = chart_data(page, "ops-sales")
    assert sales["labels"] == ["杭州云枢网联科技有限公司"]
    who = page.locator("#panel-inventory .inv-lines li").evaluate_all("(ls) => ls.map(l => l.dataset.partner)")
    assert who and set(who) == {"P-HZ-01"}
    expect(page.locator(f"#panel-tasks li[data-task='{task_id}']")).to_be_visible()
    no_csp_violations(page)


def test_the_chart_library_is_served_from_the_service(ops_web: WebServer) -> None:
    r = httpx.get(f"{ops_web.http}/static/vendor/chart.umd.min.js", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.text.startswith("/*!\n * Chart.js v4.6.1")
    assert (Path(__file__).resolve().parents[2] / "web/static/vendor/chart.js-LICENSE.md").exists()
    assert httpx.get(f"{ops_web.http}/static/vendor/..%2Fdashboard.js", timeout=10).status_code == 404
    page = httpx.get(f"{ops_web.http}/dashboard", timeout=10)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "/static/vendor/chart.umd.min.js" in page.text and "cdn" not in page.text.lower()


# --------------------------------------------------------------------------- live


def test_an_alert_from_an_order_post_appears_live_and_ack_works(ops_web: WebServer, context: Any, task_id: str) -> None:
    partner = "P-HZ-03"
    page = open_dashboard(context, ops_web, "hz_manager")
    expect(page.locator("#ops-live")).to_have_attribute("data-state", "on")
    expect(page.locator("#panel-alerts")).to_have_attribute("data-state", "ok")
    page.evaluate("window.__sameDocument = true")
    if page.locator("#panel-alerts [data-action=more]").count():
        page.click("#panel-alerts [data-action=more]")  # every alert on screen, so the count below is all of them
    selector = f"#panel-alerts li[data-rule=return_spike]:has(.where:text-matches('{Q4}'))"
    before_alerts = page.locator(selector).count()
    sales_before = page.locator("#panel-ops-sales [data-field=actual]").inner_text()
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))

    admin = ops_web.token("n_admin", PASSWORD)
    posted = httpx.post(
        f"{ops_web.http}/api/admin/orders",
        json=spike_orders(partner, 1),
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    assert posted.status_code == 201, posted.text

    expect(page.locator(selector)).to_have_count(before_alerts + 1)  # inserted from the socket
    new = page.locator(selector).first
    expect(new).to_have_attribute("data-status", "open")
    expect(new.locator(".evidence")).to_contain_text("RT-WEB-1")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    # The booked order and its return net to zero: the sales panel was fetched again, alone.
    expect(page.locator("#panel-ops-sales [data-field=actual]")).to_have_text(sales_before)
    page.wait_for_function("() => performance.getEntriesByType('resource').some(e => e.name.includes('panels=sales'))")
    assert not any("/api/alerts?" in url for url in requests)  # the list was not read again: inserted
    assert not any("panels=sales%2Cinventory" in url or url.endswith("/api/ops/dashboard") for url in requests)

    counts = page.locator("#panel-alerts [data-field=alert-counts]").inner_text()
    new.locator("[data-action=ack]").click()
    expect(new).to_have_attribute("data-status", "acknowledged")
    expect(page.locator("#panel-alerts [data-field=alert-counts]")).not_to_have_text(counts)
    alert_id = new.get_attribute("data-alert")
    stored = httpx.get(
        f"{ops_web.http}/api/alerts/{alert_id}", headers={"Authorization": f"Bearer {admin}"}, timeout=10
    ).json()
    assert (stored["status"], stored["acknowledged_by"]) == ("acknowledged", "u-hz_manager")

    new.locator("[data-action=resolve]").click()
    new.locator("input[name=note]").fill("已与伙伴核实退货原因")
    new.locator("button[type=submit]").click()
    expect(page.locator(f"#panel-alerts li[data-alert='{alert_id}']")).to_have_count(0)  # resolved: off the list
    page.screenshot(path=str(artifacts_dir() / "ops-dashboard-live-alert.png"), full_page=True)
    no_csp_violations(page)


def test_task_progress_reaches_the_managers_dashboard_live(ops_web: WebServer, context: Any, task_id: str) -> None:
    page = open_dashboard(context, ops_web, "hz_manager")
    expect(page.locator("#ops-live")).to_have_attribute("data-state", "on")
    item = page.locator(f"#panel-tasks li[data-task='{task_id}']")
    expect(item).to_be_visible()
    before = item.locator("[data-field=progress]").inner_text()
    done_before = int(before.split("/")[0])
    page.evaluate("window.__sameDocument = true")

    boss = ops_web.token("hz_boss1", PASSWORD)  # P-HZ-01's manager reports for the partner's share
    r = httpx.post(
        f"{ops_web.http}/api/tasks/{task_id}/progress",
        json={"amount": 3, "note": "拜访了3家客户", "client_id": "web-live-1"},
        headers={"Authorization": f"Bearer {boss}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    expect(item.locator("[data-field=progress]")).to_contain_text(f"{done_before + 3}/")
    assert page.evaluate("window.__sameDocument") is True
    no_csp_violations(page)
