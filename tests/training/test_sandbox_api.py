"""REST of the deal sandbox over the demo network (the app in-process, tests/rebates_api/
harness.py): a scenario drawn (the same for the same product and seed), a decision's
outcome with the rebate of the caller's own partner from the real engine, and every bad
input answered with a stable code (the decision's field named), never a 500.  Identity comes
from the token only: a salesperson cannot compute for another partner."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from assistant.dialogue.types import Caller
from assistant.i18n import ERROR_MESSAGES, error_message
from tests.rebates_api.harness import Api, make_settings

CODES = (
    "sandbox_unknown_product",
    "sandbox_invalid_decision",
    "sandbox_scenario_not_found",
    "sandbox_scenario_changed",
    "sandbox_data_invalid",
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    app = Api(make_settings(tmp_path_factory.mktemp("sandbox-api")))
    yield app
    app.close()


def refused(r: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    body = {"code": code, "message": error_message(code)}
    if field is not None:
        body["field"] = field
    assert (r.status_code, r.json()) == (status, body), r.text


def draw(api: Api, user: str = "hz_sales1", **body: Any) -> dict[str, Any]:
    r = api.post("/api/training/sandbox", user, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["scenario"])


def decide(api: Api, sid: str, body: Any, user: str = "hz_sales1") -> httpx.Response:
    return api.post(f"/api/training/sandbox/{sid}/decide", user, json=body)


def offer(s: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lines": [
            {"product_id": s["product"]["id"], "quantity": s["quantity"], "unit_price": s["product"]["list_price"]}
        ],
        "timing": "this_quarter",
        "new_customer": True,
    }
    body.update(changes)
    return body


def test_every_code_has_a_status_and_both_messages() -> None:
    from assistant.api.app import STATUS_BY_CODE

    for code in CODES:
        assert code in STATUS_BY_CODE and code in ERROR_MESSAGES
        assert error_message(code, "zh") != error_message(code, "en")


def test_options_and_a_scenario(api: Api) -> None:
    o = api.get("/api/training/sandbox/options", "hz_sales1").json()
    ids = {p["id"] for p in o["products"]}
    assert {"EG-2100", "AR-G1"} <= ids and o["floor_share"] == "0.85" and o["floor_faq"] == "FAQ-PRC-003"
    assert o["limits"]["max_lines"] >= 1 and "演示假设" in o["purchase_cost_label"]
    s = draw(api, product_id="EG-2100", seed=42)
    assert s == draw(api, "ec_sales1", product_id="EG-2100", seed=42)  # the same deal for anyone
    assert s["id"].startswith("EG-2100.42.") and s["current_quarter"] == "2026Q4"
    assert s["customer"]["company"] in s["intro"] and s["competitor"]["unit_price"]
    assert Decimal(s["product"]["floor_price"]) == Decimal(s["product"]["list_price"]) * Decimal("0.85")
    got = api.get(f"/api/training/sandbox/{s['id']}", "hz_sales1")
    assert got.status_code == 200 and got.json()["scenario"] == s
    random_one = draw(api)  # no body fields: a random seed and product
    assert random_one["product"]["id"] in ids
    assert api.post("/api/training/sandbox", "hz_sales1").status_code == 201  # no body at all


def test_an_outcome_with_the_real_rebate(api: Api) -> None:
    s = draw(api, product_id="EG-2100", seed=3)
    r = decide(api, s["id"], offer(s))
    assert r.status_code == 200, r.text
    out = r.json()["outcome"]
    rebates = api.runtime.rebates
    assert rebates is not None
    caller = Caller(user_id="u", partner_id="P-HZ-01")
    expected = rebates.what_if(viewer=caller, amount=Decimal(out["deal_amount"]), new_customer=True).what_if
    assert out["partner_id"] == "P-HZ-01" and out["quarter"] == "2026Q4"
    assert Decimal(out["rebate_delta"]) == expected.total_delta
    assert Decimal(out["total"]) == Decimal(out["margin"]) + Decimal(out["rebate_delta"])
    keys = [x["key"] for x in out["lines"]]
    assert keys == [
        "deal_amount",
        "budget",
        "competitor",
        "deadline",
        "floor",
        "purchase_cost",
        "margin",
        "rebate",
        "total",
    ]
    assert [x["kind"] for x in out["rebate_lines"]] == ["base", "incremental", "subsidy_new_market", "subsidy_csat"]
    below = decide(api, s["id"], offer(s, lines=[{**offer(s)["lines"][0], "unit_price": "1.00"}])).json()["outcome"]
    assert (
        below["needs_approval"] and next(x for x in below["lines"] if x["key"] == "floor")["citation"] == "FAQ-PRC-003"
    )


def test_identity_comes_from_the_token(api: Api) -> None:
    s = draw(api, product_id="EG-2100", seed=5)
    refused(decide(api, s["id"], offer(s, partner_id="P-HZ-02")), 404, "partner_not_found")  # a sibling
    refused(decide(api, s["id"], offer(s, partner_id="P-XX-99")), 404, "partner_not_found")  # none at all
    own = decide(api, s["id"], offer(s, partner_id="P-HZ-01"))
    assert own.status_code == 200 and own.json()["outcome"]["partner_id"] == "P-HZ-01"
    # Who the caller is cannot be said in the body.
    for extra in ({"user_id": "u-n_admin"}, {"viewer": "N-001"}, {"role": "admin"}):
        refused(decide(api, s["id"], {**offer(s), **extra}), 422, "sandbox_invalid_decision", next(iter(extra)))
    other = decide(api, s["id"], offer(s), user="sz_sales1")
    assert other.status_code == 200 and other.json()["outcome"]["partner_id"] != "P-HZ-01"
    refused(decide(api, s["id"], offer(s), user="ec_sales1"), 422, "partner_required")  # a regional node
    refused(decide(api, s["id"], offer(s), user=None), 401, "unauthorized")
    refused(api.post("/api/training/sandbox", None, json={}), 401, "unauthorized")


def test_bad_input_gets_a_code_never_a_500(api: Api) -> None:
    s = draw(api, product_id="EG-2100", seed=6)
    line = offer(s)["lines"][0]
    bad: list[tuple[Any, str]] = [
        (None, "body"),
        ([], "body"),
        ("text", "body"),
        ({**offer(s), "timing": "someday"}, "timing"),
        ({**offer(s), "new_customer": "yes"}, "new_customer"),
        ({**offer(s), "lines": []}, "lines"),
        ({**offer(s), "lines": [line] * 9}, "lines"),
        ({**offer(s), "lines": [{**line, "quantity": 0}]}, "lines[0].quantity"),
        ({**offer(s), "lines": [{**line, "quantity": 10**6}]}, "lines[0].quantity"),
        ({**offer(s), "lines": [{**line, "quantity": 1.5}]}, "lines[0].quantity"),
        ({**offer(s), "lines": [{**line, "unit_price": 0}]}, "lines[0].unit_price"),
        ({**offer(s), "lines": [{**line, "unit_price": "-5"}]}, "lines[0].unit_price"),
        ({**offer(s), "lines": [{**line, "unit_price": "1.001"}]}, "lines[0].unit_price"),
        ({**offer(s), "lines": [{**line, "unit_price": "1e400"}]}, "lines[0].unit_price"),
        ({**offer(s), "lines": [{**line, "unit_price": "NaN"}]}, "lines[0].unit_price"),
        ({**offer(s), "lines": [{**line, "unit_price": 10**9}]}, "lines[0].unit_price"),
        ({**offer(s), "lines": [line, {**line, "product_id": "XX-404"}]}, "lines[1].product_id"),
        ({**offer(s), "lines": [line, line]}, "lines[1].product_id"),
        ({**offer(s), "lines": [{"product_id": "AR-G1", "quantity": 1, "unit_price": "100"}]}, "lines"),
        ({**offer(s), "lines": [{**line, "product_id": "x" * 65}]}, "lines[0].product_id"),
    ]
    for body, field in bad:
        refused(decide(api, s["id"], body), 422, "sandbox_invalid_decision", field)
    refused(
        api.post("/api/training/sandbox", "hz_sales1", json={"product_id": "XX-404"}),
        422,
        "sandbox_unknown_product",
        "product_id",
    )
    for body in ({"seed": -1}, {"seed": 2**31}, {"seed": "1"}, {"product_id": "x" * 65}, {"other": 1}):
        refused(api.post("/api/training/sandbox", "hz_sales1", json=body), 422, "validation_error")
    refused(decide(api, "not-an-id", offer(s)), 404, "sandbox_scenario_not_found")
    refused(api.get("/api/training/sandbox/not-an-id", "hz_sales1"), 404, "sandbox_scenario_not_found")
    refused(decide(api, "x" * 81, offer(s)), 422, "validation_error")
    changed = s["id"][:-1] + ("0" if s["id"][-1] != "0" else "1")
    refused(decide(api, changed, offer(s)), 410, "sandbox_scenario_changed")
    refused(decide(api, "ZZ-404.1.0123456789ab", offer(s)), 410, "sandbox_scenario_changed")
