"""The partner dashboard: sign-in, scoping through the API, rendering from API data.

The rebates API is served by another feature; these tests answer its routes from the
browser (``page.route``) with data shaped like ``assistant/api/routes_rebates.py``, so
they check the dashboard's own behaviour whatever that feature's state.  Recent feedback
comes from the real service.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.artifacts import screenshot
from tests.web.conftest import WebServer, sign_in, width_of

pytestmark = [pytest.mark.web, pytest.mark.slow]


def node(node_id: str, name: str, level: str, children: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": node_id,
        "name": name,
        "level": level,
        "parent_id": None,
        "region": "华东",
        "city": "杭州",
        "active": True,
        "specialty": None,
        "children": children or [],
    }


def statement(partner_id: str, name: str, net: str = "784782.17") -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "partner_name": name,
        "quarter": "2026Q4",
        "as_of": "2026-11-27",
        "status": "accrued",
        "tier_mode": "whole",
        "total": "23543.47",
        "lines": [
            {
                "kind": "base",
                "description": "基础返利",
                "amount": "23543.47",
                "rule": "T2 档 3%",
                "tier": "T2",
                "rate": "0.03",
                "basis": net,
                "orders": ["O-1", "O-2"],
            },
            {
                "kind": "incremental",
                "description": "增量激励",
                "amount": "0.00",
                "rule": "未超基线",
                "tier": None,
                "rate": "0.03",
                "basis": "0",
                "orders": [],
            },
        ],
        "progress": {
            "text": "还差 ¥715,217.83 到下一档 (T3), 届时返利率 4%",
            "current_tier": "T2",
            "current_rate": "0.03",
            "next_tier": "T3",
            "missing": "715217.83",
            "next_rate": "0.04",
            "extra_rebate": "36456.53",
        },
        "baseline": {
            "amount": "1450000.00",
            "source": "adjusted",
            "previous_baseline": None,
            "previous_actual": None,
            "explanation": "",
        },
        "why_not_incremental": [],
        "notes": [],
        "sales": {"booked": net, "returned": "0", "net": net, "new_customer_net": "0", "order_count": 2},
    }


RANKING = {
    "quarter": "2026Q4",
    "scope_level": "alliance",
    "scope_id": "A-1",
    "scope_name": "测试联盟",
    "size": 3,
    "own_rank": 2,
    "formula": "0.6 × 达成率 + 0.3 × 满意度/100 + 0.1 × (1 − 风险分/100)",
    "rows": [
        {
            "rank": 1,
            "visible": True,
            "partner_id": "P-3",
            "name": "三号伙伴",
            "score": "0.808",
            "attainment": "1.1",
            "satisfaction": 88,
            "risk": "0",
            "target": "1",
            "actual": "1",
            "risk_reasons": [],
        },
        {
            "rank": 2,
            "visible": True,
            "partner_id": "P-1",
            "name": "一号伙伴",
            "score": "0.629",
            "attainment": "0.54",
            "satisfaction": 68,
            "risk": "0",
            "target": "1",
            "actual": "1",
            "risk_reasons": [],
        },
        {
            "rank": 3,
            "visible": False,
            "partner_id": None,
            "name": None,
            "score": None,
            "attainment": None,
            "satisfaction": None,
            "risk": None,
            "target": None,
            "actual": None,
            "risk_reasons": [],
        },
    ],
}


def history(partner_id: str) -> dict[str, Any]:
    quarters = [
        {
            "quarter": q,
            "status": "final" if q != "2026Q4" else "accrued",
            "total": total,
            "net_sales": "1",
            "baseline": "1",
            "tier": "T2",
            "rate": "0.03",
            "lines": [],
        }
        for q, total in (("2026Q1", "40874.00"), ("2026Q2", "46116.00"), ("2026Q3", "36321.00"), ("2026Q4", "23543.47"))
    ]
    return {"partner_id": partner_id, "partner_name": "x", "total": "146854.47", "quarters": quarters}


class RebatesApi:
    """Answers the rebates routes in the browser and records what the page asked."""

    def __init__(self, page: Any, tree: dict[str, Any], names: dict[str, str]) -> None:
        self.calls: list[tuple[str, dict[str, list[str]], str]] = []
        self.tree, self.names = tree, names
        page.route("**/api/partners", self._handle)
        page.route("**/api/rebates/**", self._handle)

    def _handle(self, route: Any) -> None:
        url = urlsplit(route.request.url)
        query = parse_qs(url.query)
        self.calls.append((url.path, query, route.request.headers.get("authorization", "")))
        partner = query.get("partner_id", [""])[0]
        if url.path == "/api/partners":
            body: Any = self.tree
        elif url.path == "/api/rebates/statement":
            if partner not in self.names:
                message = "找不到这个合作伙伴，或你没有权限查看。"
                route.fulfill(status=404, json={"code": "partner_not_found", "message": message})
                return
            body = statement(partner, self.names[partner])
        elif url.path == "/api/rebates/ranking":
            body = RANKING
        elif url.path == "/api/rebates/history":
            body = history(partner)
        else:
            route.fulfill(status=404, json={"code": "not_found", "message": "找不到请求的资源。"})
            return
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body, ensure_ascii=False))

    def paths(self, path: str) -> list[tuple[dict[str, list[str]], str]]:
        return [(q, auth) for p, q, auth in self.calls if p == path]


def session_token(page: Any) -> str:
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('ca.session')).token")
    assert isinstance(token, str)
    return token


def test_dashboard_asks_for_sign_in_then_renders_the_api_data(web: WebServer, sized_page: Any) -> None:
    page = sized_page
    api = RebatesApi(page, node("P-1", "一号伙伴", "partner"), {"P-1": "一号伙伴"})
    page.goto(web.http + "/dashboard")
    expect(page.locator("#signin-view")).to_be_visible()
    assert api.calls == []  # nothing is asked before sign-in
    screenshot(page, f"dashboard-signed-out-{width_of(page)}")
    sign_in(page, web, path="/dashboard")
    expect(page.locator("#panel-sales")).to_have_attribute("data-state", "ok")
    expect(page.locator("#panel-ranking")).to_have_attribute("data-state", "ok")
    expect(page.locator("#panel-history")).to_have_attribute("data-state", "ok")

    # sales vs target, rebate accrued, tier progress: numbers from the statement
    assert page.locator("#panel-sales [data-field=actual]").inner_text() == "¥784,782"
    assert "54.1%" in page.locator("#panel-sales [data-field=attainment]").inner_text()
    assert page.locator("#panel-rebate [data-field=total]").inner_text() == "¥23,543"
    assert page.locator("#panel-rebate .legend li").count() == 2
    assert "还差 ¥715,217.83" in page.locator("#panel-tier [data-field=progress]").inner_text()
    fraction = float(page.locator("#panel-tier rect[data-fraction]").get_attribute("data-fraction") or 0)
    assert fraction == pytest.approx(784782.17 / (784782.17 + 715217.83), abs=0.002)
    # ranking: own row highlighted, a row the caller may not see stays anonymous
    assert page.locator("#panel-ranking [data-field=rank]").inner_text() == "第 2 / 3 名"
    assert page.locator("#panel-ranking g.own").get_attribute("data-partner") == "P-1"
    assert "未公开" in (page.locator("#panel-ranking g[data-rank='3']").text_content() or "")
    # history: one column per quarter, charts are inline SVG drawn by the page
    assert page.locator("#panel-history g[data-quarter]").count() == 4
    assert page.locator("svg[data-chart]").count() == 6
    assert page.locator("#partner-pick").is_hidden()  # one partner: nothing to choose
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width_of(page)  # no sideways scroll
    screenshot(page, f"dashboard-signed-in-{width_of(page)}")

    # scoping: only the signed-in user's token, and only ids the API itself returned
    token = session_token(page)
    assert {auth for _, _, auth in api.calls} == {f"Bearer {token}"}
    [(query, _)] = api.paths("/api/rebates/statement")
    assert query == {"partner_id": ["P-1"]}
    assert "partner_id" not in api.paths("/api/rebates/ranking")[0][0]
    assert page.errors == []


def test_dashboard_partner_choice_comes_from_the_api_tree(web: WebServer, page: Any) -> None:
    tree = node("A-1", "测试联盟", "alliance", [node("P-1", "一号伙伴", "partner"), node("P-3", "三号伙伴", "partner")])
    api = RebatesApi(page, tree, {"P-1": "一号伙伴", "P-3": "三号伙伴"})
    sign_in(page, web, username="carol", path="/dashboard")
    expect(page.locator("#panel-sales")).to_have_attribute("data-state", "ok")
    select = page.locator("#partner-select")
    assert select.locator("option").all_inner_texts() == ["一号伙伴 (P-1)", "三号伙伴 (P-3)"]
    select.select_option("P-3")
    expect(page.locator("#partner-name")).to_have_text("三号伙伴")
    expect(page.locator("#panel-ranking g.own")).to_have_attribute("data-partner", "P-3")
    asked = [q.get("partner_id", [""])[0] for q, _ in api.paths("/api/rebates/statement")]
    assert asked == ["P-1", "P-3"]
    assert [q.get("partner_id", [""])[0] for q, _ in api.paths("/api/rebates/history")] == ["P-1", "P-3"]
    # choosing a quarter asks for that quarter
    page.locator("#quarter-select").select_option("2026Q2")
    expect(page.locator("#panel-sales")).to_have_attribute("data-state", "ok")
    assert api.paths("/api/rebates/statement")[-1][0]["quarter"] == ["2026Q2"]


def test_dashboard_says_not_available_yet_and_shows_api_errors(web: WebServer, page: Any) -> None:
    # the rebates routes do not exist (404 not_found): a clear "not available yet"
    page.route("**/api/partners", lambda r: r.fulfill(status=404, json={"code": "not_found", "message": "x"}))
    page.route("**/api/rebates/**", lambda r: r.fulfill(status=404, json={"code": "not_found", "message": "x"}))
    sign_in(page, web, path="/dashboard")
    for panel in ("sales", "rebate", "tier", "ranking", "history"):
        expect(page.locator(f"#panel-{panel}")).to_have_attribute("data-state", "unavailable")
    assert "not available yet" in page.locator("#panel-sales .state").inner_text()
    expect(page.locator("#panel-feedback")).to_have_attribute("data-state", "ok")  # the real feedback API
    # an id the caller may not see: the API's own message, not "not available"
    page.unroute("**/api/partners")
    page.unroute("**/api/rebates/**")
    RebatesApi(page, node("P-9", "别人的伙伴", "partner"), {})
    page.reload()
    expect(page.locator("#panel-sales")).to_have_attribute("data-state", "error")
    assert "没有权限查看" in page.locator("#panel-sales .state").inner_text()


def test_recent_feedback_is_scoped_to_the_callers_partner(web: WebServer, page: Any) -> None:
    def rate(user: str, question: str, rating: str, comment: str) -> None:
        headers = {"Authorization": f"Bearer {web.token(user)}"}
        cid = httpx.post(f"{web.http}/api/conversations", headers=headers).json()["id"]
        turn = httpx.post(
            f"{web.http}/api/conversations/{cid}/messages",
            headers=headers,
            json={"client_msg_id": "m1", "text": question},
        ).json()
        httpx.post(
            f"{web.http}/api/conversations/{cid}/feedback",
            headers=headers,
            json={"message_seq": turn["reply"]["seq"], "rating": rating, "comment": comment},
        ).raise_for_status()

    rate("alice", "EG-2100 有几个串口", "up", "<b>很准确</b>")
    rate("bob", "网关质保多久", "down", "bob 的意见")
    page.route("**/api/rebates/**", lambda r: r.fulfill(status=404, json={"code": "not_found", "message": "x"}))
    sign_in(page, web, path="/dashboard")
    expect(page.locator("#panel-feedback")).to_have_attribute("data-state", "ok")
    feedback = page.locator("#panel-feedback")
    expect(feedback.locator(".fb-list li").filter(has_text="EG-2100 有几个串口")).to_have_count(1)
    assert "<b>很准确</b>" in feedback.inner_text()  # markup shown as text
    assert feedback.locator("b").count() == 0
    assert "bob 的意见" not in feedback.inner_text()  # another partner's feedback never appears
    api = web.get("/api/feedback/recent", web.token("bob")).json()
    assert api["scope"] == ["P-2"] and all(i["partner_id"] == "P-2" for i in api["items"])
