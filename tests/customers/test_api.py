"""The customer REST API (assistant/api/routes_customers.py) in process, on SQLite and
PostgreSQL over the demo channel users: shapes and ``X-Total-Count``, refusals with their code
and field, soft delete, binding, creation from a conversation, the conversation list's
customer columns, a manager above reading and not writing, and a sibling partner's
salesperson getting byte for byte what a missing id gets."""

from __future__ import annotations

from typing import Any

import httpx

from tests.rebates_api.harness import Api

MISSING = "00000000-0000-0000-0000-000000000000"


def call(api: Api, method: str, path: str, user: str | None, *, lang: str = "", **kw: Any) -> httpx.Response:
    headers = api._headers(user)
    if lang:
        headers["Accept-Language"] = lang
    return api.loop.run_until_complete(api.client.request(method, path, headers=headers, **kw))


def create(api: Api, user: str, name: str, **body: Any) -> dict[str, Any]:
    r = call(api, "POST", "/api/customers", user, json={"name": name, **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def conversation(api: Api, user: str, text: str) -> str:
    r = api.post("/api/conversations", user)
    assert r.status_code == 201, r.text
    cid = str(r.json()["id"])
    turn = api.post(f"/api/conversations/{cid}/messages", user, json={"client_msg_id": "m1", "text": text})
    assert turn.status_code == 200, turn.text
    return cid


def test_create_list_search_page_and_total(api: Api) -> None:
    user = "hz_sales3"
    made = create(
        api,
        user,
        "杭州某某化纤",
        notes="关心停机损失",
        profile={
            "industry": "纺织",
            "scale": "large",
            "region": "杭州",
            "order_amount": 300000,
            "persona": "procurement",
        },
    )
    assert made["name"] == "杭州某某化纤" and made["industry"] == "纺织" and made["scale"] == "large"
    assert made["persona"] == "procurement" and made["region"] == "杭州" and made["product_line"] is None
    assert (
        made["owner_user_id"] == "u-hz_sales3" and made["conversation_count"] == 0 and made["notes"] == "关心停机损失"
    )
    assert made["profile"]["customer_name"] == "杭州某某化纤" and made["profile"]["order_amount"] == "300000"
    assert set(made) >= {"id", "created_at", "updated_at", "product_model"}
    for n in range(4):
        create(api, user, f"客户{n} 100%")
    r = api.get("/api/customers", user, limit=2)
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "5"
    assert [c["name"] for c in r.json()] == ["客户3 100%", "客户2 100%"]
    assert [c["name"] for c in api.get("/api/customers", user, limit=2, offset=4).json()] == ["杭州某某化纤"]
    r = api.get("/api/customers", user, q="%")
    assert r.headers["X-Total-Count"] == "4" and all("100%" in c["name"] for c in r.json())
    r = api.get("/api/customers", user, q="纺织")
    assert [c["id"] for c in r.json()] == [made["id"]] and r.headers["X-Total-Count"] == "1"
    assert api.get(f"/api/customers/{made['id']}", user).json() == made
    r = call(api, "PATCH", f"/api/customers/{made['id']}", user, json={"notes": "已报价", "profile": {"scale": None}})
    assert r.status_code == 200 and r.json()["notes"] == "已报价" and r.json()["scale"] is None
    assert api.get("/api/customers", user).json()[0]["id"] == made["id"]  # newest update first


def test_refusals_have_codes_and_fields(api: Api) -> None:
    user = "hz_sales4"
    cases: list[tuple[dict[str, Any], int, str, str | None]] = [
        ({"name": "  "}, 422, "customer_invalid", "name"),
        ({"name": "长" * 101}, 422, "customer_invalid", "name"),
        ({"name": "x", "profile": {"scale": "huge"}}, 422, "customer_invalid", "profile.scale"),
        ({"name": "x", "profile": {"industry": "造船"}}, 422, "customer_invalid", "profile.industry"),
        ({"name": "x", "profile": {"order_amount": "1E+99"}}, 422, "customer_invalid", "profile.order_amount"),
        ({"name": "x", "notes": "记" * 2001}, 422, "customer_invalid", "notes"),
        ({"name": "长" * 201}, 422, "validation_error", None),
        ({"name": "x", "extra": 1}, 422, "validation_error", None),
        ({"name": 5}, 422, "validation_error", None),
        ({"name": "x", "profile": {f"k{n}": "v" for n in range(21)}}, 422, "validation_error", None),
        ({"name": "x", "from_conversation_id": MISSING}, 404, "conversation_not_found", None),
    ]
    for body, status, code, field in cases:
        r = call(api, "POST", "/api/customers", user, json=body)
        assert (r.status_code, r.json()["code"], r.json().get("field")) == (status, code, field), (body, r.text)
    # A lone surrogate (valid JSON, no UTF-8) in a profile value: refused, never stored.
    raw = b'{"name": "x", "profile": {"region": "\\udfff"}}'
    headers = {**api._headers(user), "Content-Type": "application/json"}
    r = api.loop.run_until_complete(api.client.post("/api/customers", content=raw, headers=headers))
    assert (r.status_code, r.json()["code"], r.json()["field"]) == (422, "customer_invalid", "profile.region")
    assert api.get("/api/customers", user).headers["X-Total-Count"] == "0"
    r = call(api, "POST", "/api/customers", user, json={"name": " "}, lang="en")
    assert r.json()["message"].startswith("Invalid customer")
    for params in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"q": "长" * 101}, {"limit": "x"}):
        r = api.get("/api/customers", user, **params)
        assert (r.status_code, r.json()["code"]) == (422, "validation_error"), params
    assert api.get("/api/customers").status_code == 401
    create(api, user, "ABC化纤")
    r = call(api, "POST", "/api/customers", user, json={"name": "abc化纤"})
    assert (r.status_code, r.json()["code"]) == (409, "customer_name_taken")
    r = call(api, "PUT", f"/api/conversations/{MISSING}/customer", user, json={"customer_id": None})
    assert (r.status_code, r.json()["code"]) == (404, "conversation_not_found")
    r = call(api, "PUT", f"/api/conversations/{MISSING}/customer", user, json={})
    assert (r.status_code, r.json()["code"]) == (422, "validation_error")  # customer_id is required (null unbinds)


def test_bind_from_conversation_delete_and_the_conversation_lists(api: Api) -> None:
    user = "su_sales2"
    cid = conversation(api, user, "杭州某某化纤，40 台设备")
    r = call(api, "PATCH", f"/api/conversations/{cid}/profile", user, json={"industry": "纺织", "scale": "small"})
    assert r.status_code == 200, r.text
    made = create(api, user, "杭州某某化纤", profile={"scale": "large"}, from_conversation_id=cid)
    assert made["industry"] == "纺织" and made["scale"] == "large" and made["conversation_count"] == 1
    [listed] = [c for c in api.get("/api/conversations", user).json() if c["id"] == cid]
    assert (listed["customer_id"], listed["customer_name"]) == (made["id"], "杭州某某化纤")
    other = conversation(api, user, "另一个问题")
    r = api.get(f"/api/customers/{made['id']}/conversations", user)
    assert [c["id"] for c in r.json()] == [cid] and r.headers["X-Total-Count"] == "1"
    assert set(r.json()[0]) == set(listed)  # the same shape as GET /api/conversations
    assert [c["id"] for c in api.get("/api/conversations", user, customer_id=made["id"]).json()] == [cid]
    # Bind the other conversation: its profile is the customer's from now on.
    r = call(api, "PUT", f"/api/conversations/{other}/customer", user, json={"customer_id": made["id"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"conversation_id": other, "customer_id": made["id"], "profile": made["profile"]}
    assert api.get(f"/api/customers/{made['id']}", user).json()["conversation_count"] == 2
    r = call(api, "PUT", f"/api/conversations/{other}/customer", user, json={"customer_id": None})
    assert r.json()["customer_id"] is None and r.json()["profile"] == {}
    # Soft delete: gone from the customer routes, the conversations stay with their events.
    assert call(api, "DELETE", f"/api/customers/{made['id']}", user).status_code == 204
    for method, path in (
        ("GET", f"/api/customers/{made['id']}"),
        ("DELETE", f"/api/customers/{made['id']}"),
        ("GET", f"/api/customers/{made['id']}/conversations"),
    ):
        r = call(api, method, path, user)
        assert (r.status_code, r.json()["code"]) == (404, "customer_not_found"), path
    r = call(api, "PUT", f"/api/conversations/{other}/customer", user, json={"customer_id": made["id"]})
    assert (r.status_code, r.json()["code"]) == (404, "customer_not_found")
    assert made["id"] not in api.get("/api/customers", user).text
    listed_ids = [c["id"] for c in api.get("/api/conversations", user).json()]
    assert cid in listed_ids and other in listed_ids
    events = api.get(f"/api/conversations/{cid}/events", user).json()["events"]
    assert events[0]["text"] == "杭州某某化纤，40 台设备"


def test_a_manager_above_reads_and_cannot_write_a_sibling_sees_a_missing_id(api: Api) -> None:
    made = create(api, "nb_sales1", "宁波海天塑机", notes="只给上级看", profile={"region": "宁波"})
    cid = conversation(api, "nb_sales1", "宁波那家")
    assert call(
        api, "PUT", f"/api/conversations/{cid}/customer", "nb_sales1", json={"customer_id": made["id"]}
    ).is_success
    for manager in ("nb_boss1", "nb_manager", "ec_manager", "n_admin"):
        r = api.get(f"/api/customers/{made['id']}", manager)
        assert r.status_code == 200 and r.json()["notes"] == "只给上级看", manager
        assert made["id"] in api.get("/api/customers", manager, limit=100).text, manager
        # the chat page's picker asks for the caller's own only: the ones a conversation can be bound to
        mine = api.get("/api/customers", manager, limit=100, mine="true")
        assert made["id"] not in mine.text and mine.headers["X-Total-Count"] == str(len(mine.json())), manager
        r = call(api, "PATCH", f"/api/customers/{made['id']}", manager, json={"notes": "改"})
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), manager
        assert call(api, "DELETE", f"/api/customers/{made['id']}", manager).status_code == 403
        # Conversations stay their owner's: the customer's list is empty for a manager.
        assert api.get(f"/api/customers/{made['id']}/conversations", manager).json() == []
    assert api.get(f"/api/customers/{made['id']}", "nb_sales1").json()["notes"] == "只给上级看"
    assert made["id"] in api.get("/api/customers", "nb_sales1", mine="true").text
    for outsider in ("nb_sales2", "hz_manager", "sc_manager", "n_editor"):
        for method, suffix, body in (
            ("GET", "", None),
            ("PATCH", "", {"notes": "x"}),
            ("DELETE", "", None),
            ("GET", "/conversations", None),
        ):
            theirs = call(api, method, f"/api/customers/{made['id']}{suffix}", outsider, json=body)
            missing = call(api, method, f"/api/customers/{MISSING}{suffix}", outsider, json=body)
            assert theirs.status_code == 404 and theirs.content == missing.content, (outsider, method, suffix)
            assert dict(theirs.headers) == dict(missing.headers) | {"x-request-id": theirs.headers["x-request-id"]}
        r = call(api, "PUT", f"/api/conversations/{cid}/customer", outsider, json={"customer_id": None})
        assert (r.status_code, r.json()["code"]) == (404, "conversation_not_found")
        body = api.get("/api/customers", outsider, limit=100).text + api.get("/api/conversations", outsider).text
        assert made["id"] not in body and "宁波海天塑机" not in body, outsider
    r = call(api, "GET", f"/api/customers/{made['id']}", "nb_sales2", lang="en")
    assert r.json() == {"code": "customer_not_found", "message": "Customer not found."}
