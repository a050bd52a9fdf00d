"""The deal-sandbox page in headless Chromium against a real uvicorn server: a demo
salesperson signs in at 390 px, draws a scenario on EG-2100, makes an offer, sees the
outcome table with every line's explanation and the rebate line from the real engine (the
same as the server's what-if), tries again keeping the scenario (below the floor: the
special-price approval), a bad price is refused naming the field, the English switch, a
reload keeps the scenario; the desktop layout; no horizontal scroll at 390 px, no CSP
violation, text never rendered as HTML.  Screenshots: ``var/test-artifacts/``."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from assistant.dialogue.types import Caller
from tests.api.conftest import free_port
from tests.rebates_api.harness import PASSWORD, build_index, make_settings
from tests.web.conftest import WebServer, artifacts_dir, sign_in

pytestmark = [pytest.mark.web, pytest.mark.slow]

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || ''));
});
"""


@pytest.fixture(scope="module")
def sandbox_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The demo channel network's users over the fixture corpus; the sandbox plays the
    shipped corpus (the fixture corpus has no sandbox data)."""
    tmp = tmp_path_factory.mktemp("sandbox-web")
    settings = make_settings(tmp)
    build_index(settings)
    srv = WebServer(settings, free_port())
    srv.start()
    yield srv
    srv.stop()


def open_sandbox(context: Any, server: WebServer, username: str, path: str = "/sandbox") -> Any:
    context.add_init_script(WATCH)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, server, username, path=path)
    expect(page.locator("#setup")).to_have_attribute("data-state", "ok")
    return page


def clean(page: Any, expected_errors: int = 0) -> None:
    assert page.evaluate("window.__csp") == []
    assert page.evaluate("window.__xss") is None
    # A refused decision is a 422 the browser logs as a failed resource; nothing else.
    errors = [e for e in page.errors if "favicon" not in e]
    assert len([e for e in errors if "422" in e]) == expected_errors and [e for e in errors if "422" not in e] == []


def no_horizontal_scroll(page: Any, width: int = 390) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width


def draw(page: Any, product: str = "EG-2100") -> str:
    page.select_option("#s-product", product)
    page.click("#btn-draw")
    view = page.locator("#scenario-view")
    expect(view).to_have_attribute("data-state", "deciding")
    sid = view.get_attribute("data-scenario")
    assert sid and sid.startswith(f"{product}.") and page.url.endswith(f"#scenario/{sid}")
    return str(sid)


def money(text: str) -> Decimal:
    return Decimal(text.replace("¥", "").replace(",", "").replace("+", ""))


def test_draw_decide_and_see_the_rebate_at_390px(sandbox_web: WebServer, context: Any) -> None:
    page = open_sandbox(context, sandbox_web, "hz_sales1")
    expect(page.locator("#h-setup")).to_have_text("抽一个场景")
    assert page.locator("#nav-practice").get_attribute("href") == "/practice"
    no_horizontal_scroll(page)
    sid = draw(page)
    token = sandbox_web.token("hz_sales1", PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    scenario = httpx.get(f"{sandbox_web.http}/api/training/sandbox/{sid}", headers=headers, timeout=10).json()[
        "scenario"
    ]
    expect(page.locator("#scenario-title")).to_have_text(scenario["customer"]["company"])
    expect(page.locator("#scenario-intro")).to_have_text(scenario["intro"])
    expect(page.locator("#facts [data-field=budget]")).to_contain_text("¥")
    line = page.locator("#offer-lines li[data-line='0']")
    assert line.locator("[data-input=product_id]").input_value() == "EG-2100"
    assert line.locator("[data-input=quantity]").input_value() == str(scenario["quantity"])
    no_horizontal_scroll(page)

    # An offer at 90% of list, this quarter, a new customer; plus an accessory line.
    price = (Decimal(scenario["product"]["list_price"]) * Decimal("0.9")).quantize(Decimal("0.01"))
    line.locator("[data-input=unit_price]").fill(str(price))
    page.click("#btn-add-line")
    expect(page.locator("#offer-lines li")).to_have_count(2)
    page.locator("#offer-lines li[data-line='1'] [data-input=quantity]").fill("2")
    page.screenshot(path=str(artifacts_dir() / "sandbox-offer-390.png"), full_page=True)
    page.click("#btn-decide")
    view = page.locator("#scenario-view")
    expect(view).to_have_attribute("data-state", "outcome")
    rows = page.locator("#outcome-table tbody tr")
    expect(rows).to_have_count(9)
    for key in (
        "deal_amount",
        "budget",
        "competitor",
        "deadline",
        "floor",
        "purchase_cost",
        "margin",
        "rebate",
        "total",
    ):
        row = page.locator(f"#outcome-table tr[data-key={key}]")
        assert row.locator("[data-field=text]").inner_text().strip(), key
    rebate = page.locator("#outcome-table tr[data-key=rebate]")
    expect(rebate.locator("th")).to_have_text("返利变化")
    deal = money(page.locator("#outcome-table tr[data-key=deal_amount] [data-field=amount]").inner_text())
    rebates = sandbox_web.runtime.rebates
    assert rebates is not None
    expected = rebates.what_if(viewer=Caller(user_id="u", partner_id="P-HZ-01"), amount=deal, new_customer=True).what_if
    assert money(rebate.locator("[data-field=amount]").inner_text()) == expected.total_delta
    expect(page.locator("#rebate-lines li")).to_have_count(4)
    expect(page.locator("#outcome-table tr[data-key=floor] [data-field=ok]")).to_have_attribute("data-ok", "true")
    no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts_dir() / "sandbox-outcome-390.png"), full_page=True)

    # Try again: the same scenario and offer; below the floor now.
    page.click("#btn-retry")
    expect(page.locator("#decide-form")).to_be_visible()
    assert view.get_attribute("data-scenario") == sid
    expect(page.locator("#offer-lines li")).to_have_count(2)
    floor = Decimal(scenario["product"]["floor_price"]) - Decimal("0.01")
    line.locator("[data-input=unit_price]").fill(str(floor))
    page.click("#btn-decide")
    expect(view).to_have_attribute("data-state", "outcome")
    floor_row = page.locator("#outcome-table tr[data-key=floor]")
    expect(floor_row.locator("[data-field=ok]")).to_have_attribute("data-ok", "false")
    expect(floor_row.locator("[data-field=text]")).to_contain_text("特价申请")
    expect(floor_row.locator("[data-field=citation]")).to_contain_text("FAQ-PRC-003")
    no_horizontal_scroll(page)

    # A price that is no price: refused, the field named and marked.
    page.click("#btn-retry")
    line.locator("[data-input=unit_price]").fill("abc")
    page.click("#btn-decide")
    expect(page.locator("#decide-error")).to_contain_text("lines[0].unit_price")
    expect(line.locator("[data-input=unit_price]")).to_have_attribute("aria-invalid", "true")

    # English labels; a reload keeps the scenario.
    page.click("#btn-lang")
    expect(page.locator("#btn-decide")).to_have_text("See the outcome")
    page.click("#btn-lang")
    page.reload()
    expect(view).to_have_attribute("data-state", "deciding")
    assert view.get_attribute("data-scenario") == sid
    clean(page, expected_errors=1)


def test_desktop_layout_and_text_is_never_html(sandbox_web: WebServer, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        payload = '<img src=x onerror="window.__xss=1">袁<b>慧</b>'
        from sqlalchemy import update

        from assistant.storage.models import User

        assert sandbox_web.runtime.db is not None
        with sandbox_web.runtime.db.write() as s:
            s.execute(update(User).where(User.username == "hz_sales2").values(display_name=payload))
        page = open_sandbox(context, sandbox_web, "hz_sales2")
        expect(page.locator("#who")).to_contain_text(payload)
        assert page.locator("#who img, #who b").count() == 0
        draw(page, "AR-G1")
        page.locator("#t-next").check()
        page.click("#btn-decide")
        expect(page.locator("#scenario-view")).to_have_attribute("data-state", "outcome")
        expect(page.locator("#outcome-table tr[data-key=rebate] [data-field=text]")).to_contain_text("还没有开始")
        page.screenshot(path=str(artifacts_dir() / "sandbox-desktop.png"), full_page=True)
        no_horizontal_scroll(page, 1280)
        page.click("#btn-new")
        expect(page.locator("#setup")).to_be_visible()
        clean(page)
    finally:
        context.close()


def test_the_page_is_served_with_its_policy(sandbox_web: WebServer) -> None:
    r = httpx.get(f"{sandbox_web.http}/sandbox", timeout=10)
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert '<script src="/static/sandbox.js" defer></script>' in r.text and "<script>" not in r.text
    assert " style=" not in r.text
    for name in ("sandbox.js", "sandbox.css"):
        assert httpx.get(f"{sandbox_web.http}/static/{name}", timeout=10).status_code == 200
    assert 'href="/sandbox"' in httpx.get(f"{sandbox_web.http}/practice", timeout=10).text
