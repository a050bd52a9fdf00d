"""The history list over REST, against a real server on SQLite and PostgreSQL:
``GET /api/conversations?q=&offset=&limit=`` (a list body, the total in ``X-Total-Count``)
and ``POST /api/conversations/{id}/seen``; bad parameters are 422 with a stable code, never
500; identity only from the token."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import LiveServer

pytestmark = pytest.mark.slow


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def talk(live: LiveServer, h: dict[str, str], text: str) -> str:
    cid = str(httpx.post(f"{live.http}/api/conversations", headers=h).json()["id"])
    r = httpx.post(
        f"{live.http}/api/conversations/{cid}/messages", headers=h, json={"client_msg_id": "1", "text": text}
    )
    assert r.status_code == 200
    return cid


def test_list_search_page_unread_and_seen(live: LiveServer) -> None:
    alice, bob = auth(live.token("alice")), auth(live.token("bob"))
    first = talk(live, alice, "EG-2100 功耗多少")
    second = talk(live, alice, "返利怎么算")
    talk(live, bob, "EG-2100 李博的问题")
    url = f"{live.http}/api/conversations"

    listed = httpx.get(url, headers=alice)
    assert listed.status_code == 200 and listed.headers["X-Total-Count"] == "2"
    rows = listed.json()
    assert [r["id"] for r in rows] == [second, first]  # newest first
    assert rows[1]["title"] == "EG-2100 功耗多少" and rows[1]["preview"] and rows[1]["unread"] == 0
    assert set(rows[0]) >= {"id", "title", "last_seq", "updated_at", "preview", "last_seen_seq", "unread"}

    page = httpx.get(url, headers=alice, params={"offset": 1, "limit": 1})
    assert [r["id"] for r in page.json()] == [first] and page.headers["X-Total-Count"] == "2"
    found = httpx.get(url, headers=alice, params={"q": "eg-2100"})
    assert [r["id"] for r in found.json()] == [first] and found.headers["X-Total-Count"] == "1"
    assert [r["id"] for r in httpx.get(url, headers=bob, params={"q": "功耗"}).json()] == []

    # The page showed everything, the user left, then an expert wrote: one unread.
    last = rows[1]["last_seq"]
    seen = httpx.post(f"{url}/{first}/seen", headers=alice, json={"seq": last})
    assert seen.status_code == 200 and seen.json() == {"conversation_id": first, "last_seen_seq": last}
    live.runtime.require_chat().append_event(
        conversation_id=first, event_type="expert_message", payload={"text": "我是专家，请看附件"}
    )
    row = httpx.get(url, headers=alice).json()[0]
    assert row["id"] == first and row["unread"] == 1 and row["preview"] == "我是专家，请看附件"
    httpx.post(f"{url}/{first}/seen", headers=alice, json={"seq": row["last_seq"]})
    assert httpx.get(url, headers=alice).json()[0]["unread"] == 0

    past = httpx.post(f"{url}/{first}/seen", headers=alice, json={"seq": row["last_seq"] + 1})
    assert past.status_code == 422 and past.json()["code"] == "seen_seq_out_of_range"
    for who, cid in ((bob, first), (alice, "no-such-id")):
        r = httpx.post(f"{url}/{cid}/seen", headers=who, json={"seq": 0})
        assert r.status_code == 404 and r.json()["code"] == "conversation_not_found"
    assert httpx.get(url).status_code == 401


BAD_PARAMS: list[dict[str, str | int]] = [
    {"limit": 0},
    {"limit": 51},
    {"limit": "ten"},
    {"offset": -1},
    {"offset": "1e3"},
    {"offset": "9" * 5000},
    {"q": "长" * 101},
]


def test_bad_list_parameters_are_422(live: LiveServer) -> None:
    h = auth(live.token())
    for params in BAD_PARAMS:
        r = httpx.get(f"{live.http}/api/conversations", headers=h, params=params)
        assert r.status_code == 422 and r.json()["code"] == "validation_error", params
    nul = httpx.get(f"{live.http}/api/conversations", headers=h, params={"q": "a\x00b"})
    assert nul.status_code == 422 and nul.json()["code"] == "invalid_conversation_query"
    for odd in ("%00", "x" * 200, "..%2F..", "'; DROP TABLE x;--"):
        r = httpx.post(f"{live.http}/api/conversations/{odd}/seen", headers=h, json={"seq": 0})
        assert r.status_code == 404 and r.json()["code"] in {"conversation_not_found", "not_found"}, odd


def test_bad_seen_bodies_never_500(live: LiveServer) -> None:
    h = auth(live.token())
    cid = talk(live, h, "你好")
    bodies: list[object] = [
        {},
        {"seq": -1},
        {"seq": "x"},
        {"seq": 1.5},
        {"seq": 2**60},
        {"seq": 1, "extra": 1},
        [],
        "x",
    ]
    for body in bodies:
        r = httpx.post(f"{live.http}/api/conversations/{cid}/seen", headers=h, json=body)
        assert r.status_code == 422 and r.json()["code"] == "validation_error", body
    r = httpx.post(f"{live.http}/api/conversations/{cid}/seen", headers=h, content=b"{nope")
    assert r.status_code == 422
